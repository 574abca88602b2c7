// Tests app/aliases.ts: ImportAliases over chunks cut anywhere, the all-or-nothing rule, a
// failing stream writing nothing, and ResolveRecipient over the alias store and accounts.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ALIASES_FILE_LABEL, importAliases, REPORTED_ALIAS_PROBLEMS, resolveRecipient, type AliasDeps } from "../../../src/app/aliases";
import type { Account } from "../../../src/domain/account";
import { MemoryAliasStore } from "../../../src/storage/memory/memory-alias-store";
import { MemoryStorage } from "../../../src/storage/memory/memory-storage";
import type { StoredAlias } from "../../../src/storage/alias-store";

function account(name: string): Account {
  return { name, passwdPassword: "x", uid: 1000, gid: 1000, gecos: "", home: `/home/${name}`, shell: "/bin/sh", shadow: null };
}

async function setup(accounts: string[] = ["alice"]): Promise<AliasDeps & { aliases: MemoryAliasStore }> {
  const storage = new MemoryStorage();
  for (const name of accounts) await storage.createAccount(account(name));
  return { storage, aliases: new MemoryAliasStore() };
}

async function listAll(deps: AliasDeps): Promise<StoredAlias[]> {
  const all: StoredAlias[] = [];
  for await (const alias of deps.aliases.listAliases()) all.push(alias);
  return all;
}

/** `text` as byte chunks of `size` bytes (cutting lines and UTF-8 sequences anywhere). */
function chunksOf(text: string, size: number): Buffer[] {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return chunks;
}

const TEXT = "# aliases\nMAILER-DAEMON: postmaster\npostmaster: root\nröot-ältern: alice,\n  \"|/usr/bin/logger -t mail\"\nroot: alice\n";

describe("importAliases", () => {
  for (const size of [1, 2, 3, 7, 1000]) {
    it(`reads chunks of ${size} bytes into the same table`, async () => {
      const deps = await setup();
      const report = await importAliases(deps, chunksOf(TEXT, size));
      assert.deepEqual(report, { aliases: 4, problems: [], committed: true, problemCount: 0 });
      assert.deepEqual((await listAll(deps)).map((alias) => [alias.name, alias.line]), [["mailer-daemon", 2], ["postmaster", 3], ["röot-ältern", 4], ["root", 6]]);
    });
  }

  it("any problem leaves the old table as it was and stores nothing", async () => {
    const deps = await setup();
    await importAliases(deps, [Buffer.from("old: alice\n")]);
    const report = await importAliases(deps, [Buffer.from("new: bob\nbroken\nempty:\n")]);
    assert.deepEqual(report, {
      aliases: 0,
      committed: false,
      problemCount: 2,
      problems: [
        { file: ALIASES_FILE_LABEL, line: 2, name: "", reason: "no ':' after the alias name (an alias line is name: target, target, ...)" },
        { file: ALIASES_FILE_LABEL, line: 3, name: "empty", reason: "no targets after ':'" },
      ],
    });
    assert.deepEqual((await listAll(deps)).map((alias) => alias.name), ["old"]);
  });

  it("lists the first 1000 problems and counts them all", async () => {
    const deps = await setup();
    const report = await importAliases(deps, [Buffer.from("broken\n".repeat(REPORTED_ALIAS_PROBLEMS + 5))]);
    assert.equal(report.problems.length, REPORTED_ALIAS_PROBLEMS);
    assert.equal(report.problems.at(-1)?.line, REPORTED_ALIAS_PROBLEMS);
    assert.deepEqual({ problemCount: report.problemCount, committed: report.committed }, { problemCount: REPORTED_ALIAS_PROBLEMS + 5, committed: false });
  });

  it("invalid UTF-8 is a problem on its line", async () => {
    const deps = await setup();
    const report = await importAliases(deps, [Buffer.from("a: b\n"), Buffer.from([0x63, 0x3a, 0x20, 0xff, 0x0a])]);
    assert.deepEqual(report.problems.map((p) => [p.line, p.name]), [[2, "c"]]);
  });

  it("a stream that fails midway rejects and writes nothing", async () => {
    const deps = await setup();
    await importAliases(deps, [Buffer.from("old: alice\n")]);
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.from("new: bob\n");
      throw new Error("cancelled");
    }
    await assert.rejects(importAliases(deps, failing()), /cancelled/);
    assert.deepEqual((await listAll(deps)).map((alias) => alias.name), ["old"]);
  });

  it("an empty file empties the table, as newaliases does", async () => {
    const deps = await setup();
    await importAliases(deps, [Buffer.from("old: alice\n")]);
    assert.deepEqual(await importAliases(deps, []), { aliases: 0, problems: [], committed: true, problemCount: 0 });
    assert.deepEqual(await listAll(deps), []);
  });
});

describe("resolveRecipient", () => {
  it("follows the imported aliases to the accounts in storage", async () => {
    const deps = await setup(["alice", "root"]);
    await importAliases(deps, [Buffer.from(TEXT)]);
    assert.deepEqual(await resolveRecipient(deps, "Mailer-Daemon"), { found: true, accounts: ["alice"], otherTargets: [], unresolved: [] });
    assert.deepEqual(await resolveRecipient(deps, "röot-ältern"), { found: true, accounts: ["alice"], otherTargets: ["|/usr/bin/logger -t mail"], unresolved: [] });
    assert.deepEqual(await resolveRecipient(deps, "alice"), { found: true, accounts: ["alice"], otherTargets: [], unresolved: [] });
    assert.deepEqual(await resolveRecipient(deps, "nobody"), { found: false, accounts: [], otherTargets: [], unresolved: [] });
  });
});
