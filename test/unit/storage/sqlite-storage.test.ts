// Tests what the conformance suite cannot see of the SQLite backend: connection settings,
// writes across connections and threads, busy handling, the WAL checkpoint on close.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import { findMigrationsDir, readMigrationFiles } from "../../../src/storage/sqlite/migrate";
import type { Account } from "../../../src/domain/account";
import {
  DEFAULT_BUSY_TIMEOUT_MS,
  openSqliteDatabase,
  openSqliteStorage,
} from "../../../src/storage/sqlite/sqlite-storage";

const scratch = mkdtempSync(join(tmpdir(), "shadowd-sqlite-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

let fileCount = 0;
function makePath(): string {
  return join(scratch, `db${fileCount++}.sqlite`);
}

function makeAccount(name: string, uid = 1000): Account {
  return {
    name,
    passwdPassword: "x",
    uid,
    gid: 100,
    gecos: "",
    home: `/home/${name}`,
    shell: "/bin/sh",
    shadow: {
      hash: "!",
      lastChange: 19000,
      minDays: null,
      maxDays: null,
      warnDays: null,
      inactiveDays: null,
      expireDate: null,
      flag: "",
    },
  };
}

/** The newest migration this checkout ships. */
const SHIPPED_VERSION = Math.max(...readMigrationFiles(findMigrationsDir()).map((file) => file.version));

describe("openSqliteDatabase", () => {
  const settings: { name: string; busyTimeoutMs: number | undefined; expected: Record<string, unknown> }[] = [
    {
      name: "a file database gets WAL, synchronous FULL, foreign keys and the default busy timeout",
      busyTimeoutMs: undefined,
      expected: { journal_mode: "wal", synchronous: 2, foreign_keys: 1, busy_timeout: DEFAULT_BUSY_TIMEOUT_MS },
    },
    {
      name: "busyTimeoutMs sets the busy timeout",
      busyTimeoutMs: 1234,
      expected: { journal_mode: "wal", synchronous: 2, foreign_keys: 1, busy_timeout: 1234 },
    },
  ];
  for (const { name, busyTimeoutMs, expected } of settings) {
    it(name, () => {
      const db = openSqliteDatabase(makePath(), busyTimeoutMs === undefined ? {} : { busyTimeoutMs });
      try {
        for (const [pragma, value] of Object.entries(expected)) {
          assert.equal(db.pragma(pragma, { simple: true }), value, pragma);
        }
      } finally {
        db.close();
      }
    });
  }

  it("migrates an in-memory database too", () => {
    const db = openSqliteDatabase(":memory:");
    assert.equal(db.prepare("SELECT max(version) FROM schema_migrations").pluck().get(), SHIPPED_VERSION);
    db.close();
  });

  for (const busyTimeoutMs of [-1, 1.5, Number.NaN]) {
    it(`refuses busyTimeoutMs ${busyTimeoutMs}`, () => {
      assert.throws(() => openSqliteStorage(":memory:", { busyTimeoutMs }), RangeError);
    });
  }

  it("refuses a database that a newer shadowd migrated, and leaves it alone", async () => {
    const path = makePath();
    const storage = openSqliteStorage(path);
    await storage.createAccount(makeAccount("alice"));
    await storage.close();
    const raw = new Database(path);
    const future = SHIPPED_VERSION + 1;
    const futureName = `${String(future).padStart(4, "0")}_from_the_future`;
    raw.prepare("INSERT INTO schema_migrations VALUES (?, ?, 'later')").run(future, futureName);
    assert.throws(() => openSqliteStorage(path), new RegExp(`schema version ${future} \\(${futureName}\\) is newer`));
    assert.equal(raw.prepare("SELECT count(*) FROM accounts").pluck().get(), 1);
    raw.close();
  });
});

describe("SqliteStorage writes", () => {
  it("writes no row when the updater returns its argument, and one row otherwise", async () => {
    const path = makePath();
    const storage = openSqliteStorage(path);
    await storage.createAccount(makeAccount("alice"));
    const raw = new Database(path);
    raw.exec(`CREATE TABLE write_log (name TEXT);
      CREATE TRIGGER log_update AFTER UPDATE ON accounts BEGIN INSERT INTO write_log VALUES (new.name); END;`);
    const logged = (): unknown[] => raw.prepare("SELECT name FROM write_log").pluck().all();
    await storage.updateAccount("alice", (old) => old);
    assert.deepEqual(logged(), []);
    await storage.updateAccount("alice", (old) => ({ ...old }));
    assert.deepEqual(logged(), ["alice"]);
    raw.close();
    await storage.close();
  });

  it("keeps id and created_at through updates and renames, and moves updated_at", async () => {
    const path = makePath();
    const storage = openSqliteStorage(path);
    await storage.createAccount(makeAccount("alice"));
    const raw = new Database(path, { readonly: true });
    const read = raw.prepare<[], { id: number; name: string; created_at: string; updated_at: string }>(
      "SELECT id, name, created_at, updated_at FROM accounts",
    );
    const before = read.get();
    assert.ok(before !== undefined);
    assert.equal(before.created_at, before.updated_at);
    await sleep(5);
    await storage.updateAccount("alice", (old) => ({ ...old, name: "alicia" }));
    const afterRename = read.get();
    assert.ok(afterRename !== undefined);
    assert.deepEqual(
      { id: afterRename.id, name: afterRename.name, created_at: afterRename.created_at },
      { id: before.id, name: "alicia", created_at: before.created_at },
    );
    assert.ok(afterRename.updated_at > before.updated_at, "updated_at moved forward");
    raw.close();
    await storage.close();
  });

  it("loses no increments when four threads update one account through their own connections", async () => {
    const path = makePath();
    const storage = openSqliteStorage(path);
    await storage.createAccount(makeAccount("counter", 0));
    const threads = 4;
    const perThread = 100;
    const results = await Promise.all(
      Array.from({ length: threads }, () => runWorker(INCREMENT_WORKER, { path, count: perThread })),
    );
    assert.deepEqual(results, Array.from({ length: threads }, () => "done"));
    assert.equal((await storage.getAccount("counter"))?.uid, threads * perThread);
    await storage.close();
  });

  it("waits for another connection's write lock instead of failing", async () => {
    const path = makePath();
    const storage = openSqliteStorage(path);
    const holder = new Worker(HOLD_LOCK_WORKER, { eval: true, workerData: { path, holdMs: 300 } });
    const messages: unknown[] = [];
    const released = new Promise<number>((resolve, reject) => {
      holder.on("message", (message: unknown) => {
        messages.push(message);
        if (typeof message === "number") resolve(message);
      });
      holder.on("error", reject);
    });
    while (!messages.includes("locked")) await sleep(5);
    await storage.createAccount(makeAccount("patient"));
    const finishedAt = Date.now();
    const releasedAt = await released;
    assert.ok(finishedAt >= releasedAt, "the write finished only after the other connection committed");
    assert.equal(await storage.countAccounts(), 1);
    await storage.close();
  });

  it("fails a write blocked beyond busy_timeout with a storage error, and succeeds once the lock is gone", async () => {
    const path = makePath();
    const storage = openSqliteStorage(path, { busyTimeoutMs: 50 });
    const raw = new Database(path);
    raw.prepare("BEGIN IMMEDIATE").run();
    const writes: [string, () => Promise<unknown>][] = [
      ["createAccount", () => storage.createAccount(makeAccount("alice"))],
      ["updateAccount", () => storage.updateAccount("alice", (old) => old)],
      ["deleteAccount", () => storage.deleteAccount("alice")],
      ["applyBatch", () => storage.applyBatch({ create: [makeAccount("bob")], replace: [], delete: [] })],
    ];
    for (const [label, write] of writes) {
      await assert.rejects(write(), (error) => {
        assert.ok(error instanceof Error, label);
        assert.ok(!(error instanceof Database.SqliteError), `${label}: no driver error`);
        assert.match(error.message, /busy_timeout/, label);
        assert.ok(error.cause instanceof Database.SqliteError, label);
        assert.equal(error.cause.code, "SQLITE_BUSY", label);
        return true;
      });
    }
    raw.prepare("ROLLBACK").run();
    await storage.createAccount(makeAccount("alice"));
    assert.equal(await storage.countAccounts(), 1);
    raw.close();
    await storage.close();
  });
});

describe("SqliteStorage close and health", () => {
  it("truncates the WAL on close even while another connection keeps the file open", async () => {
    const path = makePath();
    const storage = openSqliteStorage(path);
    const raw = new Database(path);
    assert.equal(raw.prepare("SELECT count(*) FROM accounts").pluck().get(), 0, "raw joined the WAL");
    await storage.applyBatch({
      create: Array.from({ length: 200 }, (_, index) => makeAccount(`user${index}`)),
      replace: [],
      delete: [],
    });
    assert.ok(statSync(`${path}-wal`).size > 0, "the WAL holds the batch before close");
    await storage.close();
    assert.equal(statSync(`${path}-wal`).size, 0);
    assert.equal(raw.prepare("SELECT count(*) FROM accounts").pluck().get(), 200);
    raw.close();
    await storage.close();
  });

  it("reports integrity_check ok on a used database", async () => {
    const storage = openSqliteStorage(makePath());
    await storage.createAccount(makeAccount("alice"));
    await storage.deleteAccount("alice");
    assert.equal(storage.integrityCheck(), "ok");
    await storage.close();
  });
});

const STORAGE_MODULE = require.resolve("../../../src/storage/sqlite/sqlite-storage");
const DRIVER_MODULE = require.resolve("better-sqlite3");

/** Increments counter's uid `count` times through its own connection. */
const INCREMENT_WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { openSqliteStorage } = require(${JSON.stringify(STORAGE_MODULE)});
(async () => {
  const storage = openSqliteStorage(workerData.path);
  for (let i = 0; i < workerData.count; i += 1) {
    await storage.updateAccount("counter", (old) => ({ ...old, uid: old.uid + 1 }));
  }
  await storage.close();
  parentPort.postMessage("done");
})().catch((error) => parentPort.postMessage(String(error.code) + ": " + String(error.message)));
`;

/** Holds the write lock for holdMs, posting "locked", then the time it starts to commit. */
const HOLD_LOCK_WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(${JSON.stringify(DRIVER_MODULE)});
const db = new Database(workerData.path);
db.prepare("BEGIN IMMEDIATE").run();
parentPort.postMessage("locked");
setTimeout(() => {
  const releasedAt = Date.now();
  db.prepare("COMMIT").run();
  db.close();
  parentPort.postMessage(releasedAt);
}, workerData.holdMs);
`;

async function runWorker(code: string, workerData: unknown): Promise<unknown> {
  const worker = new Worker(code, { eval: true, workerData });
  return new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
}
