// Owns faillock as LoginHooks: pam_faillock's tally (domain/faillock-policy) over a
// FailureStore. Failures are queued and written in batches; every failure commits a write,
// known name or not, locked or not, so the cost of that write reveals nothing.
import { evaluateFaillock, faillockHorizonMs, recordFailure, type FaillockSettings, type FaillockStatus } from "../domain/faillock-policy";
import type { FailureRecord, FailureStore, FailureUpdate } from "../storage/failure-store";
import type { AppLogger, Clock, LoginEvent, LoginHooks } from "./ports";

export interface FaillockDeps {
  failures: FailureStore;
  clock: Clock;
  logger: AppLogger;
  settings: FaillockSettings;
  /** Queued writes are registered here so shutdown waits for them. */
  trackBackgroundWork(work: Promise<unknown>): void;
}

/** Faillock's login hooks plus what Admin.ResetFailures and tests use. */
export interface Faillock extends LoginHooks {
  /** Write every queued failure and reset; resolves once they are stored. */
  flush(): Promise<void>;
  /** Clear the name's failures, like `faillock --reset` (queued ones too); resolves to how many were stored. */
  resetFailures(name: string): Promise<number>;
  /** The name's faillock status now (queued failures included). */
  statusOf(name: string): Promise<FaillockStatus>;
}

/** How often, at most, records too old to matter are purged (during a write). */
export const FAILLOCK_PURGE_EVERY_MS = 600_000;

type QueuedChange = { kind: "failure"; event: LoginEvent } | { kind: "success"; event: LoginEvent };

/**
 * pam_faillock for shadowd. Like pam_faillock: only existing accounts get records (the
 * SQLite store skips unknown names), a failure while locked is not recorded (the lock is
 * not extended), and a successful login clears the records. Unlike pam_faillock the records
 * live in the database, so a restart keeps them, and root is counted like everyone else
 * (pam's even_deny_root): shadowd never lets root log in anyway.
 *
 * With `settings.deny` 0 the hooks do nothing; resetFailures still clears old records.
 */
export function createFaillock(deps: FaillockDeps): Faillock {
  const { failures, clock, logger, settings } = deps;
  const enabled = settings.deny > 0;
  let queue: QueuedChange[] = [];
  let writing: Promise<void> = Promise.resolve();
  let scheduled = false;
  let lastPurgeMs = Number.NEGATIVE_INFINITY;

  const writeQueued = async (): Promise<void> => {
    const pending = queue;
    queue = [];
    const changes = await withoutNoOpSuccesses(pending);
    if (changes.length > 0) {
      const locked: { event: LoginEvent; failures: number }[] = [];
      const updates: FailureUpdate[] = changes.map(({ kind, event }) => ({
        name: event.username,
        update: (records: readonly FailureRecord[]): FailureRecord[] | null => {
          if (kind === "success") return records.length === 0 ? null : [];
          const write = recordFailure(records, { atMs: event.atMs, remoteAddress: event.remoteAddress, service: event.service }, settings);
          if (write.kind === "unchanged") return null;
          if (write.locksNow) locked.push({ event, failures: write.failures });
          return write.records;
        },
      }));
      try {
        await failures.applyFailureUpdates(updates, changes.filter((change) => change.kind === "failure").length);
        for (const { event, failures: count } of locked) {
          logger.warn({ user: event.username, failures: count, rhost: event.remoteAddress, service: event.service }, "consecutive login failures: account temporarily locked");
        }
      } catch (error) {
        logger.warn({ err: error instanceof Error ? error.message : String(error), changes: changes.length }, "cannot record authentication failures; they are lost");
      }
    }
    const nowMs = clock.nowMs();
    const horizon = faillockHorizonMs(nowMs, settings);
    if (horizon !== null && nowMs - lastPurgeMs >= FAILLOCK_PURGE_EVERY_MS) {
      lastPurgeMs = nowMs;
      try {
        const purged = await failures.purgeFailures(horizon);
        if (purged > 0) logger.debug({ purged }, "purged expired authentication failures");
      } catch (error) {
        logger.warn({ err: error instanceof Error ? error.message : String(error) }, "cannot purge expired authentication failures");
      }
    }
  };

  /**
   * Drop the successes that would clear nothing (no stored records and no failure for the
   * same name earlier in this batch), so an ordinary login costs a read, not a write
   * transaction on the connection every caller shares.
   */
  const withoutNoOpSuccesses = async (changes: QueuedChange[]): Promise<QueuedChange[]> => {
    const failedInBatch = new Set<string>();
    const kept: QueuedChange[] = [];
    for (const change of changes) {
      if (change.kind === "failure") failedInBatch.add(change.event.username);
      else if (!failedInBatch.has(change.event.username) && (await failures.listFailures(change.event.username)).length === 0) continue;
      kept.push(change);
    }
    return kept;
  };

  const flush = (): Promise<void> => {
    writing = writing.then(writeQueued);
    return writing;
  };

  /** Write on the next turn of the event loop, after this answer has been sent. */
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    const work = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      scheduled = false;
      return flush();
    });
    deps.trackBackgroundWork(work);
  };

  const statusOf = async (name: string): Promise<FaillockStatus> => {
    await flush();
    const records = await failures.listFailures(name);
    return evaluateFaillock(records.map((record) => record.atMs), clock.nowMs(), settings);
  };

  return {
    async isTemporarilyLocked(event: LoginEvent): Promise<boolean> {
      if (!enabled) return false;
      return (await statusOf(event.username)).kind === "locked";
    },
    async onFailure(event: LoginEvent): Promise<void> {
      if (!enabled) return;
      queue.push({ kind: "failure", event: { ...event } });
      schedule();
    },
    async onSuccess(event: LoginEvent): Promise<void> {
      if (!enabled) return;
      queue.push({ kind: "success", event: { ...event } });
      schedule();
    },
    flush,
    async resetFailures(name: string): Promise<number> {
      await flush();
      return failures.clearFailures(name);
    },
    statusOf,
  };
}
