// Tests domain/shadow-format.ts: shadow and passwd line parsing with their reasons, the import
// policy, whole-text and streaming readers, the byte line splitter, writing lines back and
// joining the two files. (Agreement with the real glibc: shadow-glibc.test.ts.)
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { ShadowFields } from "../../../src/domain/account";
import {
  classifyPasswdLine,
  classifyShadowLine,
  createLineSplitter,
  createShadowLineReader,
  formatPasswdLine,
  formatShadowLine,
  joinAccounts,
  parsePasswdLine,
  parsePasswdText,
  parseShadowLine,
  parseShadowText,
  splitTextLines,
  validatePasswdEntry,
  validateShadowFields,
  type PasswdEntry,
} from "../../../src/domain/shadow-format";

function fields(partial: Partial<ShadowFields>): ShadowFields {
  return {
    hash: "h",
    lastChange: null,
    minDays: null,
    maxDays: null,
    warnDays: null,
    inactiveDays: null,
    expireDate: null,
    flag: "",
    ...partial,
  };
}

describe("parseShadowLine accepts", () => {
  const cases: Array<[string, string, string, ShadowFields]> = [
    ["a 9-field line", "alice:$6$s$h:19000:0:99999:7:::", "alice", fields({ hash: "$6$s$h", lastChange: 19_000, minDays: 0, maxDays: 99_999, warnDays: 7 })],
    ["every field set", "u:h:1:2:3:4:5:6:7", "u", fields({ lastChange: 1, minDays: 2, maxDays: 3, warnDays: 4, inactiveDays: 5, expireDate: 6, flag: "7" })],
    ["8 fields with an expire date", "u:h:1:2:3:4:5:6", "u", fields({ lastChange: 1, minDays: 2, maxDays: 3, warnDays: 4, inactiveDays: 5, expireDate: 6 })],
    ["the old 5-field form", "u:h:1:0:30", "u", fields({ lastChange: 1, minDays: 0, maxDays: 30 })],
    ["the 5-field form with a trailing colon", "u:h:1:0:30:", "u", fields({ lastChange: 1, minDays: 0, maxDays: 30 })],
    ["the 5-field form with a colon and white space", "u:h:1:0:30: \t", "u", fields({ lastChange: 1, minDays: 0, maxDays: 30 })],
    ["empty numbers as null, never -1", "u:h:::::::", "u", fields({})],
    ["an empty hash", "u::1::::::", "u", fields({ hash: "", lastChange: 1 })],
    ["white space inside the hash, kept", "u: p :1::::::", "u", fields({ hash: " p ", lastChange: 1 })],
    ["4294967295 as -1 (the same as glibc's empty)", "u:h:4294967295::::::", "u", fields({ lastChange: -1 })],
    ["2147483648 wrapped to -2147483648", "u:h::::::2147483648:", "u", fields({ expireDate: -2_147_483_648 })],
    ["2147483647 as itself", "u:h::2147483647:::::", "u", fields({ minDays: 2_147_483_647 })],
    ["-0 as 0", "u:h:::-0::::", "u", fields({ maxDays: 0 })],
    ["a leading plus sign", "u:h:+30::::::", "u", fields({ lastChange: 30 })],
    ["leading white space before a number", "u:h:::: 5:::", "u", fields({ warnDays: 5 })],
    ["leading zeros as decimal", "u:h:010::::::", "u", fields({ lastChange: 10 })],
    ["a warn field of white space only (glibc skips it)", "u:h:1:2:3:   :::", "u", fields({ lastChange: 1, minDays: 2, maxDays: 3 })],
    ["a flag kept verbatim", "u:h:::::::+05", "u", fields({ flag: "+05" })],
    ["a flag of 4294967295", "u:h:::::::4294967295", "u", fields({ flag: "4294967295" })],
    ["an empty name (the import policy refuses it later)", ":h:1:0:30", "", fields({ lastChange: 1, minDays: 0, maxDays: 30 })],
    ["text after a newline ignored", "u:h:1:0:30\ngarbage", "u", fields({ lastChange: 1, minDays: 0, maxDays: 30 })],
  ];
  for (const [name, line, user, expected] of cases) {
    it(name, () => {
      const parsed = parseShadowLine(line);
      assert.deepEqual(parsed, { ok: true, entry: { name: user, fields: expected } });
    });
  }
});

describe("parseShadowLine rejects with a clear reason", () => {
  const cases: Array<[string, string, RegExp]> = [
    ["a name alone", "alice", /^1 field; a shadow line has 9 fields \(or 8, or the old 5\)$/],
    ["2 fields", "u:h", /^2 fields; a shadow line has 9/],
    ["3 fields", "u:h:1", /^3 fields;/],
    ["4 fields", "u:h:1:2", /^4 fields;/],
    ["6 fields", "u:h:1:2:3:4", /^6 fields;/],
    ["7 fields", "u:h:1:2:3:4:5", /^7 fields;/],
    ["10 fields", "u:h:1:0:99999:7::::extra", /^10 fields;/],
    ["12 fields, all empty but two", "u:h::::::::::", /^12 fields;/],
    ["5 fields ending in an empty max", "u:h:1:0:", /^5 fields with the 5th \(maximum days\) empty/],
    ["8 fields ending in an empty expire date", "u:h:1:0:30:7:1:", /^8 fields with the 8th \(expire date\) empty/],
    ["a non-numeric last change", "u:h:abc:0:99999:7:::", /^field 3 \(last change\) "abc" is not a number$/],
    ["a number followed by letters", "u:h:12abc:0:99999:7:::", /^field 3 \(last change\) "12abc" is not a number$/],
    ["a hexadecimal number", "u:h:1:0x10:99999:7:::", /^field 4 \(minimum days\) "0x10" is not a number$/],
    ["a max of 30x", "u:h:1:0:30x:7:::", /^field 5 \(maximum days\) "30x" is not a number$/],
    ["a trailing space after a number", "u:h:1:0:30 :7:::", /^field 5 \(maximum days\) "30 " has white space after the number$/],
    ["a trailing space after the old form's max", "u:h:1:0:30 ", /^field 5 \(maximum days\) "30 " has white space after/],
    ["-1", "u:h:1:0:99999:-1:::", /^field 6 \(warning days\) "-1" is negative; glibc rejects the whole line \(leave the field empty/],
    ["-5", "u:h:1:0:99999:7:-5::", /^field 7 \(inactive days\) "-5" is negative/],
    ["4294967296", "u:h:1:0:99999:7::4294967296:", /^field 8 \(expire date\) "4294967296" is larger than 4294967295$/],
    ["a twenty-digit number", "u:h:99999999999999999999::::::", /^field 3 \(last change\) "99999999999999999999" is larger than 4294967295$/],
    ["a bare sign", "u:h:+::::::", /^field 3 \(last change\) "\+" is not a number$/],
    ["a field of one space", "u:h: ::::::", /^field 3 \(last change\) " " is not a number$/],
    ["a CRLF line end", "u:h:1:0:99999:7:::\r", /^field 9 \(reserved flag\) "\\r" contains a carriage return \(Windows line endings\?\)$/],
    ["a CRLF after a number", "u:h:1:0:99999:7:::5\r", /ends with a carriage return/],
    ["a flag of -1", "u:h:1:0:99999:7:::-1", /^field 9 \(reserved flag\) "-1" is negative/],
    ["a flag of x", "u:h:1:0:99999:7:::x", /^field 9 \(reserved flag\) "x" is not a number$/],
    ["a flag with a trailing space", "u:h:1:0:99999:7:::5 ", /^field 9 \(reserved flag\) "5 " has white space after the number$/],
    ["a NIS +user line", "+alice", /^NIS compat entry "\+alice": "\+"\/"-" lines are not supported/],
    ["a NIS - line with fields", "-bob:x:1:0:30", /^NIS compat entry "-bob"/],
    ["a NUL byte", "u:h:1\0:0:30", /NUL byte/],
  ];
  for (const [name, line, reason] of cases) {
    it(name, () => {
      const parsed = parseShadowLine(line);
      assert.equal(parsed.ok, false, `expected a rejection of ${JSON.stringify(line)}`);
      if (!parsed.ok) assert.match(parsed.reason, reason);
    });
  }
  it("never puts the hash into a reason", () => {
    const parsed = parseShadowLine("u:$6$secretsalt$secrethash:abc:::::");
    assert.equal(parsed.ok, false);
    if (!parsed.ok) assert.doesNotMatch(parsed.reason, /secret/);
  });
});

describe("formatShadowLine", () => {
  const cases: Array<[string, ShadowFields, string]> = [
    ["writes 9 fields with empty numbers empty", fields({ hash: "$6$s$h", lastChange: 19_000, minDays: 0, maxDays: 99_999, warnDays: 7 }), "u:$6$s$h:19000:0:99999:7:::"],
    ["writes -1 as 4294967295", fields({ lastChange: -1 }), "u:h:4294967295::::::"],
    ["writes -2147483648 as 2147483648", fields({ expireDate: -2_147_483_648 }), "u:h::::::2147483648:"],
    ["keeps the flag verbatim", fields({ flag: " 7" }), "u:h::::::: 7"],
  ];
  for (const [name, input, line] of cases) {
    it(name, () => assert.equal(formatShadowLine("u", input), line));
  }
  it("round-trips any valid fields through parseShadowLine", () => {
    const number = fc.option(fc.integer({ min: -2_147_483_648, max: 2_147_483_647 }), { nil: null });
    const flag = fc.oneof(fc.constant(""), fc.nat({ max: 4_294_967_295 }).map(String), fc.constantFrom("+1", " 5", "-0", "007"));
    const hash = fc.stringMatching(/^[!*$./0-9A-Za-z ]{0,40}$/);
    fc.assert(
      fc.property(hash, number, number, number, number, number, number, flag, (h, a, b, c, d, e, f, g) => {
        const input: ShadowFields = { hash: h, lastChange: a, minDays: b, maxDays: c, warnDays: d, inactiveDays: e, expireDate: f, flag: g };
        assert.equal(validateShadowFields(input), null);
        assert.deepEqual(parseShadowLine(formatShadowLine("user", input)), { ok: true, entry: { name: "user", fields: input } });
      }),
      { seed: 1234, numRuns: 3000 },
    );
  });
  it("gives a line that parses to the same fields for every accepted line", () => {
    for (const line of ["u:h:1:0:30", "u:h:+5:-0:010:  :: 3:", "u:h:4294967295:2147483648:1:2:3:4", "u:h:::::::"]) {
      const parsed = parseShadowLine(line);
      assert.ok(parsed.ok, line);
      if (!parsed.ok) continue;
      assert.deepEqual(parseShadowLine(formatShadowLine(parsed.entry.name, parsed.entry.fields)), parsed);
    }
  });
});

describe("validateShadowFields", () => {
  const cases: Array<[string, Partial<ShadowFields>, RegExp | null]> = [
    ["accepts empty and 32-bit numbers", { lastChange: -1, maxDays: 2_147_483_647, expireDate: -2_147_483_648 }, null],
    ["refuses a number above 2147483647", { maxDays: 2_147_483_648 }, /maximum days 2147483648 is not a 32-bit day count/],
    ["refuses a fraction", { warnDays: 1.5 }, /warning days 1.5/],
    ["refuses a hash with a colon", { hash: "a:b" }, /password hash contains ":"/],
    ["refuses a hash with a newline", { hash: "a\nb" }, /password hash contains a line break/],
    ["accepts a hash with a carriage return or a tab, as glibc reads them", { hash: "$6$s$h\r\t" }, null],
    ["refuses a flag that is not a number", { flag: "x" }, /reserved flag/],
    ["refuses a flag with a colon", { flag: "1:2" }, /reserved flag contains ":"/],
  ];
  for (const [name, partial, reason] of cases) {
    it(name, () => {
      const problem = validateShadowFields(fields(partial));
      if (reason === null) assert.equal(problem, null);
      else assert.match(problem ?? "(null)", reason);
    });
  }
});

describe("parsePasswdLine", () => {
  it("reads the 7 fields", () => {
    assert.deepEqual(parsePasswdLine("alice:x:1000:100:Alice A.,,,:/home/alice:/bin/bash"), {
      ok: true,
      entry: { name: "alice", passwdPassword: "x", uid: 1000, gid: 100, gecos: "Alice A.,,,", home: "/home/alice", shell: "/bin/bash" },
    });
  });
  it("keeps empty gecos, home and shell", () => {
    assert.deepEqual(parsePasswdLine("u::0:0:::"), {
      ok: true,
      entry: { name: "u", passwdPassword: "", uid: 0, gid: 0, gecos: "", home: "", shell: "" },
    });
  });
  const accepted: Array<[string, string, Partial<PasswdEntry>]> = [
    ["uid and gid 4294967295, which glibc reads like any other id", "u:x:4294967295:4294967295:g:/h:/bin/sh", { uid: 4_294_967_295, gid: 4_294_967_295 }],
    ["a uid with a leading \"+\"", "u:x:+1000:2:g:/h:/bin/sh", { uid: 1000 }],
    ["a uid with leading white space (strtoul skips it)", "u:x: \t1000:2:g:/h:/bin/sh", { uid: 1000 }],
    ["a uid with leading zeros (decimal, not octal)", "u:x:0001000:010:g:/h:/bin/sh", { uid: 1000, gid: 10 }],
    ["a gid of -0", "u:x:1:-0:g:/h:/bin/sh", { gid: 0 }],
    ["4 fields: gecos, home and shell empty", "u:x:1:2", { gecos: "", home: "", shell: "" }],
    ["5 fields", "u:x:1:2:Gecos", { gecos: "Gecos", home: "", shell: "" }],
    ["6 fields", "u:x:1:2:g:/h", { home: "/h", shell: "" }],
    ["8 fields: the shell is the rest of the line", "u:x:1:2:g:/h:/bin/sh:extra", { shell: "/bin/sh:extra" }],
    ["a trailing colon, kept in the shell", "u:x:1:2:g:/h:/bin/sh:", { shell: "/bin/sh:" }],
    ["a carriage return at the end, kept in the shell", "u:x:1:2:g:/h:/bin/sh\r", { shell: "/bin/sh\r" }],
    ["white space kept in every string field", " u : x :1:2: g : /h : /bin/sh ", { name: " u ", passwdPassword: " x ", gecos: " g ", home: " /h ", shell: " /bin/sh " }],
    ["control characters kept in gecos and home", "u:x:1:2:a\tb\u0001:/h\u007f:/bin/sh", { gecos: "a\tb\u0001", home: "/h\u007f" }],
    ["a text cut at the first newline", "u:x:1:2:g:/h:/s\nrest", { shell: "/s" }],
  ];
  for (const [name, line, expected] of accepted) {
    it(`accepts ${name}`, () => {
      const base: PasswdEntry = { name: "u", passwdPassword: "x", uid: 1, gid: 2, gecos: "g", home: "/h", shell: "/bin/sh" };
      assert.deepEqual(parsePasswdLine(line), { ok: true, entry: { ...base, ...expected } });
    });
  }
  const rejected: Array<[string, string, RegExp]> = [
    ["a line without a gid", "u:x:1", /^3 fields; a passwd line has name:password:uid:gid, then optionally gecos, home and shell$/],
    ["a line with the name only", "u", /^1 field; a passwd line has name:password:uid:gid/],
    ["an empty uid", "u:x::1:::", /^field 3 \(uid\) is empty$/],
    ["an empty gid at the end of the line", "u:x:1:", /^field 4 \(gid\) is empty$/],
    ["a negative uid", "u:x:-1:1:::", /^field 3 \(uid\) "-1" is negative; glibc rejects the whole line$/],
    ["a uid with a trailing space", "u:x:1 :1:::", /^field 3 \(uid\) "1 " has white space after the number$/],
    ["a gid with a trailing space at the end of a 4-field line", "u:x:1:2 ", /^field 4 \(gid\) "2 " has white space after the number$/],
    ["a gid ending a 4-field CRLF line", "u:x:1:2\r", /^field 4 \(gid\) "2\\r" ends with a carriage return \(Windows line endings\?\)$/],
    ["a uid above 32 bits", "u:x:4294967296:1:::", /^field 3 \(uid\) "4294967296" is larger than 4294967295$/],
    ["a hexadecimal uid", "u:x:0x10:1:::", /^field 3 \(uid\) "0x10" is not a number$/],
    ["a sign without digits", "u:x:+:1:::", /^field 3 \(uid\) "\+" is not a number$/],
    ["a non-numeric gid", "u:x:1:users:::", /^field 4 \(gid\) "users" is not a number$/],
    ["a NUL byte", "u:x:1:2:g\0:/h:/s", /^the line contains a NUL byte$/],
    ["a NIS + line", "+", /^NIS compat entry "\+"/],
    ["a NIS +@netgroup line", "+@staff::::::", /^NIS compat entry/],
    ["a NIS - line", "-bob:x:1:2:::", /^NIS compat entry "-bob"/],
  ];
  for (const [name, line, reason] of rejected) {
    it(`rejects ${name}`, () => {
      const parsed = parsePasswdLine(line);
      assert.equal(parsed.ok, false);
      if (!parsed.ok) assert.match(parsed.reason, reason);
    });
  }
});

describe("formatPasswdLine", () => {
  it("writes the line parsePasswdLine reads back", () => {
    const entry: PasswdEntry = { name: "bob", passwdPassword: "x", uid: 1001, gid: 1001, gecos: "Bob,,,", home: "/home/bob", shell: "/bin/sh" };
    assert.equal(formatPasswdLine(entry), "bob:x:1001:1001:Bob,,,:/home/bob:/bin/sh");
    assert.deepEqual(parsePasswdLine(formatPasswdLine(entry)), { ok: true, entry });
  });
  it("round-trips every entry an import accepts (parse(format(x)) equals x)", () => {
    const field = (alphabet: string[]): fc.Arbitrary<string> => fc.array(fc.constantFrom(...alphabet), { maxLength: 8 }).map((parts) => parts.join(""));
    const text = ["a", " ", "\t", "\r", "\u0001", "\u007f", ",", "é", "日", "🦊", "/", "#", "+", "-", "0"];
    const entry: fc.Arbitrary<PasswdEntry> = fc.record({
      name: fc.constantFrom("alice", "b.o_b$", "zoë", "user-1"),
      passwdPassword: field([...text, "x", "$", "!", "*"]),
      uid: fc.integer({ min: 0, max: 4_294_967_295 }),
      gid: fc.integer({ min: 0, max: 4_294_967_295 }),
      gecos: field(text),
      home: field(text),
      shell: field([...text, ":"]),
    }).map((value) => ({ ...value }));
    fc.assert(
      fc.property(entry, (value) => {
        assert.equal(validatePasswdEntry(value), null);
        assert.deepEqual(parsePasswdLine(formatPasswdLine(value)), { ok: true, entry: value });
        const classified = classifyPasswdLine(formatPasswdLine(value));
        assert.deepEqual(classified, { ok: true, entry: value });
      }),
      { seed: 7, numRuns: 2000 },
    );
  });
});

describe("validatePasswdEntry", () => {
  const base: PasswdEntry = { name: "alice", passwdPassword: "x", uid: 1000, gid: 1000, gecos: "", home: "/h", shell: "/bin/sh" };
  const cases: Array<[string, Partial<PasswdEntry>, RegExp | null]> = [
    ["accepts uid 4294967295", { uid: 4_294_967_295 }, null],
    ["accepts a shell with a colon and a carriage return", { shell: "/bin/sh:x\r" }, null],
    ["refuses a colon in the gecos", { gecos: "a:b" }, /gecos field "a:b" contains ":"/],
    ["refuses a colon in the password field", { passwdPassword: "x:y" }, /password hash contains ":"/],
    ["refuses a newline in the shell", { shell: "/bin/sh\n" }, /login shell contains a line break/],
    ["refuses a uid above 32 bits", { uid: 4_294_967_296 }, /uid 4294967296 is not in 0\.\.4294967295/],
    ["refuses a negative gid", { gid: -1 }, /gid -1 is not in/],
    ["refuses a bad name", { name: "a b" }, /contains white space/],
  ];
  for (const [name, partial, reason] of cases) {
    it(name, () => {
      const problem = validatePasswdEntry({ ...base, ...partial });
      if (reason === null) assert.equal(problem, null);
      else assert.match(problem ?? "(null)", reason);
    });
  }
});

describe("classifyShadowLine and classifyPasswdLine (import policy)", () => {
  const shadowCases: Array<[string, string, "skip" | "ok" | RegExp]> = [
    ["skips a comment", "# comment", "skip"],
    ["skips an indented comment", "  \t# comment", "skip"],
    ["skips a blank line", "", "skip"],
    ["skips a line of white space and \\r", " \t\r", "skip"],
    ["strips leading white space like glibc", "  alice:h:1:0:30", "ok"],
    ["refuses an invalid name", "a b:h:1:0:30", /user name "a b" contains white space/],
    ["refuses an all-digit name", "1234:h:1:0:30", /all digits/],
    ["refuses an empty name", ":h:1:0:30", /user name is empty/],
    ["refuses U+FFFD (invalid UTF-8)", "al\uFFFDce:h:1:0:30", /the line is not valid UTF-8/],
    ["refuses a NUL byte", "alice:h\0:1:0:30", /NUL byte/],
    ["refuses a hash over 1024 bytes", `alice:${"a".repeat(1025)}:1:0:30`, /password hash is 1025 bytes; at most 1024/],
    ["refuses a line over 65536 bytes", `alice:h:1:0:30:::::${"1".repeat(70_000)}`, /the line is longer than 65536 bytes/],
    ["refuses a name over 256 bytes", `${"a".repeat(257)}:h:1:0:30`, /user name is 257 bytes; at most 256/],
    ["passes glibc's reason through", "alice:h:1:0:30:7", /^6 fields/],
    ["accepts a carriage return inside the hash, as glibc does (it never verifies)", "alice:$6$s$h\r:1:0:30", "ok"],
  ];
  for (const [name, line, expected] of shadowCases) {
    it(`shadow: ${name}`, () => {
      const verdict = classifyShadowLine(line);
      if (expected === "skip") assert.deepEqual(verdict, { skip: true });
      else if (expected === "ok") assert.equal("ok" in verdict && verdict.ok, true);
      else {
        assert.ok("ok" in verdict && !verdict.ok, `expected a problem for ${JSON.stringify(line.slice(0, 40))}`);
        if ("ok" in verdict && !verdict.ok) assert.match(verdict.reason, expected);
      }
    });
  }
  const passwdCases: Array<[string, string, "skip" | "ok" | RegExp]> = [
    ["accepts a normal line", "alice:x:1000:1000:Alice:/home/alice:/bin/bash", "ok"],
    ["accepts a hash in the password field", "alice:$6$s$h:1000:1000::/:/bin/sh", "ok"],
    ["skips a comment", "#alice:x:1:1:::", "skip"],
    ["accepts a CRLF line, keeping the \\r in the shell (glibc and pam_unix do)", "alice:x:1000:1000::/home/alice:/bin/sh\r", "ok"],
    ["accepts a tab in the gecos", "alice:x:1:1:A\tB:/h:/bin/sh", "ok"],
    ["accepts a shell holding a colon", "alice:x:1:1::/h:/bin/sh:extra", "ok"],
    ["accepts a 4-field line", "alice:x:1000:1000", "ok"],
    ["accepts uid 4294967295", "alice:x:4294967295:1000:::", "ok"],
    ["accepts an x with a trailing space (a hash, not shadowed)", "alice:x :1000:1000:::", "ok"],
    ["accepts a carriage return in the password field", "alice:x\r:1000:1000:::", "ok"],
    ["refuses a password field over 1024 bytes", `alice:${"a".repeat(1025)}:1:1:::`, /password hash is 1025 bytes; at most 1024/],
    ["refuses a gecos over 1024 bytes", `alice:x:1:1:${"g".repeat(1025)}::`, /gecos field is 1025 bytes; at most 1024/],
    ["refuses a shell over 4096 bytes", `alice:x:1:1::/h:/${"s:".repeat(2048)}`, /login shell is 4097 bytes; at most 4096/],
    ["refuses invalid UTF-8 in the shell", "alice:x:1:1::/h:/bin/\uFFFD", /the line is not valid UTF-8/],
    ["refuses a NUL in the gecos", "alice:x:1:1:a\0b:/h:/bin/sh", /NUL byte/],
    ["refuses an all-digit name", "1234:x:1:1:::", /all digits/],
    ["refuses a name with white space inside", "al ice:x:1:1:::", /contains white space/],
    ["strips leading white space before the name, as glibc does", " \talice:x:1:1:::", "ok"],
    ["refuses a long home", `alice:x:1:1::/${"h".repeat(4096)}:/bin/sh`, /home directory is 4097 bytes; at most 4096/],
    ["refuses a name starting with -", "-alice:x:1:1:::", /NIS compat entry/],
    ["refuses a name with a comma", "al,ice:x:1:1:::", /contains ","/],
  ];
  for (const [name, line, expected] of passwdCases) {
    it(`passwd: ${name}`, () => {
      const verdict = classifyPasswdLine(line);
      if (expected === "skip") assert.deepEqual(verdict, { skip: true });
      else if (expected === "ok") assert.equal("ok" in verdict && verdict.ok, true);
      else {
        assert.ok("ok" in verdict && !verdict.ok, `expected a problem for ${JSON.stringify(line.slice(0, 40))}`);
        if ("ok" in verdict && !verdict.ok) assert.match(verdict.reason, expected);
      }
    });
  }
});

describe("parseShadowText and parsePasswdText", () => {
  it("numbers lines from 1, keeps the raw text and lists problems by line", () => {
    const text = ["# shadow", "alice:$6$s$h:19000:0:99999:7:::", "bob:!:19000", "", "  carol:*:19000:0:30", "+"].join("\n");
    const parsed = parseShadowText(`${text}\n`);
    assert.deepEqual(
      parsed.entries.map(({ line, text: raw, entry }) => [line, raw, entry.name]),
      [
        [2, "alice:$6$s$h:19000:0:99999:7:::", "alice"],
        [5, "  carol:*:19000:0:30", "carol"],
      ],
    );
    assert.deepEqual(parsed.problems, [
      { line: 3, name: "bob", reason: "3 fields; a shadow line has 9 fields (or 8, or the old 5)" },
      { line: 6, name: "+", reason: 'NIS compat entry "+": "+"/"-" lines are not supported; list the account itself' },
    ]);
  });
  it("keeps the first line for a name and reports the second as a duplicate", () => {
    const parsed = parseShadowText("alice:h:1:0:30\nbob:h:1:0:30\nalice:h:2:0:30\n");
    assert.deepEqual(parsed.entries.map(({ entry }) => [entry.name, entry.fields.lastChange]), [["alice", 1], ["bob", 1]]);
    assert.deepEqual(parsed.problems, [{ line: 3, name: "alice", reason: 'duplicate shadow entry for "alice": line 1 is the one used' }]);
  });
  it("lets a valid line win over an earlier invalid one for the same name, as getspnam does", () => {
    const parsed = parseShadowText("alice:h:-1:0:30\nalice:h:2:0:30\n");
    assert.deepEqual(parsed.entries.map(({ line, entry }) => [line, entry.fields.lastChange]), [[2, 2]]);
    assert.equal(parsed.problems.length, 1);
    assert.match(parsed.problems[0]?.reason ?? "", /negative/);
  });
  it("reports passwd duplicates", () => {
    const parsed = parsePasswdText("a:x:1:1:::\na:x:2:2:::\n");
    assert.deepEqual(parsed.problems, [{ line: 2, name: "a", reason: 'duplicate passwd entry for "a": line 1 is the one used' }]);
  });
  it("reads the last line without a final newline", () => {
    assert.deepEqual(parsePasswdText("a:x:1:1:::\nb:x:2:2:::").entries.map(({ entry }) => entry.name), ["a", "b"]);
  });
  it("returns nothing for an empty text", () => {
    assert.deepEqual(parseShadowText(""), { entries: [], problems: [] });
  });
});

describe("createShadowLineReader", () => {
  it("reports each line as it comes, for streaming", () => {
    const read = createShadowLineReader();
    assert.deepEqual(read("# x"), { kind: "skip", line: 1 });
    const entry = read("alice:h:1:0:30");
    assert.equal(entry.kind, "entry");
    assert.equal(entry.line, 2);
    assert.deepEqual(read("alice:h:1:0:30"), { kind: "problem", line: 3, name: "alice", reason: 'duplicate shadow entry for "alice": line 2 is the one used' });
  });
});

describe("splitTextLines", () => {
  const cases: Array<[string, string, string[]]> = [
    ["an empty text has no lines", "", []],
    ["a final newline does not add a line", "a\nb\n", ["a", "b"]],
    ["a missing final newline keeps the last line", "a\nb", ["a", "b"]],
    ["blank lines stay (the reader skips them)", "a\n\nb\n", ["a", "", "b"]],
    ["carriage returns stay, as glibc keeps them", "a\r\nb\r\n", ["a\r", "b\r"]],
  ];
  for (const [name, text, lines] of cases) {
    it(name, () => assert.deepEqual(splitTextLines(text), lines));
  }
});

describe("createLineSplitter", () => {
  function splitChunks(chunks: Uint8Array[]): string[] {
    const splitter = createLineSplitter();
    return [...chunks.flatMap((chunk) => splitter.push(chunk)), ...splitter.end()];
  }
  it("gives the same lines however the bytes are cut", () => {
    const text = "alice:x:1:1:Ünïcødé:/h:/bin/sh\nbob:x:2:2:日本語:/h:/bin/sh\n\ncarol:x:3:3:::";
    const bytes = Buffer.from(text, "utf8");
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 8 }), (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), bytes.length];
        const chunks = points.slice(1).map((end, i) => bytes.subarray(points[i], end));
        assert.deepEqual(splitChunks(chunks), splitTextLines(text));
      }),
      { seed: 99, numRuns: 500 },
    );
  });
  it("turns invalid UTF-8 into U+FFFD, which the classifiers report", () => {
    const lines = splitChunks([Uint8Array.from([0x61, 0xff, 0x3a, 0x68, 0x0a])]);
    assert.deepEqual(lines, ["a\uFFFD:h"]);
    const verdict = classifyShadowLine(lines[0] ?? "");
    assert.ok("ok" in verdict && !verdict.ok && /not valid UTF-8/.test(verdict.reason));
  });
  it("reports a UTF-8 sequence cut by the end of the input", () => {
    assert.deepEqual(splitChunks([Uint8Array.from([0x61, 0xc3])]), ["a\uFFFD"]);
  });
  it("keeps a byte order mark so the first name is reported, not silently changed", () => {
    const lines = splitChunks([Uint8Array.from([0xef, 0xbb, 0xbf, ...Buffer.from("root:x:0:0:::\n")])]);
    assert.deepEqual(lines, ["\uFEFFroot:x:0:0:::"]);
    const verdict = classifyPasswdLine(lines[0] ?? "");
    assert.ok("ok" in verdict && !verdict.ok && /byte order mark/.test(verdict.reason));
  });
  it("bounds an oversize line and still reports it as too long", () => {
    const long = new Uint8Array(200_000).fill(0x61);
    const lines = splitChunks([long, long, Buffer.from("\nb:x:1:1:::\n")]);
    assert.equal(lines.length, 2);
    assert.equal(lines[0]?.length, 65_537);
    assert.equal(lines[1], "b:x:1:1:::");
    const verdict = classifyPasswdLine(lines[0] ?? "");
    assert.ok("ok" in verdict && !verdict.ok && /longer than 65536 bytes/.test(verdict.reason));
  });
});

describe("joinAccounts", () => {
  const passwd = parsePasswdText(
    [
      "alice:x:1000:1000:Alice:/home/alice:/bin/sh",
      "bob:x:1001:1001::/home/bob:/bin/sh",
      "carol:$6$s$h:1002:1002::/home/carol:/bin/sh",
      "dave:##dave:1003:1003::/home/dave:/bin/sh",
    ].join("\n"),
  );
  const shadow = parseShadowText(["alice:$6$a$a:19000:0:99999:7:::", "carol:!:0:0:1:7:0:1:", "zed:h:1:0:30"].join("\n"));
  const joined = joinAccounts(passwd.entries, shadow.entries);
  it("attaches the shadow entry to an x account", () => {
    assert.equal(joined.accounts.find((a) => a.name === "alice")?.shadow?.hash, "$6$a$a");
  });
  it("gives an x account without a shadow line no shadow entry", () => {
    const bob = joined.accounts.find((a) => a.name === "bob");
    assert.ok(bob !== undefined);
    assert.equal(bob.shadow, null);
  });
  it("keeps a shadow line for a hash-in-passwd account (pam ignores it; chage and export do not)", () => {
    const carol = joined.accounts.find((a) => a.name === "carol");
    assert.equal(carol?.passwdPassword, "$6$s$h");
    assert.equal(carol?.shadow?.lastChange, 0);
  });
  it("keeps passwd order and every passwd entry", () => {
    assert.deepEqual(joined.accounts.map((a) => a.name), ["alice", "bob", "carol", "dave"]);
  });
  it("reports a shadow line without a passwd entry", () => {
    assert.deepEqual(joined.problems, [{ file: "shadow", line: 3, name: "zed", reason: 'no matching passwd entry for "zed"' }]);
  });
});
