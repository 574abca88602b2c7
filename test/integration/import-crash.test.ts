// Integration: kill -9 of the daemon, or of shadowctl, at random (seeded) moments of a large
// import (200,000 lines by default: new accounts and updates to existing ones). After each
// kill the database passes PRAGMA integrity_check and holds exactly the rows it held before
// the import (or, when the kill came after the commit, exactly the rows the import makes):
// never part of it. Staging files of a killed daemon are gone after its restart.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Database from "better-sqlite3";
import { REPO_ROOT, startTestDaemon, type TestDaemon } from "../helpers/daemon";

const LINES = Number(process.env.SHADOWD_IMPORT_CRASH_LINES ?? 200_000);
const ROUNDS = Number(process.env.SHADOWD_IMPORT_CRASH_ROUNDS ?? 4);
const SEED = Number(process.env.SHADOWD_CRASH_SEED ?? 7331);
const BASE_ACCOUNTS = 2000;
const HASH = "$6$gtSaltSHA512abcd$rNc43TYrZFhYzZcsslEwaZmY6yI9GbmENTqTajY6StsdoErqbLarFamFEYEyFQBC74YBflrXfuqITHY/4SOjY0";
const DAEMON_ARGS = ["--argon2-memory", "256", "--argon2-time", "1", "--penalty-max-ms", "0", "--log-level", "warn"];
/** Every column but the timestamps (a re-run of the same import writes other times). */
const COLUMNS = "id, name, passwd_password, uid, gid, gecos, home, shell, has_shadow, hash, last_change, min_days, max_days, warn_days, inactive_days, expire_date, flag, passwd_seq, passwd_line, shadow_seq, shadow_line";

/** mulberry32, so a failing run can be replayed with SHADOWD_CRASH_SEED. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The database's rows (timestamps aside) as a digest and a count, plus integrity_check. */
function inspect(stateDir: string): { digest: string; rows: number; integrity: string } {
  const db = new Database(path.join(stateDir, "shadowd.db"));
  try {
    const integrity = (db.pragma("integrity_check", { simple: true }) as string) ?? "";
    const digest = createHash("sha256");
    let rows = 0;
    for (const row of db.prepare(`SELECT ${COLUMNS} FROM accounts ORDER BY id`).raw().iterate()) {
      digest.update(JSON.stringify(row));
      digest.update("\n");
      rows++;
    }
    return { digest: digest.digest("hex"), rows, integrity };
  } finally {
    db.close();
  }
}

function stagingFiles(stateDir: string): string[] {
  const dir = path.join(stateDir, "import-staging");
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

function copyState(from: string, to: string): void {
  fs.rmSync(to, { recursive: true, force: true });
  fs.mkdirSync(to, { mode: 0o700 });
  for (const file of ["shadowd.db", "shadowd.db-wal"]) {
    if (fs.existsSync(path.join(from, file))) fs.copyFileSync(path.join(from, file), path.join(to, file));
  }
  for (const file of fs.readdirSync(to)) fs.chmodSync(path.join(to, file), 0o600);
}

/** shadowctl import as a child process; `done` settles with its exit code (null: killed). */
function startImport(stateDir: string, files: { passwd: string; shadow: string }): { kill: () => void; done: Promise<number | null> } {
  const child = spawn(path.join(REPO_ROOT, "bin/shadowctl"), ["--state-dir", stateDir, "import", "--passwd", files.passwd, "--shadow", files.shadow, "--json"], { stdio: ["ignore", "ignore", "ignore"] });
  const done = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { kill: () => child.kill("SIGKILL"), done };
}

function writeImportFiles(dir: string): { passwd: string; shadow: string } {
  const passwd: string[] = [];
  const shadow: string[] = [];
  // Every base account updated (a new gecos), then new accounts; shadow in reverse order.
  for (let i = 0; i < LINES; i++) {
    const name = i < BASE_ACCOUNTS ? `base${i}` : `new${i}`;
    passwd.push(`${name}:x:${10000 + i}:${10000 + i}:${i < BASE_ACCOUNTS ? "updated" : "new"} ${i}:/home/${name}:/bin/sh\n`);
    shadow.push(`${name}:${HASH}:${19000 + (i % 500)}:0:99999:7:::\n`);
  }
  const files = { passwd: path.join(dir, "passwd"), shadow: path.join(dir, "shadow") };
  fs.writeFileSync(files.passwd, passwd.join(""));
  fs.writeFileSync(files.shadow, shadow.reverse().join(""));
  return files;
}

test(`kill -9 of the daemon or of shadowctl during a ${LINES.toLocaleString("en")}-line import, ${ROUNDS} rounds: the database is as before, or as after, never between`, { timeout: 120_000 + ROUNDS * 60_000 }, async (t) => {
  const random = seededRandom(SEED);
  t.diagnostic(`seed ${SEED} (replay with SHADOWD_CRASH_SEED=${SEED})`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "shd-import-crash-"));
  const daemons: TestDaemon[] = [];
  const start = async (stateDir: string): Promise<TestDaemon> => {
    const daemon = await startTestDaemon({ stateDir, extraArgs: DAEMON_ARGS });
    daemons.push(daemon);
    return daemon;
  };
  try {
    const files = writeImportFiles(work);
    // The state before: BASE_ACCOUNTS accounts from a first import.
    const initial = path.join(work, "initial");
    fs.mkdirSync(initial, { mode: 0o700 });
    const first = await start(initial);
    const base = Array.from({ length: BASE_ACCOUNTS }, (_, i) => `base${i}:x:${10000 + i}:${10000 + i}:base ${i}:/home/base${i}:/bin/sh\n`).join("");
    assert.equal((await first.importText(base, "")).created, BASE_ACCOUNTS);
    await first.stop();
    const before = inspect(initial);
    assert.deepEqual([before.rows, before.integrity], [BASE_ACCOUNTS, "ok"]);

    // The state after, and how long the import takes here.
    const reference = path.join(work, "reference");
    copyState(initial, reference);
    const referenceDaemon = await start(reference);
    const started = Date.now();
    assert.equal(await startImport(reference, files).done, 0);
    const durationMs = Date.now() - started;
    await referenceDaemon.stop();
    const afterState = inspect(reference);
    assert.equal(afterState.rows, LINES);
    t.diagnostic(`the import takes ${durationMs} ms here`);

    const outcomes: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const victim = round % 2 === 0 ? "daemon" : "shadowctl";
      const delayMs = Math.floor(random() * durationMs * 1.1);
      const stateDir = path.join(work, `round${round}`);
      copyState(initial, stateDir);
      const daemon = await start(stateDir);
      const run = startImport(stateDir, files);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (victim === "daemon") await daemon.kill();
      else run.kill();
      const code = await run.done;
      if (victim === "daemon") {
        const restarted = await start(stateDir);
        assert.equal(fs.existsSync(path.join(stateDir, "import-staging")), false, "a killed daemon's staging files are deleted at start");
        await restarted.stop();
      } else {
        // The daemon sees the stream end and drops the import (or finishes one already sent).
        for (let wait = 0; wait < 100 && stagingFiles(stateDir).length > 0; wait++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.deepEqual(stagingFiles(stateDir), [], "the staging files of a dropped import are deleted");
        await daemon.stop();
      }
      const state = inspect(stateDir);
      assert.equal(state.integrity, "ok", `round ${round}: integrity_check`);
      const which = state.digest === before.digest ? "before" : state.digest === afterState.digest ? "after" : "between";
      outcomes.push(`round ${round}: kill -9 of ${victim} after ${delayMs} ms → ${which}`);
      assert.notEqual(which, "between", `round ${round}: the database holds part of the import (${state.rows} rows)`);
      if (code === 0) assert.equal(which, "after", `round ${round}: shadowctl saw the import committed`);
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
    t.diagnostic(outcomes.join("; "));
  } finally {
    for (const daemon of daemons) await daemon.kill().catch(() => undefined);
    fs.rmSync(work, { recursive: true, force: true });
  }
});
