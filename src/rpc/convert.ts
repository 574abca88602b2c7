// Owns every mapping between domain values and proto messages (one function per
// direction, exhaustive switches). Handlers and the CLIs use these and nothing else.
import type { Account, ShadowFields } from "../domain/account";
import type { AuthResultKind } from "../domain/outcomes";
import type { AgingDescription } from "../domain/aging";
import type { ChangeResultKind } from "../app/change-password";
import { formatAliasTarget } from "../domain/aliases-format";
import type { RecipientResolution, UnresolvedReason } from "../domain/resolve-recipient";
import type { StoredAlias } from "../storage/alias-store";
import * as pb from "../gen/shadowd/v1/shadowd";

export function authResultToProto(result: AuthResultKind): pb.AuthResult {
  switch (result) {
    case "ok":
      return pb.AuthResult.AUTH_RESULT_OK;
    case "denied":
      return pb.AuthResult.AUTH_RESULT_DENIED;
    case "locked":
      return pb.AuthResult.AUTH_RESULT_LOCKED;
    case "account-expired":
      return pb.AuthResult.AUTH_RESULT_ACCOUNT_EXPIRED;
    case "password-change-required":
      return pb.AuthResult.AUTH_RESULT_PASSWORD_CHANGE_REQUIRED;
    case "password-expired":
      return pb.AuthResult.AUTH_RESULT_PASSWORD_EXPIRED;
    case "temporarily-locked":
      return pb.AuthResult.AUTH_RESULT_TEMPORARILY_LOCKED;
    case "not-permitted":
      return pb.AuthResult.AUTH_RESULT_NOT_PERMITTED;
    case "user-unknown":
      return pb.AuthResult.AUTH_RESULT_USER_UNKNOWN;
    default: {
      const unreachable: never = result;
      return unreachable;
    }
  }
}

/** The enum value's short name as API.md writes it (OK, DENIED, …). */
export function authResultName(result: pb.AuthResult): string {
  return pb.authResultToJSON(result).replace(/^AUTH_RESULT_/, "");
}

function optionalNumber(value: number | null): number | undefined {
  return value === null ? undefined : value;
}

function fromOptional(value: number | undefined): number | null {
  return value === undefined ? null : value;
}

export function shadowToProto(shadow: ShadowFields): pb.ShadowEntry {
  const entry: pb.ShadowEntry = { hash: shadow.hash, flag: shadow.flag };
  const set = (key: "lastChange" | "minDays" | "maxDays" | "warnDays" | "inactiveDays" | "expireDate"): void => {
    const value = optionalNumber(shadow[key]);
    if (value !== undefined) entry[key] = value;
  };
  set("lastChange");
  set("minDays");
  set("maxDays");
  set("warnDays");
  set("inactiveDays");
  set("expireDate");
  return entry;
}

export function shadowFromProto(entry: pb.ShadowEntry): ShadowFields {
  return {
    hash: entry.hash,
    lastChange: fromOptional(entry.lastChange),
    minDays: fromOptional(entry.minDays),
    maxDays: fromOptional(entry.maxDays),
    warnDays: fromOptional(entry.warnDays),
    inactiveDays: fromOptional(entry.inactiveDays),
    expireDate: fromOptional(entry.expireDate),
    flag: entry.flag,
  };
}

export function accountToProto(account: Account): pb.Account {
  const message: pb.Account = {
    name: account.name,
    passwdPassword: account.passwdPassword,
    uid: account.uid,
    gid: account.gid,
    gecos: account.gecos,
    home: account.home,
    shell: account.shell,
  };
  if (account.shadow !== null) message.shadow = shadowToProto(account.shadow);
  return message;
}

export function accountFromProto(message: pb.Account): Account {
  return {
    name: message.name,
    passwdPassword: message.passwdPassword,
    uid: message.uid,
    gid: message.gid,
    gecos: message.gecos,
    home: message.home,
    shell: message.shell,
    shadow: message.shadow === undefined ? null : shadowFromProto(message.shadow),
  };
}

export function agingToProto(aging: AgingDescription): pb.Aging {
  const message: pb.Aging = { mustChange: aging.mustChange, hasShadow: aging.hasShadow };
  const keys = ["lastChange", "minDays", "maxDays", "warnDays", "inactiveDays", "expireDate", "passwordExpires", "passwordInactive", "accountExpires"] as const;
  for (const key of keys) {
    const value = aging[key];
    if (value !== null) message[key] = value;
  }
  return message;
}

export function changeResultToProto(result: ChangeResultKind): pb.ChangeResult {
  switch (result) {
    case "ok":
      return pb.ChangeResult.CHANGE_RESULT_OK;
    case "denied":
      return pb.ChangeResult.CHANGE_RESULT_DENIED;
    case "too-soon":
      return pb.ChangeResult.CHANGE_RESULT_TOO_SOON;
    case "not-allowed":
      return pb.ChangeResult.CHANGE_RESULT_NOT_ALLOWED;
    case "rejected":
      return pb.ChangeResult.CHANGE_RESULT_REJECTED;
    default: {
      const unreachable: never = result;
      return unreachable;
    }
  }
}

export function unresolvedReasonToProto(reason: UnresolvedReason): pb.UnresolvedReason {
  switch (reason) {
    case "unknown":
      return pb.UnresolvedReason.UNRESOLVED_REASON_UNKNOWN;
    case "loop":
      return pb.UnresolvedReason.UNRESOLVED_REASON_LOOP;
    case "too-deep":
      return pb.UnresolvedReason.UNRESOLVED_REASON_TOO_DEEP;
    default: {
      const unreachable: never = reason;
      return unreachable;
    }
  }
}

export function recipientToProto(resolution: RecipientResolution): pb.ResolveRecipientResponse {
  return {
    found: resolution.found,
    accounts: resolution.accounts,
    otherTargets: resolution.otherTargets,
    unresolved: resolution.unresolved.map(({ target, reason }) => ({ target, reason: unresolvedReasonToProto(reason) })),
  };
}

/** An alias with its targets as aliases(5) text (formatAliasTarget). */
export function aliasToProto(alias: StoredAlias): pb.Alias {
  return { name: alias.name, targets: alias.targets.map(formatAliasTarget), line: alias.line };
}
