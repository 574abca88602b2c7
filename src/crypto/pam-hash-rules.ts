// Owns pam_unix 1.5.2's verify_pwd_hash decisions as pure functions: HP-UX aging suffix
// stripping, empty/locked hashes, which algorithm a stored hash goes to, which passwords
// PAM could have delivered. No I/O and no crypto here; pam-password-hasher.ts runs the plan.

/** PAM_MAX_RESP_SIZE / CRYPT_MAX_PASSPHRASE_SIZE: passwords this long or longer never verify. */
export const MAX_PASSWORD_BYTES = 512;

const CRYPT_ALPHABET = /^[A-Za-z0-9./]$/;
const ARGON2_PREFIX = /^\$argon2(?:id|i|d)\$/;

/**
 * pam_unix's strip_hpux_aging(): a hash not starting with `$` and longer than 13 characters
 * is cut at the first character from position 13 on that is outside [A-Za-z0-9./]
 * (HP-UX appends ",<aging>" to DES hashes).
 */
export function stripHpuxAging(hash: string): string {
  if (hash.startsWith("$") || hash.length <= 13) return hash;
  for (let i = 13; i < hash.length; i += 1) {
    if (!CRYPT_ALPHABET.test(hash.charAt(i))) return hash.slice(0, i);
  }
  return hash;
}

/** Why a stored hash or a password can never verify (for logs; never sent to clients). */
export type RejectReason =
  | "empty-hash-without-nullok"
  | "locked-marker"
  | "bsdi-hash"
  | "password-too-long"
  | "password-has-nul";

/** Which code computes the check, mirroring verify_pwd_hash's branches. */
export type HashScheme =
  /** $argon2id$ / $argon2i$ / $argon2d$ PHC strings (this project's own hashes). */
  | "argon2"
  /** $1$: pam_unix's own md5crypt (libxcrypt's gives the same result for valid settings). */
  | "md5crypt"
  /** No `$`, >= 13 characters: pam_unix's bigcrypt; 13 characters = DES, 8 password bytes. */
  | "bigcrypt"
  /** Everything else goes to libxcrypt crypt_r, result compared with the stored string. */
  | "libxcrypt";

/** What verifying against a stored hash amounts to, before any password is looked at. */
export type HashPlan =
  | { kind: "accept" }
  | { kind: "reject"; reason: RejectReason }
  | { kind: "compute"; scheme: HashScheme; hash: string };

/** The plan for a stored hash; `locked` when it carried `!` prefixes (a match is "locked-match"). */
export interface StoredHashPlan {
  plan: HashPlan;
  locked: boolean;
}

/**
 * Classify a stored hash as pam_unix 1.5.2's verify_pwd_hash does, plus this project's
 * refinement for `!<hash>`: the leading `!`s are removed and the rest is planned as an
 * unlocked hash without nullok (so `!`, `!!` and `!*` still reject).
 */
export function planStoredHash(storedHash: string, options: { nullok: boolean }): StoredHashPlan {
  if (storedHash.startsWith("!")) {
    const remainder = storedHash.replace(/^!+/, "");
    const inner = planUnlockedHash(remainder, { nullok: false });
    return { plan: inner, locked: true };
  }
  return { plan: planUnlockedHash(storedHash, options), locked: false };
}

function planUnlockedHash(storedHash: string, options: { nullok: boolean }): HashPlan {
  const hash = stripHpuxAging(storedHash);
  if (hash === "") {
    // The stored password is empty: pam_unix grants only with nullok, and then for any
    // password (the blank-password shortcut does not even prompt).
    return options.nullok ? { kind: "accept" } : { kind: "reject", reason: "empty-hash-without-nullok" };
  }
  if (hash.startsWith("*") || hash.startsWith("!")) {
    return { kind: "reject", reason: "locked-marker" };
  }
  if (ARGON2_PREFIX.test(hash)) return { kind: "compute", scheme: "argon2", hash };
  if (hash.startsWith("$1$")) return { kind: "compute", scheme: "md5crypt", hash };
  if (!hash.startsWith("$") && hash.length >= 13) {
    // pam_unix sends these to its own bigcrypt, whose output is 13 + 11k characters long,
    // so BSDi extended-DES hashes (`_` + 19 characters) can never match.
    if (hash.startsWith("_")) return { kind: "reject", reason: "bsdi-hash" };
    return { kind: "compute", scheme: "bigcrypt", hash };
  }
  return { kind: "compute", scheme: "libxcrypt", hash };
}

/**
 * What happens to passwords of 512 bytes or more. "reject": they never verify (the
 * PasswordHasher port's contract). "truncate": exactly what pam_unix 1.5.2 does:
 * _unix_verify_password() cuts the password to 512 bytes, then DES uses 8 of them,
 * bigcrypt 128, pam's own md5crypt all 512, and libxcrypt refuses the rest (>= 512 bytes).
 */
export type LongPasswordPolicy = "reject" | "truncate";

/** pam_unix's bigcrypt reads at most 16 blocks of 8 bytes. */
const BIGCRYPT_MAX_KEY_BYTES = 128;

/** The bytes a scheme computes with, or why the password can never verify. */
export type PreparedPassword = { ok: true; password: Buffer } | { ok: false; reason: RejectReason };

/**
 * The password as the scheme sees it. A NUL byte cannot be typed through a PAM
 * conversation (pam gets C strings), so it never verifies. Passwords of 512 bytes or more
 * follow `policy`; under "truncate", libxcrypt and argon2 schemes still never verify them.
 */
export function preparePassword(
  password: Buffer,
  scheme: HashScheme,
  policy: LongPasswordPolicy,
): PreparedPassword {
  let bytes = password;
  if (bytes.length >= MAX_PASSWORD_BYTES) {
    if (policy === "reject") return { ok: false, reason: "password-too-long" };
    bytes = bytes.subarray(0, MAX_PASSWORD_BYTES);
  }
  if (bytes.includes(0)) return { ok: false, reason: "password-has-nul" };
  switch (scheme) {
    case "bigcrypt":
      return { ok: true, password: bytes.subarray(0, BIGCRYPT_MAX_KEY_BYTES) };
    case "md5crypt":
      return { ok: true, password: bytes };
    case "argon2":
    case "libxcrypt":
      return bytes.length >= MAX_PASSWORD_BYTES
        ? { ok: false, reason: "password-too-long" }
        : { ok: true, password: bytes };
    default: {
      const unreachable: never = scheme;
      throw new Error(`unknown hash scheme ${String(unreachable)}`);
    }
  }
}

/**
 * Why a password could never verify under the "reject" policy (>= 512 bytes, or a NUL
 * byte), or null. Used to refuse hashing passwords that could not be checked later.
 */
export function checkPasswordDeliverable(password: Buffer): RejectReason | null {
  if (password.length >= MAX_PASSWORD_BYTES) return "password-too-long";
  if (password.includes(0)) return "password-has-nul";
  return null;
}
