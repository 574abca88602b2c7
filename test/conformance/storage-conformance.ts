// Owns the storage specification as tests: runStorageConformance() checks one backend
// against the Storage contract (src/storage/storage.ts). Each backend's test file calls it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Account, ShadowFields } from "../../src/domain/account";
import {
  AlreadyExistsError,
  NotFoundError,
  type AccountBatch,
  type AccountFile,
  type Storage,
} from "../../src/storage/storage";

type ErrorClass = new (...args: never[]) => Error;

interface ConformanceCase {
  name: string;
  run(storage: Storage): Promise<void>;
}

/** Run the whole suite against fresh storages from `makeStorage` (one per case, closed after). */
export function runStorageConformance(name: string, makeStorage: () => Promise<Storage>): void {
  describe(`${name} storage conformance`, () => {
    for (const testCase of CASES) {
      it(testCase.name, async () => {
        const storage = await makeStorage();
        try {
          await testCase.run(storage);
        } catch (error) {
          await storage.close().catch(() => undefined);
          throw error;
        }
        await storage.close();
      });
    }
  });
}

/** An ordinary shadowed account; `overrides` replace whole fields. */
function makeAccount(name: string, overrides: Partial<Account> = {}): Account {
  return {
    name,
    passwdPassword: "x",
    uid: 1000,
    gid: 1000,
    gecos: `${name} user`,
    home: `/home/${name}`,
    shell: "/bin/bash",
    shadow: makeShadow(),
    ...overrides,
  };
}

function makeShadow(overrides: Partial<ShadowFields> = {}): ShadowFields {
  return {
    hash: "$6$saltsalt$0123456789abcdef",
    lastChange: 19500,
    minDays: 0,
    maxDays: 99999,
    warnDays: 7,
    inactiveDays: null,
    expireDate: null,
    flag: "",
    ...overrides,
  };
}

async function collect(storage: Storage): Promise<Account[]> {
  const accounts: Account[] = [];
  for await (const account of storage.listAccounts()) accounts.push(account);
  return accounts;
}

/** Each file's export records as "name text" (text or "-" when the fields are to be formatted). */
async function exportView(storage: Storage): Promise<Record<AccountFile, string[]>> {
  const view: Record<AccountFile, string[]> = { passwd: [], shadow: [] };
  let seenShadow = false;
  for await (const page of storage.exportAccounts()) {
    if (page.file === "shadow") seenShadow = true;
    else assert.equal(seenShadow, false, "every passwd page comes before the shadow pages");
    for (const record of page.records) view[page.file].push(`${record.account.name} ${record.text ?? "-"}`);
  }
  return view;
}

async function listNames(storage: Storage): Promise<string[]> {
  return (await collect(storage)).map((account) => account.name);
}

async function createMany(storage: Storage, names: string[]): Promise<void> {
  await storage.applyBatch({ create: names.map((name) => makeAccount(name)), replace: [], delete: [] });
}

function range(count: number, prefix: string): string[] {
  return Array.from({ length: count }, (_, index) => `${prefix}${String(index).padStart(5, "0")}`);
}

const SHADOW_NUMBER_FIELDS = [
  "lastChange",
  "minDays",
  "maxDays",
  "warnDays",
  "inactiveDays",
  "expireDate",
] as const;

/** Values that must stay distinct: empty field, zero, glibc's wrapped -1, the int32 ends. */
const SHADOW_NUMBER_VALUES = [null, 0, -1, 1, 2147483647, -2147483648] as const;

/** Accounts with a value the SQLite schema refuses (and so every backend). */
const REFUSED_ACCOUNTS: { why: string; account: Account }[] = [
  { why: "an empty name", account: makeAccount("") },
  { why: "a name with a colon", account: makeAccount("a:b") },
  { why: "a name with a newline", account: makeAccount("a\nb") },
  { why: "a gecos with a colon", account: makeAccount("bad", { gecos: "Room 1: north" }) },
  { why: "a home with a newline", account: makeAccount("bad", { home: "/home/x\n" }) },
  { why: "a shell with a newline", account: makeAccount("bad", { shell: "/bin/sh\n" }) },
  { why: "a passwd password with a colon", account: makeAccount("bad", { passwdPassword: "x:y" }) },
  { why: "a hash with a colon", account: makeAccount("bad", { shadow: makeShadow({ hash: "$1$a:b" }) }) },
  { why: "a flag with a newline", account: makeAccount("bad", { shadow: makeShadow({ flag: "1\n" }) }) },
  { why: "a negative uid", account: makeAccount("bad", { uid: -1 }) },
  { why: "a uid above 2^32-1", account: makeAccount("bad", { uid: 4294967296 }) },
  { why: "a fractional gid", account: makeAccount("bad", { gid: 1.5 }) },
  { why: "a NaN uid", account: makeAccount("bad", { uid: Number.NaN }) },
  { why: "a NaN lastChange", account: makeAccount("bad", { shadow: makeShadow({ lastChange: Number.NaN }) }) },
  { why: "an infinite maxDays", account: makeAccount("bad", { shadow: makeShadow({ maxDays: Infinity }) }) },
  { why: "a minDays of 2^31", account: makeAccount("bad", { shadow: makeShadow({ minDays: 2147483648 }) }) },
  {
    why: "an expireDate below -2^31",
    account: makeAccount("bad", { shadow: makeShadow({ expireDate: -2147483649 }) }),
  },
];

const CASES: ConformanceCase[] = [
  {
    name: "a created account reads back equal and is counted",
    async run(storage) {
      const alice = makeAccount("alice");
      await storage.createAccount(alice);
      assert.deepEqual(await storage.getAccount("alice"), alice);
      assert.equal(await storage.countAccounts(), 1);
    },
  },
  {
    name: "an unknown name reads as null and an empty storage counts zero",
    async run(storage) {
      await storage.createAccount(makeAccount("alice"));
      assert.equal(await storage.getAccount("bob"), null);
      assert.equal(await storage.getAccount("Alice"), null);
      await storage.deleteAccount("alice");
      assert.equal(await storage.countAccounts(), 0);
      assert.deepEqual(await listNames(storage), []);
    },
  },
  {
    name: "creating a taken name fails with AlreadyExistsError and keeps the first account",
    async run(storage) {
      const first = makeAccount("alice", { uid: 1001 });
      await storage.createAccount(first);
      await assert.rejects(storage.createAccount(makeAccount("alice", { uid: 2002 })), (error) => {
        assert.ok(error instanceof AlreadyExistsError);
        assert.equal(error.accountName, "alice");
        return true;
      });
      assert.deepEqual(await storage.getAccount("alice"), first);
      assert.equal(await storage.countAccounts(), 1);
    },
  },
  {
    name: "updating or deleting an unknown name fails with NotFoundError",
    async run(storage) {
      await storage.createAccount(makeAccount("alice"));
      const calls: [string, () => Promise<unknown>][] = [
        ["updateAccount", () => storage.updateAccount("bob", (old) => ({ ...old, uid: 1 }))],
        ["deleteAccount", () => storage.deleteAccount("bob")],
      ];
      for (const [label, call] of calls) {
        await assert.rejects(call(), (error) => {
          assert.ok(error instanceof NotFoundError, label);
          assert.equal(error.accountName, "bob", label);
          return true;
        });
      }
      assert.deepEqual(await listNames(storage), ["alice"]);
    },
  },
  {
    name: "a deleted account is gone and its name can be created again",
    async run(storage) {
      await createMany(storage, ["alice", "bob"]);
      await storage.deleteAccount("alice");
      assert.equal(await storage.getAccount("alice"), null);
      assert.equal(await storage.countAccounts(), 1);
      const again = makeAccount("alice", { uid: 4242 });
      await storage.createAccount(again);
      assert.deepEqual(await storage.getAccount("alice"), again);
    },
  },
  {
    name: "updateAccount stores and returns the updater's result",
    async run(storage) {
      await storage.createAccount(makeAccount("alice"));
      const seen: Account[] = [];
      const returned = await storage.updateAccount("alice", (old) => {
        seen.push(old);
        return { ...old, shell: "/usr/sbin/nologin", shadow: makeShadow({ hash: "!" }) };
      });
      assert.deepEqual(seen, [makeAccount("alice")]);
      const expected = makeAccount("alice", { shell: "/usr/sbin/nologin", shadow: makeShadow({ hash: "!" }) });
      assert.deepEqual(returned, expected);
      assert.deepEqual(await storage.getAccount("alice"), expected);
    },
  },
  {
    name: "an updater may rename: the old name is gone and the account keeps its place",
    async run(storage) {
      await createMany(storage, ["alice", "bob", "carol"]);
      const renamed = await storage.updateAccount("bob", (old) => ({ ...old, name: "robert" }));
      assert.equal(renamed.name, "robert");
      assert.equal(await storage.getAccount("bob"), null);
      assert.deepEqual(await storage.getAccount("robert"), { ...makeAccount("bob"), name: "robert" });
      assert.deepEqual(await listNames(storage), ["alice", "robert", "carol"]);
      await storage.createAccount(makeAccount("bob"));
      assert.deepEqual(await listNames(storage), ["alice", "robert", "carol", "bob"]);
    },
  },
  {
    name: "renaming onto a taken name fails with AlreadyExistsError and changes nothing",
    async run(storage) {
      await createMany(storage, ["alice", "bob"]);
      const before = await collect(storage);
      await assert.rejects(
        storage.updateAccount("bob", (old) => ({ ...old, name: "alice", uid: 7 })),
        (error) => {
          assert.ok(error instanceof AlreadyExistsError);
          assert.equal(error.accountName, "alice");
          return true;
        },
      );
      assert.deepEqual(await collect(storage), before);
    },
  },
  {
    name: "an updater that returns its argument gets it back and nothing changes",
    async run(storage) {
      await createMany(storage, ["alice", "bob"]);
      const before = await collect(storage);
      let given: Account | undefined;
      const returned = await storage.updateAccount("alice", (old) => {
        given = old;
        return old;
      });
      assert.ok(given !== undefined);
      assert.equal(returned, given, "the very object the updater returned");
      assert.deepEqual(returned, makeAccount("alice"));
      assert.deepEqual(await collect(storage), before);
    },
  },
  {
    name: "an updater that throws writes nothing and its error reaches the caller",
    async run(storage) {
      await createMany(storage, ["alice"]);
      const failure = new Error("updater refused");
      await assert.rejects(
        storage.updateAccount("alice", () => {
          throw failure;
        }),
        (error) => error === failure,
      );
      assert.deepEqual(await storage.getAccount("alice"), makeAccount("alice"));
    },
  },
  {
    name: "an updater that mutates its argument fails with TypeError and writes nothing",
    async run(storage) {
      await createMany(storage, ["alice"]);
      const mutators: [string, (old: Account) => Account][] = [
        ["a passwd field", (old) => {
          old.shell = "/bin/false";
          return old;
        }],
        ["a shadow field", (old) => {
          if (old.shadow !== null) old.shadow.hash = "!";
          return old;
        }],
      ];
      for (const [label, mutate] of mutators) {
        await assert.rejects(storage.updateAccount("alice", mutate), TypeError, label);
      }
      assert.deepEqual(await storage.getAccount("alice"), makeAccount("alice"));
    },
  },
  {
    name: "concurrent updaters do not lose writes",
    async run(storage) {
      await storage.createAccount(makeAccount("counter", { uid: 0 }));
      await Promise.all(
        Array.from({ length: 100 }, async (_, index) => {
          if (index % 2 === 0) await Promise.resolve();
          return storage.updateAccount("counter", (old) => ({ ...old, uid: old.uid + 1 }));
        }),
      );
      assert.equal((await storage.getAccount("counter"))?.uid, 100);
    },
  },
  {
    name: "every numeric shadow field keeps null, 0, -1 and the int32 ends apart through create, update and batch",
    async run(storage) {
      const expected: Account[] = [];
      for (const field of SHADOW_NUMBER_FIELDS) {
        for (const [index, value] of SHADOW_NUMBER_VALUES.entries()) {
          // Every other field gets a value unlike `value`, so a column mix-up shows.
          const shadow = makeShadow({
            lastChange: 11,
            minDays: 12,
            maxDays: 13,
            warnDays: 14,
            inactiveDays: 15,
            expireDate: 16,
            [field]: value,
          });
          const created = makeAccount(`c-${field}-${index}`, { shadow });
          const updated = makeAccount(`u-${field}-${index}`, { shadow });
          const replaced = makeAccount(`r-${field}-${index}`, { shadow });
          await storage.createAccount(created);
          await storage.createAccount(makeAccount(updated.name));
          await storage.updateAccount(updated.name, (old) => ({ ...old, shadow }));
          await storage.createAccount(makeAccount(replaced.name));
          await storage.applyBatch({ create: [], replace: [replaced], delete: [] });
          for (const account of [created, updated, replaced]) {
            assert.deepEqual(await storage.getAccount(account.name), account, `${account.name}: ${value}`);
          }
          expected.push(created, updated, replaced);
        }
      }
      assert.deepEqual(await collect(storage), expected);
    },
  },
  {
    name: "an account without a shadow entry keeps shadow null, also through updates that add and drop it",
    async run(storage) {
      const plain = makeAccount("legacy", { passwdPassword: "$1$abc$def", shadow: null });
      await storage.createAccount(plain);
      assert.deepEqual(await storage.getAccount("legacy"), plain);
      const added = await storage.updateAccount("legacy", (old) => ({ ...old, shadow: makeShadow() }));
      assert.deepEqual(await storage.getAccount("legacy"), added);
      await storage.updateAccount("legacy", (old) => ({ ...old, shadow: null }));
      assert.deepEqual(await storage.getAccount("legacy"), plain);
      const orphan = makeAccount("orphan", { passwdPassword: "x", shadow: null });
      await storage.createAccount(orphan);
      assert.deepEqual(await collect(storage), [plain, orphan]);
    },
  },
  {
    name: "a shell holding ':' and fields holding control characters round-trip unchanged",
    async run(storage) {
      // glibc reads the shell as the rest of the passwd line, and keeps "\r" and tabs.
      const accounts = [
        makeAccount("colon", { shell: "/bin/sh:extra:" }),
        makeAccount("crlf", { shell: "/usr/sbin/nologin\r", gecos: "a\tb\u0001", home: "/h\u007f" }),
        makeAccount("crhash", { passwdPassword: "x \r", shadow: makeShadow({ hash: "$6$s$h\r\t" }) }),
        makeAccount("maxid", { uid: 4294967295, gid: 4294967295 }),
      ];
      for (const account of accounts) await storage.createAccount(account);
      for (const account of accounts) assert.deepEqual(await storage.getAccount(account.name), account);
      const updated = await storage.updateAccount("colon", (old) => ({ ...old, shell: "a:b:c" }));
      assert.equal(updated.shell, "a:b:c");
      assert.deepEqual(await storage.getAccount("colon"), updated);
    },
  },
  {
    name: "empty strings stay empty strings",
    async run(storage) {
      const empty = makeAccount("empty", {
        passwdPassword: "",
        gecos: "",
        home: "",
        shell: "",
        shadow: makeShadow({ hash: "", flag: "" }),
      });
      await storage.createAccount(empty);
      assert.deepEqual(await storage.getAccount("empty"), empty);
    },
  },
  {
    name: "unicode, unnormalised and long fields round-trip unchanged",
    async run(storage) {
      const accounts = [
        makeAccount("zoë", { gecos: "Zoë Ωmega, 山田太郎, 🦊 room 1", home: "/home/zoë" }),
        makeAccount("caf\u00e9", { uid: 1 }),
        makeAccount("cafe\u0301", { uid: 2 }),
        makeAccount("long", {
          gecos: "g".repeat(65536),
          home: `/${"d/".repeat(2000)}`,
          shadow: makeShadow({ hash: `$argon2id$v=19$m=65536,t=3,p=4$${"A".repeat(4096)}`, flag: "9".repeat(300) }),
        }),
        makeAccount("tab\tand space ", { gecos: "\t leading and trailing \t" }),
      ];
      for (const account of accounts) await storage.createAccount(account);
      for (const account of accounts) {
        assert.deepEqual(await storage.getAccount(account.name), account, account.name);
      }
      assert.deepEqual(await collect(storage), accounts);
    },
  },
  {
    name: "returned accounts are copies: mutating them or the created object changes nothing",
    async run(storage) {
      const alice = makeAccount("alice");
      await storage.createAccount(alice);
      alice.uid = 1;
      const read = await storage.getAccount("alice");
      assert.ok(read !== null && read.shadow !== null);
      read.gecos = "changed";
      read.shadow.hash = "changed";
      for await (const listed of storage.listAccounts()) listed.home = "/changed";
      assert.deepEqual(await storage.getAccount("alice"), makeAccount("alice"));
    },
  },
  {
    name: "listing follows creation order after deletes, re-creates and renames",
    async run(storage) {
      await createMany(storage, ["d", "c", "b", "a"]);
      await storage.createAccount(makeAccount("e"));
      await storage.deleteAccount("c");
      await storage.createAccount(makeAccount("c"));
      await storage.updateAccount("b", (old) => ({ ...old, name: "z" }));
      await storage.deleteAccount("c");
      await storage.createAccount(makeAccount("f"));
      assert.deepEqual(await listNames(storage), ["d", "z", "a", "e", "f"]);
      assert.equal(await storage.countAccounts(), 5);
    },
  },
  {
    name: "listing many accounts yields each once, in order",
    async run(storage) {
      const names = range(1234, "user");
      await createMany(storage, names.slice(0, 1000));
      for (const name of names.slice(1000)) await storage.createAccount(makeAccount(name));
      assert.deepEqual(await listNames(storage), names);
      assert.equal(await storage.countAccounts(), names.length);
    },
  },
  {
    name: "listing keeps going while other calls read and write between its steps",
    async run(storage) {
      const originals = range(1200, "orig");
      await createMany(storage, originals);
      const touched = new Set<string>();
      const yielded: string[] = [];
      let index = 0;
      for await (const account of storage.listAccounts()) {
        yielded.push(account.name);
        // Work in the middle of the iteration: reads, a nested listing, every kind of write.
        if (index % 97 === 0) {
          await storage.createAccount(makeAccount(`new${index}`));
          const ahead = originals[index + 3];
          const later = originals[index + 5];
          assert.ok(ahead !== undefined && later !== undefined);
          await storage.updateAccount(ahead, (old) => ({ ...old, uid: old.uid + 1 }));
          await storage.deleteAccount(later);
          touched.add(ahead).add(later);
          if (!touched.has(account.name)) {
            assert.equal((await storage.getAccount(account.name))?.name, account.name);
          }
          assert.ok((await storage.countAccounts()) > 0);
          let nested = 0;
          for await (const inner of storage.listAccounts()) {
            assert.equal(typeof inner.name, "string");
            if (++nested === 3) break;
          }
          await storage.applyBatch({ create: [makeAccount(`batch${index}`)], replace: [], delete: [] });
        }
        index += 1;
      }
      assert.equal(new Set(yielded).size, yielded.length, "no account twice");
      const untouched = originals.filter((name) => !touched.has(name));
      assert.deepEqual(
        yielded.filter((name) => untouched.includes(name)),
        untouched,
        "every untouched account, in creation order",
      );
      const position = new Map(yielded.map((name, at) => [name, at]));
      for (const name of yielded.filter((name) => !originals.includes(name))) {
        const last = position.get(originals.at(-1) ?? "") ?? -1;
        assert.ok((position.get(name) ?? -1) > last, `${name} was created later, so it comes later`);
      }
    },
  },
  {
    name: "applyBatch applies deletes, then replacements, then creates, together",
    async run(storage) {
      await createMany(storage, ["alice", "bob", "carol", "dave"]);
      const carol = makeAccount("carol", { uid: 3003, shadow: null, passwdPassword: "$5$x$y" });
      const bob = makeAccount("bob", { uid: 2002 });
      await storage.applyBatch({
        delete: ["alice", "bob"],
        replace: [carol],
        create: [makeAccount("erin"), bob],
      });
      assert.deepEqual(await collect(storage), [carol, makeAccount("dave"), makeAccount("erin"), bob]);
      await storage.applyBatch({ create: [], replace: [], delete: [] });
      assert.equal(await storage.countAccounts(), 4);
    },
  },
  {
    name: "a failing applyBatch leaves every account as it was",
    async run(storage) {
      await createMany(storage, ["alice", "bob", "carol"]);
      const before = await collect(storage);
      const valid: AccountBatch = {
        delete: ["alice"],
        replace: [makeAccount("bob", { uid: 9 })],
        create: [makeAccount("dave"), makeAccount("erin")],
      };
      const failing: { why: string; batch: AccountBatch; error: ErrorClass }[] = [
        {
          why: "a create of an existing name",
          batch: { ...valid, create: [...valid.create, makeAccount("carol")] },
          error: AlreadyExistsError,
        },
        {
          why: "one name created twice",
          batch: { ...valid, create: [...valid.create, makeAccount("dave")] },
          error: AlreadyExistsError,
        },
        {
          why: "a replacement of a missing name",
          batch: { ...valid, replace: [...valid.replace, makeAccount("zed")] },
          error: NotFoundError,
        },
        {
          why: "a replacement of a name deleted in the same batch",
          batch: { ...valid, replace: [...valid.replace, makeAccount("alice")] },
          error: NotFoundError,
        },
        { why: "a delete of a missing name", batch: { ...valid, delete: ["alice", "zed"] }, error: NotFoundError },
        { why: "one name deleted twice", batch: { ...valid, delete: ["alice", "alice"] }, error: NotFoundError },
        {
          why: "a refused value in the last create",
          batch: { ...valid, create: [...valid.create, makeAccount("frank", { uid: -5 })] },
          error: RangeError,
        },
        {
          why: "a refused value in a replacement",
          batch: { ...valid, replace: [makeAccount("carol", { gecos: "a:b" })] },
          error: RangeError,
        },
      ];
      for (const { why, batch, error } of failing) {
        await assert.rejects(storage.applyBatch(batch), error, why);
        assert.deepEqual(await collect(storage), before, why);
        assert.equal(await storage.countAccounts(), before.length, why);
      }
      await storage.applyBatch(valid);
      assert.deepEqual(await listNames(storage), ["bob", "carol", "dave", "erin"]);
    },
  },
  {
    name: "values the schema refuses are refused with RangeError by create and update",
    async run(storage) {
      await createMany(storage, ["alice"]);
      for (const { why, account } of REFUSED_ACCOUNTS) {
        await assert.rejects(storage.createAccount(account), RangeError, `create with ${why}`);
        await assert.rejects(
          storage.updateAccount("alice", () => ({ ...account, name: account.name === "bad" ? "alice" : account.name })),
          RangeError,
          `update with ${why}`,
        );
      }
      assert.deepEqual(await collect(storage), [makeAccount("alice")]);
    },
  },
  {
    name: "the boundary values the schema allows are stored",
    async run(storage) {
      const accounts = [
        makeAccount("root", { uid: 0, gid: 0 }),
        makeAccount("nobody", { uid: 4294967295, gid: 4294967295 }),
        makeAccount("lonely-!", { passwdPassword: "##lonely-!" }),
      ];
      for (const account of accounts) await storage.createAccount(account);
      assert.deepEqual(await collect(storage), accounts);
    },
  },
  {
    name: "a closed storage rejects further calls",
    async run(storage) {
      await storage.createAccount(makeAccount("alice"));
      await storage.close();
      await assert.rejects(storage.getAccount("alice"));
      await assert.rejects(storage.createAccount(makeAccount("bob")));
      await storage.close();
    },
  },
  {
    name: "export lists imported accounts by seq, each file in its own order, then the others in creation order",
    async run(storage) {
      await createMany(storage, ["early", "alice", "bob", "carol"]);
      await storage.createAccount(makeAccount("noshadow", { shadow: null }));
      await storage.setSourceLines("carol", { passwd: { seq: 1, text: " carol:x" }, shadow: { seq: 30, text: null } });
      await storage.setSourceLines("alice", { passwd: { seq: 2, text: null }, shadow: { seq: 10, text: "alice:s" } });
      await storage.setSourceLines("bob", { passwd: { seq: 3, text: null } });
      await storage.setSourceLines("noshadow", { passwd: { seq: 4, text: "noshadow:x:+1" } });
      assert.deepEqual(await exportView(storage), {
        passwd: ["carol  carol:x", "alice -", "bob -", "noshadow noshadow:x:+1", "early -"],
        shadow: ["alice alice:s", "carol -", "early -", "bob -"],
      });
    },
  },
  {
    name: "a changed field drops the text of its own file's line only, keeping the account's place",
    async run(storage) {
      const names = ["gecos", "hash", "rename", "same", "batch", "unshadow", "reshadow"];
      await createMany(storage, names);
      for (const [index, name] of names.entries()) {
        await storage.setSourceLines(name, { passwd: { seq: 10 - index, text: `P${name}` }, shadow: { seq: 10 - index, text: `S${name}` } });
      }
      await storage.updateAccount("gecos", (old) => ({ ...old, gecos: "changed" }));
      await storage.updateAccount("hash", (old) => ({ ...old, shadow: makeShadow({ hash: "$6$other$x" }) }));
      await storage.updateAccount("rename", (old) => ({ ...old, name: "renamed" }));
      await storage.updateAccount("same", (old) => ({ ...old, shadow: makeShadow() }));
      await storage.applyBatch({ create: [], delete: [], replace: [makeAccount("batch", { uid: 4242 })] });
      await storage.updateAccount("unshadow", (old) => ({ ...old, shadow: null }));
      await storage.updateAccount("reshadow", (old) => ({ ...old, shadow: makeShadow({ maxDays: null }) }));
      assert.deepEqual(await exportView(storage), {
        passwd: ["reshadow Preshadow", "unshadow Punshadow", "batch -", "same Psame", "renamed -", "hash Phash", "gecos -"],
        shadow: ["reshadow -", "batch Sbatch", "same Ssame", "renamed -", "hash -", "gecos Sgecos"],
      });
    },
  },
  {
    name: "source lines: null clears one file, a deleted account takes them along, a missing name is NotFoundError",
    async run(storage) {
      await createMany(storage, ["alice", "bob"]);
      await storage.setSourceLines("alice", { passwd: { seq: 5, text: "a" }, shadow: { seq: 5, text: "b" } });
      await storage.setSourceLines("bob", { passwd: { seq: 1, text: null } });
      await storage.setSourceLines("alice", { shadow: null });
      assert.deepEqual(await exportView(storage), { passwd: ["bob -", "alice a"], shadow: ["alice -", "bob -"] });
      await storage.deleteAccount("bob");
      await storage.createAccount(makeAccount("bob"));
      assert.deepEqual((await exportView(storage)).passwd, ["alice a", "bob -"]);
      await assert.rejects(storage.setSourceLines("zed", { passwd: { seq: 1, text: null } }), NotFoundError);
      await assert.rejects(storage.setSourceLines("alice", { passwd: { seq: 1.5, text: null } }), RangeError);
    },
  },
];
