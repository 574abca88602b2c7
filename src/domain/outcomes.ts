// Owns the outcomes of the account use cases as plain values (never exceptions):
// what Authenticate and CheckAccount decided, and the reason that is logged, never sent.

/** Mirrors the wire enum AuthResult (API.md). */
export type AuthResultKind =
  | "ok"
  | "denied"
  | "locked"
  | "account-expired"
  | "password-change-required"
  | "password-expired"
  | "temporarily-locked"
  | "not-permitted"
  | "user-unknown";

/** Why a call was denied or refused: for the log only (callers see just the result). */
export type OutcomeReason =
  | "verified"
  | "unknown-user"
  | "bad-username"
  | "no-shadow-entry"
  | "unusable-hash"
  | "empty-hash-without-nullok"
  | "empty-hash-nullok"
  | "password-too-long"
  | "password-has-nul"
  | "wrong-password"
  | "locked-hash"
  | "aging"
  | "system-account"
  | "root-account"
  | "too-many-failures";

/** The outcome of Authenticate or CheckAccount. */
export interface AuthOutcome {
  result: AuthResultKind;
  /** Set with "ok" inside the warning period. */
  daysLeft?: number;
  /** pam_unix's user-visible text, or "". */
  message: string;
  /** Logged, never sent. */
  reason: OutcomeReason;
}
