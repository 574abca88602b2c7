// Owns password aging: pam_unix's check_shadow_expiry (Linux-PAM 1.5.2 by default, 1.6.1 as
// an option), the status it maps to, pam_unix's user-visible messages, and the numbers
// `chage -l` derives from the shadow fields. Pure: `today` is an argument. Imports only domain/.

import { isShadowed, type Account, type EpochDays, type ShadowFields } from "./account";

/** The numeric shadow fields aging looks at (a ShadowFields fits; the hash is not needed). */
export type AgingFields = Pick<
  ShadowFields,
  "lastChange" | "minDays" | "maxDays" | "warnDays" | "inactiveDays" | "expireDate"
>;

/** Which pam_unix's rules to apply: Debian 12's 1.5.2 (the default) or upstream 1.6.1. */
export type AgingRules = "pam-1.5.2" | "pam-1.6.1";

export interface AgingOptions {
  rules?: AgingRules;
}

/** The PAM codes check_shadow_expiry can return. */
export type ShadowExpiryCode =
  | "PAM_SUCCESS"
  | "PAM_ACCT_EXPIRED"
  | "PAM_NEW_AUTHTOK_REQD"
  | "PAM_AUTHTOK_EXPIRED"
  /** Minimum age not reached: pam_acct_mgmt ignores it, `passwd` refuses a change by the user. */
  | "PAM_AUTHTOK_ERR";

/** check_shadow_expiry's two outputs: its return code and `*daysleft` (-1 when not set). */
export interface ShadowExpiry {
  code: ShadowExpiryCode;
  daysLeft: number;
}

/** What pam_acct_mgmt concludes about an account's aging. */
export type AgingStatus =
  | { kind: "ok" }
  /** PAM_SUCCESS with a warning; `daysLeft` may be 0 (1.5.2 warns "0 days" on the last day). */
  | { kind: "warn"; daysLeft: number }
  /** PAM_ACCT_EXPIRED: the expire date is reached. */
  | { kind: "account-expired" }
  /** PAM_NEW_AUTHTOK_REQD: last change 0 ("administrator"), or max days passed. */
  | { kind: "must-change"; reason: "administrator" | "password-expired" }
  /** PAM_AUTHTOK_EXPIRED: max + inactive days passed; the user can no longer change it. */
  | { kind: "inactive" };

/** AgingStatus, plus the shadowed account that has no shadow entry (PAM_AUTHINFO_UNAVAIL). */
export type AccountAgingStatus = AgingStatus | { kind: "no-shadow-entry" };

/** The pam_acct_mgmt result code of an AccountAgingStatus. */
export type AccountPamCode =
  | "PAM_SUCCESS"
  | "PAM_ACCT_EXPIRED"
  | "PAM_NEW_AUTHTOK_REQD"
  | "PAM_AUTHTOK_EXPIRED"
  | "PAM_AUTHINFO_UNAVAIL";

/**
 * What GetAging returns, computed as shadow-utils 4.13 `chage -l` does. Field values are as
 * stored: null means the field was empty (or there is no shadow entry), and a stored -1
 * (written 4294967295) stays -1. The three derived dates are null where chage prints
 * "never" or "password must be changed" (`mustChange` tells which).
 */
export interface AgingDescription {
  hasShadow: boolean;
  lastChange: number | null;
  minDays: number | null;
  maxDays: number | null;
  warnDays: number | null;
  inactiveDays: number | null;
  expireDate: number | null;
  /** lastChange + maxDays; null when lastChange is 0 or unset, or maxDays < 0 or >= 10000. */
  passwordExpires: number | null;
  /** lastChange + maxDays + inactiveDays; null as passwordExpires, or when inactiveDays < 0. */
  passwordInactive: number | null;
  /** expireDate when >= 0 (0 is a real date, Jan 01, 1970); null when unset or negative. */
  accountExpires: number | null;
  /** lastChange is 0: the password must be changed at the next login. */
  mustChange: boolean;
}

/** chage 4.13 treats a maximum of 10000 days or more as "never expires" (dropped in 4.19). */
export const CHAGE_NEVER_MAX_DAYS = 10_000;

const ACCOUNT_EXPIRED_MESSAGE = "Your account has expired; please contact your system administrator.";

/**
 * pam_unix's check_shadow_expiry on the fields glibc parsed, on day `today`. An empty field
 * (null) is glibc's -1. With the default 1.5.2 rules only -1 means "unset" and every
 * comparison but the expire one is a strict `>`; 1.6.1 treats every negative value as unset
 * and uses `>=`. The sp_* values are C longs (no overflow for 32-bit inputs); the 1.5.2
 * `daysleft` is an int, so it gets C's (int) cast, and 1.6.1's saturates to int.
 */
export function checkShadowExpiry(shadow: AgingFields, today: EpochDays, options?: AgingOptions): ShadowExpiry {
  return (options?.rules ?? "pam-1.5.2") === "pam-1.6.1"
    ? checkShadowExpiry161(shadow, today)
    : checkShadowExpiry152(shadow, today);
}

/**
 * pam_acct_mgmt's verdict on an account's aging (the hash is never looked at: a locked
 * account passes). See checkShadowExpiry for the rules; PAM_AUTHTOK_ERR (minimum age not
 * reached) is success here, exactly as pam_unix rewrites it.
 */
export function evaluateAging(shadow: AgingFields, today: EpochDays, options?: AgingOptions): AgingStatus {
  const { code, daysLeft } = checkShadowExpiry(shadow, today, options);
  switch (code) {
    case "PAM_ACCT_EXPIRED":
      return { kind: "account-expired" };
    case "PAM_NEW_AUTHTOK_REQD":
      return { kind: "must-change", reason: daysLeft === 0 ? "administrator" : "password-expired" };
    case "PAM_AUTHTOK_EXPIRED":
      return { kind: "inactive" };
    case "PAM_AUTHTOK_ERR":
    case "PAM_SUCCESS":
      return daysLeft >= 0 ? { kind: "warn", daysLeft } : { kind: "ok" };
    default:
      return assertNever(code);
  }
}

/**
 * pam_unix's account phase for a whole account: a hash in the passwd field means no aging
 * at all (ok, even when a shadow line exists); a shadowed account ("x" or "##name") without
 * a shadow entry is "no-shadow-entry" (PAM_AUTHINFO_UNAVAIL); otherwise evaluateAging.
 */
export function evaluateAccountAging(account: Account, today: EpochDays, options?: AgingOptions): AccountAgingStatus {
  if (!isShadowed(account)) return { kind: "ok" };
  if (account.shadow === null) return { kind: "no-shadow-entry" };
  return evaluateAging(account.shadow, today, options);
}

/** The PAM code pam_acct_mgmt returns for a status (as in the conformance corpus). */
export function agingPamCode(status: AccountAgingStatus): AccountPamCode {
  switch (status.kind) {
    case "ok":
    case "warn":
      return "PAM_SUCCESS";
    case "account-expired":
      return "PAM_ACCT_EXPIRED";
    case "must-change":
      return "PAM_NEW_AUTHTOK_REQD";
    case "inactive":
      return "PAM_AUTHTOK_EXPIRED";
    case "no-shadow-entry":
      return "PAM_AUTHINFO_UNAVAIL";
    default:
      return assertNever(status);
  }
}

/**
 * pam_unix's exact message for a status ("" when it shows none): the PAM_TEXT_INFO warning
 * or the PAM_ERROR_MSG of pam_sm_acct_mgmt (C locale, English).
 */
export function agingMessage(status: AccountAgingStatus): string {
  switch (status.kind) {
    case "ok":
    case "no-shadow-entry":
      return "";
    case "warn":
      return status.daysLeft === 1
        ? "Warning: your password will expire in 1 day."
        : `Warning: your password will expire in ${status.daysLeft} days.`;
    case "account-expired":
    case "inactive":
      return ACCOUNT_EXPIRED_MESSAGE;
    case "must-change":
      return status.reason === "administrator"
        ? "You are required to change your password immediately (administrator enforced)."
        : "You are required to change your password immediately (password expired).";
    default:
      return assertNever(status);
  }
}

/**
 * The numbers of `chage -l` (shadow-utils 4.13 list_fields) for a shadow entry, or for none
 * (every field null, as chage prints -1 / "never"). See AgingDescription for each field.
 */
export function describeAging(shadow: AgingFields | null): AgingDescription {
  if (shadow === null) {
    return {
      hasShadow: false,
      lastChange: null,
      minDays: null,
      maxDays: null,
      warnDays: null,
      inactiveDays: null,
      expireDate: null,
      passwordExpires: null,
      passwordInactive: null,
      accountExpires: null,
      mustChange: false,
    };
  }
  const lastChange = unsetAsMinusOne(shadow.lastChange);
  const max = unsetAsMinusOne(shadow.maxDays);
  const inactive = unsetAsMinusOne(shadow.inactiveDays);
  const expire = unsetAsMinusOne(shadow.expireDate);
  const passwordNeverExpires = lastChange <= 0 || max < 0 || max >= CHAGE_NEVER_MAX_DAYS;
  return {
    hasShadow: true,
    lastChange: shadow.lastChange,
    minDays: shadow.minDays,
    maxDays: shadow.maxDays,
    warnDays: shadow.warnDays,
    inactiveDays: shadow.inactiveDays,
    expireDate: shadow.expireDate,
    passwordExpires: passwordNeverExpires ? null : lastChange + max,
    passwordInactive: passwordNeverExpires || inactive < 0 ? null : lastChange + max + inactive,
    accountExpires: expire < 0 ? null : expire,
    mustChange: lastChange === 0,
  };
}

/** Linux-PAM v1.5.2 modules/pam_unix/passverify.c check_shadow_expiry, statement for statement. */
function checkShadowExpiry152(shadow: AgingFields, curdays: EpochDays): ShadowExpiry {
  const lstchg = unsetAsMinusOne(shadow.lastChange);
  const min = unsetAsMinusOne(shadow.minDays);
  const max = unsetAsMinusOne(shadow.maxDays);
  const warn = unsetAsMinusOne(shadow.warnDays);
  const inact = unsetAsMinusOne(shadow.inactiveDays);
  const expire = unsetAsMinusOne(shadow.expireDate);
  if (curdays >= expire && expire !== -1) return { code: "PAM_ACCT_EXPIRED", daysLeft: -1 };
  if (lstchg === 0) return { code: "PAM_NEW_AUTHTOK_REQD", daysLeft: 0 };
  if (curdays < lstchg) return { code: "PAM_SUCCESS", daysLeft: -1 };
  const passed = curdays - lstchg;
  if (passed > max && passed > inact && passed > max + inact && max !== -1 && inact !== -1) {
    return { code: "PAM_AUTHTOK_EXPIRED", daysLeft: toCInt(lstchg + max - curdays) };
  }
  if (passed > max && max !== -1) return { code: "PAM_NEW_AUTHTOK_REQD", daysLeft: -1 };
  let daysLeft = -1;
  if (passed > max - warn && max !== -1 && warn !== -1) daysLeft = toCInt(lstchg + max - curdays);
  if (passed < min && min !== -1) return { code: "PAM_AUTHTOK_ERR", daysLeft };
  return { code: "PAM_SUCCESS", daysLeft };
}

/** Linux-PAM v1.6.1 modules/pam_unix/passverify.c check_shadow_expiry. */
function checkShadowExpiry161(shadow: AgingFields, curdays: EpochDays): ShadowExpiry {
  const lstchg = unsetAsMinusOne(shadow.lastChange);
  const min = unsetAsMinusOne(shadow.minDays);
  const max = unsetAsMinusOne(shadow.maxDays);
  const warn = unsetAsMinusOne(shadow.warnDays);
  const inact = unsetAsMinusOne(shadow.inactiveDays);
  const expire = unsetAsMinusOne(shadow.expireDate);
  if (expire >= 0 && curdays >= expire) return { code: "PAM_ACCT_EXPIRED", daysLeft: -1 };
  if (lstchg === 0) return { code: "PAM_NEW_AUTHTOK_REQD", daysLeft: 0 };
  if (lstchg < 0) return { code: "PAM_SUCCESS", daysLeft: -1 };
  if (curdays < lstchg) return { code: "PAM_SUCCESS", daysLeft: -1 };
  const passed = curdays - lstchg;
  let daysLeft = -1;
  if (max >= 0) {
    // C saturates max + inact at LONG_MAX; 32-bit inputs never get near it.
    if (inact >= 0 && passed >= max + inact) {
      return { code: "PAM_AUTHTOK_EXPIRED", daysLeft: saturateToCInt(max + inact - passed) };
    }
    if (passed >= max) return { code: "PAM_NEW_AUTHTOK_REQD", daysLeft: -1 };
    if (warn > 0) {
      const warnFrom = warn > max ? -1 : max - warn;
      if (passed >= warnFrom) daysLeft = saturateToCInt(max - passed);
    }
  }
  if (min > 0 && passed < min) return { code: "PAM_AUTHTOK_ERR", daysLeft };
  return { code: "PAM_SUCCESS", daysLeft };
}

function unsetAsMinusOne(value: number | null): number {
  return value ?? -1;
}

/** C's (int) cast of a long: keep the low 32 bits, two's complement. */
function toCInt(value: number): number {
  return value | 0;
}

/** Linux-PAM 1.6.1's subtract(): clamp a long to [INT_MIN, INT_MAX]. */
function saturateToCInt(value: number): number {
  return Math.min(2_147_483_647, Math.max(-2_147_483_648, value));
}

function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
