// `make bench` (import part): a generated 1,000,000-line /etc/passwd + /etc/shadow pair
// imported through the real daemon and `shadowctl import`, against raw better-sqlite3
// inserting the same rows in one transaction into the same schema, in the same run.
// Prints both times (medians of BENCH_IMPORT_ROUNDS rounds), their ratio (goal <= 1.5) and
// the daemon's peak RSS (goal < 300 MB).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Account } from "../src/domain/account";
import { openSqliteDatabase } from "../src/storage/sqlite/sqlite-storage";
import { ACCOUNT_COLUMNS, toValues } from "../src/storage/sqlite/rows";
import { startTestDaemon, runCommand, REPO_ROOT } from "../test/helpers/daemon";
import { median, runBenchmark } from "./common";

const LINES = Number(process.env.BENCH_IMPORT_LINES ?? 1_000_000);
/** Rounds; the figures printed are medians (the machine may be shared and noisy). */
const ROUNDS = Number(process.env.BENCH_IMPORT_ROUNDS ?? 3);
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

/** One import of the generated files into a fresh daemon: seconds and the daemon's peak RSS. */
async function importOnce(files: { passwd: string; shadow: string }): Promise<{ seconds: number; rssMb: number }> {
  const daemon = await startTestDaemon({ extraArgs: ["--log-level", "warn"] });
  try {
    const started = process.hrtime.bigint();
    const result = await runCommand(path.join(REPO_ROOT, "bin/shadowctl"), ["--state-dir", daemon.stateDir, "import", "--passwd", files.passwd, "--shadow", files.shadow, "--json"]);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const rssMb = peakRssMb(daemon.process.pid!);
    const status = await daemon.adminp.getStatus({});
    if (result.code !== 0 || status.accounts !== LINES) throw new Error(`import failed (exit ${result.code}, ${status.accounts} accounts): ${result.stderr}${result.stdout.slice(0, 2000)}`);
    return { seconds, rssMb };
  } finally {
    await daemon.stop();
    fs.rmSync(daemon.stateDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shd-bench-import-"));
  try {
    process.stdout.write(`import bench: generating ${LINES.toLocaleString("en")} passwd + shadow lines… `);
    const files = await writeFiles(dir);
    console.log(`done; ${ROUNDS} round${ROUNDS === 1 ? "" : "s"}, each a raw insert then an import`);
    const raws: number[] = [];
    const imports: number[] = [];
    const rss: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const raw = rawInsertSeconds(dir);
      const imported = await importOnce(files);
      raws.push(raw);
      imports.push(imported.seconds);
      rss.push(imported.rssMb);
      console.log(`round ${round}: raw ${raw.toFixed(2)} s, import ${imported.seconds.toFixed(2)} s (ratio ${(imported.seconds / raw).toFixed(2)}), daemon peak RSS ${imported.rssMb.toFixed(0)} MB`);
    }
    console.log(`raw better-sqlite3, same rows, one transaction: median ${median(raws).toFixed(2)} s`);
    console.log(`shadowctl import through the daemon:            median ${median(imports).toFixed(2)} s`);
    console.log(`ratio import / raw insert: ${(median(imports) / median(raws)).toFixed(2)} (goal <= 1.5)`);
    console.log(`daemon peak RSS (VmHWM): ${Math.max(...rss).toFixed(0)} MB at most (goal < 300 MB)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

runBenchmark(main);
