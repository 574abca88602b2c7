// Tests the argument parsing of `shadowctl aliases` and `shadowctl newaliases`, and the
// output formats of show and resolve.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  DEFAULT_ALIASES_FILE,
  formatAliasMessage,
  formatResolution,
  parseAliasesArgs,
  parseNewaliasesArgs,
} from "../../../src/cli/shadowctl/aliases-command";
import { UnresolvedReason } from "../../../src/gen/shadowd/v1/shadowd";

describe("parseAliasesArgs", () => {
  const cases: Array<[string, string[], ReturnType<typeof parseAliasesArgs>]> = [
    ["import FILE", ["import", "/tmp/a"], { kind: "ok", value: { action: "import", file: "/tmp/a" } }],
    ["import without a file reads /etc/aliases", ["import"], { kind: "ok", value: { action: "import", file: DEFAULT_ALIASES_FILE } }],
    ["the short form FILE is import FILE", ["/tmp/a"], { kind: "ok", value: { action: "import", file: "/tmp/a" } }],
    ["show", ["show"], { kind: "ok", value: { action: "show", name: null } }],
    ["show NAME", ["show", "postmaster"], { kind: "ok", value: { action: "show", name: "postmaster" } }],
    ["resolve LOCALPART", ["resolve", "MAILER-DAEMON"], { kind: "ok", value: { action: "resolve", localPart: "MAILER-DAEMON" } }],
    ["nothing at all", [], { kind: "usage", message: "missing import, show or resolve" }],
    ["resolve without a local part", ["resolve"], { kind: "usage", message: "missing LOCALPART" }],
    ["import with two files", ["import", "a", "b"], { kind: "usage", message: "unexpected argument 'b'" }],
    ["show with two names", ["show", "a", "b"], { kind: "usage", message: "unexpected argument 'b'" }],
    ["an unknown action with an operand", ["frob", "x"], { kind: "usage", message: "unknown action 'frob': use import, show or resolve" }],
    ["an unknown option", ["show", "--all"], { kind: "usage", message: "Unknown option '--all'" }],
    ["--help", ["show", "--help"], { kind: "help" }],
  ];
  for (const [label, args, expected] of cases) {
    it(label, () => {
      const parsed = parseAliasesArgs(args);
      if (expected.kind === "usage" && parsed.kind === "usage") assert.match(parsed.message, new RegExp(`^${expected.message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
      else assert.deepEqual(parsed, expected);
    });
  }
});

describe("parseNewaliasesArgs", () => {
  it("reads /etc/aliases without an operand", () => assert.deepEqual(parseNewaliasesArgs([]), { kind: "ok", value: { action: "import", file: DEFAULT_ALIASES_FILE } }));
  it("reads the given file", () => assert.deepEqual(parseNewaliasesArgs(["x"]), { kind: "ok", value: { action: "import", file: "x" } }));
  it("refuses a second file", () => assert.deepEqual(parseNewaliasesArgs(["x", "y"]), { kind: "usage", message: "unexpected argument 'y'" }));
});

describe("output", () => {
  it("an alias is one aliases(5) line, its name quoted when needed", () => {
    assert.equal(formatAliasMessage({ name: "postmaster", targets: ["root", '"|/bin/cat"'] }), 'postmaster: root, "|/bin/cat"\n');
    assert.equal(formatAliasMessage({ name: "a b", targets: ["x"] }), '"a b": x\n');
  });
  it("a resolution is one labelled line per account, other target and unresolved name", () => {
    const text = formatResolution({
      found: true,
      accounts: ["alice"],
      otherTargets: ["|/bin/cat, with a comma"],
      unresolved: [
        { target: "a", reason: UnresolvedReason.UNRESOLVED_REASON_LOOP },
        { target: "b", reason: UnresolvedReason.UNRESOLVED_REASON_TOO_DEEP },
      ],
    });
    assert.equal(text, "account: alice\nother: |/bin/cat, with a comma\nunresolved: a: alias loop\nunresolved: b: aliases nested too deep\n");
  });
});
