// Integration: overload — with hashing saturated (--hash-concurrency 1 --hash-queue 4),
// further Authenticate calls get RESOURCE_EXHAUSTED at once, and CheckAccount, GetAging and
// health keep answering fast while a second process floods Authenticate.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { status, type ServiceError } from "@grpc/grpc-js";
import { startTestDaemon, REPO_ROOT, type TestDaemon } from "../helpers/daemon";
import { AuthResult } from "../../src/gen/shadowd/v1/shadowd";
import { HealthClient } from "./health-client";

const OVERLOAD_ARGS = ["--hash-concurrency", "1", "--hash-queue", "4", "--faillock-deny", "0"];

function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

async function seed(daemon: TestDaemon): Promise<void> {
  await daemon.adminp.addUser({ name: "olga", gecos: "", home: "/home/olga", shell: "/bin/sh", password: Buffer.from("Overload-pw-1") });
}

test("past one running and four waiting hashes, Authenticate answers RESOURCE_EXHAUSTED at once", async (t) => {
  // Slow hashes (--argon2-time 12: ~0.3 s each) keep the queue full for over a second.
  const daemon = await startTestDaemon({ extraArgs: [...OVERLOAD_ARGS, "--argon2-time", "12"] });
  try {
    await seed(daemon);
    // Connect first: the refusals are timed, not the channel's set-up.
    await daemon.authp.checkAccount({ username: "olga", service: "imap", remoteAddress: "" });
    const attempt = (i: number): Promise<{ kind: string; ms: number }> => {
      const started = performance.now();
      return daemon.authp
        .authenticate({ username: i % 2 === 0 ? "olga" : `nobody${i}`, password: Buffer.from("Overload-wrong-1"), service: "imap", remoteAddress: "" })
        .then(
          (response) => ({ kind: response.result === AuthResult.AUTH_RESULT_DENIED ? "denied" : `result ${response.result}`, ms: performance.now() - started }),
          (error: ServiceError) => ({ kind: error.code === status.RESOURCE_EXHAUSTED ? "exhausted" : `error ${error.code} ${error.details}`, ms: performance.now() - started }),
        );
    };
    const burst = Array.from({ length: 40 }, (_, i) => attempt(i));
    await new Promise((resolve) => setTimeout(resolve, 100));
    // One call at a time while the queue is full: each refusal is timed on its own.
    const probes: { kind: string; ms: number }[] = [];
    for (let i = 0; i < 20; i++) probes.push(await attempt(100 + i));
    const outcomes = await Promise.all(burst);

    const count = (kind: string): number => outcomes.filter((outcome) => outcome.kind === kind).length;
    assert.deepEqual({ denied: count("denied"), exhausted: count("exhausted"), total: outcomes.length }, { denied: 5, exhausted: 35, total: 40 }, "1 running + 4 waiting were hashed; the rest refused");
    assert.deepEqual(new Set(probes.map((probe) => probe.kind)), new Set(["exhausted"]));
    const refusal = { median: percentile(probes.map((probe) => probe.ms), 0.5), slowest: Math.max(...probes.map((probe) => probe.ms)) };
    const oneHash = Math.min(...outcomes.filter((outcome) => outcome.kind === "denied").map((outcome) => outcome.ms));
    t.diagnostic(`refusals while saturated: median ${refusal.median.toFixed(1)} ms, slowest ${refusal.slowest.toFixed(1)} ms; the first hashed answer took ${oneHash.toFixed(0)} ms`);
    assert.ok(refusal.median < 50, `refusals take well under 50 ms (median ${refusal.median.toFixed(1)} ms)`);
    // A refusal that waited for a hashing slot would take at least one hash (~0.3 s): even
    // the slowest, on a busy machine, must be far below that.
    assert.ok(refusal.slowest < oneHash / 2, `no refusal waited for a hash (slowest ${refusal.slowest.toFixed(1)} ms, one hash ${oneHash.toFixed(0)} ms)`);
    assert.doesNotMatch(daemon.log(), /internal error/);
    assert.equal((await daemon.authp.authenticate({ username: "olga", password: Buffer.from("Overload-pw-1"), service: "imap", remoteAddress: "" })).result, AuthResult.AUTH_RESULT_OK, "it recovers once the queue drains");
  } finally {
    await daemon.stop();
  }
});

/** The flood, run in its own process so the measuring side is not slowed by it. */
const FLOOD_SCRIPT = `
const grpc = require(process.env.REPO + "/node_modules/@grpc/grpc-js");
const { AuthClient } = require(process.env.REPO + "/dist/src/gen/shadowd/v1/shadowd");
const client = new AuthClient("unix:" + process.env.SOCKET, grpc.credentials.createInsecure());
const counts = { denied: 0, exhausted: 0, other: 0 };
let stopping = false;
let inFlight = 0;
const one = (i) => {
  if (stopping) return;
  inFlight++;
  client.authenticate({ username: i % 2 ? "olga" : "nobody" + i, password: Buffer.from("Overload-wrong-2"), service: "imap", remoteAddress: "198.51.100." + (i % 200) }, (error, response) => {
    inFlight--;
    if (error) counts[error.code === grpc.status.RESOURCE_EXHAUSTED ? "exhausted" : "other"]++;
    else counts[response.result === 2 ? "denied" : "other"]++;
    if (counts.denied + counts.exhausted === 50) process.stdout.write("ready\\n");
    // Re-issue after a short pause: a steady flood that keeps the hashing queue full (the
    // point here), not a request flood that would occupy the event loop itself.
    setTimeout(() => one(i + CONCURRENCY), Number(process.env.PAUSE_MS));
  });
};
const CONCURRENCY = Number(process.env.CONCURRENCY);
for (let i = 0; i < CONCURRENCY; i++) one(i);
process.on("SIGTERM", () => {
  stopping = true;
  const wait = () => (inFlight === 0 ? (process.stdout.write(JSON.stringify(counts) + "\\n"), process.exit(0)) : setTimeout(wait, 10));
  wait();
});
`;

test("while a second process saturates hashing, CheckAccount, GetAging and health keep a p99 under 50 ms", { timeout: 120_000 }, async (t) => {
  // Penalties off: the flood's DENIED answers would otherwise be held for seconds, and the
  // point here is the hashing queue, not the per-address delay. Faillock stays on (the
  // flood's failures are written meanwhile). Slow hashes (--argon2-time 6, ~0.15 s) keep
  // the hashing thread just as busy as fast ones, but the five places stay full even when
  // the flood gets little CPU.
  const daemon = await startTestDaemon({ extraArgs: ["--hash-concurrency", "1", "--hash-queue", "4", "--argon2-time", "6", "--penalty-max-ms", "0"] });
  const scriptPath = path.join(daemon.stateDir, "flood.js");
  fs.writeFileSync(scriptPath, FLOOD_SCRIPT);
  const flood = spawn(process.execPath, [scriptPath], { env: { ...process.env, REPO: REPO_ROOT, SOCKET: daemon.authSocket, CONCURRENCY: "12", PAUSE_MS: "5" }, stdio: ["ignore", "pipe", "inherit"] });
  // The flood stands for remote attackers, whose CPU is not this machine's: at the lowest
  // priority it still keeps the five hashing places full, without taking the CPU the
  // daemon and the measuring side need.
  if (flood.pid !== undefined) os.setPriority(flood.pid, 19);
  let floodOut = "";
  flood.stdout.on("data", (chunk: Buffer) => (floodOut += chunk.toString("utf8")));
  const floodExited = new Promise<number | null>((resolve) => flood.on("exit", (code) => resolve(code)));
  const health = new HealthClient(daemon.authSocket);
  try {
    await seed(daemon);
    while (!floodOut.includes("ready")) {
      assert.equal(flood.exitCode, null, "the flood runs");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Alternate blocks with the flood running and paused (SIGSTOP): the paused blocks measure
    // the same calls on the same machine at the same time, without the flood.
    type Kind = "CheckAccount" | "GetAging" | "health";
    const latencies: Record<"flood" | "quiet", Record<Kind, number[]>> = {
      flood: { CheckAccount: [], GetAging: [], health: [] },
      quiet: { CheckAccount: [], GetAging: [], health: [] },
    };
    const measure = async (phase: "flood" | "quiet", kind: Kind, call: () => Promise<unknown>): Promise<void> => {
      const started = performance.now();
      await call();
      latencies[phase][kind].push(performance.now() - started);
    };
    const saturation: boolean[] = [];
    const isSaturated = (): Promise<boolean> =>
      daemon.authp.authenticate({ username: "olga", password: Buffer.from("Overload-probe"), service: "imap", remoteAddress: "" }).then(
        () => false,
        (error: ServiceError) => error.code === status.RESOURCE_EXHAUSTED,
      );
    for (let block = 0; block < 16; block++) {
      const phase = block % 2 === 0 ? "flood" : "quiet";
      flood.kill(phase === "flood" ? "SIGCONT" : "SIGSTOP");
      // Let the queue refill, or drain (at most 5 hashes of ~0.15 s) before measuring.
      await new Promise((resolve) => setTimeout(resolve, phase === "flood" ? 200 : 1000));
      for (let i = 0; i < 25; i++) {
        await measure(phase, "CheckAccount", () => daemon.authp.checkAccount({ username: "olga", service: "imap", remoteAddress: "192.0.2.1" }));
        await measure(phase, "GetAging", () => daemon.authp.getAging({ username: "olga" }));
        await measure(phase, "health", () => health.check(""));
        // Is hashing saturated right now? Then an Authenticate is refused.
        if (phase === "flood" && i % 5 === 4) saturation.push(await isSaturated());
      }
    }
    flood.kill("SIGCONT");
    flood.kill("SIGTERM");
    assert.equal(await floodExited, 0);
    const counts = JSON.parse(floodOut.trim().split("\n").at(-1) ?? "{}") as { denied: number; exhausted: number; other: number };
    const p99 = (phase: "flood" | "quiet", kind: Kind): number => percentile(latencies[phase][kind], 0.99);
    const kinds: Kind[] = ["CheckAccount", "GetAging", "health"];
    const summary = kinds.map((kind) => `${kind} p50 ${percentile(latencies.flood[kind], 0.5).toFixed(1)} ms, p99 ${p99("flood", kind).toFixed(1)} ms (without the flood: p99 ${p99("quiet", kind).toFixed(1)} ms)`);
    const saturated = saturation.filter(Boolean).length / saturation.length;
    t.diagnostic(`under a flood (${JSON.stringify(counts)}; hashing saturated at ${(saturated * 100).toFixed(0)} % of probes): ${summary.join("; ")}`);
    assert.equal(counts.other, 0, "the flood saw only DENIED and RESOURCE_EXHAUSTED");
    // Saturation is shown by the probes refused while measuring, or by the flood itself being
    // refused far more often than answered (the probes sample it; on a busy machine they miss).
    assert.ok(saturated >= 0.3 || counts.exhausted > 5 * counts.denied, `hashing was saturated while measuring (${saturation.filter(Boolean).length} of ${saturation.length} probes refused; flood ${JSON.stringify(counts)})`);
    assert.doesNotMatch(daemon.log(), /internal error/);
    // A latency bound says nothing on a machine that is already saturated by other work
    // (other test files, other jobs): when the bound is missed and these calls alone,
    // without the flood, already spend half the budget (p99 >= 25 ms), it is reported as
    // not checkable here instead of failing.
    const missed = kinds.filter((kind) => p99("flood", kind) >= 50);
    if (missed.length > 0 && kinds.some((kind) => p99("quiet", kind) >= 25)) {
      t.skip(`the machine is too busy to check a 50 ms bound: ${summary.join("; ")}`);
      return;
    }
    for (const [i, kind] of kinds.entries()) assert.ok(p99("flood", kind) < 50, `${kind}: ${summary[i]}`);
  } finally {
    health.close();
    if (flood.exitCode === null) flood.kill("SIGKILL");
    await daemon.stop();
  }
});
