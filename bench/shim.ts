// `make bench` (shim part): wall time of one pam_exec shim run (bin/shadowd-pam, as pam_exec
// starts it: absolute node, no PATH) against a bare `node -e ''` on the same machine, as the
// ratio of medians over interleaved runs. The daemon runs in its own process with cheap argon2id
// parameters, so the figure is the shim's cost (start-up, connection, call); the configured
// hash's cost, which every login also pays whatever the frontend, is printed beside it.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import argon2 from "argon2";
import { UNIX_SOCKET_ADDON_PATH, loadUnixSocketAddon } from "../src/rpc/http2-unary-blocking";
import { median, runBenchmark } from "./common";

const ROOT = path.resolve(__dirname, "../..");
const SHIM = path.join(ROOT, "bin/shadowd-pam");
const RUNS = Number(process.env.BENCH_SHIM_RUNS ?? 30);
const WARMUP = 3;
const PASSWORD = "correct horse battery staple";

/**
 * Wall time of one run, in ms; throws when the exit status is not the expected one. stdin is
 * a file holding `input`: like pam_exec's pipe, the token and EOF are there from the start.
 */
function timeRun(command: string, args: string[], env: NodeJS.ProcessEnv, inputFile: string, expectedCode = 0): number {
  const stdin = fs.openSync(inputFile, "r");
  try {
    const started = process.hrtime.bigint();
    const result = spawnSync(command, args, { env, stdio: [stdin, "pipe", "pipe"] });
    const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
    if (result.status !== expectedCode) throw new Error(`${command} ${args.join(" ")} exited ${result.status}: ${result.stderr.toString()}`);
    return elapsed;
  } finally {
    fs.closeSync(stdin);
  }
}

async function startBenchDaemon(stateDir: string): Promise<{ socket: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [path.join(ROOT, "bin/shadowd"), "--state-dir", stateDir, "--log-level", "warn", "--argon2-memory", "1024", "--argon2-time", "1"], { stdio: ["ignore", "ignore", "inherit"] });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const socket = path.join(stateDir, "shadowd.sock");
  const admin = path.join(stateDir, "shadowd-admin.sock");
  const started = Date.now();
  while (!(fs.existsSync(socket) && fs.existsSync(admin))) {
    if (child.exitCode !== null) throw new Error(`shadowd exited with ${child.exitCode}`);
    if (Date.now() - started > 20_000) throw new Error("shadowd did not start within 20 s");
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    socket,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

function shadowctl(stateDir: string, args: string[], input = ""): void {
  const result = spawnSync(process.execPath, [path.join(ROOT, "bin/shadowctl"), "--state-dir", stateDir, ...args], { input, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`shadowctl ${args.join(" ")}: ${result.stderr}`);
}

async function main(): Promise<void> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "shd-shim-bench-"));
  const daemon = await startBenchDaemon(stateDir);
  try {
    shadowctl(stateDir, ["useradd", "benchuser"]);
    shadowctl(stateDir, ["passwd", "--stdin", "benchuser"], `${PASSWORD}\n`);
    const env = (type: string): NodeJS.ProcessEnv => ({ PAM_TYPE: type, PAM_USER: "benchuser", PAM_SERVICE: "bench", PAM_RHOST: "192.0.2.1" });
    const shimArgs = [SHIM, "--socket", daemon.socket];
    const passwordFile = path.join(stateDir, "password");
    fs.writeFileSync(passwordFile, PASSWORD, { mode: 0o600 });
    // The same shim from a copy of its tree without dist/native/: the node:net fallback.
    const fallbackTree = path.join(stateDir, "tree-without-addon");
    fs.cpSync(path.join(ROOT, "bin"), path.join(fallbackTree, "bin"), { recursive: true });
    fs.cpSync(path.join(ROOT, "dist/src"), path.join(fallbackTree, "dist/src"), { recursive: true });
    const fallbackArgs = [path.join(fallbackTree, "bin", path.basename(SHIM)), "--socket", daemon.socket];
    const subjects = [
      { name: "node -e ''", run: () => timeRun(process.execPath, ["-e", ""], {}, "/dev/null") },
      { name: "shim auth (Authenticate)", run: () => timeRun(process.execPath, shimArgs, env("auth"), passwordFile) },
      { name: "shim account (CheckAccount)", run: () => timeRun(process.execPath, shimArgs, env("account"), "/dev/null") },
      { name: "shim auth, node:net fallback", run: () => timeRun(process.execPath, fallbackArgs, env("auth"), passwordFile) },
    ];
    for (let i = 0; i < WARMUP; i++) for (const subject of subjects) subject.run();
    const times = subjects.map(() => [] as number[]);
    // Interleaved, so that load changes on a shared machine hit every subject alike.
    for (let i = 0; i < RUNS; i++) subjects.forEach((subject, k) => times[k]!.push(subject.run()));
    const [baseline, auth, account, fallbackAuth] = times.map(median) as [number, number, number, number];

    // What the configured hash adds to every real login (default parameters, this machine).
    const hash = await argon2.hash(PASSWORD, { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 });
    const verifyTimes: number[] = [];
    for (let i = 0; i < 9; i++) {
      const started = process.hrtime.bigint();
      await argon2.verify(hash, PASSWORD);
      verifyTimes.push(Number(process.hrtime.bigint() - started) / 1e6);
    }

    console.log(`shadowd-pam bench: ${os.availableParallelism()} cores, node ${process.version}, ${RUNS} interleaved runs each (medians)`);
    console.log(`shim transport: ${loadUnixSocketAddon() !== null ? `blocking socket addon (${path.relative(ROOT, UNIX_SOCKET_ADDON_PATH)})` : "node:net (the socket addon did not load: make build)"}`);
    console.log(`node -e '':                   ${baseline.toFixed(1)} ms`);
    console.log(`shim auth (Authenticate):     ${auth.toFixed(1)} ms`);
    console.log(`shim account (CheckAccount):  ${account.toFixed(1)} ms`);
    console.log(`ratio shim account / node -e '': ${(account / baseline).toFixed(2)}`);
    console.log(`ratio shim login / node -e '': ${(auth / baseline).toFixed(2)} (goal <= 1.5)`);
    console.log(`(without the addon, through node:net: a login in ${fallbackAuth.toFixed(1)} ms, ratio ${(fallbackAuth / baseline).toFixed(2)})`);
    console.log(`(every login also pays its password hash: argon2id m=19456 t=2 p=1 verifies in ${median(verifyTimes).toFixed(1)} ms here, whatever the frontend)`);
  } finally {
    await daemon.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

runBenchmark(main);
