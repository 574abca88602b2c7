// Owns the policy knobs shared by the account use cases (nullok, min_uid, aging rules)
// and the one mapping from an account's aging status to an outcome.
import type { Account, EpochDays } from "../domain/account";
import { evaluateAccountAging, agingMessage, type AccountAgingStatus } from "../domain/aging";
import type { AuthOutcome, AuthResultKind } from "../domain/outcomes";

export interface AccountPolicy {
  /** pam_unix's nullok: an empty hash authenticates (with any password). Off by default. */
  nullok: boolean;
  /** Accounts with a uid below this (and uid 0) are NOT_PERMITTED over the network. */
  minUid: number;
  /** Which pam_unix generation's day-boundary rules to follow. */
  agingRules: "pam-1.5.2" | "pam-1.6.1";
}

function resultOfAging(status: AccountAgingStatus): AuthResultKind {
  switch (status.kind) {
    case "ok":
    case "warn":
      return "ok";
    case "account-expired":
      return "account-expired";
    case "must-change":
      return "password-change-required";
    case "inactive":
      return "password-expired";
    case "no-shadow-entry":
      return "denied";
    default: {
      const unreachable: never = status;
      return unreachable;
    }
  }
}

/** pam_acct_mgmt for an account that exists, with pam_unix's message. */
export function evaluateAccount(account: Account, today: EpochDays, policy: AccountPolicy): AuthOutcome {
  const status = evaluateAccountAging(account, today, { rules: policy.agingRules });
  const outcome: AuthOutcome = {
    result: resultOfAging(status),
    message: agingMessage(status),
    reason: status.kind === "no-shadow-entry" ? "no-shadow-entry" : "aging",
  };
  if (status.kind === "warn") outcome.daysLeft = status.daysLeft;
  return outcome;
}
