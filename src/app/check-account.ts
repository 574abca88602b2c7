// Owns CheckAccount (pam_acct_mgmt alone) and GetAging (chage -l's numbers). Never looks
// at the hash: a locked account passes, as with pam_unix.
import type { AuthOutcome } from "../domain/outcomes";
import { describeAging, type AgingDescription } from "../domain/aging";
import type { Clock, Storage } from "./ports";
import { evaluateAccount, type AccountPolicy } from "./account-policy";
import { NotFoundError } from "../storage/storage";

export interface CheckAccountDeps {
  storage: Storage;
  clock: Clock;
  policy: AccountPolicy;
}

/** pam_acct_mgmt: USER_UNKNOWN for a missing account, else the aging outcome. */
export async function checkAccount(deps: CheckAccountDeps, username: string): Promise<AuthOutcome> {
  if (/^[+-]/.test(username)) return { result: "user-unknown", message: "", reason: "bad-username" };
  const account = await deps.storage.getAccount(username);
  if (account === null) return { result: "user-unknown", message: "", reason: "unknown-user" };
  return evaluateAccount(account, deps.clock.today(), deps.policy);
}

/** The aging numbers of an account; NotFoundError when it does not exist. */
export async function getAging(deps: Pick<CheckAccountDeps, "storage">, username: string): Promise<AgingDescription> {
  const account = await deps.storage.getAccount(username);
  if (account === null) throw new NotFoundError(username);
  return describeAging(account.shadow);
}
