// Owns the size limits every layer enforces on names, passwd/shadow fields, file lines and
// passwords, and the one helper that measures them (UTF-8 bytes). Imports nothing.

/** A name given to `useradd` (shadow-utils' default LOGIN_NAME rule): at most 32 bytes. */
export const MAX_NEW_NAME_BYTES = 32;
/** A name read from an imported file (like `useradd --badname`, sysconf LOGIN_NAME_MAX): 256 bytes. */
export const MAX_IMPORTED_NAME_BYTES = 256;
/** The passwd GECOS (comment) field. */
export const MAX_GECOS_BYTES = 1024;
/** The passwd home directory field (PATH_MAX). */
export const MAX_HOME_BYTES = 4096;
/** The passwd login shell field (PATH_MAX). */
export const MAX_SHELL_BYTES = 4096;
/** A password hash (crypt(3) string or argon2id PHC string). */
export const MAX_HASH_BYTES = 1024;
/** One line of an imported passwd or shadow file, without its newline. */
export const MAX_LINE_BYTES = 65536;
/**
 * A password of this many bytes or more is DENIED without hashing: PAM_MAX_RESP_SIZE, and
 * libxcrypt's CRYPT_MAX_PASSPHRASE_SIZE (511 bytes still verify, 512 fail).
 */
export const PASSWORD_DENIED_FROM_BYTES = 512;

/**
 * The length of `text` in UTF-8 bytes. A lone surrogate counts 3 bytes, as the replacement
 * character it would be encoded as.
 */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Whether `text` is longer than `maxBytes` in UTF-8, without counting when the answer is
 * plain from its length (a UTF-16 unit is 1 to 3 bytes).
 */
export function exceedsUtf8Bytes(text: string, maxBytes: number): boolean {
  if (text.length > maxBytes) return true;
  if (text.length * 3 <= maxBytes) return false;
  return utf8ByteLength(text) > maxBytes;
}
