// Owns Authenticate: pam_authenticate then pam_acct_mgmt (pam_unix 1.5.2), the min_uid
// rule, equal cost for unknown users, and the transparent re-hash to argon2id.
import type { Account } from "../domain/account";
import { classifyHash, effectiveHash, withEffectiveHash } from "../domain/account";
import type { AuthOutcome } from "../domain/outcomes";
import { PASSWORD_DENIED_FROM_BYTES } from "../domain/limits";
import type { AppLogger, Clock, LoginEvent, LoginHooks, PasswordHasher, Storage } from "./ports";
import { evaluateAccount, type AccountPolicy } from "./account-policy";

export interface AuthenticateDeps {
  storage: Storage;
  hasher: PasswordHasher;
  clock: Clock;
  logger: AppLogger;
  policy: AccountPolicy;
  /** Background re-hashes are registered here so shutdown can wait for them. */
  trackBackgroundWork(work: Promise<unknown>): void;
  /** Policy hooks run in order (faillock, penalties, relay grants); may be empty. */
  loginHooks: LoginHooks[];
}

export interface AuthenticateInput {
  username: string;
  password: Buffer;
  service: string;
  remoteAddress: string;
}

export interface AuthenticateResult extends AuthOutcome {
  /** The account, with "ok" only. */
  account?: Account;
}

/**
 * Verify the password, and only then reveal anything about the account. Unknown users and
 * unusable hashes cost one dummy verification so timing does not tell them apart.
 */
export async function authenticate(deps: AuthenticateDeps, input: AuthenticateInput): Promise<AuthenticateResult> {
  const event: LoginEvent = { username: input.username, service: input.service, remoteAddress: input.remoteAddress, atMs: deps.clock.nowMs() };
  let delayMs = 0;
  for (const hooks of deps.loginHooks) delayMs = Math.max(delayMs, hooks.answerDelayMs?.(event) ?? 0);
  const outcome = await decide(deps, input, event);
  event.atMs = deps.clock.nowMs();
  if (outcome.result === "denied") for (const hooks of deps.loginHooks) await hooks.onFailure?.(event);
  if (outcome.result === "ok") for (const hooks of deps.loginHooks) await hooks.onSuccess?.(event);
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  return outcome;
}

async function decide(deps: AuthenticateDeps, input: AuthenticateInput, event: LoginEvent): Promise<AuthenticateResult> {
  const { hasher, policy } = deps;
  const denied = async (reason: AuthOutcome["reason"]): Promise<AuthenticateResult> => {
    await hasher.dummyVerify(input.password);
    return { result: "denied", message: "", reason };
  };

  if (input.password.length >= PASSWORD_DENIED_FROM_BYTES) return denied("password-too-long");
  // pam_unix never matches names starting with + or - (NIS compat entries).
  if (/^[+-]/.test(input.username)) return denied("bad-username");
  const account = await deps.storage.getAccount(input.username);
  if (account === null) return denied("unknown-user");
  const hash = effectiveHash(account);
  if (hash === null) return denied("no-shadow-entry");
  // A PAM conversation cannot carry a NUL byte: such a password never matches.
  if (input.password.includes(0)) return denied("password-has-nul");

  const hashClass = classifyHash(hash);
  if (hashClass === "unusable") return denied("unusable-hash");
  if (hashClass === "empty" && !policy.nullok) return denied("empty-hash-without-nullok");

  if (hashClass !== "empty") {
    const check = await hasher.verify(input.password, hash, { nullok: policy.nullok });
    if (check === "mismatch") return { result: "denied", message: "", reason: "wrong-password" };
    if (check === "locked-match") return { result: "locked", message: "", reason: "locked-hash" };
  }

  for (const hooks of deps.loginHooks) {
    if (await hooks.isTemporarilyLocked?.(event)) return { result: "temporarily-locked", message: "", reason: "too-many-failures" };
  }

  const outcome: AuthenticateResult = evaluateAccount(account, deps.clock.today(), policy);
  if (outcome.result !== "ok") return outcome;
  if (account.uid === 0) return { result: "not-permitted", message: "", reason: "root-account" };
  if (account.uid < policy.minUid) return { result: "not-permitted", message: "", reason: "system-account" };
  if (hashClass === "empty") outcome.reason = "empty-hash-nullok";
  else if (hasher.needsRehash(hash)) deps.trackBackgroundWork(rehash(deps, account.name, hash, input.password));
  outcome.account = account;
  return outcome;
}

/**
 * Store the verified password as argon2id. The aging fields stay as they are (the password
 * did not change). The write happens only if the hash is still the one that verified, so a
 * concurrent admin change wins.
 */
async function rehash(deps: AuthenticateDeps, name: string, verifiedHash: string, password: Buffer): Promise<void> {
  try {
    const newHash = await deps.hasher.hash(password);
    let replaced = false;
    await deps.storage.updateAccount(name, (old) => {
      if (effectiveHash(old) !== verifiedHash) return old;
      replaced = true;
      return withEffectiveHash(old, newHash);
    });
    deps.logger.info({ user: name, replaced }, replaced ? "re-hashed legacy password as argon2id" : "re-hash skipped: the account changed meanwhile");
  } catch (error) {
    deps.logger.warn({ user: name, err: error instanceof Error ? error.message : String(error) }, "re-hash failed; the old hash stays");
  }
}
