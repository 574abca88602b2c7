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

/**
 * Every backend refuses, with a RangeError and without writing, values its schema cannot
 * hold: an empty name; ':' or a newline in any text field; a uid or gid outside
 * 0..4294967295; a shadow number outside -2^31..2^31-1; any number that is not an integer.
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
  /** Release resources (the SQLite backend checkpoints and closes the file). */
  close(): Promise<void>;
}
