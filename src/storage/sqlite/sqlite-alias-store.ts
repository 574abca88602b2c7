// Owns the SQLite backend of AliasStore: the aliases and alias_targets tables (migration
// 0003) on the connection every SQLite store shares (openSqliteDatabase). An import is one
// IMMEDIATE transaction: delete everything, insert everything.
import type Database from "better-sqlite3";
import type { AliasTarget } from "../../domain/aliases-format";
import { describeUnstorableAliases, targetText, type AliasStore, type StoredAlias } from "../alias-store";

/** Aliases fetched per step of listAliases (keyset pagination on id). */
const LIST_PAGE_SIZE = 500;

type TargetKind = "local" | "local-no-alias" | "address" | "command" | "file" | "include";

interface AliasRow {
  id: number;
  name: string;
  line: number;
}

interface TargetRow {
  alias_id: number;
  kind: TargetKind;
  value: string;
}

/** AliasStore on a configured, migrated better-sqlite3 connection (openSqliteDatabase). */
export class SqliteAliasStore implements AliasStore {
  readonly #selectByName: Database.Statement<[string], AliasRow>;
  readonly #selectTargets: Database.Statement<[number], TargetRow>;
  readonly #selectPage: Database.Statement<[number, number], AliasRow>;
  readonly #selectPageTargets: Database.Statement<[number, number], TargetRow>;
  readonly #count: Database.Statement<[], number>;
  readonly #replaceTx: Database.Transaction<(aliases: readonly StoredAlias[]) => void>;

  constructor(db: Database.Database) {
    this.#selectByName = db.prepare("SELECT id, name, line FROM aliases WHERE name = ?");
    this.#selectTargets = db.prepare("SELECT alias_id, kind, value FROM alias_targets WHERE alias_id = ? ORDER BY position");
    this.#selectPage = db.prepare("SELECT id, name, line FROM aliases WHERE id > ? ORDER BY id LIMIT ?");
    this.#selectPageTargets = db.prepare(
      "SELECT alias_id, kind, value FROM alias_targets WHERE alias_id BETWEEN ? AND ? ORDER BY alias_id, position",
    );
    this.#count = db.prepare<[], number>("SELECT count(*) FROM aliases").pluck();
    const deleteTargets = db.prepare("DELETE FROM alias_targets");
    const deleteAliases = db.prepare("DELETE FROM aliases");
    const insertAlias = db.prepare<[string, number]>("INSERT INTO aliases (name, line) VALUES (?, ?)");
    const insertTarget = db.prepare<[number | bigint, number, TargetKind, string]>(
      "INSERT INTO alias_targets (alias_id, position, kind, value) VALUES (?, ?, ?, ?)",
    );
    this.#replaceTx = db.transaction((aliases: readonly StoredAlias[]): void => {
      deleteTargets.run();
      deleteAliases.run();
      for (const alias of aliases) {
        const id = insertAlias.run(alias.name, alias.line).lastInsertRowid;
        alias.targets.forEach((target, position) => insertTarget.run(id, position, kindOf(target), targetText(target)));
      }
    });
  }

  async replaceAliases(aliases: readonly StoredAlias[]): Promise<void> {
    const reason = describeUnstorableAliases(aliases);
    if (reason !== null) throw new RangeError(reason);
    this.#replaceTx.immediate(aliases);
  }

  async getAlias(name: string): Promise<StoredAlias | null> {
    const row = this.#selectByName.get(name);
    if (row === undefined) return null;
    return { name: row.name, line: row.line, targets: this.#selectTargets.all(row.id).map(toTarget) };
  }

  /** Pages by `id > last id`, so no statement stays open across the consumer's awaits. */
  async *listAliases(): AsyncGenerator<StoredAlias, void, undefined> {
    let afterId = 0;
    for (;;) {
      const rows = this.#selectPage.all(afterId, LIST_PAGE_SIZE);
      const first = rows[0];
      const last = rows.at(-1);
      if (first === undefined || last === undefined) return;
      const targets = new Map<number, AliasTarget[]>();
      for (const target of this.#selectPageTargets.all(first.id, last.id)) {
        const list = targets.get(target.alias_id);
        if (list === undefined) targets.set(target.alias_id, [toTarget(target)]);
        else list.push(toTarget(target));
      }
      for (const row of rows) yield { name: row.name, line: row.line, targets: targets.get(row.id) ?? [] };
      if (rows.length < LIST_PAGE_SIZE) return;
      afterId = last.id;
    }
  }

  async countAliases(): Promise<number> {
    return this.#count.get() ?? 0;
  }
}

function kindOf(target: AliasTarget): TargetKind {
  return target.kind === "local" && target.noAlias ? "local-no-alias" : target.kind;
}

function toTarget(row: TargetRow): AliasTarget {
  switch (row.kind) {
    case "local":
      return { kind: "local", name: row.value, noAlias: false };
    case "local-no-alias":
      return { kind: "local", name: row.value, noAlias: true };
    case "address":
      return { kind: "address", address: row.value };
    case "command":
      return { kind: "command", command: row.value };
    case "file":
      return { kind: "file", path: row.value };
    case "include":
      return { kind: "include", path: row.value };
    default: {
      const unknown: never = row.kind;
      throw new Error(`alias_targets holds an unknown kind '${String(unknown)}'`);
    }
  }
}
