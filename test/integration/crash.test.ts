// Integration: kill -9 at random (seeded) moments while admin writes, an import and login
// re-hashes are in flight, many times over one state directory. After each restart the
// database passes PRAGMA integrity_check and every account is exactly its row from before
// the writes or the row the write makes — never half — an import is all or nothing, and every
// write the client saw acknowledged survived.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as fs from "node:fs";
import Database from "better-sqlite3";
import type * as grpc from "@grpc/grpc-js";
import { startTestDaemon, type TestDaemon } from "../helpers/daemon";
import type { ImportAccountsRequest } from "../../src/gen/shadowd/v1/shadowd";

const ITERATIONS = Number(process.env.SHADOWD_CRASH_ITERATIONS ?? 15);
const SEED = Number(process.env.SHADOWD_CRASH_SEED ?? 5150);
/**
 * The kill comes at most this long after the writes start: SHADOWD_CRASH_MAX_DELAY_MS, or else
 * 1.5 times what round 0 (which lets every write finish before its kill) took on this machine.
 */
const FIXED_MAX_KILL_DELAY_MS = process.env.SHADOWD_CRASH_MAX_DELAY_MS === undefined ? null : Number(process.env.SHADOWD_CRASH_MAX_DELAY_MS);
const IMPORT_SIZE = 2000;
const SHA512_SECRET123 = "$6$gtSaltSHA512abcd$rNc43TYrZFhYzZcsslEwaZmY6yI9GbmENTqTajY6StsdoErqbLarFamFEYEyFQBC74YBflrXfuqITHY/4SOjY0";
const DAEMON_ARGS = ["--argon2-memory", "256", "--argon2-time", "1", "--penalty-max-ms", "0", "--faillock-deny", "0", "--log-level", "warn"];
/** The columns an account's data lives in (id and created_at must never change either). */
const DATA_COLUMNS = ["id", "created_at", "name", "passwd_password", "uid", "gid", "gecos", "home", "shell", "has_shadow", "hash", "last_change", "min_days", "max_days", "warn_days", "inactive_days", "expire_date", "flag"] as const;

type Row = Record<string, unknown>;
type Kind = "usermod" | "passwd" | "chage" | "rehash" | "userdel" | "useradd" | "import-new" | "import-update";

interface Target {
  kind: Kind;
  acked: boolean;
}

interface Round {
  k: number;
  before: Map<string, Row>;
  targets: Map<string, Target>;
  importAcked: boolean;
  killDelayMs: number;
}

/** mulberry32: a small seeded generator, so a failing run can be replayed with SHADOWD_CRASH_SEED. */
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

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

const names = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(3, "0")}`);
const USERMOD = names("um", 40);
const PASSWD = names("pw", 15);
const CHAGE = names("ch", 40);
const MERGED = names("mg", 50);
const BASE = [...USERMOD, ...PASSWD, ...CHAGE, ...MERGED];
const baseUid = (name: string): number => 20000 + BASE.indexOf(name);

const passwdLine = (name: string, uid: number, gecos: string): string => `${name}:x:${uid}:100:${gecos}:/home/${name}:/bin/sh\n`;
const shadowLine = (name: string): string => `${name}:${SHA512_SECRET123}:19000:0:99999:7:::\n`;

function readDatabase(stateDir: string): { integrity: unknown; rows: Map<string, Row> } {
  const db = new Database(path.join(stateDir, "shadowd.db"), { readonly: true, fileMustExist: true });
  try {
    const integrity = db.pragma("integrity_check", { simple: true });
    const rows = new Map<string, Row>();
    for (const row of db.prepare("SELECT * FROM accounts").all() as Row[]) rows.set(String(row.name), row);
    return { integrity, rows };
  } finally {
    db.close();
  }
}

/** The data columns that differ between two rows. */
function changedColumns(row: Row, before: Row): string[] {
  return DATA_COLUMNS.filter((column) => row[column] !== before[column]);
}

function sameSet(actual: string[], expected: string[]): boolean {
  return actual.length === expected.length && actual.every((c) => expected.includes(c));
}

/** Whether `row` is the row the write of `kind` in round `k` makes from `before`. */
function isAfter(kind: Kind, k: number, name: string, row: Row | undefined, before: Row | undefined, today: number): boolean {
  switch (kind) {
    case "userdel":
      return row === undefined;
    case "useradd":
      return row !== undefined && row.uid === useraddUid(k, name) && row.gecos === `added in round ${k}` && row.has_shadow === 1;
    case "import-new":
      return row !== undefined && row.uid === importUid(k, name) && row.gecos === `imported in round ${k}` && row.hash === SHA512_SECRET123 && row.last_change === 19000 && row.max_days === 99999;
  }
  if (row === undefined || before === undefined) return false;
  const changed = changedColumns(row, before);
  switch (kind) {
    case "usermod":
      return sameSet(changed, ["gecos"]) && row.gecos === `usermod in round ${k}`;
    case "import-update":
      return sameSet(changed, ["gecos"]) && row.gecos === `merged in round ${k}`;
    case "passwd":
      return changed.every((c) => c === "hash" || c === "last_change") && String(row.hash).startsWith("$argon2id$") && row.hash !== before.hash && (row.last_change === today || row.last_change === today + 1);
    case "chage":
      return changed.every((c) => ["min_days", "max_days", "warn_days"].includes(c)) && row.min_days === k % 5 && row.max_days === 1000 + k && row.warn_days === 3 + (k % 4);
    case "rehash":
      return sameSet(changed, ["hash"]) && String(row.hash).startsWith("$argon2id$");
  }
}

const useraddUid = (k: number, name: string): number => 30000 + k * 100 + Number(name.split("_")[1]);
const importUid = (k: number, name: string): number => 100000 + k * IMPORT_SIZE + Number(name.split("_")[1]);

/** Checks round `round` against the database as the restarted daemon sees it; returns how many targets were before/after. */
function verifyRound(round: Round, rows: Map<string, Row>, today: number, byKind: Map<string, number>): { before: number; after: number } {
  const tally = { before: 0, after: 0 };
  const where = `round ${round.k} (killed after ${round.killDelayMs} ms)`;
  const states = new Map<Kind, Set<"before" | "after">>();
  for (const [name, target] of round.targets) {
    const row = rows.get(name);
    const before = round.before.get(name);
    const unchanged = before === undefined ? row === undefined : row !== undefined && JSON.stringify(row) === JSON.stringify(before);
    const after = isAfter(target.kind, round.k, name, row, before, today);
    assert.ok(unchanged || after, `${where}: ${target.kind} of ${name} left a row that is neither before nor after:\nbefore ${JSON.stringify(before)}\nnow    ${JSON.stringify(row)}`);
    if (target.acked) assert.ok(after, `${where}: the acknowledged ${target.kind} of ${name} was lost`);
    const state = after ? "after" : "before";
    tally[state]++;
    byKind.set(`${target.kind} ${state}`, (byKind.get(`${target.kind} ${state}`) ?? 0) + 1);
    if (!states.has(target.kind)) states.set(target.kind, new Set());
    states.get(target.kind)?.add(state);
  }
  // The import is one transaction: its new accounts and its updates all landed, or none did.
  const importStates = new Set([...(states.get("import-new") ?? []), ...(states.get("import-update") ?? [])]);
  assert.ok(importStates.size <= 1, `${where}: the import landed in part (${[...importStates].join(" and ")})`);
  if (round.importAcked) assert.deepEqual([...importStates], ["after"], `${where}: the acknowledged import was lost`);
  // Nothing else moved.
  for (const [name, before] of round.before) {
    if (round.targets.has(name)) continue;
    assert.equal(JSON.stringify(rows.get(name)), JSON.stringify(before), `${where}: ${name} was not written, yet changed`);
  }
  for (const name of rows.keys()) assert.ok(round.before.has(name) || round.targets.has(name), `${where}: an unexpected account ${name} appeared`);
  return tally;
}

/** Runs `work` for each item in order until the daemon is killed; marks the acknowledged ones. */
async function writeEach(items: string[], round: Round, killed: () => boolean, work: (name: string) => Promise<unknown>): Promise<void> {
  for (const name of items) {
    if (killed()) return;
    try {
      await work(name);
      if (!killed()) {
        const target = round.targets.get(name);
        if (target !== undefined) target.acked = true;
      }
    } catch {
      return;
    }
  }
}

function streamImport(daemon: TestDaemon, k: number, done: (ok: boolean) => void): void {
  const newNames = Array.from({ length: IMPORT_SIZE }, (_, i) => `im${k}_${i}`);
  const passwd = [...newNames.map((n) => passwdLine(n, importUid(k, n), `imported in round ${k}`)), ...MERGED.map((n) => passwdLine(n, baseUid(n), `merged in round ${k}`))].join("");
  const shadow = [...newNames, ...MERGED].map(shadowLine).join("");
  const call = daemon.admin.importAccounts((error: grpc.ServiceError | null) => done(error === null));
  call.on("error", () => undefined);
  const send = (message: ImportAccountsRequest): void => void call.write(message);
  send({ part: { $case: "options", value: { dryRun: false, mode: 1, skipInvalid: false, includeSystem: true, passwdFileName: "passwd", shadowFileName: "shadow" } } });
  for (const [text, kind] of [[passwd, "passwdChunk"], [shadow, "shadowChunk"]] as const) {
    const bytes = Buffer.from(text);
    for (let offset = 0; offset < bytes.length; offset += 64 * 1024) {
      const value = bytes.subarray(offset, offset + 64 * 1024);
      send(kind === "passwdChunk" ? { part: { $case: "passwdChunk", value } } : { part: { $case: "shadowChunk", value } });
    }
  }
  call.end();
}

test(`kill -9 during admin writes, an import and login re-hashes, ${ITERATIONS} times: every account is before or after, never half`, { timeout: 30_000 + ITERATIONS * 10_000 }, async (t) => {
  t.diagnostic(`crash seed ${SEED}, ${ITERATIONS} iterations (replay with SHADOWD_CRASH_SEED=${SEED}; more with SHADOWD_CRASH_ITERATIONS=N)`);
  let maxKillDelayMs = FIXED_MAX_KILL_DELAY_MS;
  const random = seededRandom(SEED);
  let daemon = await startTestDaemon({ extraArgs: DAEMON_ARGS });
  const stateDir = daemon.stateDir;
  t.after(() => daemon.kill());
  const report = await daemon.importText(BASE.map((n) => passwdLine(n, baseUid(n), "initial")).join(""), BASE.map(shadowLine).join(""));
  assert.equal(report.created, BASE.length);

  const totals = { before: 0, after: 0, importsLanded: 0 };
  const byKind = new Map<string, number>();
  let previous: Round | null = null;
  for (let k = 0; k < ITERATIONS; k++) {
    // After a restart: the database is sound and the previous round's writes are whole.
    const today = Math.floor(Date.now() / 86_400_000);
    const { integrity, rows } = readDatabase(stateDir);
    assert.equal(integrity, "ok", `integrity_check after round ${k - 1}`);
    if (previous !== null) {
      const tally = verifyRound(previous, rows, today, byKind);
      totals.before += tally.before;
      totals.after += tally.after;
      if ([...previous.targets].some(([n, target]) => target.kind === "import-new" && rows.has(n))) totals.importsLanded++;
    }

    // This round's own accounts: legacy hashes to re-hash on login, and accounts to delete.
    const rehash = names(`rh${k}_`, 8);
    const userdel = names(`ud${k}_`, 8);
    for (const [i, name] of [...rehash, ...userdel].entries()) {
      await daemon.adminp.addUser({ name, gecos: "", home: "", shell: "", uid: 40000 + k * 100 + i, passwordHash: SHA512_SECRET123 });
    }
    const useradd = Array.from({ length: 8 }, (_, i) => `ua${k}_${i}`);
    const round: Round = { k, before: readDatabase(stateDir).rows, targets: new Map(), importAcked: false, killDelayMs: 0 };
    const killAt = random();
    const mark = (list: string[], kind: Kind): void => list.forEach((name) => round.targets.set(name, { kind, acked: false }));
    const usermod = shuffled(USERMOD, random).slice(0, 20);
    const passwd = shuffled(PASSWD, random).slice(0, 6);
    const chage = shuffled(CHAGE, random).slice(0, 20);
    mark(usermod, "usermod");
    mark(passwd, "passwd");
    mark(chage, "chage");
    mark(rehash, "rehash");
    mark(userdel, "userdel");
    mark(useradd, "useradd");
    mark(Array.from({ length: IMPORT_SIZE }, (_, i) => `im${k}_${i}`), "import-new");
    mark(MERGED, "import-update");

    let killed = false;
    const isKilled = (): boolean => killed;
    const d = daemon;
    const started = Date.now();
    const writes = Promise.allSettled([
      writeEach(usermod, round, isKilled, (name) => d.adminp.modifyUser({ name, gecos: `usermod in round ${k}`, lock: false, unlock: false })),
      writeEach(passwd, round, isKilled, (name) => d.adminp.setPassword({ name, password: Buffer.from(`pw-${k}-${name}`), expire: false, delete: false, lock: false, unlock: false })),
      writeEach(chage, round, isKilled, (name) => d.adminp.setAging({ name, minDays: k % 5, maxDays: 1000 + k, warnDays: 3 + (k % 4) })),
      writeEach(userdel, round, isKilled, (name) => d.adminp.deleteUser({ name })),
      writeEach(useradd, round, isKilled, (name) => d.adminp.addUser({ name, gecos: `added in round ${k}`, home: "", shell: "", uid: useraddUid(k, name), password: Buffer.from(`pw-${name}`) })),
      // Logins whose success re-hashes the legacy hash in the background (not acknowledged to anyone).
      writeEach(rehash, { ...round, targets: new Map() }, isKilled, (name) => d.authp.authenticate({ username: name, password: Buffer.from("Secret123"), service: "imap", remoteAddress: "" })),
      new Promise<void>((resolve) =>
        streamImport(d, k, (ok) => {
          if (ok && !killed) round.importAcked = true;
          resolve();
        }),
      ),
    ]);
    if (maxKillDelayMs === null) {
      // Calibration: every write finishes (and the background re-hashes get time), then the kill.
      await writes;
      maxKillDelayMs = Math.ceil((Date.now() - started) * 1.5);
      await new Promise((r) => setTimeout(r, 300));
      round.killDelayMs = Date.now() - started;
      t.diagnostic(`round ${k} let the writes finish in ${Math.round(maxKillDelayMs / 1.5)} ms: later kills come within ${maxKillDelayMs} ms`);
    } else {
      round.killDelayMs = Math.floor(killAt * maxKillDelayMs);
      await new Promise((r) => setTimeout(r, round.killDelayMs));
    }
    killed = true;
    daemon.process.kill("SIGKILL");
    await daemon.kill();
    await writes;
    t.diagnostic(`round ${k}: killed after ${Date.now() - started} ms (aimed at ${round.killDelayMs})`);
    previous = round;
    daemon = await startTestDaemon({ stateDir, extraArgs: DAEMON_ARGS });
  }
  const { integrity, rows } = readDatabase(stateDir);
  assert.equal(integrity, "ok");
  if (previous !== null) {
    const tally = verifyRound(previous, rows, Math.floor(Date.now() / 86_400_000), byKind);
    totals.before += tally.before;
    totals.after += tally.after;
    if ([...previous.targets].some(([n, target]) => target.kind === "import-new" && rows.has(n))) totals.importsLanded++;
  }
  t.diagnostic(`targets seen before their write: ${totals.before}, after: ${totals.after}; imports that landed: ${totals.importsLanded} of ${ITERATIONS}`);
  t.diagnostic(`by kind: ${[...byKind].sort().map(([key, n]) => `${key} ${n}`).join(", ")}`);
  if (ITERATIONS >= 5) assert.ok(totals.after > 0 && totals.before > 0, "the kills fell both before and after writes (otherwise the timing range is useless)");
  assert.equal(await daemon.stop(), 0);
  fs.rmSync(stateDir, { recursive: true, force: true });
});
