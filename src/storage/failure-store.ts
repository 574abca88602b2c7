// Owns the contract for stored authentication failures (faillock's tally): per account name,
// failure records with their time and source. SQLite and memory backends implement it.

/** One failed authentication, like one pam_faillock tally record. */
export interface FailureRecord {
  /** When the failure was answered, ms since the epoch. */
  atMs: number;
  /** The client's address as the frontend gave it ("" for local callers). */
  remoteAddress: string;
  /** The PAM service name the frontend gave (imap, smtp, ...). */
  service: string;
}

/**
 * A pure, synchronous function from a name's stored records (oldest first) to the records
 * to store instead, or null to write nothing. Backends run it inside one transaction.
 */
export type FailureUpdater = (records: readonly FailureRecord[]) => FailureRecord[] | null;

/** One name's update, for applyFailureUpdates. */
export interface FailureUpdate {
  name: string;
  update: FailureUpdater;
}

export interface FailureStore {
  /** The name's failure records, oldest first (empty when there are none). */
  listFailures(name: string): Promise<FailureRecord[]>;
  /**
   * Run the updates in order, all in one transaction: each updater sees the records as the
   * previous updates left them. A name the backend cannot hold records for (the SQLite
   * backend: no such account) is skipped without error. `failures` (the failed logins the
   * updates stand for) is added to totalFailures() in the same transaction, so a batch
   * with a failure always commits a write, whatever the names: its cost does not reveal
   * whether they are accounts.
   */
  applyFailureUpdates(updates: readonly FailureUpdate[], failures: number): Promise<void>;
  /** Failed logins counted by applyFailureUpdates since the store was created. */
  totalFailures(): Promise<number>;
  /** Delete the name's records; resolves to how many there were. */
  clearFailures(name: string): Promise<number>;
  /** Delete every record older than `beforeMs`; resolves to how many were deleted. */
  purgeFailures(beforeMs: number): Promise<number>;
}
