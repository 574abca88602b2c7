// Owns the interfaces the use cases consume (ports). Implementations live in crypto/,
// storage/ and daemon/; app/ code depends only on these shapes.
export type { Storage, AccountUpdater, AccountBatch } from "../storage/storage";
import type { EpochDays } from "../domain/account";

/**
 * Result of checking a password against a stored hash, pam_unix 1.5.2's verify_pwd_hash
 * rules plus one refinement: a hash locked with a `!` prefix whose remainder matches
 * gives "locked-match" (pam_unix says only AUTH_ERR).
 */
export type HashCheck = "match" | "mismatch" | "locked-match";

export interface PasswordHasher {
  /**
   * Verify `password` against `storedHash` exactly as pam_unix 1.5.2 does (argon2id PHC
   * strings in either parameter order, every libxcrypt crypt(3) format, DES's 8-byte
   * truncation, BSDi `_` never, empty hash only with nullok, >= 512 bytes never).
   * Runs off the event loop with bounded concurrency; rejects with OverloadedError when
   * the wait queue is full.
   */
  verify(password: Buffer, storedHash: string, options: { nullok: boolean }): Promise<HashCheck>;
  /** A new hash in the configured scheme (--hash-scheme): argon2id PHC in the reference order ($argon2id$v=19$m=,t=,p=$...), or yescrypt/sha512crypt via libxcrypt. */
  hash(password: Buffer): Promise<string>;
  /** True for anything but argon2id at the configured parameters (a re-hash target). */
  needsRehash(storedHash: string): boolean;
  /** Spend what one real verification costs, for unknown users and unusable hashes. */
  dummyVerify(password: Buffer): Promise<void>;
}

/** The hashing queue is full: the caller gets RESOURCE_EXHAUSTED at once. */
export class OverloadedError extends Error {
  constructor(message = "password hashing is saturated") {
    super(message);
    this.name = "OverloadedError";
  }
}

/** The only source of time for use cases. */
export interface Clock {
  /** Milliseconds since the epoch. */
  nowMs(): number;
  /** floor(nowMs / 86_400_000): today's day number, UTC. */
  today(): EpochDays;
}

/** Structured logger (pino-compatible subset). Never pass passwords or hashes. */
export interface AppLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** One login attempt, as the login hooks see it (never the password). */
export interface LoginEvent {
  username: string;
  service: string;
  remoteAddress: string;
  /** When the attempt was answered, ms since the epoch. */
  atMs: number;
}

/**
 * Policy beyond pam_unix, plugged into Authenticate (faillock, per-address delay,
 * POP-before-SMTP relay grants). Every member is optional; several hook sets compose.
 */
export interface LoginHooks {
  /** Milliseconds to hold this attempt's answer (per-address penalty); 0 = none. Must not block. */
  answerDelayMs?(event: LoginEvent): number;
  /** Asked only after the password verified: too many recent failures? (TEMPORARILY_LOCKED) */
  isTemporarilyLocked?(event: LoginEvent): Promise<boolean>;
  /** A DENIED attempt (wrong password, unknown user, unusable hash). */
  onFailure?(event: LoginEvent): Promise<void>;
  /** An OK login. */
  onSuccess?(event: LoginEvent): Promise<void>;
}
