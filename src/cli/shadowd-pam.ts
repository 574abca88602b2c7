// Owns the pam_exec shim (bin/shadowd-pam): one PAM call (auth, account or password) turned
// into one Auth RPC on shadowd's auth socket, answered with an exit status (0 only for OK),
// pam_unix's message on stdout and the reason on stderr. Starts fast: no @grpc/grpc-js, and
// no node:net either when the blocking socket addon loads (dist/native/unix-socket.node).
import { closeSync, constants as fsConstants, fstatSync, openSync, readSync, writeSync } from "node:fs";
import { AUTH_METHODS, AUTH_RESULT, CHANGE_RESULT, decodeAuthenticateResponse, decodeChangePasswordResponse, decodeCheckAccountResponse, encodeAuthenticateRequest, encodeChangePasswordRequest, encodeCheckAccountRequest, type DecodeOutcome } from "../rpc/auth-wire";
import { GRPC_STATUS_NAMES, type UnaryCallOptions, type UnaryOutcome } from "../rpc/http2-unary";
import { callUnaryBlocking, loadUnixSocketAddon, monotonicMs } from "../rpc/http2-unary-blocking";
import { MAX_STDIN_BYTES, parseAuthToken, parseChangeTokens, parseShimArgs, printable, readPamRequest, USAGE, type PamRequest } from "./shadowd-pam/input";

/** Exit statuses. pam_exec maps every non-zero one to PAM_SYSTEM_ERR but logs the number. */
export const EXIT = {
  OK: 0,
  REFUSED: 1,
  USAGE: 2,
  BAD_INPUT: 3,
  UNAVAILABLE: 4,
} as const;

const GRPC_INVALID_ARGUMENT = 3;

/** What the shim reads and writes; the process's own in production, fakes in tests. */
export interface ShimIo {
  env: Readonly<Record<string, string | undefined>>;
  /**
   * Read stdin to EOF, or until more than maxBytes arrived (then at least maxBytes + 1): the
   * bytes themselves when they were all there at once (pam_exec's pipe), else a promise.
   */
  readStdin(maxBytes: number): Buffer | Promise<Buffer>;
  writeStdout(text: string): void;
  writeStderr(text: string): void;
  /** stderr is the very pipe stdout is (pam_exec's `stdout` option): the user would see the reason line. */
  stderrIsRelayed: boolean;
  /** One unary call to shadowd on a fresh connection. */
  callUnary(options: UnaryCallOptions): UnaryOutcome | Promise<UnaryOutcome>;
}

const AUTH_RESULT_NAMES = invertNames(AUTH_RESULT);
const CHANGE_RESULT_NAMES = invertNames(CHANGE_RESULT);

function invertNames(values: Readonly<Record<string, number>>): Map<number, string> {
  return new Map(Object.entries(values).map(([name, value]) => [value, name]));
}

/** One line of pam_unix text, safe for pam_exec's line reader. */
function oneLine(message: string): string {
  return message.replace(/[\x00-\x1f\x7f]+/g, " ").trim();
}

type Deadline = { remainingMs(): number };

function raceDeadline<T>(work: Promise<T>, deadline: Deadline): Promise<T | "timeout"> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve("timeout"), Math.max(0, deadline.remainingMs()));
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

interface CallPlan {
  method: string;
  request: Buffer;
  decode(bytes: Uint8Array): DecodeOutcome;
  okValue: number;
  names: Map<number, string>;
  /** Print the server's message on stdout for this result. */
  showMessage(result: number): boolean;
}

/** Turn the PAM call into one RPC, reading the tokens from stdin where the phase has them. */
async function planCall(request: PamRequest, io: ShimIo, deadline: Deadline): Promise<CallPlan | { bad: string } | "timeout"> {
  const common = { username: request.user, service: request.service, remoteAddress: request.remoteAddress };
  if (request.type === "account") {
    return {
      method: AUTH_METHODS.checkAccount,
      request: encodeCheckAccountRequest(common),
      decode: decodeCheckAccountResponse,
      okValue: AUTH_RESULT.OK,
      names: AUTH_RESULT_NAMES,
      showMessage: () => true,
    };
  }
  const read = io.readStdin(MAX_STDIN_BYTES);
  const stdin = read instanceof Promise ? await raceDeadline(read, deadline) : read;
  if (stdin === "timeout") return "timeout";
  if (request.type === "auth") {
    const token = parseAuthToken(stdin);
    if (!token.ok) return { bad: token.reason };
    return {
      method: AUTH_METHODS.authenticate,
      request: encodeAuthenticateRequest({ ...common, password: token.password }),
      decode: decodeAuthenticateResponse,
      okValue: AUTH_RESULT.OK,
      names: AUTH_RESULT_NAMES,
      // pam_unix's auth phase is silent on success: the expiry warning belongs to the account
      // phase (CheckAccount prints it); refusals print here, since PAM stops after them.
      showMessage: (result) => result !== AUTH_RESULT.OK,
    };
  }
  const tokens = parseChangeTokens(stdin);
  if (!tokens.ok) return { bad: tokens.reason };
  return {
    method: AUTH_METHODS.changePassword,
    request: encodeChangePasswordRequest({ ...common, oldPassword: tokens.oldPassword, newPassword: tokens.newPassword }),
    decode: decodeChangePasswordResponse,
    okValue: CHANGE_RESULT.OK,
    names: CHANGE_RESULT_NAMES,
    showMessage: () => true,
  };
}

/** Run the shim; resolves to the exit status. */
export async function main(argv: readonly string[], io: ShimIo): Promise<number> {
  const command = parseShimArgs(argv);
  if (command.kind === "help") {
    io.writeStdout(USAGE);
    return EXIT.OK;
  }
  if (command.kind === "version") {
    const { packageVersion } = await import("../daemon/package-info");
    io.writeStdout(`shadowd-pam ${packageVersion()}\n`);
    return EXIT.OK;
  }
  if (command.kind === "usage") {
    io.writeStderr(`shadowd-pam: ${command.message}\nTry 'shadowd-pam --help'.\n`);
    return EXIT.USAGE;
  }
  const endsAt = monotonicMs() + command.timeoutMs;
  const deadline: Deadline = { remainingMs: () => endsAt - monotonicMs() };
  const pam = readPamRequest(io.env);
  const report = (subject: string, text: string): void => {
    if (!io.stderrIsRelayed) io.writeStderr(`shadowd-pam: ${subject}: ${text}\n`);
  };
  if (!pam.ok) {
    report(`PAM_TYPE '${printable(io.env.PAM_TYPE ?? "")}'`, pam.reason);
    return EXIT.BAD_INPUT;
  }
  const subject = `${pam.request.type}: user '${printable(pam.request.user)}'`;
  const plan = await planCall(pam.request, io, deadline);
  if (plan === "timeout" || "bad" in plan) {
    report(subject, plan === "timeout" ? `stdin not closed within ${command.timeoutMs} ms` : plan.bad);
    return plan === "timeout" ? EXIT.UNAVAILABLE : EXIT.BAD_INPUT;
  }
  const outcome = await io.callUnary({ socketPath: command.socketPath, method: plan.method, request: plan.request, timeoutMs: Math.max(1, Math.ceil(deadline.remainingMs())) });
  if (outcome.kind === "failed") {
    report(subject, `shadowd unavailable: ${outcome.reason}`);
    return EXIT.UNAVAILABLE;
  }
  if (outcome.kind === "status") {
    report(subject, `shadowd answered ${GRPC_STATUS_NAMES[outcome.code] ?? `status ${outcome.code}`}: ${oneLine(outcome.details)}`);
    return outcome.code === GRPC_INVALID_ARGUMENT ? EXIT.BAD_INPUT : EXIT.UNAVAILABLE;
  }
  const decoded = plan.decode(outcome.response);
  if (!decoded.ok) {
    report(subject, `undecodable answer from shadowd: ${decoded.reason}`);
    return EXIT.UNAVAILABLE;
  }
  const { result, daysLeft, message } = decoded.reply;
  const text = oneLine(message);
  if (text !== "" && plan.showMessage(result)) io.writeStdout(`${text}\n`);
  const name = plan.names.get(result) ?? `result ${result}`;
  report(subject, daysLeft === undefined ? name : `${name} (password expires in ${daysLeft} days)`);
  return result === plan.okValue ? EXIT.OK : EXIT.REFUSED;
}

/** Descriptors a and b are one pipe (or socket): pam_exec's `stdout` option, or `2>&1` into a pipe. */
function sameOpenFile(a: number, b: number): boolean {
  try {
    const x = fstatSync(a);
    const y = fstatSync(b);
    return (x.isFIFO() || x.isSocket()) && x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/** Read stdin through process.stdin (a socket, a terminal): event-loop reads, never blocking exit. */
function readProcessStdin(maxBytes: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const stdin = process.stdin;
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      stdin.pause();
      resolve(Buffer.concat(chunks));
    };
    stdin.on("data", (chunk: Buffer) => {
      if (settled) return;
      chunks.push(chunk);
      total += chunk.length;
      if (total > maxBytes) settle();
    });
    stdin.on("end", settle);
    // A closed or unreadable stdin counts as empty; the token checks decide.
    stdin.on("error", settle);
  });
}

/**
 * Read stdin to EOF, or until more than maxBytes arrived. pam_exec's pipe (or a file) is
 * reopened non-blocking through /proc and read synchronously: under pam_exec the token and
 * EOF are already there, so the bytes come back at once, in microseconds, with no timer and
 * no thread; while nothing is there yet, a promise polls. Anything /proc cannot reopen (a
 * socket) goes through process.stdin.
 */
function readStdin(maxBytes: number): Buffer | Promise<Buffer> {
  let fd: number;
  try {
    fd = openSync("/proc/self/fd/0", fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch {
    return readProcessStdin(maxBytes);
  }
  const buffer = Buffer.allocUnsafe(maxBytes + 1);
  let total = 0;
  /** Read what is there: "done" at EOF, past maxBytes or on an error (unreadable counts as empty). */
  const drain = (): "done" | "again" => {
    for (;;) {
      let bytesRead: number;
      try {
        bytesRead = readSync(fd, buffer, total, buffer.length - total, null);
      } catch (error) {
        return (error as NodeJS.ErrnoException).code === "EAGAIN" ? "again" : "done";
      }
      if (bytesRead === 0) return "done";
      total += bytesRead;
      if (total > maxBytes) return "done";
    }
  };
  const finish = (): Buffer => {
    closeSync(fd);
    return buffer.subarray(0, total);
  };
  if (drain() === "done") return finish();
  return new Promise((resolve) => {
    const poll = (): void => {
      if (drain() === "done") resolve(finish());
      else setTimeout(poll, 2);
    };
    setTimeout(poll, 2);
  });
}

function writeFd(fd: number, text: string): void {
  try {
    writeSync(fd, text);
  } catch {
    // Nobody is listening; the exit status still tells.
  }
}

/**
 * The call through the blocking socket addon; through node:net (slower to load, same outcomes)
 * when the addon is missing or does not load.
 */
function callShadowd(options: UnaryCallOptions): UnaryOutcome | Promise<UnaryOutcome> {
  const addon = loadUnixSocketAddon();
  if (addon !== null) return callUnaryBlocking(addon, options);
  return import("../rpc/http2-unary-client").then((client) => client.callUnary(options));
}

/** The process's own I/O: synchronous writes (pam_exec reads pipes), stdin read without blocking. */
export function processIo(): ShimIo {
  return {
    env: process.env,
    readStdin,
    writeStdout: (text) => writeFd(1, text),
    writeStderr: (text) => writeFd(2, text),
    stderrIsRelayed: sameOpenFile(1, 2),
    callUnary: callShadowd,
  };
}

/** Entry point of bin/shadowd-pam: run and exit at once (no lingering connection). */
export function runShim(): void {
  main(process.argv.slice(2), processIo()).then(
    (code) => process.exit(code),
    (error: unknown) => {
      writeFd(2, `shadowd-pam: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(EXIT.UNAVAILABLE);
    },
  );
}
