// Runs account cases through the machine's REAL pam_unix (pamtester), glibc getspnam/getpwnam (getent) and
// shadow-utils chage in one private mount namespace, fake /etc/passwd, /etc/shadow, /etc/pam.d bind-mounted
// over the real ones (never written); maps pam outcomes to the replies shadowd owes, and queries shadowd.
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { main as shadowctlMain } from "../../src/cli/shadowctl";
import { AuthResult } from "../../src/gen/shadowd/v1/shadowd";
import type { AuthenticateRequest, AuthenticateResponse, CheckAccountRequest, CheckAccountResponse } from "../../src/gen/shadowd/v1/shadowd";

/** The pam_unix-only services the harness installs (names as in the conformance corpus). */
export type PamService = "unix" | "unix-nullok" | "unix-nullresetok";

/** One account and one login attempt. User names must be distinct within a batch. */
export interface PamCase {
  /** Login name: [A-Za-z0-9_.] then [A-Za-z0-9_.$-] (safe as a command argument); never "root". */
  user: string;
  /** The /etc/passwd line, or null when the user is absent from passwd. */
  passwdLine: string | null;
  /** The /etc/shadow line(s) (two lines joined with "\n" for duplicates), or null. */
  shadowLine: string | null;
  /** The password typed; must not contain NUL or "\n" (pamtester reads one line). */
  password: string;
  service: PamService;
  /** What the case covers, for failure reports. */
  label?: string;
}

/** Linux-PAM return codes with their pam_strerror() texts (libpam 1.5.2, checked by the harness test). */
export const PAM_CODES = [
  { value: 0, name: "PAM_SUCCESS", text: "Success" },
  { value: 1, name: "PAM_OPEN_ERR", text: "Failed to load module" },
  { value: 2, name: "PAM_SYMBOL_ERR", text: "Symbol not found" },
  { value: 3, name: "PAM_SERVICE_ERR", text: "Error in service module" },
  { value: 4, name: "PAM_SYSTEM_ERR", text: "System error" },
  { value: 5, name: "PAM_BUF_ERR", text: "Memory buffer error" },
  { value: 6, name: "PAM_PERM_DENIED", text: "Permission denied" },
  { value: 7, name: "PAM_AUTH_ERR", text: "Authentication failure" },
  { value: 8, name: "PAM_CRED_INSUFFICIENT", text: "Insufficient credentials to access authentication data" },
  { value: 9, name: "PAM_AUTHINFO_UNAVAIL", text: "Authentication service cannot retrieve authentication info" },
  { value: 10, name: "PAM_USER_UNKNOWN", text: "User not known to the underlying authentication module" },
  { value: 11, name: "PAM_MAXTRIES", text: "Have exhausted maximum number of retries for service" },
  { value: 12, name: "PAM_NEW_AUTHTOK_REQD", text: "Authentication token is no longer valid; new one required" },
  { value: 13, name: "PAM_ACCT_EXPIRED", text: "User account has expired" },
  { value: 14, name: "PAM_SESSION_ERR", text: "Cannot make/remove an entry for the specified session" },
  { value: 15, name: "PAM_CRED_UNAVAIL", text: "Authentication service cannot retrieve user credentials" },
  { value: 16, name: "PAM_CRED_EXPIRED", text: "User credentials expired" },
  { value: 17, name: "PAM_CRED_ERR", text: "Failure setting user credentials" },
  { value: 18, name: "PAM_NO_MODULE_DATA", text: "No module specific data is present" },
  { value: 19, name: "PAM_CONV_ERR", text: "Conversation error" },
  { value: 20, name: "PAM_AUTHTOK_ERR", text: "Authentication token manipulation error" },
  { value: 21, name: "PAM_AUTHTOK_RECOVERY_ERR", text: "Authentication information cannot be recovered" },
  { value: 22, name: "PAM_AUTHTOK_LOCK_BUSY", text: "Authentication token lock busy" },
  { value: 23, name: "PAM_AUTHTOK_DISABLE_AGING", text: "Authentication token aging disabled" },
  { value: 24, name: "PAM_TRY_AGAIN", text: "Failed preliminary check by password service" },
  { value: 25, name: "PAM_IGNORE", text: "The return value should be ignored by PAM dispatch" },
  { value: 26, name: "PAM_ABORT", text: "Critical error - immediate abort" },
  { value: 27, name: "PAM_AUTHTOK_EXPIRED", text: "Authentication token expired" },
  { value: 28, name: "PAM_MODULE_UNKNOWN", text: "Module is unknown" },
  { value: 29, name: "PAM_BAD_ITEM", text: "Bad item passed to pam_*_item()" },
  { value: 30, name: "PAM_CONV_AGAIN", text: "Conversation is waiting for event" },
  { value: 31, name: "PAM_INCOMPLETE", text: "Application needs to call libpam again" },
] as const;

/** A PAM code name such as "PAM_AUTH_ERR". */
export type PamCodeName = (typeof PAM_CODES)[number]["name"];

/** A conversation message pam_unix sent, with its style. */
export interface PamMessage {
  style: "PAM_TEXT_INFO" | "PAM_ERROR_MSG";
  text: string;
}

/** Output and exit status of one command. */
export interface CommandCapture {
  stdout: string;
  stderr: string;
  code: number;
}

/** What the real stack answered for one case. */
export interface PamOutcome {
  /** pam_authenticate's code. */
  authCode: PamCodeName;
  /** pam_acct_mgmt's code. */
  acctCode: PamCodeName;
  /** Messages of the account phase (pamtester prints TEXT_INFO on stdout, ERROR_MSG on stderr). */
  messages: PamMessage[];
  /** Messages of the auth phase (the password prompt excluded). */
  authMessages: PamMessage[];
  /** pam_unix asked for a password (it does not for an empty hash under nullok). */
  authPrompted: boolean;
  /** The entry glibc's getspnam returns (`getent shadow USER`), or null when it finds none. */
  shadowEntry: string | null;
  /**
   * The entry glibc's getpwnam returns (`getent passwd USER`), or null when it finds none. (When
   * getent cannot print it, because a field holds a ':', the case's own line stands in.)
   */
  passwdEntry: string | null;
  /** `LC_ALL=C chage -l USER` (shadow-utils 4.13), when requested with `chage: true`. */
  chage: CommandCapture | null;
}

/** Options of runRealPam. */
export interface RunRealPamOptions {
  /** Also run `chage -l USER` for every case (default false). */
  chage?: boolean;
  /** Parallel workers inside the namespace (default: up to 4, one per core). */
  parallelism?: number;
  /** Whole-batch timeout in milliseconds (default 180000). */
  timeoutMs?: number;
  /** Keep the scratch directory (its path goes to stderr) for debugging. */
  keepWorkDir?: boolean;
}

/** Whether this machine can run the real stack. */
export type RealPamAvailability = { ok: true } | { ok: false; reason: string };

/** The passwd and shadow texts of a batch, with the case each shadow line belongs to. */
export interface AccountFiles {
  passwdText: string;
  shadowText: string;
  /** 1-based shadow line number → index of the case it came from. */
  shadowLineOwners: Map<number, number>;
  /** 1-based passwd line number → index of the case it came from. */
  passwdLineOwners: Map<number, number>;
}

const SERVICE_FILES: Record<PamService, { name: string; authOptions: string }> = {
  unix: { name: "gt-unix", authOptions: "" },
  "unix-nullok": { name: "gt-unix-nullok", authOptions: " nullok" },
  "unix-nullresetok": { name: "gt-unix-nullresetok", authOptions: " nullresetok" },
};

const PAM_UNIX_PATHS = [
  "/lib/x86_64-linux-gnu/security/pam_unix.so",
  "/usr/lib/x86_64-linux-gnu/security/pam_unix.so",
  "/lib/aarch64-linux-gnu/security/pam_unix.so",
  "/usr/lib/aarch64-linux-gnu/security/pam_unix.so",
  "/lib/security/pam_unix.so",
  "/usr/lib/security/pam_unix.so",
  "/lib64/security/pam_unix.so",
  "/usr/lib64/security/pam_unix.so",
];

/** design/API.md: "Passwords of 512 bytes or more are `DENIED`" (kept here, not imported from src/, so the oracle states the contract itself). */
const API_PASSWORD_DENIED_FROM_BYTES = 512;
const USER_NAME = /^[A-Za-z0-9_.][A-Za-z0-9_.$-]*$/;
const WARNING = /^Warning: your password will expire in (\d+) days?\.$/;
const PROMPT = "Password: ";

// The driver runs inside `unshare --mount --propagation private`: it bind-mounts the fake files,
// proves the mounts took effect, then runs every case of its shard files. Arguments: WORKDIR CHAGE(0|1).
const DRIVER_SCRIPT = `set -u
W="$1"; CHAGE="$2"
mount --bind "$W/passwd" /etc/passwd || exit 90
mount --bind "$W/shadow" /etc/shadow || exit 91
mount --bind "$W/pam.d" /etc/pam.d || exit 92
cmp -s /etc/passwd "$W/passwd" && cmp -s /etc/shadow "$W/shadow" && [ -f /etc/pam.d/gt-unix ] || exit 93
run_shard() {
  while read -r i svc user; do
    o="$W/out/$i"
    pamtester -v "$svc" "$user" authenticate < "$W/in/$i" > "$o.auth.out" 2> "$o.auth.err"; echo $? > "$o.auth.rc"
    pamtester -v "$svc" "$user" acct_mgmt < /dev/null > "$o.acct.out" 2> "$o.acct.err"; echo $? > "$o.acct.rc"
    getent shadow "$user" > "$o.getent.out" 2> /dev/null; echo $? > "$o.getent.rc"
    getent passwd "$user" > "$o.getentpw.out" 2> /dev/null; echo $? > "$o.getentpw.rc"
    if [ "$CHAGE" = 1 ]; then
      LC_ALL=C timeout 20 chage -l "$user" < /dev/null > "$o.chage.out" 2> "$o.chage.err"; echo $? > "$o.chage.rc"
    fi
  done < "$1"
}
for s in "$W"/shards/*; do run_shard "$s" & done
wait
exit 0
`;

let availabilityCache: RealPamAvailability | undefined;

/**
 * Checks that the real stack can run here: Linux, root, unshare (and that it may create a mount
 * namespace), pamtester, getent, chage and pam_unix.so. The answer is cached.
 */
export function isRealPamAvailable(): RealPamAvailability {
  if (availabilityCache === undefined) availabilityCache = probeAvailability();
  return availabilityCache;
}

function probeAvailability(): RealPamAvailability {
  if (process.platform !== "linux") return { ok: false, reason: `platform is ${process.platform}, not linux` };
  if (process.getuid === undefined || process.getuid() !== 0) return { ok: false, reason: "not running as root (unshare -m needs it)" };
  for (const tool of ["unshare", "pamtester", "getent", "chage", "bash", "cmp", "timeout"]) {
    const found = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" });
    if (found.status !== 0) return { ok: false, reason: `${tool} not found in PATH` };
  }
  if (!PAM_UNIX_PATHS.some((path) => existsSync(path))) return { ok: false, reason: "pam_unix.so not found" };
  const probe = spawnSync("unshare", ["--mount", "--propagation", "private", "true"], { encoding: "utf8", timeout: 10_000 });
  if (probe.status !== 0) {
    return { ok: false, reason: `unshare --mount failed: ${(probe.stderr || String(probe.error ?? probe.status)).trim()}` };
  }
  return { ok: true };
}

/**
 * True when a shadow text holds a numeric field above ULONG_MAX (e.g. `18446744073709551616`). glibc 2.36's
 * sgetspent() then loops forever growing its buffer (strtoul's ERANGE reads as "buffer too small"), so
 * shadow-utils' chage/pwck hang on the WHOLE file; getspnam() just skips the line. Observed here.
 */
export function hangsGlibcSgetspent(shadowText: string): boolean {
  for (const line of shadowText.split("\n")) {
    for (const field of line.split(":").slice(2)) {
      const digits = /^\s*[+-]?(\d+)/.exec(field)?.[1];
      if (digits !== undefined && BigInt(digits) > 18446744073709551615n) return true;
    }
  }
  return false;
}

/** Maps a pam_strerror() text to its code name, or null for an unknown text. */
export function pamCodeNameFromText(text: string): PamCodeName | null {
  return PAM_CODES.find((code) => code.text === text)?.name ?? null;
}

/**
 * Builds the passwd and shadow texts of a batch: every case's lines in order, each ending in "\n",
 * after an optional first line for root (passwd `root:x:0:0:...`, shadow `root:*:...`).
 */
export function buildAccountFiles(cases: readonly PamCase[], options: { includeRoot?: boolean } = {}): AccountFiles {
  const passwdLines: string[] = [];
  const shadowLines: string[] = [];
  const passwdLineOwners = new Map<number, number>();
  const shadowLineOwners = new Map<number, number>();
  if (options.includeRoot === true) {
    passwdLines.push(readRootPasswdLine());
    shadowLines.push("root:*:1:0:99999:7:::");
  }
  cases.forEach((pamCase, index) => {
    if (pamCase.passwdLine !== null) {
      passwdLines.push(pamCase.passwdLine);
      passwdLineOwners.set(passwdLines.length, index);
    }
    if (pamCase.shadowLine !== null) {
      for (const line of pamCase.shadowLine.split("\n")) {
        shadowLines.push(line);
        shadowLineOwners.set(shadowLines.length, index);
      }
    }
  });
  return {
    passwdText: passwdLines.map((line) => `${line}\n`).join(""),
    shadowText: shadowLines.map((line) => `${line}\n`).join(""),
    passwdLineOwners,
    shadowLineOwners,
  };
}

function readRootPasswdLine(): string {
  const real = readFileSync("/etc/passwd", "utf8").split("\n").find((line) => line.startsWith("root:"));
  return real ?? "root:x:0:0:root:/root:/bin/bash";
}

function validateCases(cases: readonly PamCase[]): string | null {
  const seen = new Set<string>();
  for (const pamCase of cases) {
    if (!USER_NAME.test(pamCase.user) || pamCase.user === "root") return `unusable user name ${JSON.stringify(pamCase.user)}`;
    if (seen.has(pamCase.user)) return `duplicate user name ${pamCase.user}`;
    seen.add(pamCase.user);
    if (pamCase.password.includes("\0") || pamCase.password.includes("\n")) {
      return `password of ${pamCase.user} holds NUL or a newline; pamtester cannot pass it`;
    }
    if (pamCase.passwdLine !== null && pamCase.passwdLine.includes("\n")) return `passwd line of ${pamCase.user} holds a newline`;
  }
  return null;
}

/**
 * Runs every case through the real stack in ONE private mount namespace and returns one outcome
 * per case, in order. Rejects when the stack is unavailable, a case is unusable, or pamtester
 * printed something it cannot parse.
 */
export async function runRealPam(cases: readonly PamCase[], options: RunRealPamOptions = {}): Promise<PamOutcome[]> {
  const availability = isRealPamAvailable();
  if (!availability.ok) throw new Error(`real pam_unix unavailable: ${availability.reason}`);
  const invalid = validateCases(cases);
  if (invalid !== null) throw new Error(invalid);
  if (cases.length === 0) return [];
  if (options.chage === true) {
    const hanging = cases.find((pamCase) => hangsGlibcSgetspent(pamCase.shadowLine ?? ""));
    if (hanging !== undefined) throw new Error(`chage -l would hang on the shadow line of ${hanging.user} (see hangsGlibcSgetspent)`);
  }

  const workDir = mkdtempSync(join(tmpdir(), "shadowd-realpam-"));
  try {
    prepareWorkDir(workDir, cases, options);
    await runDriver(workDir, options);
    return cases.map((pamCase, index) => readOutcome(workDir, index, pamCase, options.chage === true));
  } finally {
    if (options.keepWorkDir === true) process.stderr.write(`real-pam work dir kept: ${workDir}\n`);
    else rmSync(workDir, { recursive: true, force: true });
  }
}

function prepareWorkDir(workDir: string, cases: readonly PamCase[], options: RunRealPamOptions): void {
  chmodSync(workDir, 0o700);
  for (const sub of ["pam.d", "in", "out", "shards"]) mkdirSync(join(workDir, sub), { mode: 0o700 });
  const files = buildAccountFiles(cases, { includeRoot: true });
  writeFileSync(join(workDir, "passwd"), files.passwdText, { mode: 0o644 });
  writeFileSync(join(workDir, "shadow"), files.shadowText, { mode: 0o600 });
  giveShadowDebianOwnership(join(workDir, "shadow"));
  for (const service of Object.values(SERVICE_FILES)) {
    const text =
      `# shadowd test service: pam_unix only\n` +
      `auth     required pam_unix.so nodelay${service.authOptions}\n` +
      `account  required pam_unix.so\n` +
      `password required pam_unix.so\n` +
      `session  required pam_unix.so\n`;
    writeFileSync(join(workDir, "pam.d", service.name), text, { mode: 0o644 });
  }
  const workers = Math.max(1, Math.min(options.parallelism ?? Math.min(4, availableParallelism()), cases.length));
  const shards: string[][] = Array.from({ length: workers }, () => []);
  cases.forEach((pamCase, index) => {
    writeFileSync(join(workDir, "in", String(index)), `${pamCase.password}\n`, { mode: 0o600 });
    shards[index % workers]?.push(`${index} ${SERVICE_FILES[pamCase.service].name} ${pamCase.user}\n`);
  });
  shards.forEach((lines, shard) => writeFileSync(join(workDir, "shards", String(shard)), lines.join("")));
  writeFileSync(join(workDir, "driver.sh"), DRIVER_SCRIPT, { mode: 0o700 });
}

/**
 * Gives the fake shadow file Debian's ownership and mode, root:shadow 0640, as on the real
 * /etc/shadow: the setgid-shadow helper unix_chkpwd reads it with the user's euid for a
 * `*NP*` passwd field (passverify.c get_account_info), which a root-only 0600 file would make
 * fail where a real Debian system succeeds. Without a "shadow" group the file stays 0600.
 */
function giveShadowDebianOwnership(path: string): void {
  const groupLine = readFileSync("/etc/group", "utf8")
    .split("\n")
    .find((line) => line.startsWith("shadow:"));
  const gid = Number(groupLine?.split(":")[2]);
  if (groupLine === undefined || !Number.isSafeInteger(gid)) return;
  chownSync(path, 0, gid);
  chmodSync(path, 0o640);
}

function runDriver(workDir: string, options: RunRealPamOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "unshare",
      ["--mount", "--propagation", "private", "bash", join(workDir, "driver.sh"), workDir, options.chage === true ? "1" : "0"],
      { stdio: ["ignore", "pipe", "pipe"], detached: true, env: { PATH: process.env["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C" } },
    );
    let stderr = "";
    child.stdout.resume();
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    const timer = setTimeout(() => {
      // The driver leads its own process group (detached): end it and everything it started.
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }, options.timeoutMs ?? 180_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`real-pam driver failed (code ${String(code)}, signal ${String(signal)}): ${stderr.trim()}`));
    });
  });
}

function readText(path: string): string {
  return existsSync(path) ? readFileSync(path, "utf8") : "";
}

function readCode(path: string): number {
  const text = readText(path).trim();
  if (!/^\d+$/.test(text)) throw new Error(`missing exit status in ${path}`);
  return Number(text);
}

/** One pamtester run, parsed. */
export interface ParsedRun {
  code: PamCodeName;
  messages: PamMessage[];
  prompted: boolean;
}

/**
 * Parses one pamtester run. stdout holds TEXT_INFO lines and, on success, the success line;
 * stderr holds the -v progress lines, the prompt (no newline), ERROR_MSG lines and, on failure,
 * `pamtester: <pam_strerror text>`.
 */
export function parsePamtesterRun(
  run: CommandCapture,
  operation: "authenticate" | "acct_mgmt",
): ParsedRun | { error: string } {
  const successLine = operation === "authenticate" ? "pamtester: successfully authenticated" : "pamtester: account management done.";
  const messages: PamMessage[] = [];
  let prompted = false;
  let resultText: string | null = null;
  for (const line of splitLines(run.stdout)) {
    if (line === successLine) resultText = "Success";
    else messages.push({ style: "PAM_TEXT_INFO", text: line });
  }
  for (let line of splitLines(run.stderr)) {
    while (line.startsWith(PROMPT)) {
      prompted = true;
      line = line.slice(PROMPT.length);
    }
    if (line === "") continue;
    if (line.startsWith("pamtester: invoking pam_start(") || line.startsWith("pamtester: performing operation - ")) continue;
    if (line.startsWith("pamtester: ")) resultText = line.slice("pamtester: ".length);
    else messages.push({ style: "PAM_ERROR_MSG", text: line });
  }
  if (resultText === null) return { error: `no result line (exit ${run.code}): ${JSON.stringify(run)}` };
  const code = pamCodeNameFromText(resultText);
  if (code === null) return { error: `unknown pam_strerror text ${JSON.stringify(resultText)}` };
  if ((code === "PAM_SUCCESS") !== (run.code === 0)) return { error: `exit ${run.code} contradicts ${code}` };
  return { code, messages, prompted };
}

function splitLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

function firstLine(text: string | null): string {
  return (text ?? "").split("\n")[0]?.trimStart() ?? "";
}

function readOutcome(workDir: string, index: number, pamCase: PamCase, withChage: boolean): PamOutcome {
  const base = join(workDir, "out", String(index));
  const capture = (kind: string): CommandCapture => ({
    stdout: readText(`${base}.${kind}.out`),
    stderr: readText(`${base}.${kind}.err`),
    code: readCode(`${base}.${kind}.rc`),
  });
  const auth = parsePamtesterRun(capture("auth"), "authenticate");
  const acct = parsePamtesterRun(capture("acct"), "acct_mgmt");
  if ("error" in auth) throw new Error(`${pamCase.user}: authenticate: ${auth.error}`);
  if ("error" in acct) throw new Error(`${pamCase.user}: acct_mgmt: ${acct.error}`);
  const getentCode = readCode(`${base}.getent.rc`);
  const getentLine = readText(`${base}.getent.out`).replace(/\n$/, "");
  const getentPasswdCode = readCode(`${base}.getentpw.rc`);
  const getentPasswdLine = readText(`${base}.getentpw.out`).replace(/\n$/, "");
  return {
    authCode: auth.code,
    acctCode: acct.code,
    messages: acct.messages,
    authMessages: auth.messages,
    authPrompted: auth.prompted,
    // getent exits 0 but prints nothing when a field holds a ':' (putpwent refuses it): fall back to the line.
    shadowEntry: getentCode === 0 ? getentLine || firstLine(pamCase.shadowLine) : null,
    passwdEntry: getentPasswdCode === 0 ? getentPasswdLine || firstLine(pamCase.passwdLine) : null,
    chage: withChage ? capture("chage") : null,
  };
}

// ---------------------------------------------------------------------------------------------
// pam outcome → the reply shadowd must give (conformance README, design/API.md)
// ---------------------------------------------------------------------------------------------

/** The reply shadowd must give. A null message means "not specified by pam" (not compared). */
export interface ExpectedReply {
  result: AuthResult;
  daysLeft: number | undefined;
  message: string | null;
}

/** The N of pam_unix's "Warning: your password will expire in N day(s)." among the messages, if any. */
export function warningDays(messages: readonly PamMessage[]): number | undefined {
  for (const message of messages) {
    const match = WARNING.exec(message.text);
    if (message.style === "PAM_TEXT_INFO" && match?.[1] !== undefined) return Number(match[1]);
  }
  return undefined;
}

function joinMessages(messages: readonly PamMessage[]): string {
  return messages.map((message) => message.text).join("\n");
}

/**
 * CheckAccount must mirror pam_acct_mgmt: SUCCESS → OK (days_left from the warning),
 * ACCT_EXPIRED → ACCOUNT_EXPIRED, NEW_AUTHTOK_REQD → PASSWORD_CHANGE_REQUIRED,
 * AUTHTOK_EXPIRED → PASSWORD_EXPIRED, USER_UNKNOWN → USER_UNKNOWN, AUTHINFO_UNAVAIL → DENIED;
 * the message is pam's account message byte for byte. Throws on a code pam_unix never gives here.
 */
export function expectCheckAccount(outcome: Pick<PamOutcome, "acctCode" | "messages">): ExpectedReply {
  const message = joinMessages(outcome.messages);
  switch (outcome.acctCode) {
    case "PAM_SUCCESS":
      return { result: AuthResult.AUTH_RESULT_OK, daysLeft: warningDays(outcome.messages), message };
    case "PAM_ACCT_EXPIRED":
      return { result: AuthResult.AUTH_RESULT_ACCOUNT_EXPIRED, daysLeft: undefined, message };
    case "PAM_NEW_AUTHTOK_REQD":
      return { result: AuthResult.AUTH_RESULT_PASSWORD_CHANGE_REQUIRED, daysLeft: undefined, message };
    case "PAM_AUTHTOK_EXPIRED":
      return { result: AuthResult.AUTH_RESULT_PASSWORD_EXPIRED, daysLeft: undefined, message };
    case "PAM_USER_UNKNOWN":
      return { result: AuthResult.AUTH_RESULT_USER_UNKNOWN, daysLeft: undefined, message };
    case "PAM_AUTHINFO_UNAVAIL":
      return { result: AuthResult.AUTH_RESULT_DENIED, daysLeft: undefined, message };
    default:
      throw new Error(`pam_acct_mgmt gave ${outcome.acctCode}, which has no CheckAccount mapping`);
  }
}

/**
 * Authenticate must mirror pam_authenticate then pam_acct_mgmt: auth failing → DENIED (message
 * as pam's auth phase: empty), or LOCKED when the password verifies against the `!`-locked hash;
 * auth succeeding → the account phase decides (USER_UNKNOWN and AUTHINFO_UNAVAIL → DENIED).
 * `notPermitted` (root or a uid below shadowd's min_uid, a shadowd policy pam_unix lacks) turns
 * an OK into NOT_PERMITTED, message not compared.
 *
 * ONE documented divergence overrides pam: `passwordBytes` of 512 or more → DENIED (message
 * empty), whatever pam said. design/API.md ("Passwords of 512 bytes or more are `DENIED`") and
 * SEMANTICS.md are the binding contract; the real pam_unix 1.5.2 truncates such a password to
 * PAM_MAX_RESP_SIZE (512) and its own bigcrypt reads only 8 characters of it, so a 13-character
 * DES hash still verifies there. Callers that omit `passwordBytes` get pam's answer unchanged.
 */
export function expectAuthenticate(
  outcome: Pick<PamOutcome, "authCode" | "acctCode" | "messages" | "authMessages">,
  options: { lockedHashMatches: boolean; notPermitted?: boolean; passwordBytes?: number },
): ExpectedReply {
  if (options.passwordBytes !== undefined && options.passwordBytes >= API_PASSWORD_DENIED_FROM_BYTES) {
    return { result: AuthResult.AUTH_RESULT_DENIED, daysLeft: undefined, message: "" };
  }
  if (outcome.authCode !== "PAM_SUCCESS") {
    if (options.lockedHashMatches && outcome.authCode === "PAM_AUTH_ERR") {
      return { result: AuthResult.AUTH_RESULT_LOCKED, daysLeft: undefined, message: null };
    }
    return { result: AuthResult.AUTH_RESULT_DENIED, daysLeft: undefined, message: joinMessages(outcome.authMessages) };
  }
  const account = expectCheckAccount(outcome);
  if (account.result === AuthResult.AUTH_RESULT_USER_UNKNOWN) return { ...account, result: AuthResult.AUTH_RESULT_DENIED };
  if (account.result === AuthResult.AUTH_RESULT_OK && options.notPermitted === true) {
    return { result: AuthResult.AUTH_RESULT_NOT_PERMITTED, daysLeft: undefined, message: null };
  }
  return account;
}

/** The password field pam_unix uses: the passwd field, or the shadow entry's when shadowed (`x` or `##user`). */
export function effectiveHash(passwdLine: string | null, shadowEntry: string | null): string | null {
  if (passwdLine === null) return null;
  if (!isShadowedPasswdLine(passwdLine)) return passwdLine.split(":")[1] ?? "";
  if (shadowEntry === null) return null;
  return shadowEntry.split(":")[1] ?? null;
}

/** The uid of a passwd entry as glibc returned it (`getent passwd` prints it in decimal), or null. */
export function passwdEntryUid(passwdEntry: string | null): number | null {
  const text = passwdEntry?.split(":")[2];
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : null;
}

/**
 * Whether pam_unix 1.5.2 reads the hash from the shadow entry (modules/pam_unix/passverify.c):
 * is_pwd_shadowed() (the passwd field is `x` or `##<user>`), or get_account_info()'s NIS+
 * branch for a field of exactly `*NP*` (through the unix_chkpwd helper).
 */
export function isShadowedPasswdLine(passwdLine: string): boolean {
  const [user, field] = passwdLine.split(":");
  return field === "x" || field === "*NP*" || field === `##${user ?? ""}`;
}

/**
 * For each case, whether its password verifies against its `!`-locked hash with the leading `!`s removed
 * (shadowd's LOCKED), asked of the real pam_unix: every case whose effective hash is `!`… + something
 * non-empty gets an unlocked twin account (`lkNNNNN`, same password, plain aging), all run in one more
 * namespace. Other cases are false.
 */
export async function runLockedTwins(cases: readonly PamCase[], outcomes: readonly PamOutcome[]): Promise<boolean[]> {
  const twins: PamCase[] = [];
  const owners: number[] = [];
  cases.forEach((pamCase, index) => {
    const outcome = outcomes[index];
    const hash = outcome === undefined ? null : effectiveHash(outcome.passwdEntry, outcome.shadowEntry);
    const rest = hash?.replace(/^!+/, "") ?? "";
    if (hash === null || !hash.startsWith("!") || rest === "") return;
    const user = `lk${String(index).padStart(5, "0")}`;
    const shadowed = outcome?.passwdEntry !== null && outcome?.passwdEntry !== undefined && isShadowedPasswdLine(outcome.passwdEntry);
    twins.push({
      user,
      passwdLine: `${user}:${shadowed ? "x" : rest}:${60000 + index}:${60000 + index}:locked twin:/nonexistent:/usr/sbin/nologin`,
      shadowLine: shadowed ? `${user}:${rest}:1:0:99999:7:::` : null,
      password: pamCase.password,
      service: "unix",
    });
    owners.push(index);
  });
  const verdicts = cases.map(() => false);
  const results = await runRealPam(twins);
  results.forEach((result, position) => {
    const owner = owners[position];
    if (owner !== undefined) verdicts[owner] = result.authCode === "PAM_SUCCESS";
  });
  return verdicts;
}

/** The fields of a shadowd Authenticate/CheckAccount reply that the comparison looks at. */
export interface ActualReply {
  result: AuthResult;
  daysLeft?: number | undefined;
  message: string;
}

/** Human-readable differences between the reply pam implies and shadowd's (empty when they agree). */
export function describeReplyMismatch(what: string, expected: ExpectedReply, actual: ActualReply): string[] {
  const problems: string[] = [];
  if (actual.result !== expected.result) {
    problems.push(`${what}: result ${AuthResult[actual.result] ?? actual.result}, pam implies ${AuthResult[expected.result] ?? expected.result}`);
  }
  if (actual.daysLeft !== expected.daysLeft) {
    problems.push(`${what}: days_left ${String(actual.daysLeft)}, pam implies ${String(expected.daysLeft)}`);
  }
  if (expected.message !== null && actual.message !== expected.message) {
    problems.push(`${what}: message ${JSON.stringify(actual.message)}, pam says ${JSON.stringify(expected.message)}`);
  }
  return problems;
}

/**
 * Indexes (0-based, within the case's shadow lines) of the lines glibc must have rejected and that
 * an import must therefore report as problems: when getspnam found no entry for the user, every
 * line of the case that names the user exactly (comments excluded) was unparseable.
 */
export function rejectedShadowLineIndexes(pamCase: Pick<PamCase, "user" | "shadowLine">, glibcFoundEntry: boolean): number[] {
  if (glibcFoundEntry || pamCase.shadowLine === null) return [];
  const indexes: number[] = [];
  pamCase.shadowLine.split("\n").forEach((line, index) => {
    if (line.startsWith(`${pamCase.user}:`)) indexes.push(index);
  });
  return indexes;
}

/** Runs `work` over `items` with at most `limit` promises in flight; results keep the input order. */
export async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** The two Auth calls the comparison makes (TestDaemon.authp fits). */
export interface AuthCalls {
  checkAccount(request: CheckAccountRequest): Promise<CheckAccountResponse>;
  authenticate(request: AuthenticateRequest): Promise<AuthenticateResponse>;
}

/** shadowd's replies for one case; a gRPC error is kept as its message. */
export interface ShadowdReplies {
  checkAccount: CheckAccountResponse | { error: string };
  authenticate: AuthenticateResponse | { error: string };
}

/** Calls CheckAccount, then Authenticate with the case's password, for every case (a few in flight). */
export function queryShadowd(calls: AuthCalls, cases: readonly PamCase[], options: { concurrency?: number; service?: string } = {}): Promise<ShadowdReplies[]> {
  const service = options.service ?? "imap";
  const settle = <T>(promise: Promise<T>): Promise<T | { error: string }> =>
    promise.catch((error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }));
  return mapWithConcurrency(cases, options.concurrency ?? 8, async (pamCase) => {
    const checkAccount = await settle(calls.checkAccount({ username: pamCase.user, service, remoteAddress: "" }));
    const authenticate = await settle(
      calls.authenticate({ username: pamCase.user, password: Buffer.from(pamCase.password, "utf8"), service, remoteAddress: "" }),
    );
    return { checkAccount, authenticate };
  });
}

/**
 * Runs shadowctl's main() in this process (same code as bin/shadowctl, without a node start per call)
 * against the daemon whose state directory is given, capturing stdout, stderr and the exit status.
 */
export async function runShadowctlInProcess(stateDir: string, args: readonly string[]): Promise<CommandCapture> {
  let stdout = "";
  let stderr = "";
  const sink = (append: (text: string) => void) => ({
    write(chunk: string | Uint8Array): boolean {
      append(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      return true;
    },
  });
  const code = await shadowctlMain(["--state-dir", stateDir, ...args], {
    stdin: Readable.from([]),
    stdout: sink((text) => (stdout += text)),
    stderr: sink((text) => (stderr += text)),
    env: {},
  });
  return { stdout, stderr, code };
}
