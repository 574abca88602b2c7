// Tests domain/names.ts and domain/limits.ts: the new-account and imported-name rules, the
// free-text field and hash rules, message quoting, and UTF-8 byte counting.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  quoteForMessage,
  validateFieldText,
  validateHashText,
  validateImportedAccountName,
  validateImportedFieldText,
  validateImportedHashText,
  validateNewAccountName,
} from "../../../src/domain/names";
import { MAX_HOME_BYTES, utf8ByteLength } from "../../../src/domain/limits";

describe("validateNewAccountName (useradd's default rule)", () => {
  const valid = ["alice", "_svc", "a", "bob-smith", "user_1", "host$", "a".repeat(32), "z9-_"];
  for (const name of valid) {
    it(`accepts ${JSON.stringify(name)}`, () => assert.equal(validateNewAccountName(name), null));
  }
  const invalid: Array<[string, string, RegExp]> = [
    ["an empty name", "", /is empty/],
    ["33 bytes", "a".repeat(33), /33 bytes; at most 32/],
    ["an upper-case letter", "Alice", /must start with a lower-case letter/],
    ["a leading digit", "1alice", /must start with/],
    ["a leading dash", "-alice", /must start with/],
    ["a dot", "a.b", /contain only a-z/],
    ["a $ in the middle", "a$b", /contain only/],
    ["two $", "a$$", /contain only/],
    ["a non-ASCII letter", "jürgen", /contain only/],
    ["a space", "a b", /contain only/],
    ["a trailing newline", "alice\n", /contain only/],
  ];
  for (const [label, name, reason] of invalid) {
    it(`rejects ${label}`, () => assert.match(validateNewAccountName(name) ?? "(accepted)", reason));
  }
});

describe("validateImportedAccountName (like useradd --badname)", () => {
  const valid = ["alice", "Alice.Smith", "jürgen", "日本", "a$", "1a", "a.", "..a", "a-", "user@example.com", "a".repeat(256)];
  for (const name of valid) {
    it(`accepts ${JSON.stringify(name.length > 20 ? `${name.slice(0, 8)}…` : name)}`, () => {
      assert.equal(validateImportedAccountName(name), null);
    });
  }
  const invalid: Array<[string, string, RegExp]> = [
    ["an empty name", "", /is empty/],
    ["257 bytes", "a".repeat(257), /257 bytes; at most 256/],
    ["129 two-byte characters (258 bytes)", "é".repeat(129), /258 bytes/],
    ["a colon", "a:b", /contains ":"/],
    ["a comma", "a,b", /contains ","/],
    ["a space", "a b", /contains white space/],
    ["a no-break space", "a\u00a0b", /contains white space/],
    ["an ideographic space", "a\u3000b", /contains white space/],
    ["a tab", "a\tb", /control character U\+0009/],
    ["a DEL", "a\u007fb", /control character U\+007F/],
    ["a C1 control", "a\u0085b", /control character U\+0085/],
    ["a NUL", "a\0b", /NUL byte/],
    ["a newline", "a\nb", /line break/],
    ["a leading dash", "-a", /starts with "-"/],
    ["a leading plus", "+a", /starts with "\+"/],
    ["a single dot", ".", /is not allowed/],
    ["two dots", "..", /is not allowed/],
    ["all digits", "1000", /all digits/],
    ["U+FFFD from invalid UTF-8", "a\uFFFDb", /not valid UTF-8/],
    ["a lone surrogate", "a\ud800b", /not valid UTF-8/],
    ["a byte order mark", "\uFEFFroot", /byte order mark/],
  ];
  for (const [label, name, reason] of invalid) {
    it(`rejects ${label}`, () => assert.match(validateImportedAccountName(name) ?? "(accepted)", reason));
  }
  it("accepts every name the new-account rule accepts, except all-digit ones (none)", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z_][a-z0-9_-]{0,30}[$]?$/), (name) => {
        assert.equal(validateNewAccountName(name), null);
        assert.equal(validateImportedAccountName(name), null);
      }),
      { seed: 5, numRuns: 1000 },
    );
  });
});

describe("validateFieldText", () => {
  const cases: Array<[string, string, number, RegExp | null]> = [
    ["accepts a normal home", "/home/alice", MAX_HOME_BYTES, null],
    ["accepts an empty value", "", 10, null],
    ["accepts commas and Unicode in a gecos", "Jürgen Müller,Room 1,,", 1024, null],
    ["rejects a colon", "/bin:/sh", 4096, /^the test field "\/bin:\/sh" contains ":" \(the field separator\)$/],
    ["rejects a newline", "a\nb", 4096, /^the test field contains a line break$/],
    ["rejects a carriage return", "/bin/sh\r", 4096, /carriage return/],
    ["rejects a NUL", "a\0", 4096, /NUL byte/],
    ["rejects an escape character", "a\u001b[31m", 4096, /control character U\+001B/],
    ["rejects a value over the limit, counting bytes", "é".repeat(6), 11, /^the test field is 12 bytes; at most 11 are allowed$/],
    ["accepts a value at the limit", "é".repeat(5) + "a", 11, null],
  ];
  for (const [name, value, max, reason] of cases) {
    it(name, () => {
      const problem = validateFieldText("test field", value, max);
      if (reason === null) assert.equal(problem, null);
      else assert.match(problem ?? "(accepted)", reason);
    });
  }
});

describe("validateImportedFieldText (what glibc keeps in gecos, home and shell)", () => {
  const cases: Array<[string, string, { colonAllowed?: boolean }, RegExp | null]> = [
    ["accepts a carriage return (Windows line endings)", "/bin/sh\r", {}, null],
    ["accepts a tab, an escape and a DEL", "a\tb\u001b[31m\u007f", {}, null],
    ["accepts a colon when allowed (the shell is the rest of the line)", "/sh:x:", { colonAllowed: true }, null],
    ["rejects a colon otherwise", "a:b", {}, /^the test field "a:b" contains ":" \(the field separator\)$/],
    ["rejects a newline even when a colon is allowed", "a\nb", { colonAllowed: true }, /^the test field contains a line break$/],
    ["rejects a NUL", "a\0", { colonAllowed: true }, /^the test field contains a NUL byte$/],
    ["rejects U+FFFD (invalid UTF-8)", "a\uFFFD", {}, /not valid UTF-8/],
    ["rejects a lone surrogate", "a\uD800", {}, /not valid UTF-8/],
    ["rejects a value over the limit, counting bytes", "é".repeat(6), {}, /^the test field is 12 bytes; at most 11 are allowed$/],
  ];
  for (const [name, value, options, reason] of cases) {
    it(name, () => {
      const problem = validateImportedFieldText("test field", value, 11, options);
      if (reason === null) assert.equal(problem, null);
      else assert.match(problem ?? "(accepted)", reason);
    });
  }
});

describe("validateImportedHashText (what glibc keeps in a password field)", () => {
  const cases: Array<[string, string, RegExp | null]> = [
    ["accepts a carriage return, which validateHashText refuses", "$6$s$h\r", null],
    ["accepts an x with a trailing space", "x ", null],
    ["accepts control characters", "\u0001\t\u007f", null],
    ["rejects a colon", "a:b", /^the password hash contains ":" \(the field separator\)$/],
    ["rejects a newline", "a\nb", /^the password hash contains a line break$/],
    ["rejects a NUL", "a\0b", /^the password hash contains a NUL byte$/],
    ["rejects U+FFFD", "a\uFFFD", /^the password hash is not valid UTF-8$/],
    ["rejects 1025 bytes", "a".repeat(1025), /1025 bytes; at most 1024/],
  ];
  for (const [name, hash, reason] of cases) {
    it(name, () => {
      const problem = validateImportedHashText(hash);
      if (reason === null) assert.equal(problem, null);
      else assert.match(problem ?? "(accepted)", reason);
    });
  }
  it("is validateHashText without its carriage-return rule", () => {
    assert.match(validateHashText("$6$s$h\r") ?? "(accepted)", /line break/);
  });
});

describe("validateHashText", () => {
  const cases: Array<[string, string, RegExp | null]> = [
    ["accepts a sha512crypt hash", "$6$salt$abc/def.", null],
    ["accepts an argon2id PHC string", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", null],
    ["accepts an empty hash", "", null],
    ["accepts lock markers", "!!", null],
    ["accepts white space, as glibc keeps it", "a b\tc", null],
    ["rejects a colon", "a:b", /contains ":"/],
    ["rejects a newline", "a\nb", /line break/],
    ["rejects a NUL", "a\0b", /NUL/],
    ["rejects 1025 bytes", "a".repeat(1025), /1025 bytes; at most 1024/],
    ["rejects U+FFFD", "a\uFFFD", /not valid UTF-8/],
  ];
  for (const [name, hash, reason] of cases) {
    it(name, () => {
      const problem = validateHashText(hash);
      if (reason === null) assert.equal(problem, null);
      else {
        assert.match(problem ?? "(accepted)", reason);
        assert.ok(hash.length < 8 || !(problem ?? "").includes(hash), "the reason must not quote the hash");
      }
    });
  }
});

describe("quoteForMessage", () => {
  const cases: Array<[string, string, string]> = [
    ["quotes plain text", "alice", '"alice"'],
    ["escapes control characters", "a\tb\r", '"a\\tb\\r"'],
    ["escapes C1 controls", "a\u0085", '"a\\u0085"'],
    ["cuts long text with an ellipsis", "x".repeat(60), `"${"x".repeat(48)}…"`],
    ["does not cut a surrogate pair", `${"x".repeat(47)}😀😀`, `"${"x".repeat(47)}😀…"`],
  ];
  for (const [name, value, quoted] of cases) {
    it(name, () => assert.equal(quoteForMessage(value), quoted));
  }
});

describe("utf8ByteLength", () => {
  it("agrees with Buffer.byteLength on well-formed text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (text) => {
        assert.equal(utf8ByteLength(text), Buffer.byteLength(text, "utf8"));
      }),
      { seed: 11, numRuns: 2000 },
    );
  });
  it("counts a lone surrogate as the 3 bytes of U+FFFD", () => {
    assert.equal(utf8ByteLength("\ud800"), 3);
    assert.equal(utf8ByteLength("a\udc00b"), 5);
  });
});
