// Owns the account model shared by every layer: the fields of one /etc/passwd line and
// of its /etc/shadow line. Pure types and tiny helpers; imports nothing outside domain/.

/** Days since 1970-01-01 UTC (what shadow(5) stores). */
export type EpochDays = number;

/**
 * The fields of an /etc/shadow line as glibc reads them. A numeric field that was empty in
 * the file is `null` (never folded into -1 or 0). A number is the value glibc's parser
 * produces: 2^31..2^32-1 wrap negative, so 4294967295 is stored as -1.
 */
export interface ShadowFields {
  /** Password hash: crypt(3) string, argon2id PHC string, "" or a lock marker ("!", "*"...). */
  hash: string;
  lastChange: number | null;
  minDays: number | null;
  maxDays: number | null;
  warnDays: number | null;
  inactiveDays: number | null;
  expireDate: number | null;
  /** The reserved ninth field, verbatim ("" when empty or absent). */
  flag: string;
}

/** One UNIX account: its passwd line, and its shadow line when it has one. */
export interface Account {
  name: string;
  /** The passwd file's password field: "x" (hash in shadow) or the hash itself. */
  passwdPassword: string;
  uid: number;
  gid: number;
  gecos: string;
  home: string;
  shell: string;
  /** The shadow entry; null when the account has none. */
  shadow: ShadowFields | null;
}

/**
 * Whether pam_unix 1.5.2 takes the hash (and the aging) from the shadow entry: the passwd
 * field is exactly "x" or "##<name>" (is_pwd_shadowed() in modules/pam_unix/passverify.c),
 * or exactly "*NP*" (get_account_info() reads the shadow entry for it too, through the
 * unix_chkpwd helper; on Debian, with /etc/shadow root:shadow 0640, the outcome is the same).
 */
export function isShadowed(account: Pick<Account, "name" | "passwdPassword">): boolean {
  const field = account.passwdPassword;
  return field === "x" || field === "*NP*" || field === `##${account.name}`;
}

/**
 * The hash pam_unix would verify against, or null when the account is shadowed but has no
 * shadow entry (PAM_AUTHINFO_UNAVAIL: it can never authenticate).
 */
export function effectiveHash(account: Account): string | null {
  if (!isShadowed(account)) return account.passwdPassword;
  return account.shadow === null ? null : account.shadow.hash;
}

/**
 * What a stored hash allows, before any crypt(3) call:
 * - "empty": "" (authenticates only with nullok, as pam_unix);
 * - "unusable": "*…", "!", "!!", "!*"…: no password can ever match;
 * - "locked": "!" + a real hash (`passwd -l`): a match means LOCKED, not OK;
 * - "verifiable": anything else (crypt(3) formats, argon2 PHC strings).
 */
export type HashClass = "empty" | "unusable" | "locked" | "verifiable";

export function classifyHash(hash: string): HashClass {
  if (hash === "") return "empty";
  if (hash.startsWith("*")) return "unusable";
  if (hash.startsWith("!")) {
    const rest = hash.replace(/^!+/, "");
    return rest === "" || rest.startsWith("*") || rest.startsWith("!") ? "unusable" : "locked";
  }
  return "verifiable";
}

/** The account with its effective hash replaced (shadow entry or passwd field, wherever it lives). */
export function withEffectiveHash(account: Account, hash: string): Account {
  if (!isShadowed(account)) return { ...account, passwdPassword: hash };
  if (account.shadow === null) return account;
  return { ...account, shadow: { ...account.shadow, hash } };
}
