// Tests the export use case on the memory backend: imported texts are written as stored,
// other lines formatted, accounts without a shadow entry only in the passwd file, passwd
// chunks before shadow chunks, and chunks that end on whole lines.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Account } from "../../../src/domain/account";
import { EXPORT_CHUNK_BYTES, exportAccounts, type ExportChunk, type ExportCounts } from "../../../src/app/export-accounts";
import { MemoryStorage } from "../../../src/storage/memory/memory-storage";

function account(name: string, overrides: Partial<Account> = {}): Account {
  return {
    name,
    passwdPassword: "x",
    uid: 2000,
    gid: 2000,
    gecos: "",
    home: `/home/${name}`,
    shell: "/bin/sh",
    shadow: { hash: "$6$s$h", lastChange: 19000, minDays: null, maxDays: 99999, warnDays: 7, inactiveDays: null, expireDate: null, flag: "" },
    ...overrides,
  };
}

async function collect(storage: MemoryStorage, counts?: ExportCounts): Promise<ExportChunk[]> {
  const chunks: ExportChunk[] = [];
  for await (const chunk of exportAccounts({ storage }, counts)) chunks.push(chunk);
  return chunks;
}

function text(chunks: ExportChunk[], file: ExportChunk["file"]): string {
  return Buffer.concat(chunks.filter((chunk) => chunk.file === file).map((chunk) => chunk.bytes)).toString("utf8");
}

describe("exportAccounts", () => {
  it("writes stored texts as they are, formats the rest, and leaves accounts without a shadow entry out of the shadow file", async () => {
    const storage = new MemoryStorage();
    await storage.createAccount(account("new"));
    await storage.createAccount(account("plain", { uid: 2001, gid: 2001 }));
    await storage.createAccount(account("odd", { uid: 5, gid: 5 }));
    await storage.createAccount(account("nosh", { shadow: null, passwdPassword: "$1$x$y" }));
    await storage.setSourceLines("odd", { passwd: { seq: 1, text: "  odd:x:+5:5::/home/odd:/bin/sh" }, shadow: { seq: 2, text: "odd:$6$s$h:19000::99999" } });
    await storage.setSourceLines("plain", { passwd: { seq: 2, text: null }, shadow: { seq: 1, text: null } });
    const counts: ExportCounts = { passwdLines: 0, shadowLines: 0 };
    const chunks = await collect(storage, counts);
    assert.equal(
      text(chunks, "passwd"),
      [
        "  odd:x:+5:5::/home/odd:/bin/sh",
        "plain:x:2001:2001::/home/plain:/bin/sh",
        "new:x:2000:2000::/home/new:/bin/sh",
        "nosh:$1$x$y:2000:2000::/home/nosh:/bin/sh",
        "",
      ].join("\n"),
    );
    assert.equal(text(chunks, "shadow"), ["plain:$6$s$h:19000::99999:7:::", "odd:$6$s$h:19000::99999", "new:$6$s$h:19000::99999:7:::", ""].join("\n"));
    assert.deepEqual(counts, { passwdLines: 4, shadowLines: 3 });
    const files = chunks.map((chunk) => chunk.file);
    assert.equal(files.lastIndexOf("passwd") < files.indexOf("shadow"), true, "passwd chunks come first");
  });

  it("cuts large files into chunks of about EXPORT_CHUNK_BYTES that end with whole lines", async () => {
    const storage = new MemoryStorage();
    const batch = Array.from({ length: 3000 }, (_, i) => account(`user${String(i).padStart(5, "0")}`, { uid: 10_000 + i, gid: 10_000 + i, gecos: "g".repeat(60) }));
    await storage.applyBatch({ create: batch, replace: [], delete: [] });
    const chunks = await collect(storage);
    const passwd = chunks.filter((chunk) => chunk.file === "passwd");
    assert.ok(passwd.length > 1);
    for (const chunk of chunks) {
      assert.equal(chunk.bytes.at(-1), 0x0a, "a chunk ends with a newline");
      assert.ok(chunk.bytes.length < EXPORT_CHUNK_BYTES + 1024);
    }
    assert.equal(text(chunks, "passwd").split("\n").length - 1, 3000);
    assert.equal(text(chunks, "shadow").split("\n").length - 1, 3000);
  });

  it("an empty storage exports nothing", async () => {
    assert.deepEqual(await collect(new MemoryStorage()), []);
  });
});
