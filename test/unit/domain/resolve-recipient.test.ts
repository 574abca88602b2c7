// Tests domain/resolve-recipient.ts over in-memory lookups: aliases to accounts, case rules,
// \name, an alias naming itself, loops, the depth limit, other targets, and termination on
// random alias graphs.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { parseAliasesText, type AliasTarget } from "../../../src/domain/aliases-format";
import { expandRecipient, MAX_ALIAS_DEPTH, type RecipientLookups, type RecipientResolution } from "../../../src/domain/resolve-recipient";

const FIXTURES = path.resolve(__dirname, "../../../../test/fixtures/aliases");

/** Lookups over an aliases text and a list of account names; counts the calls. */
function lookupsOf(aliasesText: string, accounts: readonly string[]): RecipientLookups & { calls: number } {
  const parsed = parseAliasesText(aliasesText);
  assert.deepEqual(parsed.problems, [], "the test's aliases text parses");
  const table = new Map(parsed.aliases.map((alias) => [alias.name, alias.targets]));
  const names = new Set(accounts);
  const lookups = {
    calls: 0,
    aliasTargets: async (name: string): Promise<readonly AliasTarget[] | null> => {
      lookups.calls++;
      return table.get(name) ?? null;
    },
    accountExists: async (name: string): Promise<boolean> => {
      lookups.calls++;
      return names.has(name);
    },
  };
  return lookups;
}

function chain(length: number, end: string): string {
  const lines: string[] = [];
  for (let i = 1; i < length; i++) lines.push(`a${i}: a${i + 1}`);
  lines.push(`a${length}: ${end}`);
  return `${lines.join("\n")}\n`;
}

const resolved = (accounts: string[], otherTargets: string[] = [], unresolved: RecipientResolution["unresolved"] = []): RecipientResolution => ({ found: true, accounts, otherTargets, unresolved });
const NOT_FOUND: RecipientResolution = { found: false, accounts: [], otherTargets: [], unresolved: [] };

describe("expandRecipient", () => {
  const cases: Array<{ name: string; aliases: string; accounts: string[]; localPart: string; expect: RecipientResolution; maxDepth?: number }> = [
    { name: "an account without an alias is itself", aliases: "", accounts: ["alice"], localPart: "alice", expect: resolved(["alice"]) },
    { name: "neither alias nor account is not found", aliases: "postmaster: root\n", accounts: ["alice"], localPart: "nobody", expect: NOT_FOUND },
    { name: "an alias to an account", aliases: "postmaster: alice\n", accounts: ["alice"], localPart: "postmaster", expect: resolved(["alice"]) },
    { name: "a chain of aliases (system account → root → a user)", aliases: "daemon: root\nroot: alice\n", accounts: ["alice", "root", "daemon"], localPart: "daemon", expect: resolved(["alice"]) },
    { name: "the local part is folded for the alias lookup", aliases: "mailer-daemon: postmaster\npostmaster: alice\n", accounts: ["alice"], localPart: "MAILER-DAEMON", expect: resolved(["alice"]) },
    { name: "an account with capitals is found by its exact name", aliases: "", accounts: ["Bob"], localPart: "Bob", expect: resolved(["Bob"]) },
    { name: "an account with capitals is not found in lower case", aliases: "", accounts: ["Bob"], localPart: "bob", expect: NOT_FOUND },
    { name: "a local part with capitals finds the lower-case account", aliases: "", accounts: ["carol"], localPart: "Carol", expect: resolved(["carol"]) },
    { name: "an alias target with capitals finds the lower-case account", aliases: "root: Alice\n", accounts: ["alice"], localPart: "root", expect: resolved(["alice"]) },
    { name: "an alias wins over an account of the same name", aliases: "alice: bob\n", accounts: ["alice", "bob"], localPart: "alice", expect: resolved(["bob"]) },
    { name: "a target that is both alias and account follows the alias", aliases: "staff: alice\nalice: bob\n", accounts: ["alice", "bob"], localPart: "staff", expect: resolved(["bob"]) },
    { name: "\\name delivers to the account without alias lookup", aliases: "alice: \\alice, bob\n", accounts: ["alice", "bob"], localPart: "alice", expect: resolved(["alice", "bob"]) },
    { name: "\\name of no account is unresolved", aliases: "x: \\ghost\n", accounts: [], localPart: "x", expect: resolved([], [], [{ target: "\\ghost", reason: "unknown" }]) },
    { name: "an alias naming itself delivers to its account (root: root, alice)", aliases: "root: root, alice\n", accounts: ["root", "alice"], localPart: "root", expect: resolved(["root", "alice"]) },
    { name: "an alias naming itself in capitals is still itself", aliases: "root: ROOT\n", accounts: ["root"], localPart: "root", expect: resolved(["root"]) },
    { name: "an alias naming itself without an account is a loop", aliases: "list: list, bob\n", accounts: ["bob"], localPart: "list", expect: resolved(["bob"], [], [{ target: "list", reason: "loop" }]) },
    { name: "a two-alias loop is reported, not followed", aliases: "a: b\nb: a\n", accounts: [], localPart: "a", expect: resolved([], [], [{ target: "a", reason: "loop" }]) },
    { name: "a loop back to an alias that is also an account is still a loop", aliases: "a: b\nb: a, bob\n", accounts: ["a", "bob"], localPart: "a", expect: resolved(["bob"], [], [{ target: "a", reason: "loop" }]) },
    { name: "accounts beside a loop are still found", aliases: "a: b, alice\nb: a, bob\n", accounts: ["alice", "bob"], localPart: "a", expect: resolved(["bob", "alice"], [], [{ target: "a", reason: "loop" }]) },
    { name: "a diamond is expanded once, without a loop", aliases: "a: b, c\nb: d\nc: d\nd: alice\n", accounts: ["alice"], localPart: "a", expect: resolved(["alice"]) },
    { name: `a chain of ${MAX_ALIAS_DEPTH} aliases resolves`, aliases: chain(MAX_ALIAS_DEPTH, "alice"), accounts: ["alice"], localPart: "a1", expect: resolved(["alice"]) },
    {
      name: `a chain of ${MAX_ALIAS_DEPTH + 1} aliases stops at the limit`,
      aliases: chain(MAX_ALIAS_DEPTH + 1, "alice"),
      accounts: ["alice"],
      localPart: "a1",
      expect: resolved([], [], [{ target: `a${MAX_ALIAS_DEPTH + 1}`, reason: "too-deep" }]),
    },
    {
      name: "an alias first reached too deep is expanded again when reached shallower",
      aliases: "top: m1, x\nm1: x\nx: y\ny: alice\n",
      accounts: ["alice"],
      localPart: "top",
      maxDepth: 3,
      expect: resolved(["alice"], [], [{ target: "y", reason: "too-deep" }]),
    },
    {
      name: "commands, files, :include: files and remote addresses are listed, once each, not followed",
      aliases: 'a: "|/usr/bin/procmail -a x", /var/mail/a, :include:/etc/mail/list, bob@example.org, b\nb: "|/usr/bin/procmail -a x", root@localhost\n',
      accounts: ["root"],
      localPart: "a",
      expect: resolved([], ["|/usr/bin/procmail -a x", "/var/mail/a", ":include:/etc/mail/list", "bob@example.org", "root@localhost"]),
    },
    { name: "an unknown local target is unresolved", aliases: "x: ghost, alice\n", accounts: ["alice"], localPart: "x", expect: resolved(["alice"], [], [{ target: "ghost", reason: "unknown" }]) },
    { name: "repeated accounts are listed once", aliases: "x: alice, ALICE, \\alice, y\ny: alice\n", accounts: ["alice"], localPart: "x", expect: resolved(["alice"]) },
    { name: "an alias leading nowhere is still found", aliases: "x: ghost\n", accounts: [], localPart: "x", expect: resolved([], [], [{ target: "ghost", reason: "unknown" }]) },
  ];
  for (const testCase of cases) {
    it(testCase.name, async () => {
      const lookups = lookupsOf(testCase.aliases, testCase.accounts);
      assert.deepEqual(await expandRecipient(testCase.localPart, lookups, testCase.maxDepth), testCase.expect);
    });
  }

  it("the system-accounts fixture sends every system account to alice", async () => {
    const text = fs.readFileSync(path.join(FIXTURES, "system-accounts-to-alice"), "utf8");
    const lookups = lookupsOf(text, ["root", "daemon", "bin", "alice"]);
    for (const localPart of ["daemon", "bin", "nobody", "MAILER-DAEMON", "postmaster", "abuse", "root"]) {
      assert.deepEqual(await expandRecipient(localPart, lookups), resolved(["alice"]), localPart);
    }
  });

  it("Debian's stock postfix aliases send postmaster to root", async () => {
    const text = fs.readFileSync(path.join(FIXTURES, "debian-postfix-aliases"), "utf8");
    assert.deepEqual(await expandRecipient("postmaster", lookupsOf(text, ["root"])), resolved(["root"]));
    assert.deepEqual(await expandRecipient("postmaster", lookupsOf(text, [])), resolved([], [], [{ target: "root", reason: "unknown" }]));
  });

  it("Debian's exim4 list sends every role to the admin through root", async () => {
    const text = fs.readFileSync(path.join(FIXTURES, "debian-exim4-aliases"), "utf8");
    const lookups = lookupsOf(text, ["alice", "root", "nobody"]);
    for (const localPart of ["mailer-daemon", "webmaster", "nobody", "noc"]) {
      assert.deepEqual(await expandRecipient(localPart, lookups), resolved(["alice"]), localPart);
    }
  });

  it("terminates on random alias graphs, with few lookups, and lists only existing accounts (property)", async () => {
    const names = ["a", "b", "c", "d", "e", "f", "g", "h"];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom(...names), fc.array(fc.constantFrom(...names, "\\a", "\\b", "x@y", "/f"), { minLength: 1, maxLength: 4 })), { maxLength: 8 }),
        fc.subarray(names),
        fc.constantFrom(...names),
        async (entries, accounts, localPart) => {
          const seen = new Set<string>();
          const text = entries
            .filter(([name]) => !seen.has(name) && seen.add(name) !== undefined)
            .map(([name, targets]) => `${name}: ${targets.join(", ")}`)
            .join("\n");
          const lookups = lookupsOf(text, accounts);
          const result = await expandRecipient(localPart, lookups, 5);
          for (const account of result.accounts) assert.ok(accounts.includes(account));
          assert.ok(lookups.calls <= 2 + names.length * 5 * 4 * 3, `${lookups.calls} lookups`);
        },
      ),
      { seed: 11, numRuns: 500 },
    );
  });
});
