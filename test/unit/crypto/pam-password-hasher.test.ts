// Tests the daemon's PasswordHasher end to end: the recorded pam_unix 1.5.2 corpus, every
// reference §3 example, locked hashes, nullok, password length and NUL rules, argon2 in both
// parameter orders, re-hash decisions, dummy cost, overload and the event loop staying free.
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { describe, it } from "node:test";
import { OverloadedError, type HashCheck } from "../../../src/app/ports";
import { createDummyArgon2Phc, hashArgon2id, type Argon2Parameters } from "../../../src/crypto/argon2-hasher";
import { cryptPassphrase, generateCryptSetting } from "../../../src/crypto/legacy-crypt";
import { createPasswordHasher, type PasswordHasherOptions } from "../../../src/crypto/pam-password-hasher";
import { computePamMd5Crypt } from "../../../src/crypto/pam-md5-crypt";
import { loadConformanceCorpus, type CorpusCase } from "../../fixtures/pam/corpus";

const CHEAP: Argon2Parameters = { memoryCost: 256, timeCost: 1, parallelism: 1 };
const pw = (text: string): Buffer => Buffer.from(text, "utf8");
const makeHasher = (extra: Partial<PasswordHasherOptions> = {}): ReturnType<typeof createPasswordHasher> =>
  createPasswordHasher({ argon2: CHEAP, ...extra });

/** reference/unix-auth-semantics.md §3 examples (password "U*U") and what pam_unix answers. */
const REFERENCE_EXAMPLES: ReadonlyArray<{ method: string; hash: string; pam: "match" | "mismatch" }> = [
  { method: "yescrypt", hash: "$y$j75$.......$B9odMQM/B2QLVLHfsJEC5lAgv3j/JVoUzO6rSxbqEDA", pam: "match" },
  { method: "gost-yescrypt", hash: "$gy$j75$.......$2MgfEFMXQDMiVz5FoADXDmZqUGbHk1ZowcjDCELt0tA", pam: "match" },
  { method: "scrypt", hash: "$7$66..../....SodiumChloride$eHW53P3AOnosAY12RWow37kj/pZSTnjAQiJ8d/eEQrB", pam: "match" },
  { method: "bcrypt $2b$", hash: "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", pam: "match" },
  { method: "bcrypt $2y$", hash: "$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", pam: "match" },
  { method: "bcrypt $2a$", hash: "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", pam: "match" },
  {
    method: "sha512crypt",
    hash: "$6$rounds=1000$saltstring$6supY5aNDQVvBGYV4FvM00TPOhNTmySH0kzOVRhxfSAv/0e.9HhbrE/nCxhRiNLaSzDBasxYQX.YrmLmIoQB0/",
    pam: "match",
  },
  { method: "sha256crypt", hash: "$5$rounds=1000$saltstring$QTMEAJM8XtlGnH8mydl0lpvaoi8Tfx.zzYENctIj/S1", pam: "match" },
  { method: "sha1crypt", hash: "$sha1$12$GGXpNqoJvglVTkGU$20wfOdRz0K3r0xM7AqRJussRjGDk", pam: "match" },
  { method: "SunMD5", hash: "$md5$9ZLwtuTO$c5LDCIVsF6DEQ5.xab0MC/", pam: "match" },
  { method: "md5crypt", hash: "$1$CCCCCCCC$gw92IW7tqCd0lx8RLT6Xd0", pam: "match" },
  { method: "NT hash", hash: "$3$$ceb4a53eab759a7b5da77a864c89969f", pam: "match" },
  { method: "bsdicrypt (pam_unix's bigcrypt path cannot verify it)", hash: "_/...CCCCCGHlkLDPnfs", pam: "mismatch" },
  { method: "descrypt", hash: "CCHc6HsfCQ5t6", pam: "match" },
];

describe("verify: reference §3 examples with password U*U", () => {
  const hasher = makeHasher();
  for (const example of REFERENCE_EXAMPLES) {
    it(`${example.method}: U*U gives ${example.pam}`, async () => {
      assert.equal(await hasher.verify(pw("U*U"), example.hash, { nullok: false }), example.pam);
    });
    it(`${example.method}: a wrong password gives mismatch`, async () => {
      assert.equal(await hasher.verify(pw("U*u"), example.hash, { nullok: false }), "mismatch");
    });
    const lockedExpected: HashCheck = example.pam === "match" ? "locked-match" : "mismatch";
    it(`${example.method}: locked with "!", U*U gives ${lockedExpected}`, async () => {
      assert.equal(await hasher.verify(pw("U*U"), `!${example.hash}`, { nullok: false }), lockedExpected);
    });
  }
});

/** The hash pam_unix verifies for a corpus case: passwd's field unless it is "x"/"##user". */
function effectiveCorpusHash(c: CorpusCase): string | null {
  const passwdField = c.pamCase.passwdLine?.split(":")[1];
  if (passwdField === undefined) return null;
  if (passwdField !== "x" && passwdField !== `##${c.id}`) return passwdField;
  const firstShadowLine = c.pamCase.shadowLine?.split("\n")[0];
  return firstShadowLine?.split(":")[1] ?? null;
}

describe("verify: the recorded pam_unix 1.5.2 corpus", () => {
  const today = Math.floor(Date.now() / 86_400_000);
  // Only auth codes decided by the hash: USER_UNKNOWN and AUTHINFO_UNAVAIL come from
  // account lookup and shadow parsing; nullresetok's shortcut depends on aging (app layer).
  const cases = loadConformanceCorpus(today).filter(
    (c) =>
      (c.expected.authCode === "PAM_SUCCESS" || c.expected.authCode === "PAM_AUTH_ERR") &&
      c.pamCase.service !== "unix-nullresetok",
  );
  const hasher = makeHasher();

  it("covers the corpus' hash group and more", () => {
    assert.ok(cases.filter((c) => c.group === "hash").length >= 35, "hash cases missing from the corpus");
    assert.ok(cases.length >= 130, `only ${cases.length} corpus cases`);
  });

  for (const c of cases) {
    const hash = effectiveCorpusHash(c);
    const lockedMatch = hash !== null && hash.startsWith("!") && c.passwordIsCorrect === true;
    const expected: HashCheck =
      c.expected.authCode === "PAM_SUCCESS" ? "match" : lockedMatch ? "locked-match" : "mismatch";
    it(`${c.id} (${c.desc}) gives ${expected}`, async () => {
      assert.ok(hash !== null, "the case has no hash");
      const got = await hasher.verify(pw(c.pamCase.password), hash, { nullok: c.pamCase.service === "unix-nullok" });
      assert.equal(got, expected);
    });
  }
});

describe("verify: pam_unix special cases", () => {
  const hasher = makeHasher();
  const DES = "gtIFFZL6CZjGI"; // crypt("Secret12…", "gt")
  const cases: Array<{ name: string; password: string; hash: string; nullok: boolean; expected: HashCheck }> = [
    { name: "DES: the first 8 bytes decide", password: "Secret12-and-more", hash: DES, nullok: false, expected: "match" },
    { name: "DES: 7 bytes do not match", password: "Secret1", hash: DES, nullok: false, expected: "mismatch" },
    { name: "DES with an HP-UX aging suffix still matches", password: "Secret12", hash: `${DES},B/..`, nullok: false, expected: "match" },
    { name: "a `*` before a valid DES hash never matches", password: "Secret12", hash: `*${DES}`, nullok: false, expected: "mismatch" },
    { name: "`!!` before a valid DES hash gives locked-match", password: "Secret12", hash: `!!${DES}`, nullok: false, expected: "locked-match" },
    { name: "`!` before a valid DES hash with a wrong password gives mismatch", password: "Secret1", hash: `!${DES}`, nullok: false, expected: "mismatch" },
    { name: "`!` alone never matches, even with nullok and an empty password", password: "", hash: "!", nullok: true, expected: "mismatch" },
    { name: "`!*` never matches", password: "", hash: "!*", nullok: true, expected: "mismatch" },
    { name: "`*LK*` never matches", password: "*LK*", hash: "*LK*", nullok: true, expected: "mismatch" },
    { name: "an empty hash without nullok never matches the empty password", password: "", hash: "", nullok: false, expected: "mismatch" },
    { name: "an empty hash without nullok never matches any password", password: "anything", hash: "", nullok: false, expected: "mismatch" },
    { name: "an empty hash with nullok matches the empty password", password: "", hash: "", nullok: true, expected: "match" },
    { name: "an empty hash with nullok matches any password", password: "anything", hash: "", nullok: true, expected: "match" },
    { name: "a BSDi hash never matches its password", password: "U*U", hash: "_/...CCCCCGHlkLDPnfs", nullok: false, expected: "mismatch" },
    { name: "a literal x never matches x", password: "x", hash: "x", nullok: false, expected: "mismatch" },
    { name: "a hash with trailing garbage never matches", password: "U*U", hash: "$1$CCCCCCCC$gw92IW7tqCd0lx8RLT6Xd0x", nullok: false, expected: "mismatch" },
    { name: "an unknown scheme never matches", password: "U*U", hash: "$9$abc$def", nullok: false, expected: "mismatch" },
    { name: "a malformed argon2id string never matches", password: "U*U", hash: "$argon2id$v=19$m=8,t=1$c2FsdHNhbHQ$aGFzaA", nullok: false, expected: "mismatch" },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      assert.equal(await hasher.verify(pw(c.password), c.hash, { nullok: c.nullok }), c.expected);
    });
  }

  it("an empty hash with nullok matches even a 600-byte password (pam does not prompt)", async () => {
    assert.equal(await hasher.verify(Buffer.alloc(600, 0x61), "", { nullok: true }), "match");
  });

  it("a `$1$` hash whose salt libxcrypt refuses is checked with pam_unix's own md5crypt", async () => {
    const hash = computePamMd5Crypt(pw("Secret123"), pw("$1$ab;cd$")).toString("latin1");
    assert.equal(await cryptPassphrase(pw("Secret123"), hash), null);
    assert.equal(await hasher.verify(pw("Secret123"), hash, { nullok: false }), "match");
    assert.equal(await hasher.verify(pw("Secret124"), hash, { nullok: false }), "mismatch");
  });

  it("a bigcrypt hash needs exactly its number of 8-byte blocks", async () => {
    const hash = await cryptPassphrase(pw("Secret123456"), "gtAAAAAAAAAAAAAAAAAAAAAA");
    assert.equal(hash, "gtIFFZL6CZjGIQfsWILOS4WA");
    const check = (password: string): Promise<HashCheck> => hasher.verify(pw(password), hash ?? "", { nullok: false });
    assert.equal(await check("Secret123456"), "match");
    assert.equal(await check("Secret12"), "mismatch");
    assert.equal(await check("Secret123456XXXXY"), "mismatch");
  });
});

describe("verify: password bytes", () => {
  const hasher = makeHasher();
  const truncating = makeHasher({ longPasswords: "truncate" });
  const DES = "gtIFFZL6CZjGI";
  const padded = (prefix: string, length: number): Buffer => Buffer.concat([pw(prefix), Buffer.alloc(length - prefix.length, 0x78)]);

  it("sha512crypt of 511 bytes matches those 511 bytes", async () => {
    const password = Buffer.alloc(511, 0x4c);
    const hash = await cryptPassphrase(password, "$6$gtSaltLongPass$");
    assert.ok(hash !== null);
    assert.equal(await hasher.verify(password, hash, { nullok: false }), "match");
    assert.equal(await hasher.verify(Buffer.concat([password, pw("L")]), hash, { nullok: false }), "mismatch");
    assert.equal(await truncating.verify(Buffer.concat([password, pw("L")]), hash, { nullok: false }), "mismatch");
  });

  const lengthCases: Array<{ name: string; password: Buffer; hash: () => string; reject: HashCheck; truncate: HashCheck }> = [
    { name: "DES with 511 bytes whose first 8 are right", password: padded("Secret12", 511), hash: () => DES, reject: "match", truncate: "match" },
    { name: "DES with 512 bytes whose first 8 are right", password: padded("Secret12", 512), hash: () => DES, reject: "mismatch", truncate: "match" },
    { name: "DES with 600 bytes whose first 8 are right", password: padded("Secret12", 600), hash: () => DES, reject: "mismatch", truncate: "match" },
    {
      name: "$1$ of the first 512 bytes, 600 bytes typed",
      password: padded("Secret12", 600),
      hash: () => computePamMd5Crypt(padded("Secret12", 512), pw("$1$abcdefgh$")).toString("latin1"),
      reject: "mismatch",
      truncate: "match",
    },
    {
      name: "$1$ of the first 511 bytes, 600 bytes typed",
      password: padded("Secret12", 600),
      hash: () => computePamMd5Crypt(padded("Secret12", 511), pw("$1$abcdefgh$")).toString("latin1"),
      reject: "mismatch",
      truncate: "mismatch",
    },
  ];
  for (const c of lengthCases) {
    it(`${c.name}: ${c.reject} by default, ${c.truncate} when truncating like pam`, async () => {
      assert.equal(await hasher.verify(c.password, c.hash(), { nullok: false }), c.reject);
      assert.equal(await truncating.verify(c.password, c.hash(), { nullok: false }), c.truncate);
    });
  }

  it("a password with a NUL byte never matches, though its C-string prefix would", async () => {
    const hash = "$1$CCCCCCCC$gw92IW7tqCd0lx8RLT6Xd0";
    assert.equal(await hasher.verify(pw("U*U"), hash, { nullok: false }), "match");
    assert.equal(await hasher.verify(pw("U*U\0tail"), hash, { nullok: false }), "mismatch");
  });
});

describe("argon2 hashes", () => {
  const hasher = makeHasher();

  it("hash() writes the reference order and verify() accepts it", async () => {
    const hash = await hasher.hash(pw("Secret123"));
    assert.match(hash, /^\$argon2id\$v=19\$m=256,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    assert.equal(await hasher.verify(pw("Secret123"), hash, { nullok: false }), "match");
    assert.equal(await hasher.verify(pw("Secret124"), hash, { nullok: false }), "mismatch");
    assert.equal(await hasher.verify(pw("Secret123"), `!${hash}`, { nullok: false }), "locked-match");
    assert.equal(hasher.needsRehash(hash), false);
  });

  it("verify() accepts the m,p,t order too", async () => {
    const hash = (await hashArgon2id(pw("Secret123"), CHEAP)).replace("m=256,t=1,p=1", "m=256,p=1,t=1");
    assert.ok(hash.includes("$m=256,p=1,t=1$"));
    assert.equal(await hasher.verify(pw("Secret123"), hash, { nullok: false }), "match");
    assert.equal(await hasher.verify(pw("Secret124"), hash, { nullok: false }), "mismatch");
    assert.equal(hasher.needsRehash(hash), true);
  });

  const refusals = [
    { name: "hash() refuses a 512-byte password", password: Buffer.alloc(512, 0x61) },
    { name: "hash() refuses a password with a NUL byte", password: pw("a\0b") },
  ];
  for (const c of refusals) {
    it(c.name, async () => {
      await assert.rejects(hasher.hash(c.password), RangeError);
    });
  }

  const rehashCases = [
    { name: "yescrypt", hash: "$y$j9T$L97gi4QRHIYXHozJ9b6WD/$YG03PffZQCOoAkJJSkZLNhkbL4A4G7HagtQRFbE2ZHC" },
    { name: "DES", hash: "gtIFFZL6CZjGI" },
    { name: "argon2id at other parameters", hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g" },
  ];
  for (const c of rehashCases) {
    it(`needsRehash is true for ${c.name}`, () => {
      assert.equal(hasher.needsRehash(c.hash), true);
    });
  }

  it("the configuration is validated", () => {
    assert.throws(() => createPasswordHasher({ argon2: { memoryCost: 4, timeCost: 1, parallelism: 1 } }), RangeError);
  });
});

describe("dummyVerify", () => {
  it("resolves with nothing, verifies against a PHC string with the configured parameters, and holds a hashing slot while it runs", async () => {
    // Equal cost is a property of the work done, asserted here structurally; the end-to-end
    // timing comparison (medians over 200 calls) lives in test/integration/timing.test.ts.
    const params: Argon2Parameters = { memoryCost: 16384, timeCost: 2, parallelism: 1 };
    const dummy = createDummyArgon2Phc(params);
    assert.deepEqual({ memoryCost: dummy.memoryCost, timeCost: dummy.timeCost, parallelism: dummy.parallelism }, params);
    const hasher = createPasswordHasher({ argon2: params, maxConcurrent: 1 });
    const running = hasher.dummyVerify(pw("Secret123"));
    assert.equal(hasher.counters().running, 1, "the dummy verification takes a hashing slot like a real one");
    assert.equal(await running, undefined);
    const locked = hasher.verify(pw("wrong"), "!", { nullok: false });
    assert.equal(hasher.counters().running, 1, "a refused hash still spends a dummy verification");
    assert.equal(await locked, "mismatch");
  });
});

describe("overload", () => {
  it("a full queue rejects verify, hash, dummyVerify and rejected-hash checks at once", async () => {
    const hasher = createPasswordHasher({ argon2: { memoryCost: 65536, timeCost: 3, parallelism: 1 }, maxConcurrent: 1, maxQueued: 1 });
    const running = hasher.dummyVerify(pw("a"));
    const queued = hasher.dummyVerify(pw("b"));
    assert.deepEqual(hasher.counters(), { running: 1, queued: 1, maxConcurrent: 1, maxQueued: 1, rejected: 0 });
    await assert.rejects(hasher.verify(pw("U*U"), "$1$CCCCCCCC$gw92IW7tqCd0lx8RLT6Xd0", { nullok: false }), OverloadedError);
    await assert.rejects(hasher.verify(pw("U*U"), "!", { nullok: false }), OverloadedError);
    await assert.rejects(hasher.hash(pw("U*U")), OverloadedError);
    await assert.rejects(hasher.dummyVerify(pw("U*U")), OverloadedError);
    // An empty hash under nullok is granted without hashing, as pam_unix does without prompting.
    assert.equal(await hasher.verify(pw("U*U"), "", { nullok: true }), "match");
    assert.equal(hasher.counters().rejected, 4);
    await Promise.all([running, queued]);
    assert.equal(await hasher.verify(pw("U*U"), "$1$CCCCCCCC$gw92IW7tqCd0lx8RLT6Xd0", { nullok: false }), "match");
  });
});

describe("the event loop stays free", () => {
  it("a timer keeps ticking during 20 parallel yescrypt verifications", async () => {
    const hasher = makeHasher({ maxConcurrent: 2 });
    const setting = generateCryptSetting("$y$");
    assert.ok(setting !== null);
    const hash = await cryptPassphrase(pw("Secret123"), setting);
    assert.ok(hash !== null);
    let pending = 20;
    let ticksWhilePending = 0;
    let maxRunning = 0;
    const timer = setInterval(() => {
      if (pending > 0) ticksWhilePending += 1;
      maxRunning = Math.max(maxRunning, hasher.counters().running);
    }, 1);
    try {
      const started = performance.now();
      const results = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const result = await hasher.verify(pw(i % 2 === 0 ? "Secret123" : "wrong"), hash, { nullok: false });
          pending -= 1;
          return result;
        }),
      );
      const elapsed = performance.now() - started;
      assert.deepEqual(
        results,
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? "match" : "mismatch")),
      );
      assert.ok(ticksWhilePending >= 5, `only ${ticksWhilePending} timer ticks in ${elapsed.toFixed(0)} ms`);
      assert.equal(maxRunning, 2);
    } finally {
      clearInterval(timer);
    }
  });
});
