// Tests domain/aliases-format.ts: every aliases(5) syntax element (comments, continuation
// lines, quoted names, lists, :include:, |command, /file, \name, addresses), the problems
// with their line numbers, the streaming reader, and formatting that parses back.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import {
  createAliasesReader,
  describeAliasTarget,
  foldAliasName,
  formatAliasLine,
  formatAliasTarget,
  MAX_ALIAS_ENTRY_BYTES,
  parseAliasesText,
  type AliasEntry,
  type AliasTarget,
} from "../../../src/domain/aliases-format";

const FIXTURES = path.resolve(__dirname, "../../../../test/fixtures/aliases");

const local = (name: string): AliasTarget => ({ kind: "local", name, noAlias: false });
const exact = (name: string): AliasTarget => ({ kind: "local", name, noAlias: true });
const address = (text: string): AliasTarget => ({ kind: "address", address: text });
const command = (text: string): AliasTarget => ({ kind: "command", command: text });
const file = (text: string): AliasTarget => ({ kind: "file", path: text });
const include = (text: string): AliasTarget => ({ kind: "include", path: text });

describe("parseAliasesText reads every aliases(5) form", () => {
  const cases: Array<{ name: string; text: string; aliases: AliasEntry[] }> = [
    { name: "a plain alias", text: "postmaster: root\n", aliases: [{ name: "postmaster", targets: [local("root")], line: 1 }] },
    { name: "a last line without a newline", text: "postmaster: root", aliases: [{ name: "postmaster", targets: [local("root")], line: 1 }] },
    { name: "no white space after the colon", text: "ok:x\n", aliases: [{ name: "ok", targets: [local("x")], line: 1 }] },
    { name: "white space before the colon is trimmed", text: "spaced :\tx\n", aliases: [{ name: "spaced", targets: [local("x")], line: 1 }] },
    {
      name: "comments, indented comments and blank lines, with line numbers counting them",
      text: "# header\n\n   \n  # indented comment\npostmaster: root\n",
      aliases: [{ name: "postmaster", targets: [local("root")], line: 5 }],
    },
    { name: "names folded to lower case, targets kept as written", text: "PostMaster: Root\n", aliases: [{ name: "postmaster", targets: [local("Root")], line: 1 }] },
    { name: "non-ASCII names folded too", text: "ÄRGER: x\n", aliases: [{ name: "ärger", targets: [local("x")], line: 1 }] },
    { name: "a comma-separated list", text: "staff: alice, bob,carol\n", aliases: [{ name: "staff", targets: [local("alice"), local("bob"), local("carol")], line: 1 }] },
    { name: "a list separated by white space only (Postfix adds the commas)", text: "staff: alice bob\n", aliases: [{ name: "staff", targets: [local("alice"), local("bob")], line: 1 }] },
    { name: "empty list items between commas", text: "staff: alice,, bob,\n", aliases: [{ name: "staff", targets: [local("alice"), local("bob")], line: 1 }] },
    {
      name: "continuation lines starting with a space or a tab",
      text: "staff: alice,\n  bob,\n\tcarol\nroot: alice\n",
      aliases: [
        { name: "staff", targets: [local("alice"), local("bob"), local("carol")], line: 1 },
        { name: "root", targets: [local("alice")], line: 4 },
      ],
    },
    {
      name: "a continuation after a comment line and a blank line (they do not end the alias)",
      text: "staff: alice,\n# between\n\n  bob\n",
      aliases: [{ name: "staff", targets: [local("alice"), local("bob")], line: 1 }],
    },
    { name: "a continuation line holding the first target", text: "staff:\n  alice\n", aliases: [{ name: "staff", targets: [local("alice")], line: 1 }] },
    { name: "a quoted name with white space", text: '"quoted name": bob\n', aliases: [{ name: "quoted name", targets: [local("bob")], line: 1 }] },
    { name: "a quoted name with ':' and '#'", text: '"has:colon#": carol\n', aliases: [{ name: "has:colon#", targets: [local("carol")], line: 1 }] },
    { name: "a quoted name with '@'", text: '"list@host": carol\n', aliases: [{ name: "list@host", targets: [local("carol")], line: 1 }] },
    { name: "a quoted name with an escaped quote", text: '"a\\"b": carol\n', aliases: [{ name: 'a"b', targets: [local("carol")], line: 1 }] },
    { name: "an unquoted name with inner white space (postalias keeps it)", text: "a b: x\n", aliases: [{ name: "a b", targets: [local("x")], line: 1 }] },
    { name: "a quoted command with arguments", text: 'log: "|/usr/bin/logger -t mail"\n', aliases: [{ name: "log", targets: [command("/usr/bin/logger -t mail")], line: 1 }] },
    {
      name: "an unquoted command running to the next comma",
      text: "log: |/usr/bin/procmail -a x, bob\n",
      aliases: [{ name: "log", targets: [command("/usr/bin/procmail -a x"), local("bob")], line: 1 }],
    },
    { name: "an unquoted command with a quoted comma in it", text: 'log: |/bin/echo "a, b"\n', aliases: [{ name: "log", targets: [command('/bin/echo "a, b"')], line: 1 }] },
    { name: "a command after another target in the same item", text: "log: bob |/bin/cat\n", aliases: [{ name: "log", targets: [local("bob"), command("/bin/cat")], line: 1 }] },
    { name: "a file", text: "archive: /var/mail/archive\n", aliases: [{ name: "archive", targets: [file("/var/mail/archive")], line: 1 }] },
    { name: "/dev/null", text: "devnull: /dev/null\n", aliases: [{ name: "devnull", targets: [file("/dev/null")], line: 1 }] },
    { name: "a home-relative file", text: "me: ~/mail/in\n", aliases: [{ name: "me", targets: [file("~/mail/in")], line: 1 }] },
    { name: "a quoted file with white space", text: 'archive: "/var/mail/my archive"\n', aliases: [{ name: "archive", targets: [file("/var/mail/my archive")], line: 1 }] },
    { name: "an :include: file", text: "list: :include:/etc/mail/list\n", aliases: [{ name: "list", targets: [include("/etc/mail/list")], line: 1 }] },
    { name: ":include: in capitals (case-insensitive, as in Postfix)", text: "list: :INCLUDE:/etc/mail/list\n", aliases: [{ name: "list", targets: [include("/etc/mail/list")], line: 1 }] },
    { name: ":include: with white space before the file", text: "list: :include: /etc/mail/list\n", aliases: [{ name: "list", targets: [include("/etc/mail/list")], line: 1 }] },
    { name: "a remote address", text: "bob: bob@example.org\n", aliases: [{ name: "bob", targets: [address("bob@example.org")], line: 1 }] },
    { name: "a remote address with a quoted local part", text: 'carol: "carol smith"@example.org\n', aliases: [{ name: "carol", targets: [address("carol smith@example.org")], line: 1 }] },
    { name: "a phrase with an <address>", text: "bob: Bob Smith <bob@example.org>\n", aliases: [{ name: "bob", targets: [address("bob@example.org")], line: 1 }] },
    { name: "a bare <name>", text: "bob: <robert>\n", aliases: [{ name: "bob", targets: [local("robert")], line: 1 }] },
    { name: "a (comment) is dropped", text: "root: alice (the admin), bob\n", aliases: [{ name: "root", targets: [local("alice"), local("bob")], line: 1 }] },
    { name: "a nested (comment (inside)) is dropped", text: "root: alice (a (b) c)\n", aliases: [{ name: "root", targets: [local("alice")], line: 1 }] },
    { name: "\\name: the account, no alias lookup", text: "alice: \\alice, bob\n", aliases: [{ name: "alice", targets: [exact("alice"), local("bob")], line: 1 }] },
    { name: "a quoted \\name", text: 'al: "\\\\alice smith"\n', aliases: [{ name: "al", targets: [exact("alice smith")], line: 1 }] },
    { name: "\\ before an address is dropped (only local names skip aliases)", text: "bob: \\bob@example.org\n", aliases: [{ name: "bob", targets: [address("bob@example.org")], line: 1 }] },
    { name: "owner- and -request aliases are ordinary aliases", text: "owner-list: bob\nlist-request: bob\n", aliases: [{ name: "owner-list", targets: [local("bob")], line: 1 }, { name: "list-request", targets: [local("bob")], line: 2 }] },
    { name: "Windows line endings", text: "a: b,\r\n  c\r\n", aliases: [{ name: "a", targets: [local("b"), local("c")], line: 1 }] },
    { name: "a byte order mark before the first line", text: "\uFEFFa: b\n", aliases: [{ name: "a", targets: [local("b")], line: 1 }] },
    {
      name: "every kind of target in one alias",
      text: 'all: bob, \\bob, bob@example.org, "|/bin/cat", /tmp/x, :include:/etc/l\n',
      aliases: [{ name: "all", targets: [local("bob"), exact("bob"), address("bob@example.org"), command("/bin/cat"), file("/tmp/x"), include("/etc/l")], line: 1 }],
    },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      assert.deepEqual(parseAliasesText(testCase.text), { aliases: testCase.aliases, problems: [] });
    });
  }
});

describe("parseAliasesText reports problems by line and reads on", () => {
  const cases: Array<{ name: string; text: string; line: number; alias: string; reason: RegExp }> = [
    { name: "a line without ':'", text: "nocolon value\n", line: 1, alias: "", reason: /no ':' after the alias name/ },
    { name: "an empty name", text: ": x\n", line: 1, alias: "", reason: /alias name before ':' is empty/ },
    { name: "a name with a domain", text: "foo@bar: x\n", line: 1, alias: "", reason: /has a domain part/ },
    { name: "an unterminated quote in the name", text: '"abc: x\n', line: 1, alias: "", reason: /unterminated " in the alias name/ },
    { name: "a name over 256 bytes", text: `${"n".repeat(257)}: x\n`, line: 1, alias: "", reason: /257 bytes; at most 256/ },
    { name: "no targets", text: "empty:\n", line: 1, alias: "empty", reason: /no targets/ },
    { name: "only commas", text: "empty: , ,\n", line: 1, alias: "empty", reason: /no targets/ },
    { name: "a duplicate name, in other case", text: "dup: a\nDUP: b\n", line: 2, alias: "dup", reason: /duplicate alias "dup": it is first defined on line 1/ },
    { name: "a continuation line at the start of the file", text: "  early: x\n", line: 1, alias: "", reason: /continuation line .* with no alias line before it/ },
    { name: "an unterminated quote in a target", text: 'x: "abc\n', line: 1, alias: "x", reason: /unterminated "/ },
    { name: "an unterminated comment", text: "x: a (b\n", line: 1, alias: "x", reason: /unterminated "\(" comment/ },
    { name: "a stray ')'", text: "x: a)\n", line: 1, alias: "x", reason: /"\)" without "\("/ },
    { name: "an unterminated <address>", text: "x: Bob <bob@example.org\n", line: 1, alias: "x", reason: /unterminated "<address>"/ },
    { name: "a stray '>'", text: "x: a>\n", line: 1, alias: "x", reason: /">" without "<"/ },
    { name: "two <addresses> in one item", text: "x: <a@b> <c@d>\n", line: 1, alias: "x", reason: /more than one <address>/ },
    { name: "an empty <>", text: "x: <>\n", line: 1, alias: "x", reason: /empty <>/ },
    { name: "two words in <>", text: "x: <a b>\n", line: 1, alias: "x", reason: /exactly one address/ },
    { name: "'|' without a command", text: "x: |\n", line: 1, alias: "x", reason: /'\|' without a command/ },
    { name: "a quoted '|' without a command", text: 'x: "| "\n', line: 1, alias: "x", reason: /'\|' without a command/ },
    { name: ":include: without a file", text: "x: :include:\n", line: 1, alias: "x", reason: /':include:' without a file name/ },
    { name: ":include: of a relative file", text: "x: :include:lists/x\n", line: 1, alias: "x", reason: /absolute file name/ },
    { name: "a '#' comment after a target", text: "x: a # comment\n", line: 1, alias: "x", reason: /'#' starts a comment only at the beginning of a line/ },
    { name: "a lone backslash", text: "x: \\\n", line: 1, alias: "x", reason: /lone backslash/ },
    { name: "an address without a local part", text: "x: @example.org\n", line: 1, alias: "x", reason: /is not an address/ },
    { name: "an address without a domain", text: "x: bob@\n", line: 1, alias: "x", reason: /is not an address/ },
    { name: "an empty quoted target", text: 'x: ""\n', line: 1, alias: "x", reason: /empty target/ },
    { name: "a control character", text: "x: a\u0001b\n", line: 1, alias: "x", reason: /control character U\+0001/ },
    { name: "invalid UTF-8 (U+FFFD)", text: "x: a\uFFFDb\n", line: 1, alias: "x", reason: /not valid UTF-8/ },
    { name: "a line over 65536 bytes", text: `x: ${"a".repeat(70_000)}\n`, line: 1, alias: "", reason: /line is longer than 65536 bytes/ },
    { name: "a long continuation line, reported at its own line", text: `x: a,\n  ${"b".repeat(70_000)}\n`, line: 2, alias: "", reason: /line is longer than 65536 bytes/ },
  ];
  for (const testCase of cases) {
    it(`${testCase.name}, on line ${testCase.line}`, () => {
      const parsed = parseAliasesText(`${testCase.text}after: alice\n`);
      assert.equal(parsed.problems.length, 1, JSON.stringify(parsed.problems));
      const [problem] = parsed.problems;
      assert.equal(problem?.line, testCase.line);
      assert.equal(problem?.name, testCase.alias);
      assert.match(problem?.reason ?? "", testCase.reason);
      assert.deepEqual(parsed.aliases.at(-1), { name: "after", targets: [local("alice")], line: testCase.text.split("\n").length });
    });
  }

  it("an alias longer than 1 MiB over continuation lines is one problem", () => {
    const continuation = `  ${"b".repeat(60_000)},\n`;
    const text = `big: a,\n${continuation.repeat(Math.ceil(MAX_ALIAS_ENTRY_BYTES / 60_000) + 1)}small: x\n`;
    const parsed = parseAliasesText(text);
    assert.deepEqual(parsed.problems.map((p) => [p.line, p.reason]), [[1, `the alias (with its continuation lines) is longer than ${MAX_ALIAS_ENTRY_BYTES} bytes`]]);
    assert.deepEqual(parsed.aliases.map((a) => a.name), ["small"]);
  });

  it("several problems in one file each get their own line", () => {
    const parsed = parseAliasesText("ok: a\nbad\nempty:\n  # c\nok2: b\nOK: c\n");
    assert.deepEqual(parsed.problems.map((p) => [p.line, p.name]), [[2, ""], [3, "empty"], [6, "ok"]]);
    assert.deepEqual(parsed.aliases.map((a) => [a.name, a.line]), [["ok", 1], ["ok2", 5]]);
  });
});

describe("createAliasesReader", () => {
  it("gives each alias once its logical line is complete, and the last one at the end", () => {
    const reader = createAliasesReader();
    assert.deepEqual(reader.push("staff: alice,"), []);
    assert.deepEqual(reader.push("  bob"), []);
    assert.deepEqual(reader.push("# comment"), []);
    assert.deepEqual(reader.push("root: carol"), [{ kind: "alias", alias: { name: "staff", targets: [local("alice"), local("bob")], line: 1 } }]);
    assert.deepEqual(reader.end(), [{ kind: "alias", alias: { name: "root", targets: [local("carol")], line: 4 } }]);
  });

  it("reports an orphan continuation line at once and skips its further continuation lines", () => {
    const reader = createAliasesReader();
    assert.equal(reader.push("  stray: x")[0]?.kind, "problem");
    assert.deepEqual(reader.push("  more"), []);
    assert.deepEqual(reader.push("root: a"), []);
    assert.deepEqual(reader.end(), [{ kind: "alias", alias: { name: "root", targets: [local("a")], line: 3 } }]);
  });
});

describe("the fixtures parse without problems", () => {
  const expectations: Array<{ file: string; count: number; check: (aliases: AliasEntry[]) => void }> = [
    {
      file: "debian-postfix-aliases",
      count: 1,
      check: (aliases) => assert.deepEqual(aliases, [{ name: "postmaster", targets: [local("root")], line: 2 }]),
    },
    {
      file: "debian-exim4-aliases",
      count: 13,
      check: (aliases) => {
        assert.deepEqual(aliases[0], { name: "mailer-daemon", targets: [local("postmaster")], line: 2 });
        assert.ok(aliases.every((alias) => alias.targets.length === 1));
      },
    },
    {
      file: "system-accounts-to-alice",
      count: 24,
      check: (aliases) => {
        assert.deepEqual(aliases.find((alias) => alias.name === "root")?.targets, [local("alice")]);
        assert.deepEqual(aliases.find((alias) => alias.name === "daemon")?.targets, [local("root")]);
      },
    },
  ];
  for (const expectation of expectations) {
    it(`${expectation.file}: ${expectation.count} aliases`, () => {
      const parsed = parseAliasesText(fs.readFileSync(path.join(FIXTURES, expectation.file), "utf8"));
      assert.deepEqual(parsed.problems, []);
      assert.equal(parsed.aliases.length, expectation.count);
      expectation.check(parsed.aliases);
    });
  }
});

describe("formatting", () => {
  const cases: Array<[string, AliasTarget, string, string]> = [
    ["a local name", local("bob"), "bob", "bob"],
    ["a local name with white space", local("john smith"), '"john smith"', "john smith"],
    ["\\name", exact("bob"), "\\bob", "\\bob"],
    ["\\name with white space", exact("john smith"), '"\\\\john smith"', "\\john smith"],
    ["an address", address("bob@example.org"), "bob@example.org", "bob@example.org"],
    ["an address with a quoted local part", address("carol smith@example.org"), '"carol smith"@example.org', '"carol smith"@example.org'],
    ["a command (always quoted)", command('/bin/echo "hi"'), '"|/bin/echo \\"hi\\""', '|/bin/echo "hi"'],
    ["a file", file("/var/mail/x"), "/var/mail/x", "/var/mail/x"],
    ["a file with white space", file("/var/mail/my x"), '"/var/mail/my x"', "/var/mail/my x"],
    ["an :include: file", include("/etc/l"), ":include:/etc/l", ":include:/etc/l"],
  ];
  for (const [label, target, formatted, described] of cases) {
    it(`${label}: ${formatted}`, () => {
      assert.equal(formatAliasTarget(target), formatted);
      assert.equal(describeAliasTarget(target), described);
    });
  }

  it("formatAliasLine quotes names with ':', '@', white space or a leading '#'", () => {
    assert.equal(formatAliasLine({ name: "a:b", targets: [local("x")] }), '"a:b": x');
    assert.equal(formatAliasLine({ name: "a@b", targets: [local("x")] }), '"a@b": x');
    assert.equal(formatAliasLine({ name: "#x", targets: [local("x"), local("y")] }), '"#x": x, y');
    assert.equal(formatAliasLine({ name: "plain", targets: [command("/bin/cat")] }), 'plain: "|/bin/cat"');
  });

  it("foldAliasName lower-cases", () => {
    assert.equal(foldAliasName("MAILER-DAEMON"), "mailer-daemon");
  });

  it("every parsed alias formats to a line that parses back to it (property)", () => {
    const chars = fc.constantFrom(..."abcXYZ019 ._-+=,:;@#\"\\()<>|/~é日".split(""));
    const text = (min: number): fc.Arbitrary<string> => fc.array(chars, { minLength: min, maxLength: 12 }).map((parts) => parts.join(""));
    const plain = (value: string): boolean =>
      value.trim() !== "" && !/^(\\|\||\/|~\/|:include:)/i.test(value) && !value.includes("@");
    const trimmed = (value: string): boolean => value.trim() === value && value !== "";
    const target: fc.Arbitrary<AliasTarget> = fc.oneof(
      text(1).filter(plain).map(local),
      text(1).filter(plain).map(exact),
      fc.tuple(text(1).filter((v) => plain(v) && !v.startsWith("#")), text(1).filter((v) => !v.includes("@"))).map(([l, d]) => address(`${l}@${d}`)),
      text(1).filter(trimmed).map(command),
      text(0).map((rest) => file(`/${rest}`)),
      text(0).filter((rest) => rest.trim() === rest).map((rest) => include(`/${rest}`)),
    );
    const name = text(1).map((value) => value.toLowerCase()).filter((value) => trimmed(value) && value === value.toLowerCase());
    fc.assert(
      fc.property(name, fc.array(target, { minLength: 1, maxLength: 5 }), (aliasName, targets) => {
        const line = formatAliasLine({ name: aliasName, targets });
        assert.deepEqual(parseAliasesText(`${line}\n`), { aliases: [{ name: aliasName, targets, line: 1 }], problems: [] }, line);
      }),
      { seed: 3, numRuns: 2000 },
    );
  });
});
