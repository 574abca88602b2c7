// Tests argon2id PHC handling: the reference parameter order on output, strict parsing in
// any m/t/p order, verification both ways, needsRehash and the dummy hash.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as argon2 from "argon2";
import {
  needsArgon2Rehash,
  createDummyArgon2Phc,
  formatArgon2Phc,
  hashArgon2id,
  parseArgon2Phc,
  validateArgon2Parameters,
  verifyArgon2Phc,
  type Argon2Parameters,
} from "../../../src/crypto/argon2-hasher";

const CHEAP: Argon2Parameters = { memoryCost: 1024, timeCost: 2, parallelism: 1 };
const pw = (text: string): Buffer => Buffer.from(text, "utf8");
const B64 = "[A-Za-z0-9+/]";

/** Rewrite a reference-order PHC string with its parameters in the order given. */
function reorder(hash: string, order: ReadonlyArray<"m" | "t" | "p">): string {
  return hash.replace(/\$m=(\d+),t=(\d+),p=(\d+)\$/, (_all, m: string, t: string, p: string) => {
    const values: Record<"m" | "t" | "p", string> = { m, t, p };
    return `$${order.map((key) => `${key}=${values[key]}`).join(",")}$`;
  });
}

describe("hashArgon2id", () => {
  it("writes argon2id v=19 with m, t, p in the reference order", async () => {
    const hash = await hashArgon2id(pw("U*U"), CHEAP);
    assert.match(hash, new RegExp(`^\\$argon2id\\$v=19\\$m=1024,t=2,p=1\\$${B64}{22}\\$${B64}{43}$`));
  });

  it("uses a fresh salt each time", async () => {
    assert.notEqual(await hashArgon2id(pw("U*U"), CHEAP), await hashArgon2id(pw("U*U"), CHEAP));
  });

  it("is readable by the argon2 package's own verify", async () => {
    const hash = await hashArgon2id(pw("U*U"), CHEAP);
    assert.equal(await argon2.verify(hash, pw("U*U")), true);
  });
});

describe("verifyArgon2Phc in every parameter order", () => {
  const orders: ReadonlyArray<ReadonlyArray<"m" | "t" | "p">> = [
    ["m", "t", "p"],
    ["m", "p", "t"],
    ["t", "m", "p"],
    ["p", "t", "m"],
  ];
  for (const order of orders) {
    it(`a hash written ${order.join(",")} verifies the right password and refuses a wrong one`, async () => {
      const hash = reorder(await hashArgon2id(pw("U*U"), CHEAP), order);
      assert.ok(hash.includes(`$${order[0]}=`));
      const phc = parseArgon2Phc(hash);
      assert.ok(phc !== null);
      assert.equal(await verifyArgon2Phc(pw("U*U"), phc), true);
      assert.equal(await verifyArgon2Phc(pw("U*V"), phc), false);
    });
  }

  it("a hash the argon2 package wrote itself verifies", async () => {
    const hash = await argon2.hash(pw("U*U"), { type: argon2.argon2i, memoryCost: 1024, timeCost: 1, parallelism: 2 });
    const phc = parseArgon2Phc(hash);
    assert.ok(phc !== null);
    assert.equal(phc.variant, "argon2i");
    assert.equal(await verifyArgon2Phc(pw("U*U"), phc), true);
  });

  it("a version-less (v=16) argon2d hash verifies", async () => {
    const raw = await argon2.hash(pw("U*U"), {
      type: argon2.argon2d,
      version: 0x10,
      memoryCost: 64,
      timeCost: 1,
      parallelism: 1,
      salt: Buffer.alloc(16, 1),
      raw: true,
    });
    const hash = `$argon2d$m=64,t=1,p=1$${Buffer.alloc(16, 1).toString("base64").replace(/=+$/, "")}$${raw.toString("base64").replace(/=+$/, "")}`;
    const phc = parseArgon2Phc(hash);
    assert.ok(phc !== null);
    assert.equal(phc.version, 0x10);
    assert.equal(await verifyArgon2Phc(pw("U*U"), phc), true);
    assert.equal(await verifyArgon2Phc(pw("U*V"), phc), false);
  });
});

describe("parseArgon2Phc", () => {
  const salt = "c2FsdHNhbHRzYWx0c2FsdA";
  const hash = "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
  const good = `$argon2id$v=19$m=1024,t=2,p=1$${salt}$${hash}`;
  const cases: Array<{ name: string; input: string; valid: boolean }> = [
    { name: "the reference form parses", input: good, valid: true },
    { name: "m,p,t order parses", input: `$argon2id$v=19$m=1024,p=1,t=2$${salt}$${hash}`, valid: true },
    { name: "a missing version parses (argon2 1.0)", input: `$argon2id$m=1024,t=2,p=1$${salt}$${hash}`, valid: true },
    { name: "version 18 is refused", input: `$argon2id$v=18$m=1024,t=2,p=1$${salt}$${hash}`, valid: false },
    { name: "a repeated parameter is refused", input: `$argon2id$v=19$m=1024,m=2,p=1$${salt}$${hash}`, valid: false },
    { name: "an unknown parameter is refused", input: `$argon2id$v=19$m=1024,t=2,x=1$${salt}$${hash}`, valid: false },
    { name: "a fourth parameter is refused", input: `$argon2id$v=19$m=1024,t=2,p=1,k=1$${salt}$${hash}`, valid: false },
    { name: "t=0 is refused", input: `$argon2id$v=19$m=1024,t=0,p=1$${salt}$${hash}`, valid: false },
    { name: "p=0 is refused", input: `$argon2id$v=19$m=1024,t=2,p=0$${salt}$${hash}`, valid: false },
    { name: "m below 8 per lane is refused", input: `$argon2id$v=19$m=15,t=2,p=2$${salt}$${hash}`, valid: false },
    { name: "a padded salt is refused", input: `$argon2id$v=19$m=1024,t=2,p=1$${salt}==$${hash}`, valid: false },
    { name: "a salt shorter than 8 bytes is refused", input: `$argon2id$v=19$m=1024,t=2,p=1$c2FsdA$${hash}`, valid: false },
    { name: "a missing hash is refused", input: `$argon2id$v=19$m=1024,t=2,p=1$${salt}`, valid: false },
    { name: "trailing text is refused", input: `${good}$x`, valid: false },
    { name: "argon2x is refused", input: good.replace("argon2id", "argon2x"), valid: false },
    { name: "a crypt hash is refused", input: "$6$saltstring$abc", valid: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(parseArgon2Phc(c.input) !== null, c.valid);
    });
  }

  it("formatArgon2Phc writes any parsed order back in the reference order", () => {
    const phc = parseArgon2Phc(`$argon2id$v=19$p=1,m=1024,t=2$${salt}$${hash}`);
    assert.ok(phc !== null);
    assert.equal(formatArgon2Phc(phc), good);
  });
});

describe("needsArgon2Rehash", () => {
  const salt = "c2FsdHNhbHRzYWx0c2FsdA";
  const hash = "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
  const params: Argon2Parameters = { memoryCost: 19456, timeCost: 2, parallelism: 1 };
  const cases: Array<{ name: string; stored: string; expected: boolean }> = [
    { name: "argon2id v=19 at exactly the configured parameters needs none", stored: `$argon2id$v=19$m=19456,t=2,p=1$${salt}$${hash}`, expected: false },
    { name: "the same parameters in m,p,t order need a re-write", stored: `$argon2id$v=19$m=19456,p=1,t=2$${salt}$${hash}`, expected: true },
    { name: "a smaller memory cost needs one", stored: `$argon2id$v=19$m=8192,t=2,p=1$${salt}$${hash}`, expected: true },
    { name: "a larger time cost needs one", stored: `$argon2id$v=19$m=19456,t=3,p=1$${salt}$${hash}`, expected: true },
    { name: "more lanes need one", stored: `$argon2id$v=19$m=19456,t=2,p=4$${salt}$${hash}`, expected: true },
    { name: "argon2id v=16 needs one", stored: `$argon2id$v=16$m=19456,t=2,p=1$${salt}$${hash}`, expected: true },
    { name: "argon2i at the same parameters needs one", stored: `$argon2i$v=19$m=19456,t=2,p=1$${salt}$${hash}`, expected: true },
    { name: "argon2d at the same parameters needs one", stored: `$argon2d$v=19$m=19456,t=2,p=1$${salt}$${hash}`, expected: true },
    { name: "yescrypt needs one", stored: "$y$j9T$L97gi4QRHIYXHozJ9b6WD/$YG03PffZQCOoAkJJSkZLNhkbL4A4G7HagtQRFbE2ZHC", expected: true },
    { name: "sha512crypt needs one", stored: "$6$saltstring$abc", expected: true },
    { name: "DES needs one", stored: "gtIFFZL6CZjGI", expected: true },
    { name: "a `!`-locked argon2id hash needs one", stored: `!$argon2id$v=19$m=19456,t=2,p=1$${salt}$${hash}`, expected: true },
    { name: "the empty hash needs one", stored: "", expected: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(needsArgon2Rehash(c.stored, params), c.expected);
    });
  }
});

describe("createDummyArgon2Phc", () => {
  it("has the configured parameters and a fresh salt each time", () => {
    const a = createDummyArgon2Phc(CHEAP);
    const b = createDummyArgon2Phc(CHEAP);
    assert.equal(needsArgon2Rehash(formatArgon2Phc(a), CHEAP), false);
    assert.notDeepEqual(a.salt, b.salt);
  });

  it("never matches a password", async () => {
    assert.equal(await verifyArgon2Phc(pw(""), createDummyArgon2Phc(CHEAP)), false);
  });
});

describe("validateArgon2Parameters", () => {
  const cases: Array<{ name: string; params: Argon2Parameters; valid: boolean }> = [
    { name: "the defaults are valid", params: { memoryCost: 19456, timeCost: 2, parallelism: 1 }, valid: true },
    { name: "8 KiB per lane is valid", params: { memoryCost: 32, timeCost: 1, parallelism: 4 }, valid: true },
    { name: "less than 8 KiB per lane is refused", params: { memoryCost: 31, timeCost: 1, parallelism: 4 }, valid: false },
    { name: "zero passes are refused", params: { memoryCost: 1024, timeCost: 0, parallelism: 1 }, valid: false },
    { name: "a fractional memory cost is refused", params: { memoryCost: 1024.5, timeCost: 1, parallelism: 1 }, valid: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      if (c.valid) assert.doesNotThrow(() => validateArgon2Parameters(c.params));
      else assert.throws(() => validateArgon2Parameters(c.params), RangeError);
    });
  }
});
