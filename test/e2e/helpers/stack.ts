// Test hook for the mail-stack chains: what a chain needs to run (root, Debian packages), its
// private work directory, free loopback ports, a dedicated /etc/pam.d file, and real daemons
// (Dovecot, Postfix, saslauthd) started in the foreground and stopped by their own PID.
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { REPO_ROOT, runCommand, type CommandResult } from "../../helpers/daemon";

/** The shim's launcher and the node binary, as absolute paths (pam_exec passes no PATH). */
export const SHIM = path.join(REPO_ROOT, "bin/shadowd-pam");
export const NODE = process.execPath;

/** Where Debian installs the binaries each chain needs (checked before a chain runs). */
const TOOL_PATHS: Record<string, string> = {
  pamtester: "/usr/bin/pamtester",
  dovecot: "/usr/sbin/dovecot",
  curl: "/usr/bin/curl",
  postfix: "/usr/sbin/postfix",
  "postfix master": "/usr/lib/postfix/sbin/master",
  swaks: "/usr/bin/swaks",
  openssl: "/usr/bin/openssl",
  saslauthd: "/usr/sbin/saslauthd",
  testsaslauthd: "/usr/sbin/testsaslauthd",
};

/**
 * Why a chain cannot run here, or null. Without SHADOWD_REQUIRE_MAIL_STACK=1 (set by .ci/run)
 * a missing requirement skips the chain with a loud banner; with it, the chain fails instead.
 */
export function missingRequirements(chain: string, tools: readonly string[]): string | null {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push("root (the chains write a file under /etc/pam.d and start daemons)");
  for (const tool of tools) {
    const file = TOOL_PATHS[tool];
    if (file === undefined) throw new Error(`unknown tool ${tool}`);
    if (!fs.existsSync(file)) missing.push(`${tool} (${file})`);
  }
  if (tools.includes("swaks") && spawnSync("perl", ["-MNet::SSLeay", "-e", "1"]).status !== 0) missing.push("Net::SSLeay for swaks --tls (libnet-ssleay-perl)");
  if (missing.length === 0) return null;
  const reason = `${chain}: missing ${missing.join(", ")}`;
  const banner = "=".repeat(78);
  console.error(`\n${banner}\nSKIPPING the ${chain} chain: missing ${missing.join(", ")}.\nInstall: apt-get install pamtester dovecot-core dovecot-pop3d postfix swaks libnet-ssleay-perl sasl2-bin curl (as root)\n${banner}\n`);
  if (process.env.SHADOWD_REQUIRE_MAIL_STACK === "1") throw new Error(`SHADOWD_REQUIRE_MAIL_STACK=1 but ${reason}`);
  return reason;
}

/** A private work directory, world-traversable (0755) so postfix and dovecot users reach into it. */
export function makeWorkDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `shadowd-e2e-${prefix}-`));
  fs.chmodSync(dir, 0o755);
  return dir;
}

/** A free TCP port on 127.0.0.1 (asked from the kernel; high and random). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A dedicated, new PAM service file; remove() deletes it (idempotent). */
export interface PamService {
  name: string;
  file: string;
  remove(): void;
}

/** A unique service name `shadowd-test-<random>` (suffix appended when given). */
export function uniquePamServiceName(suffix = ""): string {
  return `shadowd-test-${crypto.randomBytes(5).toString("hex")}${suffix}`;
}

/** Create /etc/pam.d/NAME with `text`; refuses to overwrite anything. */
export function installPamService(name: string, text: string): PamService {
  if (!/^shadowd-test-[0-9a-f]{10}(-[a-z0-9]+)?$/.test(name)) throw new Error(`refusing PAM service name ${name}`);
  const file = path.join("/etc/pam.d", name);
  fs.writeFileSync(file, text, { flag: "wx", mode: 0o644 });
  return {
    name,
    file,
    remove: () => fs.rmSync(file, { force: true }),
  };
}

/** A daemon run in the foreground by the test, stopped by its own PID. */
export interface ForegroundDaemon {
  pid: number;
  /** stdout + stderr so far. */
  output(): string;
  exited(): boolean;
  /** SIGTERM, then SIGKILL after graceMs; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

export function startForeground(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ForegroundDaemon {
  // Its own process group: saslauthd, for one, signals its whole group when it stops.
  const child = spawn(command, [...args], { cwd: options.cwd ?? "/", env: options.env ?? { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  if (child.pid === undefined) throw new Error(`cannot start ${command}`);
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  let gone = false;
  const exit = new Promise<void>((resolve) => child.on("exit", () => {
    gone = true;
    resolve();
  }));
  const pid = child.pid;
  return {
    pid,
    output: () => output,
    exited: () => gone,
    stop: async (graceMs = 5000) => {
      if (gone) return;
      process.kill(pid, "SIGTERM");
      const timer = setTimeout(() => {
        if (!gone) process.kill(pid, "SIGKILL");
      }, graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** Poll until `ready()` holds; throws with `describe()` after timeoutMs. */
export async function waitUntil(what: string, ready: () => boolean | Promise<boolean>, timeoutMs: number, describe: () => string = () => ""): Promise<void> {
  const started = Date.now();
  while (!(await ready())) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what} not ready within ${timeoutMs} ms\n${describe()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Run a command with a minimal environment (as a daemon would see it). */
export function run(command: string, args: string[], options: { stdin?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): Promise<CommandResult> {
  return runCommand(command, args, { env: options.env ?? { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C" }, ...(options.stdin === undefined ? {} : { stdin: options.stdin }) });
}

/** Replace every production value of a documented snippet with the test's own. */
export function instantiate(snippet: string, substitutions: ReadonlyArray<readonly [string, string]>): string {
  let text = snippet;
  for (const [from, to] of substitutions) {
    if (!text.includes(from)) continue;
    text = text.split(from).join(to);
  }
  return text;
}

/** Remove a work directory (daemons have stopped; some files belong to postfix or dovecot). */
export function removeWorkDir(dir: string): void {
  if (process.env.SHADOWD_E2E_KEEP === "1") {
    console.error(`SHADOWD_E2E_KEEP=1: kept ${dir}`);
    return;
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
