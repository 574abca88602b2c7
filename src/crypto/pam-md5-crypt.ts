// Owns pam_unix's own md5crypt ("$1$", modules/pam_unix/md5_crypt.c), used only for stored
// `$1$` hashes that libxcrypt refuses to process (salt bytes libxcrypt rejects, e.g. `;`,
// `*`, `!`, `\`, spaces or non-ASCII). Pure computation over node:crypto's MD5.
import { createHash } from "node:crypto";

const MAGIC = Buffer.from("$1$", "latin1");
const ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const MAX_SALT_BYTES = 8;
const DOLLAR = 0x24;

function md5(...parts: Buffer[]): Buffer {
  const h = createHash("md5");
  for (const part of parts) h.update(part);
  return h.digest();
}

function to64(value: number, count: number): string {
  let out = "";
  let v = value;
  for (let i = 0; i < count; i += 1) {
    out += ITOA64.charAt(v & 0x3f);
    v >>>= 6;
  }
  return out;
}

/**
 * pam_unix's md5crypt of `password` with the salt taken from `setting` ("$1$" optional,
 * then at most 8 bytes up to the first `$`), as bytes: "$1$<salt>$<22 characters>". Unlike
 * libxcrypt it accepts any salt byte. On little-endian hosts pam's "broken MD5" fallback
 * computes the same digest, so it needs no separate code. The password must not contain
 * NUL (pam sees a C string).
 */
export function computePamMd5Crypt(password: Buffer, setting: Buffer): Buffer {
  let rest = setting;
  if (rest.subarray(0, MAGIC.length).equals(MAGIC)) rest = rest.subarray(MAGIC.length);
  let saltLength = 0;
  while (saltLength < rest.length && saltLength < MAX_SALT_BYTES) {
    const byte = rest[saltLength];
    if (byte === DOLLAR || byte === 0) break;
    saltLength += 1;
  }
  const salt = rest.subarray(0, saltLength);

  const alternate = md5(password, salt, password);
  const ctx = createHash("md5");
  ctx.update(password);
  ctx.update(MAGIC);
  ctx.update(salt);
  for (let remaining = password.length; remaining > 0; remaining -= 16) {
    ctx.update(alternate.subarray(0, Math.min(16, remaining)));
  }
  // The historical quirk: the "final" buffer has just been zeroed, so a set bit adds a NUL.
  const zero = Buffer.alloc(1);
  const first = password.subarray(0, 1);
  for (let i = password.length; i > 0; i >>= 1) {
    ctx.update((i & 1) !== 0 ? zero : first);
  }
  let final = ctx.digest();

  for (let i = 0; i < 1000; i += 1) {
    const round = createHash("md5");
    round.update((i & 1) !== 0 ? password : final);
    if (i % 3 !== 0) round.update(salt);
    if (i % 7 !== 0) round.update(password);
    round.update((i & 1) !== 0 ? final : password);
    final = round.digest();
  }

  const b = (index: number): number => final[index] ?? 0;
  const encoded =
    to64((b(0) << 16) | (b(6) << 8) | b(12), 4) +
    to64((b(1) << 16) | (b(7) << 8) | b(13), 4) +
    to64((b(2) << 16) | (b(8) << 8) | b(14), 4) +
    to64((b(3) << 16) | (b(9) << 8) | b(15), 4) +
    to64((b(4) << 16) | (b(10) << 8) | b(5), 4) +
    to64(b(11), 2);
  return Buffer.concat([MAGIC, salt, Buffer.from(`$${encoded}`, "latin1")]);
}
