// Test hook: runs the real bin/shadowd on a temporary state directory (real UNIX sockets,
// real SQLite file) and hands out gRPC clients and a shadowctl runner bound to it.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import * as grpc from "@grpc/grpc-js";
import { AuthClient, AdminClient, AuthService, AdminService, type ImportReport, type ImportAccountsRequest } from "../../src/gen/shadowd/v1/shadowd";
import { promiseClient } from "../../src/rpc/promise-client";

export const REPO_ROOT = path.resolve(__dirname, "../../..");

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestDaemon {
  stateDir: string;
  authSocket: string;
  adminSocket: string;
  auth: AuthClient;
  admin: AdminClient;
  /** Promise-returning unary calls on the auth socket: `await d.authp.authenticate({...})`. */
  authp: ReturnType<typeof promiseClient<typeof AuthService>>;
  /** Promise-returning unary calls on the admin socket. */
  adminp: ReturnType<typeof promiseClient<typeof AdminService>>;
  /** Everything the daemon wrote to stderr (its JSON log) so far. */
  log(): string;
  /** Run bin/shadowctl against this daemon's admin socket. */
  shadowctl(args: string[], options?: { stdin?: string | Buffer }): Promise<CommandResult>;
  /** Import passwd + shadow text through Admin.ImportAccounts (skip_invalid, include_system). */
  importText(passwdText: string, shadowText: string): Promise<ImportReport>;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  process: ChildProcess;
}

export interface TestDaemonOptions {
  nullok?: boolean;
  minUid?: number;
  extraArgs?: string[];
  /** Reuse an existing state directory (restart tests). */
  stateDir?: string;
  env?: Record<string, string>;
}

/** Run a command to completion, feeding stdin. */
export function runCommand(command: string, args: string[], options: { stdin?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd ?? REPO_ROOT, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }));
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.stdin ?? "");
  });
}

function waitForServing(client: grpc.Client, deadlineMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    client.waitForReady(Date.now() + deadlineMs, (error) => (error ? reject(error) : resolve()));
  });
}

export async function startTestDaemon(options: TestDaemonOptions = {}): Promise<TestDaemon> {
  const stateDir = options.stateDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "shd-"));
  const args = ["--state-dir", stateDir, "--log-level", "debug"];
  if (options.nullok) args.push("--nullok");
  if (options.minUid !== undefined) args.push("--min-uid", String(options.minUid));
  args.push(...(options.extraArgs ?? []));
  const child = spawn(path.join(REPO_ROOT, "bin/shadowd"), args, { env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stderr!.on("data", (chunk: Buffer) => (log += chunk.toString("utf8")));
  child.stdout!.on("data", (chunk: Buffer) => (log += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));

  const authSocket = path.join(stateDir, "shadowd.sock");
  const adminSocket = path.join(stateDir, "shadowd-admin.sock");
  const started = Date.now();
  while (!(fs.existsSync(authSocket) && fs.existsSync(adminSocket))) {
    if (child.exitCode !== null) throw new Error(`shadowd exited with ${child.exitCode} at start:\n${log}`);
    if (Date.now() - started > 20_000) {
      child.kill("SIGKILL");
      throw new Error(`shadowd did not create its sockets within 20 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const credentials = grpc.credentials.createInsecure();
  const auth = new AuthClient(`unix:${authSocket}`, credentials);
  const admin = new AdminClient(`unix:${adminSocket}`, credentials);
  await waitForServing(auth, 10_000);
  await waitForServing(admin, 10_000);

  const close = (): void => {
    auth.close();
    admin.close();
  };
  return {
    stateDir,
    authSocket,
    adminSocket,
    auth,
    admin,
    authp: promiseClient(auth, AuthService),
    adminp: promiseClient(admin, AdminService),
    process: child,
    log: () => log,
    shadowctl: (ctlArgs, ctlOptions = {}) =>
      runCommand(path.join(REPO_ROOT, "bin/shadowctl"), ["--state-dir", stateDir, ...ctlArgs], ctlOptions.stdin === undefined ? {} : { stdin: ctlOptions.stdin }),
    importText: (passwdText, shadowText) =>
      new Promise<ImportReport>((resolve, reject) => {
        const call = admin.importAccounts((error, report) => (error ? reject(error) : resolve(report)));
        const send = (message: ImportAccountsRequest): void => void call.write(message);
        send({ part: { $case: "options", value: { dryRun: false, mode: 1, skipInvalid: true, includeSystem: true, passwdFileName: "passwd", shadowFileName: "shadow" } } });
        send({ part: { $case: "passwdChunk", value: Buffer.from(passwdText) } });
        send({ part: { $case: "shadowChunk", value: Buffer.from(shadowText) } });
        call.end();
      }),
    stop: async () => {
      close();
      if (child.exitCode === null) child.kill("SIGTERM");
      return exited;
    },
    kill: async () => {
      close();
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** Promise wrapper for a unary client call: `await call(client.authenticate.bind(client), request)`. */
export function call<Req, Res>(method: (request: Req, callback: (error: grpc.ServiceError | null, response: Res) => void) => unknown, request: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    method(request, (error, response) => (error ? reject(error) : resolve(response)));
  });
}
