// Owns ChangePassword: `passwd` run by the user over the network. The old password must
// verify; expired/inactive accounts and the minimum age refuse, as pam_unix's password
// phase does; the new password is stored as argon2id with last change = today.
import { classifyHash, effectiveHash, isShadowed, withEffectiveHash } from "../domain/account";
import { checkShadowExpiry } from "../domain/aging";
import { PASSWORD_DENIED_FROM_BYTES } from "../domain/limits";
import type { OutcomeReason } from "../domain/outcomes";
import type { AuthenticateDeps } from "./authenticate";

export type ChangeResultKind = "ok" | "denied" | "too-soon" | "not-allowed" | "rejected";

export interface ChangeOutcome {
  result: ChangeResultKind;
  /** Text for the user (pam_unix / passwd wording). */
  message: string;
  /** Logged, never sent. */
  reason: OutcomeReason | "changed" | "same-password" | "bad-new-password" | "minimum-age" | "concurrent-change";
}

export interface ChangePasswordInput {
  username: string;
  oldPassword: Buffer;
  newPassword: Buffer;
}

const DENIED_MESSAGE = "Authentication token manipulation error";
const EXPIRED_MESSAGE = "Your account has expired; please contact your system administrator.";

export async function changePassword(deps: AuthenticateDeps, input: ChangePasswordInput): Promise<ChangeOutcome> {
  const { hasher, policy } = deps;
  const denied = async (reason: ChangeOutcome["reason"], spendDummy: boolean): Promise<ChangeOutcome> => {
    if (spendDummy) await hasher.dummyVerify(input.oldPassword);
    return { result: "denied", message: DENIED_MESSAGE, reason };
  };
  if (input.oldPassword.length >= PASSWORD_DENIED_FROM_BYTES || input.oldPassword.includes(0)) return denied("password-too-long", true);
  const account = await deps.storage.getAccount(input.username);
  if (account === null) return denied("unknown-user", true);
  const hash = effectiveHash(account);
  if (hash === null) return denied("no-shadow-entry", true);
  const hashClass = classifyHash(hash);
  if (hashClass === "unusable" || hashClass === "locked") return denied(hashClass === "locked" ? "locked-hash" : "unusable-hash", true);
  if (hashClass === "empty" && !policy.nullok) return denied("empty-hash-without-nullok", true);
  if (hashClass === "verifiable" && (await hasher.verify(input.oldPassword, hash, { nullok: policy.nullok })) !== "match") {
    return denied("wrong-password", false);
  }

  // Only now, with the old password verified, may the account's state be told.
  if (account.uid === 0 || account.uid < policy.minUid) {
    return { result: "not-allowed", message: `The password for ${account.name} cannot be changed here.`, reason: account.uid === 0 ? "root-account" : "system-account" };
  }
  const today = deps.clock.today();
  if (isShadowed(account) && account.shadow !== null) {
    const { code } = checkShadowExpiry(account.shadow, today, { rules: policy.agingRules });
    if (code === "PAM_ACCT_EXPIRED" || code === "PAM_AUTHTOK_EXPIRED") return { result: "not-allowed", message: EXPIRED_MESSAGE, reason: "aging" };
    if (code === "PAM_AUTHTOK_ERR") return { result: "too-soon", message: "You must wait longer to change your password", reason: "minimum-age" };
  }
  const next = input.newPassword;
  if (next.length === 0 || next.length >= PASSWORD_DENIED_FROM_BYTES || next.includes(0)) {
    return { result: "rejected", message: `The new password must be 1 to ${PASSWORD_DENIED_FROM_BYTES - 1} bytes without NUL.`, reason: "bad-new-password" };
  }
  if (next.equals(input.oldPassword)) return { result: "rejected", message: "Password unchanged", reason: "same-password" };

  const newHash = await hasher.hash(next);
  let changed = false;
  await deps.storage.updateAccount(account.name, (old) => {
    if (effectiveHash(old) !== hash) return old;
    changed = true;
    const updated = withEffectiveHash(old, newHash);
    return updated.shadow === null ? updated : { ...updated, shadow: { ...updated.shadow, lastChange: today } };
  });
  if (!changed) return denied("concurrent-change", false);
  return { result: "ok", message: "passwd: password updated successfully", reason: "changed" };
}
