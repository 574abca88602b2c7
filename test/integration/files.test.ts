// Integration: the daemon's files on a real state directory — created 0700 / 0600 whatever
// the umask, and start-up refused with a clear message when the state directory or the
// database (or its -wal/-shm) is open to group or others.
import { test, type TestContext } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startTestDaemon, runCommand, REPO_ROOT } from "../helpers/daemon";

const SHADOWD = path.join(REPO_ROOT, "bin/shadowd");
const mode = (file: string): number => fs.statSync(file).mode & 0o7777;

function scratch(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "shd-files-"));
}

/** A state directory holding a database with one account after kill -9 (WAL files kept, stale sockets removed). */
async function stoppedStateDir(t: TestContext): Promise<string> {
  const daemon = await startTestDaemon();
  t.after(() => daemon.kill());
  await daemon.adminp.addUser({ name: "alice", gecos: "", home: "", shell: "", password: Buffer.from("alice-pw-1") });
  await daemon.kill();
  fs.rmSync(daemon.authSocket);
  fs.rmSync(daemon.adminSocket);
  return daemon.stateDir;
}

test("under umask 000 a new state directory is 0700, the database and its -wal/-shm 0600, the sockets 0660 and 0600", async (t) => {
  const root = scratch();
  const stateDir = path.join(root, "nested", "state");
  // The child is spawned before startTestDaemon's first await, so it inherits umask 000.
  const oldUmask = process.umask(0);
  const starting = startTestDaemon({ stateDir });
  process.umask(oldUmask);
  const daemon = await starting;
  t.after(() => daemon.kill());
  await daemon.adminp.addUser({ name: "alice", gecos: "", home: "", shell: "", password: Buffer.from("alice-pw-1") });
  const db = path.join(stateDir, "shadowd.db");
  const actual = {
    stateDir: mode(stateDir),
    db: mode(db),
    wal: mode(`${db}-wal`),
    shm: mode(`${db}-shm`),
    authSocket: mode(daemon.authSocket),
    adminSocket: mode(daemon.adminSocket),
  };
  assert.deepEqual(actual, { stateDir: 0o700, db: 0o600, wal: 0o600, shm: 0o600, authSocket: 0o660, adminSocket: 0o600 });
  assert.equal(await daemon.stop(), 0);
  fs.rmSync(root, { recursive: true, force: true });
});

const looseStateDirs: { name: string; mode: number }[] = [
  { name: "0755 (world-readable)", mode: 0o755 },
  { name: "0750 (group-readable)", mode: 0o750 },
  { name: "0701 (others may traverse)", mode: 0o701 },
  { name: "1777 (like /tmp)", mode: 0o1777 },
];
for (const c of looseStateDirs) {
  test(`an existing state directory with mode ${c.name} is refused, left as it is, and no database is created`, async () => {
    const stateDir = scratch();
    fs.chmodSync(stateDir, c.mode);
    const result = await runCommand(SHADOWD, ["--state-dir", stateDir]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, new RegExp(`state directory ${stateDir} has mode 0?${c.mode.toString(8)}, .*must be 0700.*chmod 700 ${stateDir}`));
    assert.equal(mode(stateDir), c.mode, "the directory is not changed behind the operator's back");
    assert.deepEqual(fs.readdirSync(stateDir), []);
    fs.rmSync(stateDir, { recursive: true, force: true });
  });
}

const looseDatabases: { name: string; file: string; mode: number }[] = [
  { name: "a world-readable database (0644)", file: "shadowd.db", mode: 0o644 },
  { name: "a group-readable database (0640)", file: "shadowd.db", mode: 0o640 },
  { name: "a world-writable database (0602)", file: "shadowd.db", mode: 0o602 },
  { name: "a group-readable -wal (0640)", file: "shadowd.db-wal", mode: 0o640 },
  { name: "a world-readable -shm (0604)", file: "shadowd.db-shm", mode: 0o604 },
];
for (const c of looseDatabases) {
  test(`${c.name} is refused with the chmod to run; after it the daemon starts with the data intact`, async (t) => {
    const stateDir = await stoppedStateDir(t);
    const file = path.join(stateDir, c.file);
    assert.ok(fs.existsSync(file), `${c.file} exists after kill -9`);
    fs.chmodSync(file, c.mode);
    const result = await runCommand(SHADOWD, ["--state-dir", stateDir]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, new RegExp(`${file} has mode 0${c.mode.toString(8)}: group or others may read or write it, and it holds password hashes`));
    assert.match(result.stderr, /run 'chmod 600 [^']*shadowd\.db[^']*'/);
    assert.ok(!fs.existsSync(path.join(stateDir, "shadowd.sock")), "no socket was bound");
    assert.equal(mode(file), c.mode, "the file is not changed");
    fs.chmodSync(file, 0o600);
    const daemon = await startTestDaemon({ stateDir });
    t.after(() => daemon.kill());
    assert.equal((await daemon.adminp.getUser({ name: "alice" })).name, "alice");
    assert.equal(await daemon.stop(), 0);
    fs.rmSync(stateDir, { recursive: true, force: true });
  });
}

test("a state directory that is a file is refused with a clear message", async () => {
  const root = scratch();
  const notDir = path.join(root, "state");
  fs.writeFileSync(notDir, "");
  const result = await runCommand(SHADOWD, ["--state-dir", notDir]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /shadowd: cannot start: .*state/);
  fs.rmSync(root, { recursive: true, force: true });
});
