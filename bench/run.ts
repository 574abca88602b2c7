// `make bench`: throughput of shadowd's hot paths as ratios against baselines measured in
// the same process and run: Authenticate vs raw argon2.verify (same parameters, same
// concurrency), CheckAccount vs a bare echo RPC on the same server and UNIX socket.
// Each figure is the median of several alternating rounds (machines are shared and noisy).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import argon2 from "argon2";
import pino from "pino";
import { loadConfig, type Config } from "../src/daemon/config";
import { startDaemon } from "../src/daemon/lifecycle";
import { AuthClient, AdminClient, AuthService, AdminService, AuthResult } from "../src/gen/shadowd/v1/shadowd";
import { promiseClient } from "../src/rpc/promise-client";
import { median, runBenchmark } from "./common";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ECHO_PATH = "/shadowd.bench.Echo/Echo";

/**
 * CPU milliseconds so far of this process's main thread and of all its other threads, from
 * /proc/self/task/<tid>/stat (utime + stime, in clock ticks); null where /proc has no such files.
 */
function threadCpuMs(): { main: number; others: number } | null {
  const ticksPerMs = 100 / 1000; // USER_HZ is 100 on Linux
  let main = 0;
  let others = 0;
  try {
    for (const task of fs.readdirSync("/proc/self/task")) {
      const stat = fs.readFileSync(`/proc/self/task/${task}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ticks = Number(fields[11]) + Number(fields[12]);
      if (task === String(process.pid)) main += ticks / ticksPerMs;
      else others += ticks / ticksPerMs;
    }
  } catch {
    return null;
  }
  return { main, others };
}

/** Run `task(i)` for i in 0..total-1 with `inFlight` concurrent; returns operations per second. */
async function throughput(total: number, inFlight: number, task: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) await task(next++);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return total / seconds;
}

async function main(): Promise<void> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "shd-bench-"));
  const parsed = loadConfig(["--state-dir", stateDir, "--log-level", "warn", ...(process.env.BENCH_DAEMON_ARGS ?? "").split(" ").filter(Boolean)], {});
  if (parsed.kind !== "run") throw new Error("unexpected config");
  const config: Config = parsed.config;
  const logger = pino({ level: "warn" });
  const echoHandler: grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => callback(null, call.request);
  const daemon = await startDaemon(config, logger, {
    beforeBind: ({ auth }) =>
      auth.addService(
        { echo: { path: ECHO_PATH, requestStream: false, responseStream: false, requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b } },
        { echo: echoHandler },
      ),
  });
  const credentials = grpc.credentials.createInsecure();
  const auth = new AuthClient(`unix:${config.authSocketPath}`, credentials);
  const admin = new AdminClient(`unix:${config.adminSocketPath}`, credentials);
  const authp = promiseClient(auth, AuthService);
  const adminp = promiseClient(admin, AdminService);
  const raw = new grpc.Client(`unix:${config.authSocketPath}`, credentials);
  const echo = (payload: Buffer): Promise<void> =>
    new Promise((resolve, reject) => raw.makeUnaryRequest(ECHO_PATH, (b: Buffer) => b, (b: Buffer) => b, payload, (e) => (e ? reject(e) : resolve())));

  const cores = os.availableParallelism();
  console.log(`shadowd bench: ${cores} cores, node ${process.version}, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? "4 (default)"}, ${ROUNDS} rounds, argon2id m=${config.argon2.memoryCost} t=${config.argon2.timeCost} p=${config.argon2.parallelism}`);

  // --- Authenticate vs raw argon2.verify --------------------------------------------------
  const usersPerRound = Number(process.env.BENCH_AUTH_USERS ?? 120);
  const password = Buffer.from("correct horse battery staple");
  const totalUsers = usersPerRound * ROUNDS;
  process.stdout.write(`creating ${totalUsers} users with argon2id hashes… `);
  await throughput(totalUsers, cores * 2, async (i) => {
    await adminp.addUser({ name: `bench${i}`, gecos: "", home: "", shell: "", password });
  });
  console.log("done");
  const referenceHash = await argon2.hash(password, { type: argon2.argon2id, memoryCost: config.argon2.memoryCost, timeCost: config.argon2.timeCost, parallelism: config.argon2.parallelism });
  const inFlightAuth = cores * 2;
  const authRates: number[] = [];
  const argonRates: number[] = [];
  // Where each call's CPU goes: the main thread (gRPC, policy) against the hashing threads.
  const cpuPerCall = { argonMain: [] as number[], argonOthers: [] as number[], authMain: [] as number[], authOthers: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    const beforeArgon = threadCpuMs();
    argonRates.push(await throughput(usersPerRound, inFlightAuth, async () => {
      if (!(await argon2.verify(referenceHash, password))) throw new Error("argon2 baseline failed");
    }));
    const beforeAuth = threadCpuMs();
    authRates.push(await throughput(usersPerRound, inFlightAuth, async (i) => {
      const response = await authp.authenticate({ username: `bench${round * usersPerRound + i}`, password, service: "bench", remoteAddress: "" });
      if (response.result !== AuthResult.AUTH_RESULT_OK) throw new Error(`authenticate returned ${response.result}`);
    }));
    const after = threadCpuMs();
    if (beforeArgon !== null && beforeAuth !== null && after !== null) {
      cpuPerCall.argonMain.push((beforeAuth.main - beforeArgon.main) / usersPerRound);
      cpuPerCall.argonOthers.push((beforeAuth.others - beforeArgon.others) / usersPerRound);
      cpuPerCall.authMain.push((after.main - beforeAuth.main) / usersPerRound);
      cpuPerCall.authOthers.push((after.others - beforeAuth.others) / usersPerRound);
    }
  }
  const authRatio = median(authRates) / median(argonRates);
  console.log(`Authenticate (fresh users, ${inFlightAuth} in flight): median ${median(authRates).toFixed(1)} /s`);
  console.log(`raw argon2.verify (same parameters, same process):     median ${median(argonRates).toFixed(1)} /s`);
  console.log(`ratio Authenticate / argon2.verify: ${authRatio.toFixed(3)} (goal >= 0.95)`);
  if (cpuPerCall.authMain.length > 0) {
    console.log(`CPU per call, main thread / other threads (hashing): raw verify ${median(cpuPerCall.argonMain).toFixed(2)} / ${median(cpuPerCall.argonOthers).toFixed(1)} ms, Authenticate ${median(cpuPerCall.authMain).toFixed(2)} / ${median(cpuPerCall.authOthers).toFixed(1)} ms`);
  }

  // --- CheckAccount vs bare echo ----------------------------------------------------------
  const calls = Number(process.env.BENCH_RPC_CALLS ?? 20000);
  const inFlightRpc = 16;
  const payload = Buffer.from("bench0");
  await throughput(2000, inFlightRpc, () => echo(payload)); // warm-up
  await throughput(2000, inFlightRpc, async () => void (await authp.checkAccount({ username: "bench0", service: "bench", remoteAddress: "" })));
  const echoRates: number[] = [];
  const checkRates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    echoRates.push(await throughput(calls, inFlightRpc, () => echo(payload)));
    checkRates.push(await throughput(calls, inFlightRpc, async (i) => {
      const response = await authp.checkAccount({ username: `bench${i % totalUsers}`, service: "bench", remoteAddress: "" });
      if (response.result !== AuthResult.AUTH_RESULT_OK) throw new Error(`checkAccount returned ${response.result}`);
    }));
  }
  const rpcRatio = median(checkRates) / median(echoRates);
  console.log(`CheckAccount (${inFlightRpc} in flight, UNIX socket): median ${median(checkRates).toFixed(0)} req/s`);
  console.log(`bare echo RPC (same server and socket):        median ${median(echoRates).toFixed(0)} req/s`);
  console.log(`ratio CheckAccount / echo: ${rpcRatio.toFixed(3)} (goal >= 0.8)`);

  auth.close();
  admin.close();
  raw.close();
  await daemon.stop("bench finished");
  fs.rmSync(stateDir, { recursive: true, force: true });
}

runBenchmark(main);
