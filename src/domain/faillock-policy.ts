// Owns pam_faillock's decisions (Linux-PAM 1.5.2 check_tally and write_tally), pure: which
// failures count, when an account is locked, when the lock lifts, and what one more failure
// writes. Times are milliseconds since the epoch, given by the caller. Imports nothing.

/** The faillock.conf settings shadowd honours, in milliseconds. */
export interface FaillockSettings {
  /** Failures that lock the account (pam `deny`); 0 disables locking. */
  deny: number;
  /** Failures further apart than this from the latest one do not count (`fail_interval`). */
  failIntervalMs: number;
  /** How long a lock lasts after the latest failure (`unlock_time`); 0 = until reset. */
  unlockTimeMs: number;
}

/** pam_faillock's defaults, with shadowd's deny of 5 instead of pam's 3 (SEMANTICS.md). */
export const DEFAULT_FAILLOCK_SETTINGS: FaillockSettings = { deny: 5, failIntervalMs: 900_000, unlockTimeMs: 600_000 };

/** pam_faillock's largest fail_interval and unlock_time: one week. */
export const MAX_FAILLOCK_PERIOD_MS = 604_800_000;

/** What the stored failures mean at one moment. */
export type FaillockStatus =
  /** Fewer than `deny` failures count: the password decides. */
  | { kind: "open"; failures: number }
  /** Locked: a correct password answers TEMPORARILY_LOCKED. `unlockAtMs` null = until reset. */
  | { kind: "locked"; failures: number; latestMs: number; unlockAtMs: number | null }
  /**
   * Was locked and the lock has run out (pam's FAILLOCK_FLAG_UNLOCKED): not locked, and the
   * next failure discards every old record, so counting restarts at 1.
   */
  | { kind: "lock-expired"; failures: number; latestMs: number };

/**
 * check_tally: the latest failure time, the failures within `failIntervalMs` of it (not of
 * now), locked while `failures >= deny`, lifted when `latest + unlockTime < now` (strict).
 * `failureTimesMs` may come in any order.
 */
export function evaluateFaillock(failureTimesMs: readonly number[], nowMs: number, settings: FaillockSettings): FaillockStatus {
  if (failureTimesMs.length === 0) return { kind: "open", failures: 0 };
  const latestMs = Math.max(...failureTimesMs);
  const failures = failureTimesMs.filter((at) => latestMs - at < settings.failIntervalMs).length;
  if (settings.deny === 0 || failures < settings.deny) return { kind: "open", failures };
  if (settings.unlockTimeMs !== 0 && latestMs + settings.unlockTimeMs < nowMs) return { kind: "lock-expired", failures, latestMs };
  return { kind: "locked", failures, latestMs, unlockAtMs: settings.unlockTimeMs === 0 ? null : latestMs + settings.unlockTimeMs + 1 };
}

/** What one more failure does to the stored records. */
export type FailureWrite<T> =
  /** Locked already: pam's authfail writes nothing, so the lock is not extended. */
  | { kind: "unchanged"; status: FaillockStatus }
  /** The records to store, oldest first; `locksNow` when this failure reached `deny`. */
  | { kind: "write"; records: T[]; failures: number; locksNow: boolean };

/**
 * write_tally after check_tally: while locked nothing changes; otherwise records older than
 * `failIntervalMs` before now are dropped (all of them after an expired lock), the new one is
 * added, and only the newest `max(deny, 1)` are kept: they decide every later check, since
 * the newest `deny` records are the ones closest to the latest.
 */
export function recordFailure<T extends { atMs: number }>(records: readonly T[], failure: T, settings: FaillockSettings): FailureWrite<T> {
  const nowMs = failure.atMs;
  const status = evaluateFaillock(records.map((record) => record.atMs), nowMs, settings);
  if (status.kind === "locked") return { kind: "unchanged", status };
  const kept = status.kind === "lock-expired" ? [] : records.filter((record) => nowMs - record.atMs < settings.failIntervalMs);
  const next = [...kept, failure].sort((a, b) => a.atMs - b.atMs).slice(-Math.max(settings.deny, 1));
  const failures = kept.length + 1;
  return { kind: "write", records: next, failures, locksNow: settings.deny !== 0 && failures === settings.deny };
}

/**
 * Records older than this may be purged without changing any later check or write: with a
 * finite unlock time, a record older than `2 × failInterval + unlockTime` before now is
 * either outside the counting window of every latest failure that can still hold a lock,
 * or belongs to a lock that ran out so long ago that the next failure drops it anyway.
 * Null when locks never lift (`unlockTimeMs` 0): records may matter until reset.
 */
export function faillockHorizonMs(nowMs: number, settings: FaillockSettings): number | null {
  if (settings.unlockTimeMs === 0) return null;
  return nowMs - 2 * settings.failIntervalMs - settings.unlockTimeMs;
}
