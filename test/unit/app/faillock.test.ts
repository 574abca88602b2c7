// Tests faillock as login hooks over both FailureStore backends: locking after deny
// failures, a success resetting, no extension while locked, writes queued off the answer
// path, ResetFailures, a restart keeping the tally, and the SQLite store's account rules.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import type { Account } from "../../../src/domain/account";
import type { FaillockSettings } from "../../../src/domain/faillock-policy";
import { createFaillock, type Faillock } from "../../../src/app/faillock";
import type { AppLogger, Clock, LoginEvent } from "../../../src/app/ports";
import type { FailureStore } from "../../../src/storage/failure-store";
import { MemoryFailureStore } from "../../../src/storage/memory/memory-failure-store";
import { SqliteFailureStore } from "../../../src/storage/sqlite/sqlite-failure-store";
import { openSqliteDatabase, SqliteStorage } from "../../../src/storage/sqlite/sqlite-storage";

const SETTINGS: FaillockSettings = { deny: 5, failIntervalMs: 900_000, unlockTimeMs: 600_000 };

class FakeClock implements Clock {
  constructor(public ms: number) {}
  nowMs(): number {
    return this.ms;
  }
  today(): number {
    return Math.floor(this.ms / 86_400_000);
  }
}

interface LogLine {
  level: string;
  obj: object;
  msg: string | undefined;
}

function recordingLogger(lines: LogLine[]): AppLogger {
  const at = (level: string) => (obj: object, msg?: string): void => void lines.push({ level, obj, msg });
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

function account(name: string): Account {
  return { name, passwdPassword: "x", uid: 1000, gid: 1000, gecos: "", home: `/home/${name}`, shell: "/bin/sh", shadow: { hash: "!", lastChange: 19000, minDays: 0, maxDays: 99999, warnDays: 7, inactiveDays: null, expireDate: null, flag: "" } };
}

interface Harness {
  faillock: Faillock;
  store: FailureStore;
  clock: FakeClock;
  logs: LogLine[];
  background: Promise<unknown>[];
  event(name: string, remoteAddress?: string): LoginEvent;
  fail(name: string, times?: number): Promise<void>;
}

interface Backend {
  name: string;
  make(): { store: FailureStore; storage: SqliteStorage | null };
}

const BACKENDS: Backend[] = [
  { name: "memory", make: () => ({ store: new MemoryFailureStore(), storage: null }) },
  {
    name: "sqlite",
    make: () => {
      const db = openSqliteDatabase(":memory:");
      return { store: new SqliteFailureStore(db), storage: new SqliteStorage(db) };
    },
  },
];

async function harness(backend: Backend, settings: FaillockSettings = SETTINGS): Promise<Harness> {
  const { store, storage } = backend.make();
  for (const name of ["alice", "bob"]) await storage?.createAccount(account(name));
  const clock = new FakeClock(1_700_000_000_000);
  const logs: LogLine[] = [];
  const background: Promise<unknown>[] = [];
  const faillock = createFaillock({ failures: store, clock, logger: recordingLogger(logs), settings, trackBackgroundWork: (work) => void background.push(work) });
  const event = (name: string, remoteAddress = "192.0.2.9"): LoginEvent => ({ username: name, service: "imap", remoteAddress, atMs: clock.ms });
  const fail = async (name: string, times = 1): Promise<void> => {
    for (let i = 0; i < times; i++) {
      await faillock.onFailure?.(event(name));
      clock.ms += 1000;
    }
    await faillock.flush();
  };
  return { faillock, store, clock, logs, background, event, fail };
}

for (const backend of BACKENDS) {
  describe(`faillock over the ${backend.name} store`, () => {
    it("four failures leave the account open, the fifth locks it", async () => {
      const h = await harness(backend);
      await h.fail("alice", 4);
      assert.equal(await h.faillock.isTemporarilyLocked?.(h.event("alice")), false);
      await h.fail("alice");
      assert.equal(await h.faillock.isTemporarilyLocked?.(h.event("alice")), true);
      assert.equal(await h.faillock.isTemporarilyLocked?.(h.event("bob")), false, "other accounts are not affected");
    });

    it("logs the lock once, with the user and the source, and no secret", async () => {
      const h = await harness(backend);
      await h.fail("alice", 7);
      const locks = h.logs.filter((line) => /temporarily locked/.test(line.msg ?? ""));
      assert.deepEqual(locks.map((line) => line.obj), [{ user: "alice", failures: 5, rhost: "192.0.2.9", service: "imap" }]);
    });

    it("a success before the lock clears the count", async () => {
      const h = await harness(backend);
      await h.fail("alice", 4);
      await h.faillock.onSuccess?.(h.event("alice"));
      await h.fail("alice", 4);
      assert.equal((await h.faillock.statusOf("alice")).kind, "open");
      assert.equal((await h.store.listFailures("alice")).length, 4);
    });

    it("failures while locked are not recorded, so the lock ends unlock_time after the fifth", async () => {
      const h = await harness(backend);
      await h.fail("alice", 5);
      const lockedAt = h.clock.ms - 1000;
      h.clock.ms += 300_000;
      await h.fail("alice", 3);
      assert.equal((await h.store.listFailures("alice")).length, 5);
      h.clock.ms = lockedAt + 600_000;
      assert.equal(await h.faillock.isTemporarilyLocked?.(h.event("alice")), true, "still locked at exactly latest + unlock_time");
      h.clock.ms += 1;
      assert.equal(await h.faillock.isTemporarilyLocked?.(h.event("alice")), false, "open a moment later");
    });

    it("after an expired lock the next failure counts as the first", async () => {
      const h = await harness(backend);
      await h.fail("alice", 5);
      h.clock.ms += 700_000;
      await h.fail("alice");
      assert.deepEqual(await h.faillock.statusOf("alice"), { kind: "open", failures: 1 });
    });

    it("failures answer at once and are written on a later turn of the event loop", async () => {
      const h = await harness(backend);
      await h.faillock.onFailure?.(h.event("alice"));
      assert.equal((await h.store.listFailures("alice")).length, 0, "nothing written on the answer path");
      assert.equal(h.background.length, 1, "the write is tracked for shutdown");
      await Promise.all(h.background);
      assert.deepEqual(await h.store.listFailures("alice"), [{ atMs: 1_700_000_000_000, remoteAddress: "192.0.2.9", service: "imap" }]);
    });

    it("a lock check sees failures still queued", async () => {
      const h = await harness(backend);
      for (let i = 0; i < 5; i++) await h.faillock.onFailure?.(h.event("alice"));
      assert.equal(await h.faillock.isTemporarilyLocked?.(h.event("alice")), true);
    });

    it("resetFailures clears the records, queued ones included, and answers how many", async () => {
      const h = await harness(backend);
      await h.fail("alice", 5);
      await h.faillock.onFailure?.(h.event("bob"));
      assert.equal(await h.faillock.resetFailures("alice"), 5);
      assert.equal(await h.faillock.isTemporarilyLocked?.(h.event("alice")), false);
      assert.equal(await h.faillock.resetFailures("alice"), 0);
      assert.equal(await h.faillock.resetFailures("bob"), 1);
      assert.equal(await h.faillock.resetFailures("nobody"), 0, "an unknown name clears nothing, like faillock --reset");
    });

    it("deny 0 disables locking and recording", async () => {
      const h = await harness(backend, { ...SETTINGS, deny: 0 });
      await h.fail("alice", 10);
      assert.equal(await h.faillock.isTemporarilyLocked?.(h.event("alice")), false);
      assert.equal((await h.store.listFailures("alice")).length, 0);
    });

    it("unlock_time 0 keeps the lock until a reset", async () => {
      const h = await harness(backend, { ...SETTINGS, unlockTimeMs: 0 });
      await h.fail("alice", 5);
      h.clock.ms += 365 * 86_400_000;
      assert.equal(await h.faillock.isTemporarilyLocked?.(h.event("alice")), true);
      await h.faillock.resetFailures("alice");
      assert.equal(await h.faillock.isTemporarilyLocked?.(h.event("alice")), false);
    });

    it("records too old to matter are purged on a later write", async () => {
      const h = await harness(backend);
      await h.fail("alice", 2);
      h.clock.ms += 2 * 900_000 + 600_000 + 60_000;
      await h.fail("bob");
      assert.equal((await h.store.listFailures("alice")).length, 0);
      assert.equal((await h.store.listFailures("bob")).length, 1);
    });
  });
}

describe("faillock when the store fails", () => {
  it("still answers, and logs the lost failures without a password", async () => {
    const broken = new MemoryFailureStore();
    broken.applyFailureUpdates = async (): Promise<void> => {
      throw new Error("disk I/O error");
    };
    const lines: LogLine[] = [];
    const faillock = createFaillock({ failures: broken, clock: new FakeClock(0), logger: recordingLogger(lines), settings: SETTINGS, trackBackgroundWork: () => undefined });
    await faillock.onFailure?.({ username: "alice", service: "imap", remoteAddress: "", atMs: 0 });
    await faillock.flush();
    assert.deepEqual(
      lines.map((line) => ({ level: line.level, obj: line.obj, msg: line.msg })),
      [{ level: "warn", obj: { err: "disk I/O error", changes: 1 }, msg: "cannot record authentication failures; they are lost" }],
    );
  });
});

describe("the SQLite failure store", () => {
  it("records nothing for a name that is no account, but counts every failure in the total", async () => {
    const h = await harness(BACKENDS[1]!);
    await h.fail("nobody", 6);
    await h.fail("alice", 7);
    assert.deepEqual(await h.store.listFailures("nobody"), []);
    assert.equal((await h.store.listFailures("alice")).length, 5);
    assert.equal(await h.store.totalFailures(), 13, "unknown names and failures while locked commit a write too");
  });

  it("deleting an account deletes its failures; renaming it carries them", async () => {
    const db = openSqliteDatabase(":memory:");
    const storage = new SqliteStorage(db);
    const store = new SqliteFailureStore(db);
    for (const name of ["alice", "bob"]) await storage.createAccount(account(name));
    const record = { atMs: 1, remoteAddress: "", service: "imap" };
    await store.applyFailureUpdates(["alice", "bob"].map((name) => ({ name, update: () => [record, { ...record, atMs: 2 }] })), 0);
    await storage.deleteAccount("alice");
    await storage.updateAccount("bob", (old) => ({ ...old, name: "robert" }));
    assert.deepEqual(await store.listFailures("alice"), []);
    assert.deepEqual(await store.listFailures("bob"), []);
    assert.equal((await store.listFailures("robert")).length, 2);
    await storage.createAccount(account("alice"));
    assert.deepEqual(await store.listFailures("alice"), [], "a new account of an old name starts clean");
    await storage.close();
  });

  it("writes failures without an fsync but leaves the connection at synchronous=FULL for everything else", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shd-faillock-"));
    const db = openSqliteDatabase(path.join(dir, "shadowd.db"));
    const store = new SqliteFailureStore(db);
    await new SqliteStorage(db).createAccount(account("alice"));
    assert.equal(db.pragma("synchronous", { simple: true }), 2);
    await store.applyFailureUpdates([{ name: "alice", update: () => [{ atMs: 1, remoteAddress: "", service: "imap" }] }], 1);
    assert.equal(db.pragma("synchronous", { simple: true }), 2, "restored after a write");
    const failing = {
      name: "alice",
      update: (): never => {
        throw new Error("updater failed");
      },
    };
    await assert.rejects(store.applyFailureUpdates([failing], 1), /updater failed/);
    assert.equal(db.pragma("synchronous", { simple: true }), 2, "restored after a failed write");
    assert.equal(await store.totalFailures(), 1, "the failed batch wrote nothing");
    assert.equal((await store.listFailures("alice")).length, 1);
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a restart keeps the tally: a new daemon on the same file still sees the lock", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shd-faillock-"));
    const file = path.join(dir, "shadowd.db");
    const clock = new FakeClock(1_700_000_000_000);
    const open = (): { storage: SqliteStorage; faillock: Faillock } => {
      const db = openSqliteDatabase(file);
      return { storage: new SqliteStorage(db), faillock: createFaillock({ failures: new SqliteFailureStore(db), clock, logger: recordingLogger([]), settings: SETTINGS, trackBackgroundWork: () => undefined }) };
    };
    const first = open();
    await first.storage.createAccount(account("alice"));
    for (let i = 0; i < 5; i++) await first.faillock.onFailure?.({ username: "alice", service: "imap", remoteAddress: "", atMs: clock.ms });
    await first.faillock.flush();
    await first.storage.close();
    const second = open();
    assert.equal(await second.faillock.isTemporarilyLocked?.({ username: "alice", service: "imap", remoteAddress: "", atMs: clock.ms }), true);
    await second.storage.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
