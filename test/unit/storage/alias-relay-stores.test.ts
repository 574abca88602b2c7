// Tests the AliasStore and RelayStore backends (memory and SQLite) against one table of
// behaviours, plus what only SQLite does: persistence in the file, grants tied to accounts.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Database from "better-sqlite3";
import type { Account } from "../../../src/domain/account";
import type { AliasStore, StoredAlias } from "../../../src/storage/alias-store";
import type { RelayGrant, RelayStore } from "../../../src/storage/relay-store";
import { MemoryAliasStore } from "../../../src/storage/memory/memory-alias-store";
import { MemoryRelayStore } from "../../../src/storage/memory/memory-relay-store";
import { SqliteAliasStore } from "../../../src/storage/sqlite/sqlite-alias-store";
import { SqliteRelayStore } from "../../../src/storage/sqlite/sqlite-relay-store";
import { openSqliteDatabase, SqliteStorage } from "../../../src/storage/sqlite/sqlite-storage";

const ACCOUNT_NAMES = ["alice", "bob"];

function account(name: string): Account {
  return { name, passwdPassword: "x", uid: 1000, gid: 1000, gecos: "", home: `/home/${name}`, shell: "/bin/sh", shadow: null };
}

interface Backend {
  name: string;
  open(): Promise<{ aliases: AliasStore; relays: RelayStore; close(): Promise<void> }>;
}

const BACKENDS: Backend[] = [
  { name: "memory", open: async () => ({ aliases: new MemoryAliasStore(), relays: new MemoryRelayStore(), close: async () => undefined }) },
  {
    name: "sqlite",
    open: async () => {
      const db = openSqliteDatabase(":memory:");
      const storage = new SqliteStorage(db);
      for (const name of ACCOUNT_NAMES) await storage.createAccount(account(name));
      return { aliases: new SqliteAliasStore(db), relays: new SqliteRelayStore(db), close: () => storage.close() };
    },
  },
];

const POSTMASTER: StoredAlias = { name: "postmaster", targets: [{ kind: "local", name: "root", noAlias: false }], line: 2 };
const EVERY_KIND: StoredAlias = {
  name: "all kinds",
  line: 5,
  targets: [
    { kind: "local", name: "Bob", noAlias: false },
    { kind: "local", name: "alice", noAlias: true },
    { kind: "address", address: "carol smith@example.org" },
    { kind: "command", command: "/usr/bin/procmail -a x" },
    { kind: "file", path: "/var/mail/x" },
    { kind: "include", path: "/etc/mail/list" },
  ],
};

async function listAll(store: AliasStore): Promise<StoredAlias[]> {
  const all: StoredAlias[] = [];
  for await (const alias of store.listAliases()) all.push(alias);
  return all;
}

function grant(overrides: Partial<RelayGrant> = {}): RelayGrant {
  return { address: "192.0.2.7", username: "alice", service: "pop3", grantedAtMs: 1_000_000, expiresAtMs: 1_600_000, ...overrides };
}

for (const backend of BACKENDS) {
  describe(`${backend.name} AliasStore`, () => {
    it("starts empty", async () => {
      const { aliases, close } = await backend.open();
      assert.equal(await aliases.countAliases(), 0);
      assert.deepEqual(await listAll(aliases), []);
      assert.equal(await aliases.getAlias("postmaster"), null);
      await close();
    });

    it("stores every kind of target, in order, and lists aliases in import order", async () => {
      const { aliases, close } = await backend.open();
      await aliases.replaceAliases([POSTMASTER, EVERY_KIND]);
      assert.deepEqual(await aliases.getAlias("all kinds"), EVERY_KIND);
      assert.deepEqual(await listAll(aliases), [POSTMASTER, EVERY_KIND]);
      assert.equal(await aliases.countAliases(), 2);
      await close();
    });

    it("replaces the whole table", async () => {
      const { aliases, close } = await backend.open();
      await aliases.replaceAliases([POSTMASTER, EVERY_KIND]);
      const next: StoredAlias = { name: "root", targets: [{ kind: "local", name: "alice", noAlias: false }], line: 1 };
      await aliases.replaceAliases([next]);
      assert.deepEqual(await listAll(aliases), [next]);
      assert.equal(await aliases.getAlias("postmaster"), null);
      await aliases.replaceAliases([]);
      assert.equal(await aliases.countAliases(), 0);
      await close();
    });

    it("lists more aliases than one page, in order", async () => {
      const { aliases, close } = await backend.open();
      const many = Array.from({ length: 1234 }, (_, i): StoredAlias => ({ name: `a${i}`, line: i + 1, targets: [{ kind: "local", name: `u${i}`, noAlias: false }] }));
      await aliases.replaceAliases(many);
      assert.deepEqual(await listAll(aliases), many);
      await close();
    });

    const refused: Array<[string, StoredAlias[]]> = [
      ["an empty name", [{ ...POSTMASTER, name: "" }]],
      ["an unfolded name", [{ ...POSTMASTER, name: "Postmaster" }]],
      ["one name twice", [POSTMASTER, POSTMASTER]],
      ["no targets", [{ ...POSTMASTER, targets: [] }]],
      ["an empty target", [{ ...POSTMASTER, targets: [{ kind: "command", command: "" }] }]],
      ["line 0", [{ ...POSTMASTER, line: 0 }]],
    ];
    for (const [label, table] of refused) {
      it(`refuses ${label} with a RangeError and keeps the old table`, async () => {
        const { aliases, close } = await backend.open();
        await aliases.replaceAliases([EVERY_KIND]);
        await assert.rejects(aliases.replaceAliases(table), RangeError);
        assert.deepEqual(await listAll(aliases), [EVERY_KIND]);
        await close();
      });
    }

    it("hands out copies: mutating a result or the input changes nothing stored", async () => {
      const { aliases, close } = await backend.open();
      const input: StoredAlias = { name: "x", line: 1, targets: [{ kind: "local", name: "alice", noAlias: false }] };
      await aliases.replaceAliases([input]);
      input.targets.push({ kind: "file", path: "/tmp/x" });
      const got = await aliases.getAlias("x");
      got?.targets.pop();
      assert.deepEqual(await aliases.getAlias("x"), { name: "x", line: 1, targets: [{ kind: "local", name: "alice", noAlias: false }] });
      await close();
    });
  });

  describe(`${backend.name} RelayStore`, () => {
    it("stores a grant and reads it back by address", async () => {
      const { relays, close } = await backend.open();
      assert.equal(await relays.putRelayGrant(grant()), true);
      assert.deepEqual(await relays.getRelayGrant("192.0.2.7"), grant());
      assert.equal(await relays.getRelayGrant("192.0.2.8"), null);
      await close();
    });

    it("a later grant for the same address replaces the earlier one", async () => {
      const { relays, close } = await backend.open();
      await relays.putRelayGrant(grant());
      const later = grant({ username: "bob", service: "imap", grantedAtMs: 2_000_000, expiresAtMs: 2_600_000 });
      await relays.putRelayGrant(later);
      assert.deepEqual(await relays.getRelayGrant("192.0.2.7"), later);
      await close();
    });

    it("purges grants whose expiry is at or before now, and only those", async () => {
      const { relays, close } = await backend.open();
      await relays.putRelayGrant(grant({ address: "a", expiresAtMs: 1_500_000 }));
      await relays.putRelayGrant(grant({ address: "b", expiresAtMs: 1_600_000 }));
      await relays.putRelayGrant(grant({ address: "c", expiresAtMs: 1_600_001 }));
      assert.equal(await relays.purgeRelayGrants(1_600_000), 2);
      assert.equal(await relays.getRelayGrant("a"), null);
      assert.equal(await relays.getRelayGrant("b"), null);
      assert.deepEqual(await relays.getRelayGrant("c"), grant({ address: "c", expiresAtMs: 1_600_001 }));
      assert.equal(await relays.purgeRelayGrants(1_600_000), 0);
      await close();
    });

    const refused: Array<[string, Partial<RelayGrant>]> = [
      ["an empty address", { address: "" }],
      ["an empty username", { username: "" }],
      ["an expiry not after the grant", { expiresAtMs: 1_000_000 }],
      ["fractional milliseconds", { grantedAtMs: 1.5 }],
    ];
    for (const [label, overrides] of refused) {
      it(`refuses ${label} with a RangeError`, async () => {
        const { relays, close } = await backend.open();
        await assert.rejects(relays.putRelayGrant(grant(overrides)), RangeError);
        assert.equal(await relays.getRelayGrant(grant(overrides).address), null);
        await close();
      });
    }
  });
}

describe("SQLite stores on one file", () => {
  const dir = mkdtempSync(join(tmpdir(), "shadowd-alias-relay-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  function open(file: string): { db: Database.Database; storage: SqliteStorage; aliases: SqliteAliasStore; relays: SqliteRelayStore } {
    const db = openSqliteDatabase(join(dir, file));
    return { db, storage: new SqliteStorage(db), aliases: new SqliteAliasStore(db), relays: new SqliteRelayStore(db) };
  }

  it("aliases and grants survive closing and reopening the database", async () => {
    const first = open("persist.db");
    await first.storage.createAccount(account("alice"));
    await first.aliases.replaceAliases([POSTMASTER, EVERY_KIND]);
    await first.relays.putRelayGrant(grant());
    await first.storage.close();
    const second = open("persist.db");
    assert.deepEqual(await listAll(second.aliases), [POSTMASTER, EVERY_KIND]);
    assert.deepEqual(await second.relays.getRelayGrant("192.0.2.7"), grant());
    await second.storage.close();
  });

  it("a grant for a user who does not exist is skipped", async () => {
    const { storage, relays } = open("unknown-user.db");
    assert.equal(await relays.putRelayGrant(grant({ username: "ghost" })), false);
    assert.equal(await relays.getRelayGrant("192.0.2.7"), null);
    await storage.close();
  });

  it("deleting the account revokes its grants; renaming it carries them along", async () => {
    const { storage, relays } = open("cascade.db");
    await storage.createAccount(account("alice"));
    await storage.createAccount(account("bob"));
    await relays.putRelayGrant(grant({ address: "192.0.2.1", username: "alice" }));
    await relays.putRelayGrant(grant({ address: "192.0.2.2", username: "bob" }));
    await storage.updateAccount("alice", (old) => ({ ...old, name: "alicia" }));
    assert.equal((await relays.getRelayGrant("192.0.2.1"))?.username, "alicia");
    await storage.deleteAccount("bob");
    assert.equal(await relays.getRelayGrant("192.0.2.2"), null);
    await storage.close();
  });

  it("a failing replacement rolls back: the old table stays whole", async () => {
    const { db, storage, aliases } = open("rollback.db");
    await aliases.replaceAliases([POSTMASTER]);
    // A trigger makes the second insert fail inside the transaction, after the deletes.
    db.exec("CREATE TEMP TRIGGER fail_second BEFORE INSERT ON aliases WHEN NEW.name = 'second' BEGIN SELECT RAISE(ABORT, 'injected'); END");
    await assert.rejects(aliases.replaceAliases([{ ...POSTMASTER, name: "first" }, { ...POSTMASTER, name: "second" }]), /injected/);
    assert.deepEqual(await listAll(aliases), [POSTMASTER]);
    await storage.close();
  });
});
