// Tests domain/account.ts: which passwd fields send pam_unix 1.5.2 to the shadow entry
// (isShadowed), the hash it verifies against (effectiveHash), and hash classes.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { classifyHash, effectiveHash, isShadowed, type Account } from "../../../src/domain/account";

function account(passwdPassword: string, shadowHash: string | null = "$6$s$h"): Account {
  return {
    name: "alice",
    passwdPassword,
    uid: 1000,
    gid: 1000,
    gecos: "",
    home: "/home/alice",
    shell: "/bin/sh",
    shadow:
      shadowHash === null
        ? null
        : { hash: shadowHash, lastChange: 19_000, minDays: 0, maxDays: 99_999, warnDays: 7, inactiveDays: null, expireDate: null, flag: "" },
  };
}

describe("isShadowed (pam_unix 1.5.2 passverify.c: is_pwd_shadowed and get_account_info)", () => {
  const cases: Array<[string, string, boolean]> = [
    ["x is shadowed", "x", true],
    ["##<own name> is shadowed", "##alice", true],
    ["*NP* (the NIS+ marker) reads the shadow entry too", "*NP*", true],
    ["##<another name> is a hash, not shadowed", "##bob", false],
    ["an upper-case X is a hash", "X", false],
    ["x with a trailing space is a hash", "x ", false],
    ["*NP* with a trailing space is a hash", "*NP* ", false],
    ["a lower-case *np* is a hash", "*np*", false],
    ["an empty field is an empty hash", "", false],
    ["a real hash is the hash", "$6$s$h", false],
  ];
  for (const [name, field, shadowed] of cases) {
    it(name, () => assert.equal(isShadowed({ name: "alice", passwdPassword: field }), shadowed));
  }
});

describe("effectiveHash", () => {
  it("takes the shadow hash for *NP*, like x", () => {
    assert.equal(effectiveHash(account("*NP*", "$1$a$b")), "$1$a$b");
    assert.equal(effectiveHash(account("x", "$1$a$b")), "$1$a$b");
  });
  it("has no hash for a shadowed field without a shadow entry (PAM_AUTHINFO_UNAVAIL)", () => {
    assert.equal(effectiveHash(account("*NP*", null)), null);
  });
  it("takes the passwd field itself when it is not a shadow marker", () => {
    assert.equal(effectiveHash(account("*np*", "$1$a$b")), "*np*");
    assert.equal(classifyHash("*np*"), "unusable");
  });
});
