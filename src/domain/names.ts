// Owns the rules for account names, free-text passwd fields and hashes: given by an admin
// (strict) or read from an imported file (what glibc keeps). Each check returns null or a
// human-readable reason. Imports only domain/.

import {
  exceedsUtf8Bytes,
  MAX_HASH_BYTES,
  MAX_IMPORTED_NAME_BYTES,
  MAX_NEW_NAME_BYTES,
  utf8ByteLength,
} from "./limits";

/** shadow-utils' default name rule for `useradd` (without --badname). */
const NEW_NAME_PATTERN = /^[a-z_][a-z0-9_-]*[$]?$/;
/** Names with none of the characters the import rule refuses (the common, fast case). */
const PLAIN_IMPORTED_NAME = /^[^\s\u0000-\u001f\u007f-\u009f:,\uFFFD\p{Surrogate}+-][^\s\u0000-\u001f\u007f-\u009f:,\uFFFD\p{Surrogate}]*$/u;
/** A character a free-text passwd field may not hold. */
const FIELD_BAD_CHARACTER = /[:\u0000-\u001f\u007f-\u009f\uFFFD\p{Surrogate}]/u;
/** A character a hash may not hold (glibc keeps any other). */
const HASH_BAD_CHARACTER = /[:\n\r\0\uFFFD\p{Surrogate}]/u;
/** A character no imported field may hold: NUL, a newline, invalid UTF-8 (":" is checked apart). */
const IMPORTED_BAD_CHARACTER = /[\n\0\uFFFD\p{Surrogate}]/u;

/**
 * A name for a new account (`useradd`, AddUser): shadow-utils' default rule
 * `^[a-z_][a-z0-9_-]*[$]?$`, at most 32 bytes. Returns null when valid, else the reason.
 */
export function validateNewAccountName(name: string): string | null {
  if (name === "") return "the user name is empty";
  if (utf8ByteLength(name) > MAX_NEW_NAME_BYTES) {
    return `the user name is ${utf8ByteLength(name)} bytes; at most ${MAX_NEW_NAME_BYTES} are allowed`;
  }
  if (!NEW_NAME_PATTERN.test(name)) {
    return `the user name ${quoteForMessage(name)} must start with a lower-case letter or "_" and contain only a-z, 0-9, "_" and "-" (a "$" may end it)`;
  }
  return null;
}

/**
 * A name read from an imported passwd/shadow file, liberal like `useradd --badname`: no
 * ":", ",", white space or control characters, not starting with "-" or "+", not "." or
 * "..", not all digits, valid UTF-8 (no U+FFFD), at most 256 bytes. Null when valid.
 */
export function validateImportedAccountName(name: string): string | null {
  if (name === "") return "the user name is empty";
  if (exceedsUtf8Bytes(name, MAX_IMPORTED_NAME_BYTES)) {
    return `the user name is ${utf8ByteLength(name)} bytes; at most ${MAX_IMPORTED_NAME_BYTES} are allowed`;
  }
  if (PLAIN_IMPORTED_NAME.test(name) && name !== "." && name !== ".." && !/^[0-9]+$/.test(name)) return null;
  const textProblem = describeBadText(name);
  if (textProblem !== null) return `the user name ${textProblem}`;
  if (name.startsWith("\uFEFF")) return "the user name starts with a byte order mark (U+FEFF); save the file without a BOM";
  if (/\s/u.test(name)) return `the user name ${quoteForMessage(name)} contains white space`;
  if (name.includes(":")) return `the user name ${quoteForMessage(name)} contains ":"`;
  if (name.includes(",")) return `the user name ${quoteForMessage(name)} contains ","`;
  if (name.startsWith("-") || name.startsWith("+")) {
    return `the user name ${quoteForMessage(name)} starts with "${name[0] ?? ""}" (NIS compat syntax, or an option)`;
  }
  if (name === "." || name === "..") return `the user name ${quoteForMessage(name)} is not allowed`;
  if (/^[0-9]+$/.test(name)) return `the user name ${quoteForMessage(name)} is all digits (it would read as a uid)`;
  return null;
}

/**
 * A free-text passwd field given by an administrator (useradd/usermod: gecos, home, shell):
 * no ":", no line break, no NUL or other control character, valid UTF-8, at most `maxBytes`
 * bytes. `label` names the field in the reason ("home directory"). Imports are more liberal
 * (validateImportedFieldText). Null when valid.
 */
export function validateFieldText(label: string, value: string, maxBytes: number): string | null {
  if (exceedsUtf8Bytes(value, maxBytes)) {
    return `the ${label} is ${utf8ByteLength(value)} bytes; at most ${maxBytes} are allowed`;
  }
  if (!FIELD_BAD_CHARACTER.test(value)) return null;
  const textProblem = describeBadText(value);
  if (textProblem !== null) return `the ${label} ${textProblem}`;
  if (value.includes(":")) return `the ${label} ${quoteForMessage(value)} contains ":" (the field separator)`;
  return null;
}

/**
 * A gecos, home or shell field read from an imported passwd line (or written back to one).
 * glibc keeps every byte of these fields but NUL and "\n", and pam_unix logs such accounts
 * in, so control characters (a tab, the "\r" of Windows line endings) are kept verbatim.
 * Refused: NUL, "\n", invalid UTF-8 (U+FFFD), more than `maxBytes` bytes, and ":" unless
 * `colonAllowed` (the shell is the rest of the line, so it may hold ":"). Null when valid.
 */
export function validateImportedFieldText(
  label: string,
  value: string,
  maxBytes: number,
  options: { colonAllowed?: boolean } = {},
): string | null {
  if (exceedsUtf8Bytes(value, maxBytes)) {
    return `the ${label} is ${utf8ByteLength(value)} bytes; at most ${maxBytes} are allowed`;
  }
  if (!IMPORTED_BAD_CHARACTER.test(value) && (options.colonAllowed === true || !value.includes(":"))) return null;
  if (value.includes("\0")) return `the ${label} contains a NUL byte`;
  if (value.includes("\n")) return `the ${label} contains a line break`;
  if (hasLoneSurrogate(value) || value.includes("\uFFFD")) return `the ${label} is not valid UTF-8 (or contains U+FFFD)`;
  return `the ${label} ${quoteForMessage(value)} contains ":" (the field separator)`;
}

/**
 * A password hash read from an imported passwd or shadow line (or written back to one):
 * glibc keeps every byte but ":", "\n" and NUL (a hash with "\r" or a tab is read, and
 * simply never verifies). Refused: those three, invalid UTF-8, more than 1024 bytes. The
 * value itself never appears in the reason. Null when valid.
 */
export function validateImportedHashText(hash: string): string | null {
  if (exceedsUtf8Bytes(hash, MAX_HASH_BYTES)) {
    return `the password hash is ${utf8ByteLength(hash)} bytes; at most ${MAX_HASH_BYTES} are allowed`;
  }
  if (!IMPORTED_BAD_CHARACTER.test(hash) && !hash.includes(":")) return null;
  if (hash.includes(":")) return 'the password hash contains ":" (the field separator)';
  if (hash.includes("\n")) return "the password hash contains a line break";
  if (hash.includes("\0")) return "the password hash contains a NUL byte";
  return "the password hash is not valid UTF-8";
}

/**
 * A password hash given by an administrator (a pre-hashed `-p` value): no ":", no line
 * break ("\r" included), no NUL, valid UTF-8, at most 1024 bytes. Other bytes are kept (a
 * hash with a space or a tab simply never verifies). Imports use validateImportedHashText.
 * The value itself never appears in the reason.
 */
export function validateHashText(hash: string): string | null {
  if (exceedsUtf8Bytes(hash, MAX_HASH_BYTES)) {
    return `the password hash is ${utf8ByteLength(hash)} bytes; at most ${MAX_HASH_BYTES} are allowed`;
  }
  if (!HASH_BAD_CHARACTER.test(hash)) return null;
  if (hash.includes(":")) return 'the password hash contains ":" (the field separator)';
  if (hash.includes("\n") || hash.includes("\r")) return "the password hash contains a line break";
  if (hash.includes("\0")) return "the password hash contains a NUL byte";
  if (hasLoneSurrogate(hash) || hash.includes("\uFFFD")) return "the password hash is not valid UTF-8";
  return null;
}

/**
 * Quotes a value for a problem message: JSON-style escapes for control characters and
 * quotes, cut to `maxChars` characters with "…". Never use it on a password or a hash.
 */
export function quoteForMessage(value: string, maxChars = 48): string {
  const chars = Array.from(value);
  const shown = chars.length > maxChars ? `${chars.slice(0, maxChars).join("")}…` : value;
  return JSON.stringify(shown).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Why `text` cannot be stored as a field (NUL, control character, bad UTF-8), or null. */
function describeBadText(text: string): string | null {
  if (text.includes("\0")) return "contains a NUL byte";
  if (hasLoneSurrogate(text) || text.includes("\uFFFD")) return "is not valid UTF-8 (or contains U+FFFD)";
  if (text.includes("\n")) return "contains a line break";
  if (text.includes("\r")) return "contains a carriage return (Windows line endings?)";
  const control = /[\u0001-\u001f\u007f-\u009f]/.exec(text);
  if (control !== null) {
    return `contains the control character U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
  }
  return null;
}

function hasLoneSurrogate(text: string): boolean {
  return /\p{Surrogate}/u.test(text);
}
