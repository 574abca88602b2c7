// Tests the pure pam_unix 1.5.2 verify_pwd_hash decisions: HP-UX suffix stripping, how each
// stored hash is classified, and which passwords a scheme can ever see.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  checkPasswordDeliverable,
  planStoredHash,
  preparePassword,
  stripHpuxAging,
  type HashPlan,
  type HashScheme,
  type LongPasswordPolicy,
  type PreparedPassword,
} from "../../../src/crypto/pam-hash-rules";

const DES = "gtIFFZL6CZjGI";
const SHA512 = "$6$gtSaltSHA512abcd$rNc43TYrZFhYzZcsslEwaZmY6yI9GbmENTqTajY6StsdoErqbLarFamFEYEyFQBC74YBflrXfuqITHY/4SOjY0";

describe("stripHpuxAging", () => {
  const cases: Array<{ name: string; input: string; expected: string }> = [
    { name: "a 13-character DES hash is kept", input: DES, expected: DES },
    { name: "a DES hash with an HP-UX ',B/..' suffix is cut at the comma", input: `${DES},B/..`, expected: DES },
    { name: "a bigcrypt hash with a suffix is cut at the comma", input: `${DES}QfsWILOS4WA,x`, expected: `${DES}QfsWILOS4WA` },
    { name: "characters before position 13 are never cut", input: "ab,cdefghijklm", expected: "ab,cdefghijklm" },
    { name: "a cut at position 13 itself leaves 13 characters", input: `${DES}-`, expected: DES },
    { name: "a `$` hash is never touched, even with a comma", input: `${SHA512},B/..`, expected: `${SHA512},B/..` },
    { name: "a short string is never touched", input: "x,y", expected: "x,y" },
    { name: "a long string of crypt characters is kept whole", input: "not.a.hash.but.long.enough", expected: "not.a.hash.but.long.enough" },
    { name: "a `!`-locked sha512crypt is cut at its first `$` after position 13", input: `!${SHA512}`, expected: "!$6$gtSaltSHA512abcd" },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(stripHpuxAging(c.input), c.expected);
    });
  }
});

describe("planStoredHash", () => {
  const compute = (scheme: HashScheme, hash: string): HashPlan => ({ kind: "compute", scheme, hash });
  const cases: Array<{ name: string; hash: string; nullok: boolean; plan: HashPlan; locked: boolean }> = [
    { name: "an empty hash without nullok rejects", hash: "", nullok: false, plan: { kind: "reject", reason: "empty-hash-without-nullok" }, locked: false },
    { name: "an empty hash with nullok accepts any password", hash: "", nullok: true, plan: { kind: "accept" }, locked: false },
    { name: "`*` rejects", hash: "*", nullok: false, plan: { kind: "reject", reason: "locked-marker" }, locked: false },
    { name: "`*LK*` rejects", hash: "*LK*", nullok: true, plan: { kind: "reject", reason: "locked-marker" }, locked: false },
    { name: "`*` before a real hash rejects", hash: `*${DES}`, nullok: false, plan: { kind: "reject", reason: "locked-marker" }, locked: false },
    { name: "`!` alone rejects, even with nullok", hash: "!", nullok: true, plan: { kind: "reject", reason: "empty-hash-without-nullok" }, locked: true },
    { name: "`!!` rejects", hash: "!!", nullok: false, plan: { kind: "reject", reason: "empty-hash-without-nullok" }, locked: true },
    { name: "`!*` rejects", hash: "!*", nullok: false, plan: { kind: "reject", reason: "locked-marker" }, locked: true },
    { name: "`!` before sha512crypt computes the remainder, locked", hash: `!${SHA512}`, nullok: false, plan: compute("libxcrypt", SHA512), locked: true },
    { name: "`!!` before DES computes the remainder, locked", hash: `!!${DES}`, nullok: false, plan: compute("bigcrypt", DES), locked: true },
    { name: "`!` before DES with an HP-UX suffix strips the suffix of the remainder", hash: `!${DES},B/..`, nullok: false, plan: compute("bigcrypt", DES), locked: true },
    { name: "sha512crypt goes to libxcrypt", hash: SHA512, nullok: false, plan: compute("libxcrypt", SHA512), locked: false },
    { name: "yescrypt goes to libxcrypt", hash: "$y$j9T$salt$hash", nullok: false, plan: compute("libxcrypt", "$y$j9T$salt$hash"), locked: false },
    { name: "md5crypt goes to pam's md5crypt", hash: "$1$CCCCCCCC$gw92IW7tqCd0lx8RLT6Xd0", nullok: false, plan: compute("md5crypt", "$1$CCCCCCCC$gw92IW7tqCd0lx8RLT6Xd0"), locked: false },
    { name: "a 13-character DES hash goes to bigcrypt", hash: DES, nullok: false, plan: compute("bigcrypt", DES), locked: false },
    { name: "a DES hash with an HP-UX suffix goes to bigcrypt without it", hash: `${DES},B/..`, nullok: false, plan: compute("bigcrypt", DES), locked: false },
    { name: "a 26-character non-`$` string goes to bigcrypt, cut at its first `-` after 13", hash: "not-a-hash-but-long-enough", nullok: false, plan: compute("bigcrypt", "not-a-hash-but"), locked: false },
    { name: "a BSDi `_` hash never verifies", hash: "_/...CCCCCGHlkLDPnfs", nullok: false, plan: { kind: "reject", reason: "bsdi-hash" }, locked: false },
    { name: "a short `_` string goes to libxcrypt (which cannot reproduce it)", hash: "_/...CCC", nullok: false, plan: compute("libxcrypt", "_/...CCC"), locked: false },
    { name: "a 12-character truncated DES goes to libxcrypt", hash: "gtIFFZL6CZjG", nullok: false, plan: compute("libxcrypt", "gtIFFZL6CZjG"), locked: false },
    { name: "a literal `x` goes to libxcrypt", hash: "x", nullok: true, plan: compute("libxcrypt", "x"), locked: false },
    { name: "argon2id goes to argon2", hash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA", nullok: false, plan: compute("argon2", "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA"), locked: false },
    { name: "argon2i goes to argon2", hash: "$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA", nullok: false, plan: compute("argon2", "$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA"), locked: false },
    { name: "argon2d goes to argon2", hash: "$argon2d$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA", nullok: false, plan: compute("argon2", "$argon2d$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA"), locked: false },
    { name: "an unknown argon2 variant goes to libxcrypt", hash: "$argon2x$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA", nullok: false, plan: compute("libxcrypt", "$argon2x$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA"), locked: false },
    { name: "`!` before argon2id computes the remainder, locked", hash: "!$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA", nullok: false, plan: compute("argon2", "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA"), locked: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(planStoredHash(c.hash, { nullok: c.nullok }), { plan: c.plan, locked: c.locked });
    });
  }
});

describe("preparePassword", () => {
  const bytes = (length: number): Buffer => Buffer.alloc(length, 0x61);
  const ok = (length: number): PreparedPassword => ({ ok: true, password: bytes(length) });
  const cases: Array<{ name: string; length: number; nul?: number; scheme: HashScheme; policy: LongPasswordPolicy; expected: PreparedPassword }> = [
    { name: "511 bytes reach libxcrypt", length: 511, scheme: "libxcrypt", policy: "reject", expected: ok(511) },
    { name: "512 bytes never reach libxcrypt under reject", length: 512, scheme: "libxcrypt", policy: "reject", expected: { ok: false, reason: "password-too-long" } },
    { name: "512 bytes never reach DES under reject", length: 512, scheme: "bigcrypt", policy: "reject", expected: { ok: false, reason: "password-too-long" } },
    { name: "600 bytes never reach md5crypt under reject", length: 600, scheme: "md5crypt", policy: "reject", expected: { ok: false, reason: "password-too-long" } },
    { name: "512 bytes never reach libxcrypt under truncate either", length: 512, scheme: "libxcrypt", policy: "truncate", expected: { ok: false, reason: "password-too-long" } },
    { name: "600 bytes never reach argon2 under truncate", length: 600, scheme: "argon2", policy: "truncate", expected: { ok: false, reason: "password-too-long" } },
    { name: "600 bytes reach md5crypt as their first 512 under truncate", length: 600, scheme: "md5crypt", policy: "truncate", expected: ok(512) },
    { name: "600 bytes reach bigcrypt as their first 128 under truncate", length: 600, scheme: "bigcrypt", policy: "truncate", expected: ok(128) },
    { name: "200 bytes reach bigcrypt as their first 128 (its 16-block limit)", length: 200, scheme: "bigcrypt", policy: "reject", expected: ok(128) },
    { name: "a NUL byte never verifies", length: 10, nul: 3, scheme: "libxcrypt", policy: "reject", expected: { ok: false, reason: "password-has-nul" } },
    { name: "a NUL byte past the 512-byte cut is never seen under truncate", length: 600, nul: 550, scheme: "md5crypt", policy: "truncate", expected: ok(512) },
    { name: "the empty password reaches libxcrypt", length: 0, scheme: "libxcrypt", policy: "reject", expected: ok(0) },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const password = bytes(c.length);
      if (c.nul !== undefined) password[c.nul] = 0;
      assert.deepEqual(preparePassword(password, c.scheme, c.policy), c.expected);
    });
  }

  it("checkPasswordDeliverable refuses 512 bytes and NUL, accepts 511", () => {
    assert.equal(checkPasswordDeliverable(bytes(511)), null);
    assert.equal(checkPasswordDeliverable(bytes(512)), "password-too-long");
    assert.equal(checkPasswordDeliverable(Buffer.from("a\0b")), "password-has-nul");
  });
});
