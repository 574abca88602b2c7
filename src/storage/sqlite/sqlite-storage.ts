// Owns the SQLite backend of Storage: one better-sqlite3 connection (WAL, synchronous=FULL,
// foreign keys, busy_timeout), statements prepared once, writes in IMMEDIATE transactions.
// SQL lives here and in migrations/sqlite; row mapping and error translation in rows.ts.
import Database from "better-sqlite3";
import type { Account } from "../../domain/account";
import {
  NotFoundError,
  type AccountBatch,
  type AccountUpdater,
  type ExportPage,
  type SourceLine,
  type Storage,
} from "../storage";
import { findMigrationsDir, migrate } from "./migrate";
import {
  ACCOUNT_COLUMNS,
  toAccount,
  toValues,
  translateDriverError,
  type AccountRow,
  type AccountValues,
} from "./rows";

/** How long a write waits for another connection's write lock before failing. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/** Rows fetched per step of listAccounts (keyset pagination on id). */
const LIST_PAGE_SIZE = 500;

/** Records per page of exportAccounts. */
const EXPORT_PAGE_SIZE = 1000;

const NOW_SQL = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
const SELECT_SQL = `SELECT id, ${ACCOUNT_COLUMNS.join(", ")} FROM accounts`;
const SET_SQL = `${ACCOUNT_COLUMNS.map((c) => `${c} = ?`).join(", ")}, updated_at = ${NOW_SQL}`;
/**
 * Export order of each file (migrations/sqlite/0002): by seq, then accounts without one by
 * id. Only the ids are sorted (a sort of whole rows takes seconds at a million accounts, on
 * the event loop); the rows are then read a page at a time.
 */
const EXPORT_ORDER_SQL = {
  passwd: "SELECT id FROM accounts ORDER BY passwd_seq IS NULL, passwd_seq, id",
  shadow: "SELECT id FROM accounts WHERE has_shadow = 1 ORDER BY shadow_seq IS NULL, shadow_seq, id",
} as const;
const EXPORT_PAGE_SQL = {
  passwd: `SELECT id, ${ACCOUNT_COLUMNS.join(", ")}, passwd_line AS text FROM accounts WHERE id IN (SELECT value FROM json_each(?))`,
  shadow: `SELECT id, ${ACCOUNT_COLUMNS.join(", ")}, shadow_line AS text FROM accounts WHERE id IN (SELECT value FROM json_each(?))`,
} as const;
const SET_SOURCE_LINES_SQL =
  "UPDATE accounts SET passwd_seq = iif(@setPasswd, @passwdSeq, passwd_seq), passwd_line = iif(@setPasswd, @passwdText, passwd_line), " +
  "shadow_seq = iif(@setShadow, @shadowSeq, shadow_seq), shadow_line = iif(@setShadow, @shadowText, shadow_line) WHERE name = @name";

interface SourceLineParams {
  name: string;
  setPasswd: 0 | 1;
  passwdSeq: number | null;
  passwdText: string | null;
  setShadow: 0 | 1;
  shadowSeq: number | null;
  shadowText: string | null;
}

/** Options of openSqliteStorage / openSqliteDatabase. */
export interface SqliteStorageOptions {
  /** busy_timeout in milliseconds (default DEFAULT_BUSY_TIMEOUT_MS). */
  busyTimeoutMs?: number;
}

/**
 * Open (creating if needed) the database at `path`, or a private in-memory one for
 * ":memory:", as a SqliteStorage (see openSqliteDatabase).
 */
export function openSqliteStorage(path: string, options: SqliteStorageOptions = {}): SqliteStorage {
  return new SqliteStorage(openSqliteDatabase(path, options));
}

/**
 * Open the database at `path` (":memory:" for a private in-memory one), configure the
 * connection and apply pending migrations from migrations/sqlite. Throws when the schema is
 * newer than this code (see migrate()) or a file database cannot use WAL.
 *
 * Settings: busy_timeout (options.busyTimeoutMs), journal_mode=WAL (readers never block the
 * writer), foreign_keys=ON, and synchronous=FULL rather than NORMAL: in WAL mode NORMAL may
 * lose the last commits on power loss, and a commit here is an admin's lock or password
 * change that must not silently come undone. Commits are rare (an import is one
 * transaction), so one fsync per commit costs nothing that matters.
 */
export function openSqliteDatabase(path: string, options: SqliteStorageOptions = {}): Database.Database {
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new RangeError(`busyTimeoutMs must be a non-negative integer, not ${busyTimeoutMs}`);
  }
  const db = new Database(path, { timeout: busyTimeoutMs });
  try {
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    if (!db.memory) {
      const mode = db.pragma("journal_mode = WAL", { simple: true });
      if (mode !== "wal") throw new Error(`${path}: cannot use WAL journal mode (got ${String(mode)})`);
    }
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    migrate(db, findMigrationsDir());
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Storage on one better-sqlite3 connection. The driver is synchronous, so every method does
 * its work before its promise settles and calls never interleave inside a transaction.
 *
 * SQLITE_BUSY (another process holding the write lock) does not reach callers in normal
 * operation: every write starts with BEGIN IMMEDIATE, which takes the write lock up front,
 * where SQLite's busy handler waits up to busy_timeout. (A DEFERRED transaction that reads
 * first and then writes fails with SQLITE_BUSY_SNAPSHOT when another connection committed in
 * between, which no timeout cures.) Only a lock held longer than busy_timeout fails, as a
 * plain Error with the driver error as its cause (rows.ts translateDriverError).
 */
export class SqliteStorage implements Storage {
  readonly #db: Database.Database;
  readonly #selectByName: Database.Statement<[string], AccountRow>;
  readonly #selectPage: Database.Statement<[number, number], AccountRow>;
  readonly #count: Database.Statement<[], number>;
  readonly #insert: Database.Statement<AccountValues>;
  readonly #updateById: Database.Statement<[...AccountValues, number]>;
  readonly #replaceByName: Database.Statement<[...AccountValues, string]>;
  readonly #deleteByName: Database.Statement<[string]>;
  readonly #setSourceLines: Database.Statement<[SourceLineParams]>;
  readonly #updateTx: Database.Transaction<(name: string, updater: AccountUpdater) => Account>;
  readonly #batchTx: Database.Transaction<(batch: AccountBatch) => void>;
  readonly #createTx: Database.Transaction<(account: Account) => void>;
  readonly #deleteTx: Database.Transaction<(name: string) => void>;

  /** Prefer openSqliteStorage(); `db` must be configured and migrated (openSqliteDatabase). */
  constructor(db: Database.Database) {
    this.#db = db;
    this.#selectByName = db.prepare(`${SELECT_SQL} WHERE name = ?`);
    this.#selectPage = db.prepare(`${SELECT_SQL} WHERE id > ? ORDER BY id LIMIT ?`);
    this.#count = db.prepare<[], number>("SELECT count(*) FROM accounts").pluck();
    this.#insert = db.prepare(
      `INSERT INTO accounts (${ACCOUNT_COLUMNS.join(", ")}) ` +
        `VALUES (${ACCOUNT_COLUMNS.map(() => "?").join(", ")})`,
    );
    this.#updateById = db.prepare(`UPDATE accounts SET ${SET_SQL} WHERE id = ?`);
    this.#replaceByName = db.prepare(`UPDATE accounts SET ${SET_SQL} WHERE name = ?`);
    this.#deleteByName = db.prepare("DELETE FROM accounts WHERE name = ?");
    this.#setSourceLines = db.prepare(SET_SOURCE_LINES_SQL);

    this.#createTx = db.transaction((account: Account): void => {
      this.#insertAccount(account);
    });
    this.#deleteTx = db.transaction((name: string): void => {
      if (this.#deleteByName.run(name).changes === 0) throw new NotFoundError(name);
    });
    this.#updateTx = db.transaction((name: string, updater: AccountUpdater): Account => {
      const row = this.#selectByName.get(name);
      if (row === undefined) throw new NotFoundError(name);
      const old = freezeAccount(toAccount(row));
      const next = updater(old);
      if (next === old) return old;
      try {
        this.#updateById.run(...toValues(next), row.id);
      } catch (error) {
        throw translateDriverError(error, next.name);
      }
      return next;
    });
    this.#batchTx = db.transaction((batch: AccountBatch): void => {
      for (const name of batch.delete) {
        if (this.#deleteByName.run(name).changes === 0) throw new NotFoundError(name);
      }
      for (const account of batch.replace) {
        let changes: number;
        try {
          changes = this.#replaceByName.run(...toValues(account), account.name).changes;
        } catch (error) {
          throw translateDriverError(error, account.name);
        }
        if (changes === 0) throw new NotFoundError(account.name);
      }
      for (const account of batch.create) this.#insertAccount(account);
    });
  }

  async createAccount(account: Account): Promise<void> {
    this.#translated(account.name, () => this.#createTx.immediate(account));
  }

  async getAccount(name: string): Promise<Account | null> {
    const row = this.#translated("", () => this.#selectByName.get(name));
    return row === undefined ? null : toAccount(row);
  }

  /**
   * Pages of LIST_PAGE_SIZE rows by `id > last id`, so no statement stays open across the
   * consumer's awaits (better-sqlite3 refuses other calls while an iterator is open).
   * Accounts that exist throughout are yielded exactly once, in creation order; changes made
   * while iterating may or may not show.
   */
  async *listAccounts(): AsyncGenerator<Account, void, undefined> {
    let afterId = 0;
    for (;;) {
      const rows = this.#translated("", () => this.#selectPage.all(afterId, LIST_PAGE_SIZE));
      for (const row of rows) yield toAccount(row);
      const last = rows.at(-1);
      if (last === undefined || rows.length < LIST_PAGE_SIZE) return;
      afterId = last.id;
    }
  }

  async countAccounts(): Promise<number> {
    return this.#translated("", () => this.#count.get() ?? 0);
  }

  async updateAccount(name: string, updater: AccountUpdater): Promise<Account> {
    return this.#translated(name, () => this.#updateTx.immediate(name, updater));
  }

  async deleteAccount(name: string): Promise<void> {
    this.#translated(name, () => this.#deleteTx.immediate(name));
  }

  /** Deletes first, then replacements, then creates (see AccountBatch), in one transaction. */
  async applyBatch(batch: AccountBatch): Promise<void> {
    this.#translated("", () => this.#batchTx.immediate(batch));
  }

  async setSourceLines(name: string, lines: { passwd?: SourceLine | null; shadow?: SourceLine | null }): Promise<void> {
    const params: SourceLineParams = {
      name,
      setPasswd: lines.passwd === undefined ? 0 : 1,
      passwdSeq: checkSeq(name, lines.passwd?.seq ?? null),
      passwdText: lines.passwd?.text ?? null,
      setShadow: lines.shadow === undefined ? 0 : 1,
      shadowSeq: checkSeq(name, lines.shadow?.seq ?? null),
      shadowText: lines.shadow?.text ?? null,
    };
    const changes = this.#translated(name, () => this.#setSourceLines.run(params).changes);
    if (changes === 0) throw new NotFoundError(name);
  }

  /**
   * A file database is read through a second, read-only connection inside one read
   * transaction, so both files come from one snapshot while the daemon goes on writing
   * (an in-memory database, in tests, is read on its only connection). Each file's ids are
   * sorted first (8 bytes an account), then its rows read EXPORT_PAGE_SIZE at a time.
   */
  async *exportAccounts(): AsyncGenerator<ExportPage, void, undefined> {
    const reader = this.#db.memory
      ? this.#db
      : new Database(this.#db.name, { readonly: true, fileMustExist: true, timeout: DEFAULT_BUSY_TIMEOUT_MS });
    try {
      if (reader !== this.#db) reader.exec("BEGIN");
      for (const file of ["passwd", "shadow"] as const) {
        const ids = Float64Array.from(this.#translated("", () => reader.prepare<[], number>(EXPORT_ORDER_SQL[file]).pluck().all()));
        const page = reader.prepare<[string], ExportRow>(EXPORT_PAGE_SQL[file]);
        for (let start = 0; start < ids.length; start += EXPORT_PAGE_SIZE) {
          const wanted = ids.subarray(start, start + EXPORT_PAGE_SIZE);
          const rows = new Map(this.#translated("", () => page.all(JSON.stringify(Array.from(wanted)))).map((row) => [row.id, row]));
          const records: ExportPage["records"] = [];
          for (const id of wanted) {
            const row = rows.get(id);
            if (row !== undefined) records.push(toExportRecord(row));
          }
          yield { file, records };
        }
      }
      if (reader !== this.#db) reader.exec("COMMIT");
    } finally {
      if (reader !== this.#db) reader.close();
    }
  }

  /**
   * Run PRAGMA optimize, then checkpoint the WAL into the main file and truncate it (in that
   * order: optimize may write statistics), then close. Both are upkeep: when other
   * connections keep the database busy they are skipped, and the connection still closes.
   * Closing twice is harmless.
   */
  async close(): Promise<void> {
    if (!this.#db.open) return;
    try {
      this.#db.pragma("optimize");
      this.#db.pragma("wal_checkpoint(TRUNCATE)");
    } catch (error) {
      if (!isBusyError(error)) throw error;
    } finally {
      this.#db.close();
    }
  }

  /** PRAGMA integrity_check: "ok", or its findings one per line. */
  integrityCheck(): string {
    const lines = this.#db.pragma("integrity_check", { simple: false }) as { integrity_check: string }[];
    return lines.map((line) => line.integrity_check).join("\n");
  }

  #insertAccount(account: Account): void {
    try {
      this.#insert.run(...toValues(account));
    } catch (error) {
      throw translateDriverError(error, account.name);
    }
  }

  /** Run `run`, translating driver errors; `name` is the account a write is about. */
  #translated<T>(name: string, run: () => T): T {
    try {
      return run();
    } catch (error) {
      throw translateDriverError(error, name);
    }
  }
}

type ExportRow = AccountRow & { text: string | null };

function toExportRecord(row: ExportRow): ExportPage["records"][number] {
  return { account: toAccount(row), text: row.text };
}

function checkSeq(name: string, seq: number | null): number | null {
  if (seq !== null && !Number.isSafeInteger(seq)) throw new RangeError(`account '${name}': a source line seq must be an integer, not ${seq}`);
  return seq;
}

function isBusyError(error: unknown): boolean {
  return (
    error instanceof Database.SqliteError &&
    (error.code.startsWith("SQLITE_BUSY") || error.code.startsWith("SQLITE_LOCKED"))
  );
}

/** The account handed to an updater: frozen, so a mutating updater fails loudly. */
function freezeAccount(account: Account): Account {
  if (account.shadow !== null) Object.freeze(account.shadow);
  return Object.freeze(account);
}
