// The pam_exec shim (bin/shadowd-pam) as pam_exec runs it: an absolute path, no PATH, PAM_*
// variables, the token on stdin; against the real daemon, a stopped one, a silent one and a
// garbage-speaking one. Exit status, stdout (pam_unix's message), stderr (the reason).
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { runCommand, type CommandResult, type TestDaemon } from "../helpers/daemon";
import { MESSAGES, PASSWORD, USERS, WRONG_PASSWORD, disposeChainDaemon, startChainDaemon } from "./helpers/accounts";
import { NODE, SHIM } from "./helpers/stack";

let daemon: TestDaemon;
const outputs: string[] = [];

before(async () => {
  daemon = await startChainDaemon();
});

after(async () => {
  const code = await daemon.stop();
  assert.equal(code, 0, `shadowd exited with ${code}:\n${daemon.log()}`);
  for (const secret of [PASSWORD, WRONG_PASSWORD, "n3w-Passw0rd"]) {
    assert.ok(!outputs.some((text) => text.includes(secret)), `no shim output contains the password ${secret}`);
    assert.ok(!daemon.log().includes(secret), "the daemon log does not contain the password either");
  }
  await disposeChainDaemon(daemon);
});

interface ShimRun extends CommandResult {
  elapsedMs: number;
}

/** Run the shim as pam_exec does: absolute node and script, no PATH, PAM_* only. */
async function runShim(env: Record<string, string>, stdin: string | Buffer, args: string[] = ["--socket", daemon.authSocket]): Promise<ShimRun> {
  const started = Date.now();
  const result = await runCommand(NODE, [SHIM, ...args], { env, stdin });
  outputs.push(result.stdout, result.stderr);
  return { ...result, elapsedMs: Date.now() - started };
}

function pam(type: string, user: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PAM_TYPE: type, PAM_USER: user, PAM_SERVICE: "shadowd-test", PAM_RHOST: "192.0.2.7", PAM_TTY: "", PAM_RUSER: "", ...extra };
}

describe("the shim asks shadowd and answers like pam_unix", () => {
  const cases: Array<{ name: string; type: string; user: string; stdin: string | Buffer; code: number; stdout: string; reason: string }> = [
    { name: "auth: the right password is accepted, silently (pam_unix's auth phase shows nothing)", type: "auth", user: USERS.good, stdin: PASSWORD, code: 0, stdout: "", reason: "OK" },
    { name: "auth: a password with PAM < 1.4's trailing NUL is accepted", type: "auth", user: USERS.good, stdin: `${PASSWORD}\0`, code: 0, stdout: "", reason: "OK" },
    { name: "auth: a password with a trailing newline (scripts) is accepted", type: "auth", user: USERS.good, stdin: `${PASSWORD}\n`, code: 0, stdout: "", reason: "OK" },
    { name: "auth: a wrong password is refused", type: "auth", user: USERS.good, stdin: WRONG_PASSWORD, code: 1, stdout: "", reason: "DENIED" },
    { name: "auth: an unknown user is refused like a wrong password", type: "auth", user: USERS.unknown, stdin: PASSWORD, code: 1, stdout: "", reason: "DENIED" },
    { name: "auth: a locked account is refused", type: "auth", user: USERS.locked, stdin: PASSWORD, code: 1, stdout: "", reason: "LOCKED" },
    { name: "auth: an expired account is refused with pam_unix's message on stdout", type: "auth", user: USERS.expired, stdin: PASSWORD, code: 1, stdout: `${MESSAGES.expired}\n`, reason: "ACCOUNT_EXPIRED" },
    { name: "auth: inside the warning period the login passes; the warning is left to the account phase", type: "auth", user: USERS.warned, stdin: PASSWORD, code: 0, stdout: "", reason: "OK (password expires in 3 days)" },
    { name: "account: the warning goes to stdout", type: "account", user: USERS.warned, stdin: "", code: 0, stdout: `${MESSAGES.warning}\n`, reason: "OK (password expires in 3 days)" },
    { name: "account: an expired account is refused with pam_unix's message", type: "account", user: USERS.expired, stdin: "", code: 1, stdout: `${MESSAGES.expired}\n`, reason: "ACCOUNT_EXPIRED" },
    { name: "account: a locked account passes, as in pam_unix (the lock is the auth phase's business)", type: "account", user: USERS.locked, stdin: "", code: 0, stdout: "", reason: "OK" },
    { name: "account: an unknown user is refused", type: "account", user: USERS.unknown, stdin: "", code: 1, stdout: "", reason: "USER_UNKNOWN" },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const result = await runShim(pam(c.type, c.user), c.stdin);
      assert.equal(result.code, c.code, result.stderr);
      assert.equal(result.stdout, c.stdout);
      assert.equal(result.stderr, `shadowd-pam: ${c.type}: user '${c.user}': ${c.reason}\n`);
    });
  }
});

describe("the shim passes the service and the client address on", () => {
  it("an OK pop3 login from PAM_RHOST grants that address relay (POP-before-SMTP)", async () => {
    const before = await daemon.authp.checkRelay({ remoteAddress: "198.51.100.9" });
    assert.equal(before.allowed, false);
    const login = await runShim(pam("auth", USERS.good, { PAM_SERVICE: "pop3", PAM_RHOST: "198.51.100.9" }), PASSWORD);
    assert.equal(login.code, 0, login.stderr);
    const after = await daemon.authp.checkRelay({ remoteAddress: "198.51.100.9" });
    assert.deepEqual([after.allowed, after.username], [true, USERS.good]);
  });

  it("an OK login over another service (smtp) grants nothing", async () => {
    const login = await runShim(pam("auth", USERS.good, { PAM_SERVICE: "smtp", PAM_RHOST: "198.51.100.10" }), PASSWORD);
    assert.equal(login.code, 0, login.stderr);
    assert.equal((await daemon.authp.checkRelay({ remoteAddress: "198.51.100.10" })).allowed, false);
  });
});

describe("the shim fails closed, quickly, on bad input", () => {
  const cases: Array<{ name: string; env: Record<string, string>; stdin: string | Buffer; args?: string[]; code: number; stderr: RegExp }> = [
    { name: "no PAM_USER", env: { PAM_TYPE: "auth" }, stdin: PASSWORD, code: 3, stderr: /PAM_USER is not set/ },
    { name: "an empty PAM_USER", env: { PAM_TYPE: "auth", PAM_USER: "" }, stdin: PASSWORD, code: 3, stderr: /PAM_USER is not set/ },
    { name: "no PAM_TYPE (not run by pam_exec)", env: { PAM_USER: USERS.good }, stdin: PASSWORD, code: 3, stderr: /PAM_TYPE is not set/ },
    { name: "a session call (open_session is not a shadowd question)", env: pam("open_session", USERS.good), stdin: "", code: 3, stderr: /PAM_TYPE 'open_session' is not supported/ },
    { name: "more than 512 bytes on stdin", env: pam("auth", USERS.good), stdin: "x".repeat(513), code: 3, stderr: /more than 512 bytes on stdin/ },
    { name: "a NUL byte inside the password", env: pam("auth", USERS.good), stdin: `${PASSWORD}\0tail`, code: 3, stderr: /NUL byte inside the password/ },
    { name: "a user name shadowd calls malformed (INVALID_ARGUMENT)", env: pam("auth", "al:ice"), stdin: PASSWORD, code: 3, stderr: /shadowd answered INVALID_ARGUMENT/ },
    { name: "an unknown option", env: pam("auth", USERS.good), stdin: PASSWORD, args: ["--bogus"], code: 2, stderr: /Unknown option '--bogus'/ },
    { name: "a timeout that is not a number", env: pam("auth", USERS.good), stdin: PASSWORD, args: ["--timeout", "soon"], code: 2, stderr: /--timeout: "soon" is not a number of seconds/ },
  ];
  for (const c of cases) {
    it(`refuses ${c.name}`, async () => {
      const result = await runShim(c.env, c.stdin, c.args ?? ["--socket", daemon.authSocket]);
      assert.equal(result.code, c.code, result.stderr);
      assert.match(result.stderr, c.stderr);
      assert.equal(result.stdout, "");
      assert.ok(result.elapsedMs < 4000, `answered in ${result.elapsedMs} ms`);
    });
  }
});

describe("the shim fails closed when shadowd cannot answer", () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "shd-shim-"));
  const servers: net.Server[] = [];
  after(() => {
    for (const server of servers) server.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  });
  function listen(name: string, onConnection: (socket: net.Socket) => void): Promise<string> {
    const socketPath = path.join(scratch, name);
    const server = net.createServer(onConnection);
    servers.push(server);
    return new Promise((resolve) => server.listen(socketPath, () => resolve(socketPath)));
  }

  it("exits 4 at once when no daemon listens on the socket", async () => {
    const result = await runShim(pam("auth", USERS.good), PASSWORD, ["--socket", path.join(scratch, "nobody.sock")]);
    assert.equal(result.code, 4);
    assert.match(result.stderr, /shadowd unavailable: cannot connect to .*nobody\.sock: ENOENT/);
    assert.ok(result.elapsedMs < 4000, `answered in ${result.elapsedMs} ms`);
  });

  it("exits 4 after --timeout when the daemon accepts but never answers", async () => {
    const silent = await listen("silent.sock", () => undefined);
    const result = await runShim(pam("auth", USERS.good), PASSWORD, ["--socket", silent, "--timeout", "0.5"]);
    assert.equal(result.code, 4);
    assert.match(result.stderr, /shadowd unavailable: no answer within \d+ ms/);
    assert.ok(result.elapsedMs >= 500 && result.elapsedMs < 4000, `gave up after ${result.elapsedMs} ms`);
  });

  it("still answers when a signal interrupts its wait (SIGSTOP, then SIGCONT)", async () => {
    // A proxy that holds the request back for 800 ms, then forwards it to shadowd.
    let requestArrived!: () => void;
    const arrived = new Promise<void>((resolve) => (requestArrived = resolve));
    const delayed = await listen("delayed.sock", (client) => {
      const early: Buffer[] = [];
      const collect = (chunk: Buffer): void => {
        early.push(chunk);
        requestArrived();
      };
      client.on("data", collect);
      client.on("error", () => undefined);
      setTimeout(() => {
        client.off("data", collect);
        const upstream = net.connect(daemon.authSocket);
        upstream.on("error", () => undefined);
        for (const chunk of early) upstream.write(chunk);
        client.pipe(upstream).pipe(client);
      }, 800);
    });
    const child = spawn(NODE, [SHIM, "--socket", delayed, "--timeout", "5"], { env: pam("auth", USERS.good), stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.resume();
    child.stdin.end(PASSWORD);
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await arrived;
    await new Promise((resolve) => setTimeout(resolve, 100));
    child.kill("SIGSTOP");
    await new Promise((resolve) => setTimeout(resolve, 200));
    child.kill("SIGCONT");
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /: OK\n$/);
  });

  it("exits 4 when the socket speaks something that is not HTTP/2", async () => {
    const garbage = await listen("garbage.sock", (socket) => socket.end("HTTP/1.1 400 Bad Request\r\n\r\n"));
    const result = await runShim(pam("auth", USERS.good), PASSWORD, ["--socket", garbage, "--timeout", "2"]);
    assert.equal(result.code, 4);
    assert.match(result.stderr, /shadowd unavailable/);
  });

  // Two kinds of stdin the shim reads differently: a socket (node's own pipes) through
  // process.stdin, a pipe or FIFO (pam_exec's) reopened non-blocking through /proc.
  it("exits 4 after --timeout when a socket stdin is never closed", async () => {
    const started = Date.now();
    const child = spawn(NODE, [SHIM, "--socket", daemon.authSocket, "--timeout", "0.5"], { env: pam("auth", USERS.good), stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.stdin.write("Secr");
    // "exit", not "close": our end of its stdin stays open on purpose.
    const code = await new Promise<number | null>((resolve) => child.on("exit", (exitCode) => resolve(exitCode)));
    child.stdin.destroy();
    const elapsed = Date.now() - started;
    assert.equal(code, 4);
    assert.match(stderr, /stdin not closed within 500 ms/);
    assert.ok(elapsed < 4000, `gave up after ${elapsed} ms`);
  });

  it("exits 4 after --timeout when a FIFO stdin is never closed", async () => {
    const fifo = path.join(scratch, "stdin.fifo");
    const made = await runCommand("/usr/bin/mkfifo", [fifo]);
    assert.equal(made.code, 0, made.stderr);
    // O_RDWR: a writer that stays open without blocking; the shim's reopened end sees no EOF.
    const keeper = fs.openSync(fifo, fs.constants.O_RDWR);
    try {
      fs.writeSync(keeper, "Secr");
      const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      const started = Date.now();
      const child = spawn(NODE, [SHIM, "--socket", daemon.authSocket, "--timeout", "0.5"], { env: pam("auth", USERS.good), stdio: [reader, "pipe", "pipe"] });
      fs.closeSync(reader);
      let stderr = "";
      child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
      const code = await new Promise<number | null>((resolve) => child.on("close", (exitCode) => resolve(exitCode)));
      const elapsed = Date.now() - started;
      assert.equal(code, 4);
      assert.match(stderr, /stdin not closed within 500 ms/);
      assert.ok(elapsed < 4000, `gave up after ${elapsed} ms`);
    } finally {
      fs.closeSync(keeper);
    }
  });

  it("reads the token from a FIFO closed after writing, as pam_exec's pipe", async () => {
    const fifo = path.join(scratch, "token.fifo");
    assert.equal((await runCommand("/usr/bin/mkfifo", [fifo])).code, 0);
    const keeper = fs.openSync(fifo, fs.constants.O_RDWR);
    const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    fs.writeSync(keeper, PASSWORD);
    fs.closeSync(keeper);
    const child = spawn(NODE, [SHIM, "--socket", daemon.authSocket], { env: pam("auth", USERS.good), stdio: [reader, "pipe", "pipe"] });
    fs.closeSync(reader);
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const code = await new Promise<number | null>((resolve) => child.on("close", (exitCode) => resolve(exitCode)));
    assert.equal(code, 0, stderr);
  });

  it("exits 4 once the daemon has stopped", async () => {
    const other = await startChainDaemon();
    const socket = other.authSocket;
    const before = await runShim(pam("auth", USERS.good), PASSWORD, ["--socket", socket]);
    assert.equal(before.code, 0, before.stderr);
    assert.equal(await disposeChainDaemon(other), 0);
    const afterStop = await runShim(pam("auth", USERS.good), PASSWORD, ["--socket", socket]);
    assert.equal(afterStop.code, 4);
    assert.match(afterStop.stderr, /shadowd unavailable: cannot connect/);
  });
});

describe("password changes", () => {
  it("refuses a lone token, as pam_exec gives at most one (1.5.2: none; 1.6: the new one)", async () => {
    for (const stdin of ["", "n3w-Passw0rd", "n3w-Passw0rd\0"]) {
      const result = await runShim(pam("password", USERS.good), stdin);
      assert.equal(result.code, 3);
      assert.match(result.stderr, /needs the old and the new password/);
    }
  });

  it("refuses a wrong old password", async () => {
    const result = await runShim(pam("password", USERS.warned), `${WRONG_PASSWORD}\0n3w-Passw0rd`);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^shadowd-pam: password: user 'wendy': DENIED\n$/);
  });

  it("changes the password when stdin holds OLD NUL NEW, and the new one logs in", async () => {
    const changed = await runShim(pam("password", USERS.warned), `${PASSWORD}\0n3w-Passw0rd`);
    assert.equal(changed.code, 0, changed.stderr);
    assert.equal(changed.stdout, "passwd: password updated successfully\n");
    assert.equal(changed.stderr, "shadowd-pam: password: user 'wendy': OK\n");
    const login = await runShim(pam("auth", USERS.warned), "n3w-Passw0rd");
    assert.equal(login.code, 0, login.stderr);
    const account = await runShim(pam("account", USERS.warned), "");
    assert.equal(account.stdout, "", "a fresh password has no warning any more");
  });
});

describe("how pam_exec starts it", () => {
  it("runs through the launcher's own #!/usr/bin/env node with an empty environment", { skip: fs.existsSync("/usr/bin/node") || fs.existsSync("/bin/node") ? false : "node is in neither /usr/bin nor /bin: env finds no node without PATH" }, async () => {
    const result = await runCommand(SHIM, ["--socket", daemon.authSocket], { env: pam("auth", USERS.good), stdin: PASSWORD });
    assert.equal(result.code, 0, result.stderr);
  });

  it("keeps the reason off a stdout that pam_exec relays to the user (stderr is the same pipe)", async () => {
    const result = await runCommand("/bin/sh", ["-c", 'exec "$@" 2>&1', "sh", NODE, SHIM, "--socket", daemon.authSocket], { env: pam("auth", USERS.expired), stdin: PASSWORD });
    outputs.push(result.stdout);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, `${MESSAGES.expired}\n`);
  });

  it("answers alike through node:net when its socket addon is missing (a tree without dist/native/)", async () => {
    // The shim's modules only: bin/ and dist/src/ copied, dist/native/ left out.
    const tree = fs.mkdtempSync(path.join(os.tmpdir(), "shd-shim-tree-"));
    try {
      fs.cpSync(path.dirname(SHIM), path.join(tree, "bin"), { recursive: true });
      fs.cpSync(path.join(path.dirname(SHIM), "../dist/src"), path.join(tree, "dist/src"), { recursive: true });
      const shim = path.join(tree, "bin", path.basename(SHIM));
      const cases = [
        { user: USERS.good, stdin: PASSWORD, code: 0, reason: "OK" },
        { user: USERS.good, stdin: WRONG_PASSWORD, code: 1, reason: "DENIED" },
        { user: USERS.locked, stdin: PASSWORD, code: 1, reason: "LOCKED" },
      ];
      for (const c of cases) {
        const result = await runCommand(NODE, [shim, "--socket", daemon.authSocket], { env: pam("auth", c.user), stdin: c.stdin });
        outputs.push(result.stdout, result.stderr);
        assert.equal(result.code, c.code, result.stderr);
        assert.match(result.stderr, new RegExp(`: ${c.reason}\\n$`));
      }
      const down = await runCommand(NODE, [shim, "--socket", path.join(tree, "nobody.sock")], { env: pam("account", USERS.good), stdin: "" });
      assert.equal(down.code, 4);
      assert.match(down.stderr, /shadowd unavailable: cannot connect to .*nobody\.sock: ENOENT/);
    } finally {
      fs.rmSync(tree, { recursive: true, force: true });
    }
  });

  it("prints its usage with --help and exits 0", async () => {
    const result = await runShim({}, "", ["--help"]);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^Usage: shadowd-pam \[--socket PATH\] \[--timeout SECONDS\]/);
  });

  it("prints the package version with --version", async () => {
    const result = await runShim({}, "", ["--version"]);
    const version = (JSON.parse(fs.readFileSync(path.join(__dirname, "../../../package.json"), "utf8")) as { version: string }).version;
    assert.equal(result.stdout, `shadowd-pam ${version}\n`);
  });
});
