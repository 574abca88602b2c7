// Owns the storage contract: the async verb grid every backend implements (SQLite now,
// PostgreSQL later) and its two errors. Backends are checked by test/conformance.
import type { Account } from "../domain/account";

/** The named account does not exist. */
export class NotFoundError extends Error {
  constructor(readonly accountName: string) {
    super(`account '${accountName}' does not exist`);
    this.name = "NotFoundError";
  }
}

/** An account with that name exists already. */
export class AlreadyExistsError extends Error {
  constructor(readonly accountName: string) {
    super(`account '${accountName}' already exists`);
    this.name = "AlreadyExistsError";
  }
}

/**
 * A pure, synchronous function from the stored account to its next state. The backend
 * runs it inside its own transaction, so read-modify-write is atomic. Return `old` itself
 * (the same object) to write nothing. `old` is frozen (a mutating updater throws TypeError);
 * build the next state with spreads. The next state may carry a new name (a rename, which
 * keeps the account's place in creation order). If the updater throws, nothing is written
 * and its error reaches the caller.
 *
 * @example
 *   await storage.updateAccount("alice", (old) => ({ ...old, shell: "/bin/bash" }));
 */
export type AccountUpdater = (old: Account) => Account;

/**
 * A set of changes applied all-or-nothing (one transaction): first every delete, then every
 * replacement, then every create, each list in order. So a name may be deleted and created
 * again in one batch (it moves to the end of creation order), but not deleted and replaced.
 * A missing name to delete or replace is NotFoundError; a create of a taken name (or one
 * name created twice) is AlreadyExistsError.
 */
export interface AccountBatch {
  create: Account[];
  /** Full replacement of existing accounts, matched by name. */
  replace: Account[];
  /** Names to delete. */
  delete: string[];
}

/** One file of the pair an account is written to. */
export type AccountFile = "passwd" | "shadow";

/**
 * Where an account's line stood in an imported file: `seq` orders export (smaller first),
 * and `text` is the line exactly as imported when it differs from the line the account's
 * fields format to (leading white space, "+5", an old 5-field shadow line...), else null.
 */
export interface SourceLine {
  seq: number;
  text: string | null;
}

/** An account and the imported text of its line in one file (null: format the fields). */
export interface ExportRecord {
  account: Account;
  text: string | null;
}

/** Some records of one file, in that file's export order. */
export interface ExportPage {
  file: AccountFile;
  records: ExportRecord[];
}

/**
 * Every backend refuses, with a RangeError and without writing, values its schema cannot
 * hold: an empty name; ':' or a newline in any text field; a uid or gid outside
 * 0..4294967295; a shadow number outside -2^31..2^31-1; any number that is not an integer.
 *
 * Source lines (setSourceLines, exportAccounts): a line's text is kept only while every
 * field read from that line is unchanged. Any write that changes one (updateAccount, an
 * applyBatch replacement; a rename changes both lines) drops that file's text, keeping its
 * seq, so export formats the fields from then on. Created accounts have no source lines.
 */
export interface Storage {
  /** Insert a new account; AlreadyExistsError if the name is taken. */
  createAccount(account: Account): Promise<void>;
  /** The account, or null. */
  getAccount(name: string): Promise<Account | null>;
  /**
   * Every account in creation order. Other calls may run while the caller consumes it:
   * accounts that exist throughout are yielded exactly once, in order; accounts created,
   * changed or deleted meanwhile may or may not be reflected.
   */
  listAccounts(): AsyncIterable<Account>;
  /** Number of accounts. */
  countAccounts(): Promise<number>;
  /** Atomic read-modify-write (see AccountUpdater); NotFoundError if missing. Returns the new state. */
  updateAccount(name: string, updater: AccountUpdater): Promise<Account>;
  /** Delete; NotFoundError if missing. */
  deleteAccount(name: string): Promise<void>;
  /** Apply creates, replacements and deletes in one transaction; nothing on any error. */
  applyBatch(batch: AccountBatch): Promise<void>;
  /**
   * Record where the account's lines stood in imported files (import bookkeeping): a file
   * left undefined keeps its source line, null clears it. A text must be a line that reads
   * back as the account's current fields. NotFoundError if missing.
   */
  setSourceLines(name: string, lines: { passwd?: SourceLine | null; shadow?: SourceLine | null }): Promise<void>;
  /**
   * Every account for export: pages of the passwd file's records, then pages of the shadow
   * file's (accounts with a shadow entry only). Each file in export order: accounts with a
   * seq by seq, then the others in creation order. One consistent snapshot where the
   * backend can give one (SQLite file databases); otherwise as listAccounts.
   */
  exportAccounts(): AsyncIterable<ExportPage>;
  /** Release resources (the SQLite backend checkpoints and closes the file). */
  close(): Promise<void>;
}
