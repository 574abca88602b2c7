// Runs the storage conformance suite on SQLite, in memory and in a temp file. The file
// variant's close() also reopens the file and checks that the data persisted intact.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Account } from "../../src/domain/account";
import type { Storage } from "../../src/storage/storage";
import { openSqliteStorage } from "../../src/storage/sqlite/sqlite-storage";
import { runStorageConformance } from "./storage-conformance";

runStorageConformance("sqlite :memory:", async () => openSqliteStorage(":memory:"));
runStorageConformance("sqlite file", async () => openReopeningStorage());

/** A file storage whose close() reopens the file, compares every account and runs integrity_check. */
function openReopeningStorage(): Storage {
  const dir = mkdtempSync(join(tmpdir(), "shadowd-conformance-"));
  const path = join(dir, "shadowd.db");
  const storage = openSqliteStorage(path);
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    const before = await listAll(storage).catch(() => null);
    await storage.close();
    const reopened = openSqliteStorage(path);
    try {
      if (before !== null) assert.deepEqual(await listAll(reopened), before, "data persisted");
      assert.equal(reopened.integrityCheck(), "ok");
    } finally {
      await reopened.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };
  return {
    createAccount: (account) => storage.createAccount(account),
    getAccount: (name) => storage.getAccount(name),
    listAccounts: () => storage.listAccounts(),
    countAccounts: () => storage.countAccounts(),
    updateAccount: (name, updater) => storage.updateAccount(name, updater),
    deleteAccount: (name) => storage.deleteAccount(name),
    applyBatch: (batch) => storage.applyBatch(batch),
    setSourceLines: (name, lines) => storage.setSourceLines(name, lines),
    exportAccounts: () => storage.exportAccounts(),
    close,
  };
}

async function listAll(storage: Storage): Promise<Account[]> {
  const accounts: Account[] = [];
  for await (const account of storage.listAccounts()) accounts.push(account);
  return accounts;
}
