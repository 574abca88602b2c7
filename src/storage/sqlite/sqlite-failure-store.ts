// Owns the SQLite backend of FailureStore: tables auth_failures (records of existing accounts
// only: foreign key, cascading) and auth_failure_totals (every failure, so each write commits
// whatever the name), migration 0005, on the connection every SQLite store shares.
import type Database from "better-sqlite3";
import type { FailureRecord, FailureStore, FailureUpdate } from "../failure-store";

interface FailureRow {
  at_ms: number;
  remote_address: string;
  service: string;
}

/** FailureStore on a configured, migrated better-sqlite3 connection (openSqliteDatabase). */
export class SqliteFailureStore implements FailureStore {
  readonly #db: Database.Database;
  readonly #select: Database.Statement<[string], FailureRow>;
  readonly #accountExists: Database.Statement<[string], number>;
  readonly #insert: Database.Statement<[string, number, string, string]>;
  readonly #deleteByName: Database.Statement<[string]>;
  readonly #purge: Database.Statement<[number]>;
  readonly #addToTotal: Database.Statement<[number]>;
  readonly #total: Database.Statement<[], number>;
  readonly #updateTx: Database.Transaction<(updates: readonly FailureUpdate[], failures: number) => void>;
  readonly #clearTx: Database.Transaction<(name: string) => number>;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#select = db.prepare("SELECT at_ms, remote_address, service FROM auth_failures WHERE name = ? ORDER BY at_ms, id");
    this.#accountExists = db.prepare<[string], number>("SELECT count(*) FROM accounts WHERE name = ?").pluck();
    this.#insert = db.prepare("INSERT INTO auth_failures (name, at_ms, remote_address, service) VALUES (?, ?, ?, ?)");
    this.#deleteByName = db.prepare("DELETE FROM auth_failures WHERE name = ?");
    this.#purge = db.prepare("DELETE FROM auth_failures WHERE at_ms < ?");
    this.#addToTotal = db.prepare("UPDATE auth_failure_totals SET failures = failures + ? WHERE id = 1");
    this.#total = db.prepare<[], number>("SELECT failures FROM auth_failure_totals WHERE id = 1").pluck();
    this.#updateTx = db.transaction((updates: readonly FailureUpdate[], failures: number): void => {
      for (const { name, update } of updates) {
        if (this.#accountExists.get(name) === 0) continue;
        const next = update(this.#select.all(name).map(toRecord));
        if (next === null) continue;
        this.#deleteByName.run(name);
        for (const record of next) this.#insert.run(name, Math.trunc(record.atMs), record.remoteAddress, record.service);
      }
      if (failures > 0) this.#addToTotal.run(failures);
    });
    this.#clearTx = db.transaction((name: string): number => this.#deleteByName.run(name).changes);
  }

  async listFailures(name: string): Promise<FailureRecord[]> {
    return this.#select.all(name).map(toRecord);
  }

  /**
   * One IMMEDIATE transaction, committed with synchronous=NORMAL instead of the
   * connection's FULL: in WAL mode that skips the fsync of this commit (the next FULL
   * commit or checkpoint syncs it). A process crash loses nothing (the WAL is written);
   * power loss may lose the last failures, which pam_faillock, on tmpfs, loses at every
   * reboot. In exchange a failure never holds the event loop for a disk flush, which
   * under disk contention took tens of milliseconds from every other caller.
   */
  async applyFailureUpdates(updates: readonly FailureUpdate[], failures: number): Promise<void> {
    if (updates.length === 0 && failures === 0) return;
    const previous = this.#db.pragma("synchronous", { simple: true });
    this.#db.pragma("synchronous = NORMAL");
    try {
      this.#updateTx.immediate(updates, failures);
    } finally {
      this.#db.pragma(`synchronous = ${Number(previous)}`);
    }
  }

  async totalFailures(): Promise<number> {
    return this.#total.get() ?? 0;
  }

  async clearFailures(name: string): Promise<number> {
    return this.#clearTx.immediate(name);
  }

  async purgeFailures(beforeMs: number): Promise<number> {
    return this.#db.transaction(() => this.#purge.run(Math.trunc(beforeMs)).changes).immediate();
  }
}

function toRecord(row: FailureRow): FailureRecord {
  return { atMs: row.at_ms, remoteAddress: row.remote_address, service: row.service };
}
