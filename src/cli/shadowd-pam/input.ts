// Owns what the pam_exec shim accepts: its command line, the PAM_* environment pam_exec sets,
// and the token bytes expose_authtok writes on stdin. Pure functions; no I/O.
export const DEFAULT_SOCKET = "/run/shadowd/shadowd.sock";
export const DEFAULT_TIMEOUT_SECONDS = 5;
/** pam_exec copies the token into a PAM_MAX_RESP_SIZE (512) buffer: at most 511 bytes, plus a NUL before PAM 1.4. */
export const MAX_TOKEN_BYTES = 512;
/** The most stdin may hold: two tokens (old and new), a separator and one terminator. */
export const MAX_STDIN_BYTES = 2 * MAX_TOKEN_BYTES + 2;

export const USAGE = `Usage: shadowd-pam [--socket PATH] [--timeout SECONDS]

The pam_exec shim for shadowd. pam_exec runs it with PAM_TYPE, PAM_USER, PAM_SERVICE and
PAM_RHOST in the environment (and, with expose_authtok, the password on stdin):

  auth      Auth.Authenticate (password, then every account check)
  account   Auth.CheckAccount
  password  Auth.ChangePassword, when stdin holds OLD NUL NEW; otherwise refused

Exit status: 0 OK; 1 refused by shadowd; 2 usage; 3 bad input (no PAM_USER, unsupported
PAM_TYPE, garbage on stdin); 4 shadowd unreachable, timed out or failed.
pam_unix's message goes to stdout (pam_exec's "stdout" option shows it to the user); one
line with the reason goes to stderr unless stderr is the same pipe as stdout. The password
is never printed.

Options:
  --socket PATH       shadowd's auth socket [default ${DEFAULT_SOCKET}]
  --timeout SECONDS   give up (exit 4) after this long [default ${DEFAULT_TIMEOUT_SECONDS}]
  -h, --help          this text
  -V, --version       print the version
`;

export type ShimCommand =
  | { kind: "run"; socketPath: string; timeoutMs: number }
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "usage"; message: string };

/**
 * Parse the shim's arguments (without node and the script): --socket PATH, --timeout SECONDS
 * (also as --opt=VALUE), -h/--help, -V/--version. Hand-rolled: util.parseArgs costs the shim
 * a millisecond of start-up.
 */
export function parseShimArgs(argv: readonly string[]): ShimCommand {
  const values: { socket?: string; timeout?: string } = {};
  let help = false;
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-h" || arg === "--help") help = true;
    else if (arg === "-V" || arg === "--version") version = true;
    else if (arg === "--socket" || arg === "--timeout") {
      const value = argv[i + 1];
      if (value === undefined) return { kind: "usage", message: `Option '${arg} <value>' argument missing` };
      values[arg === "--socket" ? "socket" : "timeout"] = value;
      i += 1;
    } else if (arg.startsWith("--socket=")) values.socket = arg.slice("--socket=".length);
    else if (arg.startsWith("--timeout=")) values.timeout = arg.slice("--timeout=".length);
    else if (arg.startsWith("-")) return { kind: "usage", message: `Unknown option '${arg.split("=")[0]}'` };
    else return { kind: "usage", message: `Unexpected argument '${arg}'` };
  }
  if (help) return { kind: "help" };
  if (version) return { kind: "version" };
  const socketPath = values.socket ?? DEFAULT_SOCKET;
  if (socketPath === "") return { kind: "usage", message: "--socket: empty path" };
  let timeoutSeconds = DEFAULT_TIMEOUT_SECONDS;
  if (values.timeout !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(values.timeout)) return { kind: "usage", message: `--timeout: "${values.timeout}" is not a number of seconds` };
    timeoutSeconds = Number(values.timeout);
    if (timeoutSeconds <= 0 || timeoutSeconds > 600) return { kind: "usage", message: `--timeout: ${values.timeout} is outside (0, 600] seconds` };
  }
  return { kind: "run", socketPath, timeoutMs: Math.round(timeoutSeconds * 1000) };
}

export type PamType = "auth" | "account" | "password";

export interface PamRequest {
  type: PamType;
  user: string;
  service: string;
  remoteAddress: string;
}

export type PamRequestOutcome = { ok: true; request: PamRequest } | { ok: false; reason: string };

/** The request pam_exec describes in the environment (PAM_TYPE, PAM_USER, PAM_SERVICE, PAM_RHOST). */
export function readPamRequest(env: Readonly<Record<string, string | undefined>>): PamRequestOutcome {
  const type = env.PAM_TYPE;
  if (type === undefined || type === "") return { ok: false, reason: "PAM_TYPE is not set (run me from pam_exec)" };
  if (type !== "auth" && type !== "account" && type !== "password") return { ok: false, reason: `PAM_TYPE '${printable(type)}' is not supported (auth, account, password)` };
  const user = env.PAM_USER;
  if (user === undefined || user === "") return { ok: false, reason: "PAM_USER is not set" };
  return { ok: true, request: { type, user, service: env.PAM_SERVICE ?? "", remoteAddress: env.PAM_RHOST ?? "" } };
}

export type TokenOutcome = { ok: true; password: Buffer } | { ok: false; reason: string };

/** Strip the one terminator pam_exec may add: a NUL (PAM < 1.4) or a newline (scripts). */
function stripTerminator(bytes: Buffer): Buffer {
  const last = bytes.length > 0 ? bytes[bytes.length - 1] : undefined;
  return last === 0 || last === 0x0a ? bytes.subarray(0, bytes.length - 1) : bytes;
}

/**
 * The password of an auth call: stdin as written by expose_authtok (bare bytes since PAM 1.4,
 * one trailing NUL before). More than 512 bytes or a NUL inside is not from pam_exec: refused.
 */
export function parseAuthToken(stdin: Buffer): TokenOutcome {
  if (stdin.length > MAX_TOKEN_BYTES) return { ok: false, reason: `more than ${MAX_TOKEN_BYTES} bytes on stdin` };
  const password = stripTerminator(stdin);
  if (password.includes(0)) return { ok: false, reason: "a NUL byte inside the password on stdin" };
  return { ok: true, password };
}

export type ChangeTokensOutcome = { ok: true; oldPassword: Buffer; newPassword: Buffer } | { ok: false; reason: string };

/**
 * The tokens of a password call: OLD NUL NEW (one trailing NUL or newline allowed). pam_exec
 * itself never passes both (1.5.2 passes none; 1.6 only the new one), so from pam_exec this
 * is always refused; scripts may call the shim this way.
 */
export function parseChangeTokens(stdin: Buffer): ChangeTokensOutcome {
  if (stdin.length > MAX_STDIN_BYTES) return { ok: false, reason: `more than ${MAX_STDIN_BYTES} bytes on stdin` };
  const body = stripTerminator(stdin);
  const separator = body.indexOf(0);
  if (separator < 0) return { ok: false, reason: "a password change needs the old and the new password (OLD NUL NEW on stdin); pam_exec passes at most one" };
  const oldPassword = body.subarray(0, separator);
  const newPassword = body.subarray(separator + 1);
  if (newPassword.includes(0)) return { ok: false, reason: "more than two NUL-separated tokens on stdin" };
  if (oldPassword.length >= MAX_TOKEN_BYTES || newPassword.length >= MAX_TOKEN_BYTES) return { ok: false, reason: `a token of ${MAX_TOKEN_BYTES} bytes or more on stdin` };
  return { ok: true, oldPassword, newPassword };
}

/** A value safe to echo in one log line: control characters escaped, at most 64 characters. */
export function printable(value: string): string {
  const clipped = value.length > 64 ? `${value.slice(0, 64)}…` : value;
  return clipped.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
