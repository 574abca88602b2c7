// `make bench` (import part): a generated 1,000,000-line /etc/passwd + /etc/shadow pair
// imported through the real daemon and `shadowctl import`, against raw better-sqlite3
// inserting the same rows in one transaction into the same schema, in the same run.
// Prints both times, their ratio (goal <= 1.5) and the daemon's peak RSS (goal < 300 MB).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn } from "node:child_process";
import type { Account } from "../src/domain/account";
import { openSqliteDatabase } from "../src/storage/sqlite/sqlite-storage";
import { ACCOUNT_COLUMNS, toValues } from "../src/storage/sqlite/rows";
import { startTestDaemon, runCommand, REPO_ROOT } from "../test/helpers/daemon";

const LINES = Number(process.env.BENCH_IMPORT_LINES ?? 1_000_000);
const HASH = "$6$gtSaltSHA512abcd$rNc43TYrZFhYzZcsslEwaZmY6yI9GbmENTqTajY6StsdoErqbLarFamFEYEyFQBC74YBflrXfuqITHY/4SOjY0";

function accountAt(i: number): Account {
  const name = `u${String(i).padStart(7, "0")}`;
  return {
    name,
    passwdPassword: "x",
    uid: 10_000 + i,
    gid: 10_000 + i,
    gecos: `User ${i}`,
    home: `/home/${name}`,
    shell: "/bin/bash",
    shadow: { hash: HASH, lastChange: 20_000 + (i % 700), minDays: 0, maxDays: 99999, warnDays: 7, inactiveDays: null, expireDate: null, flag: "" },
  };
}

async function writeFiles(dir: string): Promise<{ passwd: string; shadow: string }> {
  const passwd = path.join(dir, "passwd");
  const shadow = path.join(dir, "shadow");
  const p = fs.createWriteStream(passwd);
  const s = fs.createWriteStream(shadow);
  const batch = 10_000;
  for (let start = 0; start < LINES; start += batch) {
    let pText = "";
    let sText = "";
    for (let i = start; i < Math.min(LINES, start + batch); i++) {
      const a = accountAt(i);
      const sh = a.shadow!;
      pText += `${a.name}:x:${a.uid}:${a.gid}:${a.gecos}:${a.home}:${a.shell}\n`;
      sText += `${a.name}:${sh.hash}:${sh.lastChange}:${sh.minDays}:${sh.maxDays}:${sh.warnDays}:::\n`;
    }
    if (!p.write(pText)) await new Promise<void>((r) => p.once("drain", () => r()));
    if (!s.write(sText)) await new Promise<void>((r) => s.once("drain", () => r()));
  }
  await Promise.all([new Promise<void>((r) => p.end(() => r())), new Promise<void>((r) => s.end(() => r()))]);
  return { passwd, shadow };
}

/** Raw baseline: the same rows, prepared INSERT, one transaction, same schema and pragmas. */
function rawInsertSeconds(dir: string): number {
  const dbPath = path.join(dir, "raw.db");
  const db = openSqliteDatabase(dbPath);
  const insert = db.prepare(`INSERT INTO accounts (${ACCOUNT_COLUMNS.join(", ")}) VALUES (${ACCOUNT_COLUMNS.map(() => "?").join(", ")})`);
  const started = process.hrtime.bigint();
  db.transaction(() => {
    for (let i = 0; i < LINES; i++) insert.run(...toValues(accountAt(i)));
  }).immediate();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  db.close();
  fs.rmSync(dbPath, { force: true });
  return seconds;
}

function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : NaN;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shd-bench-import-"));
  try {
    process.stdout.write(`import bench: generating ${LINES.toLocaleString("en")} passwd + shadow lines… `);
    const files = await writeFiles(dir);
    console.log("done");
    const raw = rawInsertSeconds(dir);
    const daemon = await startTestDaemon({ extraArgs: ["--log-level", "warn"] });
    const started = process.hrtime.bigint();
    const result = await runCommand(path.join(REPO_ROOT, "bin/shadowctl"), ["--state-dir", daemon.stateDir, "import", "--passwd", files.passwd, "--shadow", files.shadow, "--json"]);
    const imported = Number(process.hrtime.bigint() - started) / 1e9;
    const rss = peakRssMb(daemon.process.pid!);
    const status = await daemon.adminp.getStatus({});
    await daemon.stop();
    if (result.code !== 0 || status.accounts !== LINES) throw new Error(`import failed (exit ${result.code}, ${status.accounts} accounts): ${result.stderr}${result.stdout.slice(0, 2000)}`);
    console.log(`raw better-sqlite3, same rows, one transaction: ${raw.toFixed(2)} s`);
    console.log(`shadowctl import through the daemon:            ${imported.toFixed(2)} s`);
    console.log(`ratio import / raw insert: ${(imported / raw).toFixed(2)} (goal <= 1.5)`);
    console.log(`daemon peak RSS (VmHWM): ${rss.toFixed(0)} MB (goal < 300 MB)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
