// Integration: `shadowctl import` against a real daemon: merge, create-only and replace
// (--yes), system accounts, dry runs that report exactly what the real run then does,
// problems capped and counted, duplicates and orphans, one import at a time, staging files
// cleaned up, and a file large enough to stream through many interleaved chunks.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { startTestDaemon, type CommandResult, type TestDaemon } from "../helpers/daemon";
import { AuthResult } from "../../src/gen/shadowd/v1/shadowd";

const HASH = "$6$gtSaltScale$d9tz21EKI1lH4cYIrPpOitYDapHDR.0napc7gcHu..G7inoKYmrlydnGgvEv.2IT.muQfh39hA2VKJLTcrB2N0"; // "secret123"
const CHEAP_ARGON2 = ["--argon2-memory", "256", "--argon2-time", "1", "--penalty-max-ms", "0"];

interface JsonReport {
  committed: boolean;
  dryRun: boolean;
  created: number;
  updated: number;
  unchanged: number;
  skipped: number;
  deleted: number;
  createdNames: string[];
  updatedNames: string[];
  skippedNames: string[];
  deletedNames: string[];
  problemCount: number;
  problems: Array<{ file: string; line: number; name: string; reason: string }>;
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "shd-import-scale-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

let fileCounter = 0;
/** Write a passwd and a shadow text to fresh files; returns their paths. */
function writeFiles(passwd: string, shadow: string): { passwd: string; shadow: string } {
  fileCounter++;
  const files = { passwd: path.join(scratch, `passwd${fileCounter}`), shadow: path.join(scratch, `shadow${fileCounter}`) };
  fs.writeFileSync(files.passwd, passwd);
  fs.writeFileSync(files.shadow, shadow);
  return files;
}

const passwdLine = (name: string, uid: number, gecos = ""): string => `${name}:x:${uid}:${uid}:${gecos}:/home/${name}:/bin/sh\n`;
const shadowLine = (name: string, hash = HASH): string => `${name}:${hash}:19000:0:99999:7:::\n`;

async function importJson(daemon: TestDaemon, files: { passwd: string; shadow: string }, flags: string[] = []): Promise<{ result: CommandResult; report: JsonReport }> {
  const result = await daemon.shadowctl(["import", "--passwd", files.passwd, "--shadow", files.shadow, "--json", ...flags]);
  assert.ok(result.stdout.startsWith("{"), `no JSON report (exit ${result.code}): ${result.stderr}`);
  return { result, report: JSON.parse(result.stdout) as JsonReport };
}

/** The report without what legitimately differs between a dry run and the real run. */
function comparable(report: JsonReport): Omit<JsonReport, "committed" | "dryRun"> {
  const { committed: _committed, dryRun: _dryRun, ...rest } = report;
  return rest;
}

async function names(daemon: TestDaemon): Promise<string[]> {
  const result = await daemon.shadowctl(["getent", "passwd"]);
  return result.stdout.split("\n").filter((line) => line !== "").map((line) => line.split(":")[0] ?? "");
}

describe("import modes, each on a fresh daemon with the same accounts", () => {
  // alice, bob and carol imported; dave added by useradd. The second files change alice's
  // gecos, keep bob, add erin, and do not mention carol or dave.
  const base = writeFiles(
    passwdLine("alice", 2001, "Alice") + passwdLine("bob", 2002) + passwdLine("carol", 2003),
    shadowLine("alice") + shadowLine("bob") + shadowLine("carol"),
  );
  const second = writeFiles(passwdLine("alice", 2001, "Alice Changed") + passwdLine("bob", 2002) + passwdLine("erin", 2005), shadowLine("erin") + shadowLine("bob") + shadowLine("alice"));
  const cases: Array<{ name: string; flags: string[]; expect: Partial<JsonReport>; remaining: string[]; aliceGecos: string }> = [
    {
      name: "merge creates erin, updates alice, leaves bob, carol and dave",
      flags: [],
      expect: { created: 1, createdNames: ["erin"], updated: 1, updatedNames: ["alice"], unchanged: 1, deleted: 0, deletedNames: [], skipped: 0 },
      remaining: ["alice", "bob", "carol", "dave", "erin"],
      aliceGecos: "Alice Changed",
    },
    {
      name: "create-only creates erin and leaves alice as she was",
      flags: ["--mode", "create-only"],
      expect: { created: 1, createdNames: ["erin"], updated: 0, updatedNames: [], unchanged: 2, deleted: 0 },
      remaining: ["alice", "bob", "carol", "dave", "erin"],
      aliceGecos: "Alice",
    },
    {
      name: "replace --yes also deletes carol and dave",
      flags: ["--mode", "replace", "--yes"],
      expect: { created: 1, updated: 1, unchanged: 1, deleted: 2, deletedNames: ["carol", "dave"] },
      remaining: ["alice", "bob", "erin"],
      aliceGecos: "Alice Changed",
    },
  ];
  for (const c of cases) {
    it(`${c.name}; its dry run reported exactly that and wrote nothing`, async () => {
      const daemon = await startTestDaemon({ extraArgs: CHEAP_ARGON2 });
      try {
        assert.equal((await importJson(daemon, base)).report.created, 3);
        assert.equal((await daemon.shadowctl(["useradd", "dave"])).code, 0);
        const before = await daemon.shadowctl(["getent", "shadow"]);
        const dry = await importJson(daemon, second, [...c.flags, "--dry-run"]);
        assert.equal(dry.result.code, 0);
        assert.equal(dry.report.committed, false);
        assert.deepEqual(await daemon.shadowctl(["getent", "shadow"]), before, "a dry run writes nothing");
        const real = await importJson(daemon, second, c.flags);
        assert.equal(real.result.code, 0, real.result.stderr);
        assert.equal(real.report.committed, true);
        assert.deepEqual(comparable(dry.report), comparable(real.report), "the dry run reported what the real run did");
        for (const [key, value] of Object.entries(c.expect)) assert.deepEqual(real.report[key as keyof JsonReport], value, key);
        assert.deepEqual((await names(daemon)).sort(), c.remaining);
        assert.equal((await daemon.adminp.getUser({ name: "alice" })).gecos, c.aliceGecos);
      } finally {
        await daemon.stop();
      }
    });
  }

  it("replace without --yes only reports, says so, exits 1 and writes nothing", async () => {
    const daemon = await startTestDaemon({ extraArgs: CHEAP_ARGON2 });
    try {
      await importJson(daemon, base);
      const { result, report } = await importJson(daemon, second, ["--mode", "replace"]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /--mode replace without --yes only reports: nothing was written; run again with --yes/);
      assert.deepEqual([report.dryRun, report.committed, report.deleted, report.deletedNames], [true, false, 1, ["carol"]]);
      assert.deepEqual((await names(daemon)).sort(), ["alice", "bob", "carol"]);
    } finally {
      await daemon.stop();
    }
  });
});

describe("import on one daemon", () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startTestDaemon({ extraArgs: CHEAP_ARGON2 });
  });
  after(async () => {
    await daemon.stop();
  });

  it("skips accounts below min_uid and counts them, unless --include-system", async () => {
    const files = writeFiles(passwdLine("sysroot", 0) + passwdLine("sysdaemon", 1) + passwdLine("sysuser", 1500), shadowLine("sysroot", "*") + shadowLine("sysdaemon", "*") + shadowLine("sysuser"));
    const plain = await importJson(daemon, files);
    assert.deepEqual([plain.report.created, plain.report.skipped, plain.report.skippedNames, plain.report.createdNames], [1, 2, ["sysroot", "sysdaemon"], ["sysuser"]]);
    assert.equal((await daemon.shadowctl(["getent", "passwd", "sysroot"])).code, 2);
    const included = await importJson(daemon, files, ["--include-system"]);
    assert.deepEqual([included.report.created, included.report.skipped, included.report.unchanged], [2, 0, 1]);
    assert.equal((await daemon.shadowctl(["getent", "passwd", "sysroot"])).stdout, "sysroot:x:0:0::/home/sysroot:/bin/sh\n");
  });

  it("caps the listed problems at 1000, counts them all, prints 50 and how many more, and aborts whole", async () => {
    const bad = Array.from({ length: 1200 }, (_, i) => `bad${i}:x:notanumber:1::/:/bin/sh\n`).join("");
    const files = writeFiles(passwdLine("capgood", 3001) + bad, shadowLine("capgood"));
    const { result, report } = await importJson(daemon, files);
    assert.equal(result.code, 1);
    assert.deepEqual([report.problemCount, report.problems.length, report.committed, report.created], [1200, 1000, false, 0]);
    assert.deepEqual(report.problems[0], { file: files.passwd, line: 2, name: "bad0", reason: 'field 3 (uid) "notanumber" is not a number' });
    assert.equal(report.problems.at(-1)?.line, 1001);
    const text = await daemon.shadowctl(["import", "--passwd", files.passwd, "--shadow", files.shadow]);
    const lines = text.stdout.trimEnd().split("\n");
    assert.equal(lines.find((line) => line.startsWith("problems:")), "problems:  1200");
    assert.equal(lines.filter((line) => line.startsWith(`${files.passwd}:`)).length, 50);
    assert.equal(lines.at(-1), "… and 1150 more");
    assert.match(text.stderr, /^shadowctl: import aborted, nothing was written: 1200 problems/);
    assert.equal((await daemon.shadowctl(["getent", "passwd", "capgood"])).code, 2);
    const skipped = await importJson(daemon, files, ["--skip-invalid"]);
    assert.deepEqual([skipped.report.committed, skipped.report.created, skipped.report.skipped, skipped.report.problemCount], [true, 1, 1200, 1200]);
    assert.deepEqual(skipped.report.skippedNames.slice(0, 3), ["bad0", "bad1", "bad2"]);
  });

  it("keeps the first of duplicate lines, reports the later ones and shadow lines without a passwd line", async () => {
    const files = writeFiles(
      passwdLine("dupe", 3101, "first") + passwdLine("other", 3102) + passwdLine("dupe", 3101, "second"),
      shadowLine("ghost") + shadowLine("dupe") + shadowLine("other") + shadowLine("other", "!"),
    );
    const aborted = await importJson(daemon, files);
    assert.deepEqual(
      aborted.report.problems.map((p) => [p.file === files.passwd ? "passwd" : "shadow", p.line, p.name, p.reason]),
      [
        ["passwd", 3, "dupe", 'duplicate passwd entry for "dupe": line 1 is the one used'],
        ["shadow", 1, "ghost", 'no matching passwd entry for "ghost"'],
        ["shadow", 4, "other", 'duplicate shadow entry for "other": line 3 is the one used'],
      ],
    );
    const { report } = await importJson(daemon, files, ["--skip-invalid"]);
    assert.deepEqual([report.created, report.skipped, report.skippedNames, report.problemCount], [2, 1, ["dupe"], 3]);
    assert.equal((await daemon.adminp.getUser({ name: "dupe" })).gecos, "first");
    assert.equal((await daemon.adminp.getUser({ name: "other" })).shadow?.hash, HASH);
  });

  it("pairs the lines by name when both files list the same names in the same order but with a duplicate", async () => {
    const files = writeFiles(
      passwdLine("twin1", 3151, "first") + passwdLine("twin2", 3152) + passwdLine("twin1", 3151, "second"),
      shadowLine("twin1") + shadowLine("twin2", "!") + shadowLine("twin1", "*"),
    );
    const { report } = await importJson(daemon, files, ["--skip-invalid"]);
    assert.deepEqual([report.created, report.problemCount, report.problems.map((p) => p.line)], [2, 2, [3, 3]]);
    assert.equal((await daemon.shadowctl(["getent", "shadow", "twin1"])).stdout, `twin1:${HASH}:19000:0:99999:7:::\n`);
    assert.equal((await daemon.shadowctl(["getent", "shadow", "twin2"])).stdout, "twin2:!:19000:0:99999:7:::\n");
  });

  it("re-importing the same files changes nothing and says so", async () => {
    const files = writeFiles(passwdLine("again1", 3201) + passwdLine("again2", 3202), shadowLine("again2") + shadowLine("again1"));
    assert.equal((await importJson(daemon, files)).report.created, 2);
    const { report } = await importJson(daemon, files);
    assert.deepEqual([report.created, report.updated, report.unchanged, report.committed], [0, 0, 2, true]);
  });

  it("a replace keeps an account whose passwd line has a problem (a typo must not delete it)", async () => {
    const own = await startTestDaemon({ extraArgs: CHEAP_ARGON2 });
    try {
      await importJson(own, writeFiles(passwdLine("keepme", 3301) + passwdLine("dropme", 3302), shadowLine("keepme") + shadowLine("dropme")));
      const typo = writeFiles("keepme:x:33O1:3301::/home/keepme:/bin/sh\n", shadowLine("keepme"));
      const { report } = await importJson(own, typo, ["--mode", "replace", "--yes", "--skip-invalid"]);
      assert.deepEqual([report.deleted, report.deletedNames, report.committed], [1, ["dropme"], true]);
      assert.deepEqual(await names(own), ["keepme"]);
    } finally {
      await own.stop();
    }
  });

  it("runs one import at a time: a second one is RESOURCE_EXHAUSTED while the first is open", async () => {
    const first = daemon.admin.importAccounts(() => undefined);
    first.on("error", () => undefined);
    first.write({ part: { $case: "options", value: { dryRun: false, mode: 1, skipInvalid: false, includeSystem: false, passwdFileName: "", shadowFileName: "" } } });
    first.write({ part: { $case: "passwdChunk", value: Buffer.from(passwdLine("busy1", 3401)) } });
    try {
      let outcome: grpc.ServiceError | null = null;
      for (let attempt = 0; attempt < 50 && outcome === null; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        outcome = await new Promise<grpc.ServiceError | null>((resolve) => {
          const second = daemon.admin.importAccounts((error) => resolve(error));
          second.write({ part: { $case: "options", value: { dryRun: true, mode: 1, skipInvalid: false, includeSystem: false, passwdFileName: "", shadowFileName: "" } } });
          second.end();
        });
      }
      assert.equal(outcome?.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.match(outcome?.details ?? "", /another import is running/);
    } finally {
      first.cancel();
    }
    await new Promise((resolve) => setTimeout(resolve, 400));
    const files = writeFiles(passwdLine("busy2", 3402), shadowLine("busy2"));
    assert.equal((await importJson(daemon, files)).report.created, 1, "the cancelled import freed its place");
    assert.equal((await daemon.shadowctl(["getent", "passwd", "busy1"])).code, 2);
  });

  it("streams a large pair through many chunks, the shadow file in another order, and leaves no staging file", async () => {
    const count = 30_000;
    const passwd: string[] = [];
    const shadow: string[] = [];
    for (let i = 0; i < count; i++) {
      passwd.push(passwdLine(`big${i}`, 100_000 + i, `Big User ${i}`));
      shadow.push(shadowLine(`big${count - 1 - i}`));
    }
    const files = writeFiles(passwd.join(""), shadow.join(""));
    const { result, report } = await importJson(daemon, files);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual([report.created, report.problemCount, report.createdNames.length, report.createdNames[0]], [count, 0, 20, "big0"]);
    const login = await daemon.authp.authenticate({ username: "big12345", password: Buffer.from("secret123"), service: "imap", remoteAddress: "" });
    assert.equal(login.result, AuthResult.AUTH_RESULT_OK);
    // The staging files go once the checkpoint after the commit has run (after the answer).
    const staging = path.join(daemon.stateDir, "import-staging");
    for (let wait = 0; wait < 100 && fs.readdirSync(staging).length > 0; wait++) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(fs.readdirSync(staging), []);
  });
});

describe("staging left-overs", () => {
  it("are deleted when the daemon starts", async () => {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "shd-"));
    const staging = path.join(stateDir, "import-staging");
    fs.mkdirSync(staging, { mode: 0o700 });
    fs.writeFileSync(path.join(staging, "import-1-1-passwd.db"), "left by a killed daemon");
    const daemon = await startTestDaemon({ stateDir, extraArgs: CHEAP_ARGON2 });
    try {
      assert.equal(fs.existsSync(staging), false);
    } finally {
      await daemon.stop();
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
