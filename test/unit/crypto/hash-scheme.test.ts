// Tests the re-hash target (--hash-scheme): what hash() writes and what needsRehash() asks
// to rewrite for argon2id, yescrypt and sha512crypt, that every target's hashes verify, and
// the daemon option that selects it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Argon2Parameters } from "../../../src/crypto/argon2-hasher";
import { cryptPassphrase } from "../../../src/crypto/legacy-crypt";
import { createPasswordHasher, type HashTarget } from "../../../src/crypto/pam-password-hasher";
import { ConfigError, loadConfig } from "../../../src/daemon/config";

const CHEAP: Argon2Parameters = { memoryCost: 256, timeCost: 1, parallelism: 1 };
const pw = (text: string): Buffer => Buffer.from(text, "utf8");

const OTHER_HASHES = {
  argon2id: "$argon2id$v=19$m=256,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$K3B6Bd0gV1aW/8K9mB2v1o7rP4h2f1QaS0ZZ3xw3u1E",
  argon2idOtherCost: "$argon2id$v=19$m=512,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$K3B6Bd0gV1aW/8K9mB2v1o7rP4h2f1QaS0ZZ3xw3u1E",
  yescrypt: "$y$j9T$.......$B9odMQM/B2QLVLHfsJEC5lAgv3j/JVoUzO6rSxbqEDA",
  yescryptOtherCost: "$y$j75$.......$B9odMQM/B2QLVLHfsJEC5lAgv3j/JVoUzO6rSxbqEDA",
  sha512crypt: "$6$saltstring$6supY5aNDQVvBGYV4FvM00TPOhNTmySH0kzOVRhxfSAv/0e.9HhbrE/nCxhRiNLaSzDBasxYQX.YrmLmIoQB0/",
  sha512cryptRounds: "$6$rounds=1000$saltstring$6supY5aNDQVvBGYV4FvM00TPOhNTmySH0kzOVRhxfSAv/0e.9HhbrE/nCxhRiNLaSzDBasxYQX.YrmLmIoQB0/",
  md5crypt: "$1$CCCCCCCC$gw92IW7tqCd0lx8RLT6Xd0",
  descrypt: "CCHc6HsfCQ5t6",
  empty: "",
} as const;

const TARGETS: Array<{ scheme: HashTarget; written: RegExp; kept: Array<keyof typeof OTHER_HASHES> }> = [
  { scheme: "argon2id", written: /^\$argon2id\$v=19\$m=256,t=1,p=1\$[^$]+\$[^$]+$/, kept: ["argon2id"] },
  { scheme: "yescrypt", written: /^\$y\$j9T\$[^$]+\$[^$]+$/, kept: ["yescrypt"] },
  { scheme: "sha512crypt", written: /^\$6\$[^$r][^$]*\$[^$]+$/, kept: ["sha512crypt"] },
];

describe("the re-hash target", () => {
  for (const target of TARGETS) {
    it(`${target.scheme}: hash() writes ${target.written.source}, verify() accepts it, and needsRehash() keeps only that method at that cost`, async () => {
      const hasher = createPasswordHasher({ argon2: CHEAP, scheme: target.scheme });
      const hash = await hasher.hash(pw("Target pw 1"));
      assert.match(hash, target.written);
      assert.equal(await hasher.verify(pw("Target pw 1"), hash, { nullok: false }), "match");
      assert.equal(await hasher.verify(pw("Target pw 2"), hash, { nullok: false }), "mismatch");
      assert.equal(hasher.needsRehash(hash), false, "its own hashes stay");
      const rewritten = Object.entries(OTHER_HASHES).flatMap(([name, stored]) => (hasher.needsRehash(stored) ? [name] : []));
      const expected = Object.keys(OTHER_HASHES).filter((name) => !(target.kept as string[]).includes(name));
      assert.deepEqual(rewritten, expected);
    });
  }

  it("a yescrypt or sha512crypt hash is what libxcrypt's crypt() computes again from its setting", async () => {
    for (const scheme of ["yescrypt", "sha512crypt"] as const) {
      const hash = await createPasswordHasher({ argon2: CHEAP, scheme }).hash(pw("libxcrypt check"));
      assert.equal(await cryptPassphrase(pw("libxcrypt check"), hash), hash, scheme);
    }
  });

  it("the dummy verification of a crypt(3) target runs and holds a hashing slot", async () => {
    const hasher = createPasswordHasher({ argon2: CHEAP, scheme: "yescrypt" });
    const running = hasher.dummyVerify(pw("nobody's password"));
    assert.equal(hasher.counters().running, 1);
    await running;
    assert.equal(hasher.counters().running, 0);
    assert.equal(await hasher.verify(pw("x"), "!", { nullok: false }), "mismatch");
  });
});

describe("--hash-scheme", () => {
  const cases: Array<{ name: string; argv: string[]; env?: Record<string, string>; expected: HashTarget | RegExp }> = [
    { name: "argon2id by default", argv: [], expected: "argon2id" },
    { name: "yescrypt from the flag", argv: ["--hash-scheme", "yescrypt"], expected: "yescrypt" },
    { name: "sha512crypt from the environment", argv: [], env: { SHADOWD_HASH_SCHEME: "sha512crypt" }, expected: "sha512crypt" },
    { name: "the flag over the environment", argv: ["--hash-scheme", "argon2id"], env: { SHADOWD_HASH_SCHEME: "yescrypt" }, expected: "argon2id" },
    { name: "an unknown scheme is refused", argv: ["--hash-scheme", "md5crypt"], expected: /--hash-scheme: "md5crypt" is not one of argon2id, yescrypt, sha512crypt/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const load = (): ReturnType<typeof loadConfig> => loadConfig(["--state-dir", "/tmp/x", ...c.argv], c.env ?? {});
      if (c.expected instanceof RegExp) {
        assert.throws(load, (error: unknown) => error instanceof ConfigError && (c.expected as RegExp).test(error.message));
        return;
      }
      const command = load();
      assert.equal(command.kind === "run" ? command.config.hashScheme : null, c.expected);
    });
  }
});
