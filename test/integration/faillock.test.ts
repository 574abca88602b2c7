// Integration: login failure policy on the real daemon — faillock (TEMPORARILY_LOCKED after
// deny failures, only for the right password; reset by shadowctl faillock and by a success;
// kept across restarts) and the per-address delay (a timer that slows no one else).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { startTestDaemon, runCommand, REPO_ROOT, type TestDaemon } from "../helpers/daemon";
import { AuthResult } from "../../src/gen/shadowd/v1/shadowd";

const RIGHT = Buffer.from("Faillock-right-1");
const WRONG = Buffer.from("Faillock-wrong-1");

async function login(daemon: TestDaemon, username: string, password: Buffer, remoteAddress = ""): Promise<AuthResult> {
  return (await daemon.authp.authenticate({ username, password, service: "imap", remoteAddress })).result;
}

async function addUser(daemon: TestDaemon, name: string): Promise<void> {
  await daemon.adminp.addUser({ name, gecos: "", home: `/home/${name}`, shell: "/bin/sh", password: RIGHT });
}

test("five wrong passwords lock the account: the right one answers TEMPORARILY_LOCKED, a wrong one DENIED, until shadowctl faillock --reset", async () => {
  const daemon = await startTestDaemon();
  try {
    await addUser(daemon, "alice");
    const answers: AuthResult[] = [];
    for (let i = 0; i < 5; i++) answers.push(await login(daemon, "alice", WRONG));
    answers.push(await login(daemon, "alice", RIGHT));
    answers.push(await login(daemon, "alice", WRONG));
    assert.deepEqual(answers, [...Array(5).fill(AuthResult.AUTH_RESULT_DENIED), AuthResult.AUTH_RESULT_TEMPORARILY_LOCKED, AuthResult.AUTH_RESULT_DENIED]);

    const reset = await daemon.shadowctl(["faillock", "--user", "alice", "--reset"]);
    assert.deepEqual({ code: reset.code, stdout: reset.stdout, stderr: reset.stderr }, { code: 0, stdout: "", stderr: "" });
    assert.equal(await login(daemon, "alice", RIGHT), AuthResult.AUTH_RESULT_OK);
    assert.match(daemon.log(), /"audit":"faillock-reset","user":"alice","cleared":5/);
    assert.match(daemon.log(), /"user":"alice","failures":5,.*consecutive login failures: account temporarily locked/);
  } finally {
    await daemon.stop();
  }
});

test("a success before the lock resets the count; ResetFailures answers how many records it cleared", async () => {
  const daemon = await startTestDaemon();
  try {
    await addUser(daemon, "bob");
    for (let i = 0; i < 4; i++) await login(daemon, "bob", WRONG);
    assert.equal(await login(daemon, "bob", RIGHT), AuthResult.AUTH_RESULT_OK);
    for (let i = 0; i < 4; i++) await login(daemon, "bob", WRONG);
    assert.equal(await login(daemon, "bob", RIGHT), AuthResult.AUTH_RESULT_OK, "4 + 4 failures with a success between do not lock");
    for (let i = 0; i < 3; i++) await login(daemon, "bob", WRONG);
    assert.deepEqual(await daemon.adminp.resetFailures({ name: "bob" }), { cleared: 3 });
    assert.deepEqual(await daemon.adminp.resetFailures({ name: "bob" }), { cleared: 0 });
    assert.deepEqual(await daemon.adminp.resetFailures({ name: "nobody" }), { cleared: 0 }, "like faillock --reset, an unknown name is no error");
    const positional = await daemon.shadowctl(["faillock", "--reset", "bob"]);
    assert.equal(positional.code, 0, positional.stderr);
    await assert.rejects(daemon.adminp.resetFailures({ name: "" }), /INVALID_ARGUMENT|name is empty/);
  } finally {
    await daemon.stop();
  }
});

test("the lock lifts by itself after --faillock-unlock-time, and the count restarts", async () => {
  const daemon = await startTestDaemon({ extraArgs: ["--faillock-deny", "2", "--faillock-unlock-time", "1"] });
  try {
    await addUser(daemon, "carol");
    await login(daemon, "carol", WRONG);
    await login(daemon, "carol", WRONG);
    assert.equal(await login(daemon, "carol", RIGHT), AuthResult.AUTH_RESULT_TEMPORARILY_LOCKED);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await login(daemon, "carol", WRONG);
    assert.equal(await login(daemon, "carol", RIGHT), AuthResult.AUTH_RESULT_OK, "one failure after the lock ran out counts as the first");
  } finally {
    await daemon.stop();
  }
});

test("--faillock-deny 0 disables locking", async () => {
  const daemon = await startTestDaemon({ extraArgs: ["--faillock-deny", "0"] });
  try {
    await addUser(daemon, "dave");
    for (let i = 0; i < 8; i++) await login(daemon, "dave", WRONG);
    assert.equal(await login(daemon, "dave", RIGHT), AuthResult.AUTH_RESULT_OK);
  } finally {
    await daemon.stop();
  }
});

test("the failure count survives a graceful restart and a kill -9", async () => {
  const first = await startTestDaemon({ extraArgs: ["--faillock-deny", "3"] });
  await addUser(first, "erin");
  await addUser(first, "fred");
  for (let i = 0; i < 3; i++) await login(first, "erin", WRONG);
  for (let i = 0; i < 3; i++) await login(first, "fred", WRONG);
  assert.equal(await first.stop(), 0);
  const second = await startTestDaemon({ stateDir: first.stateDir, extraArgs: ["--faillock-deny", "3"] });
  assert.equal(await login(second, "erin", RIGHT), AuthResult.AUTH_RESULT_TEMPORARILY_LOCKED, "after SIGTERM");
  await second.adminp.resetFailures({ name: "erin" });
  for (let i = 0; i < 3; i++) await login(second, "erin", WRONG);
  // One more round trip: the failures are written on the turn after their answers.
  await second.authp.checkAccount({ username: "erin", service: "imap", remoteAddress: "" });
  await second.kill();
  const third = await startTestDaemon({ stateDir: first.stateDir, extraArgs: ["--faillock-deny", "3"] });
  try {
    assert.equal(await login(third, "erin", RIGHT), AuthResult.AUTH_RESULT_TEMPORARILY_LOCKED, "after kill -9");
    assert.equal(await login(third, "fred", RIGHT), AuthResult.AUTH_RESULT_TEMPORARILY_LOCKED);
  } finally {
    await third.stop();
  }
});

test("deleting an account deletes its failures: a new account of that name starts unlocked", async () => {
  const daemon = await startTestDaemon({ extraArgs: ["--faillock-deny", "2"] });
  try {
    await addUser(daemon, "gina");
    await login(daemon, "gina", WRONG);
    await login(daemon, "gina", WRONG);
    assert.equal(await login(daemon, "gina", RIGHT), AuthResult.AUTH_RESULT_TEMPORARILY_LOCKED);
    await daemon.adminp.deleteUser({ name: "gina" });
    await addUser(daemon, "gina");
    assert.equal(await login(daemon, "gina", RIGHT), AuthResult.AUTH_RESULT_OK);
  } finally {
    await daemon.stop();
  }
});

/** Milliseconds one call takes. */
async function timed<T>(call: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await call();
  return { ms: performance.now() - started, value };
}

test("after a failure from an address its answers wait 2 s doubling (here 400 ms doubling to 1 s); a success resets it", async () => {
  const daemon = await startTestDaemon({ extraArgs: ["--penalty-base-ms", "400", "--penalty-max-ms", "1000", "--faillock-deny", "0"] });
  try {
    await addUser(daemon, "hana");
    const address = "192.0.2.10";
    const times: number[] = [];
    for (let i = 0; i < 4; i++) times.push((await timed(() => login(daemon, "hana", WRONG, address))).ms);
    const success = await timed(() => login(daemon, "hana", RIGHT, address));
    const after = await timed(() => login(daemon, "hana", RIGHT, address));
    // Each answer also costs one argon2id verification (~50 ms). Each band ends just below
    // what a wrong schedule would give: an early doubling (800, 1600 ms) or no cap (1600 ms).
    const bands = [
      [0, 390],
      [400, 790],
      [800, 1190],
      [1000, 1590],
    ];
    times.forEach((ms, i) => assert.ok(ms >= bands[i]![0]! && ms < bands[i]![1]!, `failure ${i + 1} took ${ms.toFixed(0)} ms, expected ${bands[i]!.join("..")}`));
    assert.equal(success.value, AuthResult.AUTH_RESULT_OK);
    assert.ok(success.ms >= 1000, `the success itself still waits (${success.ms.toFixed(0)} ms)`);
    assert.ok(after.ms < 390, `the answer after a success is not delayed (${after.ms.toFixed(0)} ms)`);
  } finally {
    await daemon.stop();
  }
});

test("a delayed address slows no one else: other addresses, local callers and CheckAccount answer meanwhile", async () => {
  const daemon = await startTestDaemon({ extraArgs: ["--penalty-base-ms", "3000", "--penalty-max-ms", "3000", "--faillock-deny", "0", "--trusted-networks", "10.0.0.0/8,2001:db8::/32"] });
  try {
    await addUser(daemon, "ivan");
    await login(daemon, "ivan", WRONG, "192.0.2.20");
    await login(daemon, "ivan", WRONG, "10.1.2.3");
    await login(daemon, "ivan", WRONG, "2001:db8:5::1");
    let delayedAnsweredAt = 0;
    const started = performance.now();
    const delayed = login(daemon, "ivan", RIGHT, "192.0.2.20").then((result) => {
      delayedAnsweredAt = performance.now();
      return result;
    });
    const others: { what: string; ms: number }[] = [];
    for (const [what, address] of [
      ["another address", "198.51.100.1"],
      ["a trusted IPv4 address", "10.1.2.3"],
      ["a trusted IPv6 address", "2001:db8:5::1"],
      ["a local caller", ""],
    ] as const) {
      const answer = await timed(() => login(daemon, "ivan", RIGHT, address));
      assert.equal(answer.value, AuthResult.AUTH_RESULT_OK, what);
      others.push({ what, ms: answer.ms });
    }
    for (let i = 0; i < 10; i++) {
      others.push({ what: "CheckAccount", ms: (await timed(() => daemon.authp.checkAccount({ username: "ivan", service: "imap", remoteAddress: "192.0.2.20" }))).ms });
    }
    const othersDoneAt = performance.now();
    assert.equal(await delayed, AuthResult.AUTH_RESULT_OK);
    assert.ok(delayedAnsweredAt - started >= 3000, `the penalised address waited ${(delayedAnsweredAt - started).toFixed(0)} ms`);
    assert.ok(othersDoneAt < delayedAnsweredAt, "everyone else was answered while it waited");
    // Half the delay: a call held behind the timer would take the rest of the 3 s.
    for (const other of others) assert.ok(other.ms < 1500, `${other.what} took ${other.ms.toFixed(0)} ms`);
  } finally {
    await daemon.stop();
  }
});

const usageCases: { name: string; args: string[]; pattern: RegExp }[] = [
  { name: "a non-numeric deny names the flag", args: ["--faillock-deny", "many"], pattern: /--faillock-deny: "many" is not a whole number/ },
  { name: "an interval beyond pam_faillock's week is refused", args: ["--faillock-interval", "604801"], pattern: /--faillock-interval: 604801 is outside 1\.\.604800/ },
  { name: "an unlock time beyond a week is refused", args: ["--faillock-unlock-time", "604801"], pattern: /--faillock-unlock-time: 604801 is outside 0\.\.604800/ },
  { name: "a malformed trusted network names the entry", args: ["--trusted-networks", "127.0.0.0/8,10.0.0.0/33"], pattern: /--trusted-networks: "10\.0\.0\.0\/33" is not an address or ADDRESS\/PREFIX network/ },
  { name: "a malformed trusted network in the environment too", args: [], pattern: /--trusted-networks: "mail\.example" is not/ },
];

for (const c of usageCases) {
  test(`shadowd: ${c.name}`, async () => {
    const env = c.args.length === 0 ? { ...process.env, SHADOWD_TRUSTED_NETWORKS: "mail.example" } : process.env;
    const result = await runCommand(path.join(REPO_ROOT, "bin/shadowd"), c.args, { env });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, c.pattern);
  });
}

test("shadowd --help documents the failure policy options", async () => {
  const result = await runCommand(path.join(REPO_ROOT, "bin/shadowd"), ["--help"]);
  for (const option of ["--faillock-deny N", "--faillock-interval SECONDS", "--faillock-unlock-time SECONDS", "--penalty-base-ms MS", "--penalty-max-ms MS", "--trusted-networks CIDR,CIDR"]) {
    assert.ok(result.stdout.includes(option), option);
  }
});

test("--faillock-unlock-time never keeps the lock until a reset; the environment variables configure the same", async () => {
  const daemon = await startTestDaemon({ extraArgs: ["--faillock-unlock-time", "never"], env: { SHADOWD_FAILLOCK_DENY: "1", SHADOWD_PENALTY_MAX_MS: "0" } });
  try {
    await addUser(daemon, "jack");
    await login(daemon, "jack", WRONG, "192.0.2.99");
    assert.equal(await login(daemon, "jack", RIGHT, "192.0.2.99"), AuthResult.AUTH_RESULT_TEMPORARILY_LOCKED, "one failure locks with SHADOWD_FAILLOCK_DENY=1");
    assert.match(daemon.log(), /"faillock":\{"deny":1,"failIntervalSeconds":900,"unlockTimeSeconds":0\},"penalty":\{"baseMs":2000,"maxMs":0,"trustedNetworks":\[\]\}/);
  } finally {
    await daemon.stop();
  }
});
