// What the pam_exec shim accepts: its options, the PAM_* environment and the tokens on stdin
// (bare bytes from PAM >= 1.4, one trailing NUL before; OLD NUL NEW for password changes).
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { DEFAULT_SOCKET, parseAuthToken, parseChangeTokens, parseShimArgs, printable, readPamRequest, type ShimCommand, type PamRequestOutcome } from "../../../src/cli/shadowd-pam/input";

describe("parseShimArgs", () => {
  const cases: Array<{ name: string; args: string[]; expected: ShimCommand | RegExp }> = [
    { name: "no options: the installed socket and a 5 s timeout", args: [], expected: { kind: "run", socketPath: DEFAULT_SOCKET, timeoutMs: 5000 } },
    { name: "--socket and --timeout in whole seconds", args: ["--socket", "/var/lib/x.sock", "--timeout", "2"], expected: { kind: "run", socketPath: "/var/lib/x.sock", timeoutMs: 2000 } },
    { name: "a fractional timeout", args: ["--timeout=0.25"], expected: { kind: "run", socketPath: DEFAULT_SOCKET, timeoutMs: 250 } },
    { name: "--help", args: ["--help"], expected: { kind: "help" } },
    { name: "-V", args: ["-V"], expected: { kind: "version" } },
    { name: "a zero timeout is refused", args: ["--timeout", "0"], expected: /outside \(0, 600\]/ },
    { name: "a timeout above 600 s is refused", args: ["--timeout", "601"], expected: /outside \(0, 600\]/ },
    { name: "a negative timeout is refused", args: ["--timeout=-1"], expected: /not a number of seconds/ },
    { name: "an empty socket path is refused", args: ["--socket", ""], expected: /empty path/ },
    { name: "a positional argument is refused", args: ["alice"], expected: /Unexpected argument 'alice'/ },
    { name: "an unknown option is refused", args: ["--nullok"], expected: /Unknown option '--nullok'/ },
    { name: "an unknown --opt=value is refused by its name", args: ["--sock=/x"], expected: /Unknown option '--sock'/ },
    { name: "--socket without its value is refused", args: ["--socket"], expected: /Option '--socket <value>' argument missing/ },
    { name: "the last of a repeated option wins", args: ["--timeout", "1", "--timeout=3"], expected: { kind: "run", socketPath: DEFAULT_SOCKET, timeoutMs: 3000 } },
    { name: "--help wins over other options", args: ["--socket", "/x", "-h"], expected: { kind: "help" } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const command = parseShimArgs(c.args);
      if (c.expected instanceof RegExp) {
        assert.equal(command.kind, "usage");
        if (command.kind === "usage") assert.match(command.message, c.expected);
      } else {
        assert.deepEqual(command, c.expected);
      }
    });
  }
});

describe("readPamRequest", () => {
  const cases: Array<{ name: string; env: Record<string, string>; expected: PamRequestOutcome }> = [
    {
      name: "an auth call with service and remote host",
      env: { PAM_TYPE: "auth", PAM_USER: "alice", PAM_SERVICE: "dovecot", PAM_RHOST: "192.0.2.7", PAM_TTY: "dovecot" },
      expected: { ok: true, request: { type: "auth", user: "alice", service: "dovecot", remoteAddress: "192.0.2.7" } },
    },
    { name: "an account call without PAM_SERVICE or PAM_RHOST sends them empty", env: { PAM_TYPE: "account", PAM_USER: "bob" }, expected: { ok: true, request: { type: "account", user: "bob", service: "", remoteAddress: "" } } },
    { name: "a password call", env: { PAM_TYPE: "password", PAM_USER: "bob" }, expected: { ok: true, request: { type: "password", user: "bob", service: "", remoteAddress: "" } } },
    { name: "no PAM_TYPE", env: { PAM_USER: "alice" }, expected: { ok: false, reason: "PAM_TYPE is not set (run me from pam_exec)" } },
    { name: "a session call", env: { PAM_TYPE: "open_session", PAM_USER: "alice" }, expected: { ok: false, reason: "PAM_TYPE 'open_session' is not supported (auth, account, password)" } },
    { name: "no PAM_USER", env: { PAM_TYPE: "auth" }, expected: { ok: false, reason: "PAM_USER is not set" } },
    { name: "an empty PAM_USER", env: { PAM_TYPE: "auth", PAM_USER: "" }, expected: { ok: false, reason: "PAM_USER is not set" } },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(readPamRequest(c.env), c.expected));
  }
});

describe("parseAuthToken", () => {
  const cases: Array<{ name: string; stdin: Buffer; expected: string | RegExp }> = [
    { name: "bare bytes (pam_exec of PAM >= 1.4)", stdin: Buffer.from("Secret123"), expected: "Secret123" },
    { name: "one trailing NUL is stripped (PAM < 1.4)", stdin: Buffer.from("Secret123\0"), expected: "Secret123" },
    { name: "one trailing newline is stripped (scripts)", stdin: Buffer.from("Secret123\n"), expected: "Secret123" },
    { name: "only one newline is stripped", stdin: Buffer.from("Secret123\n\n"), expected: "Secret123\n" },
    { name: "a trailing space is kept (it is part of the password)", stdin: Buffer.from("Secret123 "), expected: "Secret123 " },
    { name: "nothing on stdin is an empty password (shadowd decides)", stdin: Buffer.alloc(0), expected: "" },
    { name: "UTF-8 bytes pass unchanged", stdin: Buffer.from("pässwörd"), expected: "pässwörd" },
    { name: "511 bytes (pam_exec's most) pass", stdin: Buffer.alloc(511, 0x61), expected: "a".repeat(511) },
    { name: "512 bytes with a NUL pass as 511", stdin: Buffer.concat([Buffer.alloc(511, 0x61), Buffer.from([0])]), expected: "a".repeat(511) },
    { name: "513 bytes are refused", stdin: Buffer.alloc(513, 0x61), expected: /more than 512 bytes/ },
    { name: "a NUL inside is refused", stdin: Buffer.from("Sec\0ret"), expected: /NUL byte inside the password/ },
    { name: "two trailing NULs are refused", stdin: Buffer.from("Secret\0\0"), expected: /NUL byte inside the password/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const outcome = parseAuthToken(c.stdin);
      if (c.expected instanceof RegExp) {
        assert.equal(outcome.ok, false);
        if (!outcome.ok) assert.match(outcome.reason, c.expected);
      } else {
        assert.equal(outcome.ok, true);
        if (outcome.ok) assert.equal(outcome.password.toString("utf8"), c.expected);
      }
    });
  }
});

describe("parseChangeTokens", () => {
  const cases: Array<{ name: string; stdin: string | Buffer; expected: [string, string] | RegExp }> = [
    { name: "OLD NUL NEW", stdin: "old\0new", expected: ["old", "new"] },
    { name: "OLD NUL NEW NUL", stdin: "old\0new\0", expected: ["old", "new"] },
    { name: "OLD NUL NEW newline", stdin: "old\0new\n", expected: ["old", "new"] },
    { name: "an empty old password is passed on (shadowd decides)", stdin: "\0new", expected: ["", "new"] },
    { name: "nothing (pam_exec 1.5.2 exposes no token for password)", stdin: "", expected: /needs the old and the new password/ },
    { name: "one token (pam_exec 1.6 exposes the new one only)", stdin: "new", expected: /needs the old and the new password/ },
    { name: "one token with PAM < 1.4's NUL", stdin: "new\0", expected: /needs the old and the new password/ },
    { name: "three tokens", stdin: "a\0b\0c", expected: /more than two NUL-separated tokens/ },
    { name: "a 512-byte new password", stdin: Buffer.concat([Buffer.from("old\0"), Buffer.alloc(512, 0x62)]), expected: /512 bytes or more/ },
    { name: "more than 1026 bytes", stdin: Buffer.alloc(1027, 0x61), expected: /more than 1026 bytes/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const outcome = parseChangeTokens(typeof c.stdin === "string" ? Buffer.from(c.stdin) : c.stdin);
      if (c.expected instanceof RegExp) {
        assert.equal(outcome.ok, false);
        if (!outcome.ok) assert.match(outcome.reason, c.expected);
      } else {
        assert.equal(outcome.ok, true);
        if (outcome.ok) assert.deepEqual([outcome.oldPassword.toString(), outcome.newPassword.toString()], c.expected);
      }
    });
  }
});

describe("printable", () => {
  const cases: Array<[string, string, string]> = [
    ["a plain name is unchanged", "alice", "alice"],
    ["control characters are escaped", "a\nb\x7f", "a\\x0ab\\x7f"],
    ["long values are clipped at 64 characters", "x".repeat(80), `${"x".repeat(64)}…`],
  ];
  for (const [name, input, expected] of cases) it(name, () => assert.equal(printable(input), expected));
});
