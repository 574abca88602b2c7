// Tests the libxcrypt binding: every reference §3 example hash of "U*U", failure tokens,
// DES truncation, the 512-byte limit, crypt_gensalt_rn, and that crypt runs off the event loop.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  compareConstantTime,
  cryptPassphrase,
  generateCryptSetting,
  hashWithCrypt,
  verifyCryptHash,
} from "../../../src/crypto/legacy-crypt";

/** reference/unix-auth-semantics.md §3: every example is crypt("U*U", example) === example. */
const REFERENCE_EXAMPLES: ReadonlyArray<{ method: string; hash: string }> = [
  { method: "yescrypt", hash: "$y$j75$.......$B9odMQM/B2QLVLHfsJEC5lAgv3j/JVoUzO6rSxbqEDA" },
  { method: "gost-yescrypt", hash: "$gy$j75$.......$2MgfEFMXQDMiVz5FoADXDmZqUGbHk1ZowcjDCELt0tA" },
  { method: "scrypt", hash: "$7$66..../....SodiumChloride$eHW53P3AOnosAY12RWow37kj/pZSTnjAQiJ8d/eEQrB" },
  { method: "bcrypt $2b$", hash: "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW" },
  { method: "bcrypt $2y$", hash: "$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW" },
  { method: "bcrypt $2a$", hash: "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW" },
  {
    method: "sha512crypt",
    hash: "$6$rounds=1000$saltstring$6supY5aNDQVvBGYV4FvM00TPOhNTmySH0kzOVRhxfSAv/0e.9HhbrE/nCxhRiNLaSzDBasxYQX.YrmLmIoQB0/",
  },
  { method: "sha256crypt", hash: "$5$rounds=1000$saltstring$QTMEAJM8XtlGnH8mydl0lpvaoi8Tfx.zzYENctIj/S1" },
  { method: "sha1crypt", hash: "$sha1$12$GGXpNqoJvglVTkGU$20wfOdRz0K3r0xM7AqRJussRjGDk" },
  { method: "SunMD5", hash: "$md5$9ZLwtuTO$c5LDCIVsF6DEQ5.xab0MC/" },
  { method: "md5crypt", hash: "$1$CCCCCCCC$gw92IW7tqCd0lx8RLT6Xd0" },
  { method: "NT hash", hash: "$3$$ceb4a53eab759a7b5da77a864c89969f" },
  { method: "bsdicrypt", hash: "_/...CCCCCGHlkLDPnfs" },
  { method: "descrypt", hash: "CCHc6HsfCQ5t6" },
];

const pw = (text: string): Buffer => Buffer.from(text, "utf8");

describe("cryptPassphrase and verifyCryptHash on the reference examples", () => {
  for (const example of REFERENCE_EXAMPLES) {
    it(`${example.method}: crypt("U*U") reproduces the example`, async () => {
      assert.equal(await cryptPassphrase(pw("U*U"), example.hash), example.hash);
      assert.equal(await verifyCryptHash(pw("U*U"), example.hash), true);
    });
    it(`${example.method}: a wrong password does not verify`, async () => {
      assert.equal(await verifyCryptHash(pw("U*V"), example.hash), false);
    });
  }
});

describe("cryptPassphrase failures", () => {
  const cases: Array<{ name: string; setting: string; password?: Buffer }> = [
    { name: "an unknown method gives null", setting: "$9$abc" },
    { name: "a literal x gives null (not a DES salt)", setting: "x" },
    { name: "an empty setting gives null", setting: "" },
    { name: "a setting with `;` gives null", setting: "$1$ab;cd$" },
    { name: "a setting with a space gives null", setting: "$6$ab cd$" },
    { name: "a 512-byte passphrase gives null", setting: "$6$saltstring$", password: Buffer.alloc(512, 0x61) },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      assert.equal(await cryptPassphrase(c.password ?? pw("U*U"), c.setting), null);
    });
  }

  it("a 511-byte passphrase is hashed", async () => {
    const result = await cryptPassphrase(Buffer.alloc(511, 0x61), "$6$saltstring$");
    assert.match(result ?? "", /^\$6\$saltstring\$[./0-9A-Za-z]{86}$/);
  });
});

describe("DES uses only the first 8 bytes", () => {
  const cases = [
    { name: "exactly 8 bytes verify", password: "Secret12", expected: true },
    { name: "the 9-byte original verifies", password: "Secret123", expected: true },
    { name: "8 bytes plus a long suffix verify", password: "Secret12-anything-at-all", expected: true },
    { name: "7 bytes do not verify", password: "Secret1", expected: false },
    { name: "a different 8th byte does not verify", password: "Secret13", expected: false },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      assert.equal(await verifyCryptHash(pw(c.password), "gtIFFZL6CZjGI"), c.expected);
    });
  }
});

describe("passwords are bytes", () => {
  it("non-UTF-8 bytes reach libxcrypt untouched", async () => {
    const latin1 = Buffer.from([0x70, 0xe4, 0x73, 0x73]);
    const utf8 = Buffer.from("päss", "utf8");
    const hash = await cryptPassphrase(latin1, "$6$saltstring$");
    assert.ok(hash !== null);
    assert.equal(await verifyCryptHash(latin1, hash), true);
    assert.equal(await verifyCryptHash(utf8, hash), false);
  });
});

describe("compareConstantTime", () => {
  const cases = [
    { name: "equal strings are equal", a: "$1$abc", b: "$1$abc", expected: true },
    { name: "a different byte is a mismatch", a: "$1$abc", b: "$1$abd", expected: false },
    { name: "a different length is a mismatch", a: "$1$abc", b: "$1$abcd", expected: false },
    { name: "two empty strings are equal", a: "", b: "", expected: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(compareConstantTime(c.a, c.b), c.expected);
    });
  }
});

describe("generateCryptSetting and hashWithCrypt", () => {
  const cases = [
    { name: "yescrypt at the default cost", prefix: "$y$", count: 0, pattern: /^\$y\$j9T\$[./0-9A-Za-z]{22}$/ },
    { name: "yescrypt at cost 3", prefix: "$y$", count: 3, pattern: /^\$y\$j7T\$[./0-9A-Za-z]{22}$/ },
    { name: "sha512crypt at the default rounds", prefix: "$6$", count: 0, pattern: /^\$6\$[./0-9A-Za-z]{16}$/ },
    { name: "sha512crypt with 10000 rounds", prefix: "$6$", count: 10000, pattern: /^\$6\$rounds=10000\$[./0-9A-Za-z]{16}$/ },
  ];
  for (const c of cases) {
    it(`${c.name} gives a well-formed setting`, () => {
      assert.match(generateCryptSetting(c.prefix, { count: c.count }) ?? "", c.pattern);
    });
  }

  it("two settings differ (random salt)", () => {
    assert.notEqual(generateCryptSetting("$y$"), generateCryptSetting("$y$"));
  });

  it("given random bytes give a reproducible setting", () => {
    const randomBytes = Buffer.alloc(16, 7);
    assert.equal(generateCryptSetting("$6$", { randomBytes }), generateCryptSetting("$6$", { randomBytes }));
  });

  it("an unknown prefix gives null", () => {
    assert.equal(generateCryptSetting("$9$"), null);
  });

  it("hashWithCrypt makes a yescrypt hash that verifies", async () => {
    const hash = await hashWithCrypt(pw("Secret123"), "$y$");
    assert.match(hash ?? "", /^\$y\$j9T\$[./0-9A-Za-z]{22}\$[./0-9A-Za-z]{43}$/);
    assert.equal(await verifyCryptHash(pw("Secret123"), hash ?? ""), true);
    assert.equal(await verifyCryptHash(pw("Secret124"), hash ?? ""), false);
  });
});

describe("crypt runs off the event loop", () => {
  it("a timer keeps firing while 20 slow yescrypt computations are in flight", async () => {
    // yescrypt at its default cost takes tens of milliseconds. Were crypt run on the main
    // thread, no timer callback could run until every computation had finished.
    const setting = generateCryptSetting("$y$");
    assert.ok(setting !== null);
    let pending = 20;
    let ticksWhilePending = 0;
    const timer = setInterval(() => {
      if (pending > 0) ticksWhilePending += 1;
    }, 1);
    try {
      const started = Date.now();
      const results = await Promise.all(
        Array.from({ length: 20 }, async () => {
          const result = await cryptPassphrase(pw("U*U"), setting);
          pending -= 1;
          return result;
        }),
      );
      const elapsed = Date.now() - started;
      for (const result of results) assert.match(result ?? "", /^\$y\$j9T\$/);
      assert.ok(elapsed >= 20, `the computations took ${elapsed} ms, too fast to observe timers`);
      assert.ok(ticksWhilePending >= 5, `only ${ticksWhilePending} timer ticks in ${elapsed} ms`);
    } finally {
      clearInterval(timer);
    }
  });
});
