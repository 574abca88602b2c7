// Tests shadowctl's main() end to end against an in-process fake shadowd (real gRPC on temp
// UNIX sockets): what each command sends, what it prints, and its exit status.
import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import * as grpc from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import { COMMANDS, main } from "../../../src/cli/shadowctl";
import type { CliIo } from "../../../src/cli/shadowctl/context";
import { formatChageList } from "../../../src/domain/chage-format";
import { formatPasswdLine, formatShadowLine } from "../../../src/domain/shadow-format";
import {
  type Account,
  type AddUserRequest,
  AdminService,
  type AdminServer,
  AuthResult,
  AuthService,
  type AuthServer,
  type ImportAccountsRequest,
  type ImportReport,
  type ModifyUserRequest,
  type SetAgingRequest,
  type SetPasswordRequest,
  UnresolvedReason,
} from "../../../src/gen/shadowd/v1/shadowd";
import { accountFromProto } from "../../../src/rpc/convert";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** What the fake Admin service was asked. */
interface Recorded {
  addUser: AddUserRequest[];
  modifyUser: ModifyUserRequest[];
  setPassword: SetPasswordRequest[];
  setAging: SetAgingRequest[];
  deleted: string[];
  imports: ImportAccountsRequest[][];
}

const ALICE: Account = {
  name: "alice",
  passwdPassword: "x",
  uid: 1000,
  gid: 1000,
  gecos: "Alice",
  home: "/home/alice",
  shell: "/bin/sh",
  shadow: { hash: "$6$salt$hash", lastChange: 19000, minDays: 0, maxDays: 99999, warnDays: 7, flag: "" },
};

const NOSHADOW: Account = { name: "nos", passwdPassword: "x", uid: 1001, gid: 1001, gecos: "", home: "/home/nos", shell: "/bin/sh" };

function serviceError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
}

/** A decoded request without its absent optional fields, for deepEqual. */
function withoutUndefined<T extends object>(message: T): T {
  return Object.fromEntries(Object.entries(message).filter(([, value]) => value !== undefined)) as T;
}

function emptyReport(overrides: Partial<ImportReport>): ImportReport {
  const base: ImportReport = { created: 0, updated: 0, unchanged: 0, skipped: 0, deleted: 0, problems: [], committed: false, createdNames: [], updatedNames: [], deletedNames: [], skippedNames: [], problemCount: 0 };
  return { ...base, problemCount: overrides.problems?.length ?? 0, ...overrides };
}

function createFakeAdmin(accounts: Map<string, Account>, recorded: Recorded): AdminServer {
  const lookup = (name: string): Account | grpc.ServiceError => accounts.get(name) ?? serviceError(grpc.status.NOT_FOUND, `account '${name}' does not exist`);
  const answer = (result: Account | grpc.ServiceError, callback: grpc.sendUnaryData<Account>): void => {
    if (result instanceof Error) callback(result, null);
    else callback(null, result);
  };
  return {
    addUser: (call, callback) => {
      recorded.addUser.push(withoutUndefined(call.request));
      if (call.request.name.includes(" ")) return callback(serviceError(grpc.status.INVALID_ARGUMENT, `invalid user name '${call.request.name}'`), null);
      if (accounts.has(call.request.name)) return callback(serviceError(grpc.status.ALREADY_EXISTS, `account '${call.request.name}' already exists`), null);
      const created: Account = { name: call.request.name, passwdPassword: "x", uid: call.request.uid ?? 1002, gid: call.request.gid ?? 1002, gecos: call.request.gecos, home: call.request.home, shell: call.request.shell };
      accounts.set(created.name, created);
      callback(null, created);
    },
    modifyUser: (call, callback) => {
      recorded.modifyUser.push(withoutUndefined(call.request));
      answer(lookup(call.request.name), callback);
    },
    deleteUser: (call, callback) => {
      const found = lookup(call.request.name);
      if (found instanceof Error) return callback(found, null);
      recorded.deleted.push(call.request.name);
      callback(null, {});
    },
    setPassword: (call, callback) => {
      recorded.setPassword.push(withoutUndefined(call.request));
      answer(lookup(call.request.name), callback);
    },
    setAging: (call, callback) => {
      recorded.setAging.push(withoutUndefined(call.request));
      answer(lookup(call.request.name), callback);
    },
    getUser: (call, callback) => answer(lookup(call.request.name), callback),
    listUsers: (call) => {
      for (const account of accounts.values()) call.write(account);
      call.end();
    },
    importAccounts: (call, callback) => {
      const messages: ImportAccountsRequest[] = [];
      call.on("data", (message: ImportAccountsRequest) => messages.push(message));
      call.on("end", () => {
        recorded.imports.push(messages);
        const options = messages[0]?.part?.$case === "options" ? messages[0].part.value : undefined;
        const shadow = Buffer.concat(messages.flatMap((m) => (m.part?.$case === "shadowChunk" ? [m.part.value] : []))).toString("utf8");
        const lines = shadow.split("\n");
        const badLine = lines.findIndex((line) => line.includes(":-5:"));
        const problems = badLine === -1 ? [] : [{ file: options?.shadowFileName ?? "shadow", line: badLine + 1, name: lines[badLine]?.split(":")[0] ?? "", reason: "negative number" }];
        const committed = !(options?.dryRun ?? false) && (problems.length === 0 || (options?.skipInvalid ?? false));
        callback(null, emptyReport({ created: 2, createdNames: ["u1", "u2"], skipped: problems.length, problems, committed }));
      });
    },
    exportAccounts: (call) => {
      call.write({ part: { $case: "passwdChunk", value: Buffer.from("alice:x:1000:1000::/home/alice:/bin/sh\n") } });
      call.write({ part: { $case: "shadowChunk", value: Buffer.from("alice:$6$salt$hash:19000:0:99999:7:::\n") } });
      call.end();
    },
    importAliases: (call, callback) => {
      const chunks: Buffer[] = [];
      call.on("data", (message: { chunk: Buffer }) => chunks.push(message.chunk));
      call.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const bad = text.split("\n").findIndex((line) => line.startsWith("bad"));
        if (bad === -1) return callback(null, { aliases: 3, problems: [], committed: true, problemCount: 0 });
        // As a report capped before the problem count: one listed, 1234 in all.
        callback(null, { aliases: 0, problems: [{ file: "aliases", line: bad + 1, name: "bad", reason: "no targets after ':'" }], committed: false, problemCount: 1234 });
      });
    },
    getAlias: (call, callback) =>
      call.request.name.toLowerCase() === "postmaster"
        ? callback(null, { name: "postmaster", targets: ["root", '"|/usr/bin/logger -t mail"'], line: 2 })
        : callback(serviceError(grpc.status.NOT_FOUND, `alias '${call.request.name}' does not exist`), null),
    listAliases: (call) => {
      call.write({ name: "postmaster", targets: ["root"], line: 2 });
      call.write({ name: "list owners", targets: ["\\alice", '"carol smith"@example.org'], line: 3 });
      call.end();
    },
    resetFailures: (_call, callback) => callback(null, { cleared: 2 }),
    getStatus: (_call, callback) => callback(null, { version: "0.1.0-test", uptimeSeconds: 3723, accounts: 2, database: "/tmp/x.db", today: 19000 }),
  };
}

const FAKE_AUTH: AuthServer = {
  authenticate: (call, callback) => {
    const right = call.request.password.toString("utf8") === "right pw";
    callback(null, right
      ? { result: AuthResult.AUTH_RESULT_OK, message: "", account: { name: call.request.username, uid: 1000, gid: 1000, home: "/home/alice" } }
      : { result: AuthResult.AUTH_RESULT_DENIED, message: "" });
  },
  checkAccount: (call, callback) =>
    callback(null, call.request.username === "alice" ? { result: AuthResult.AUTH_RESULT_OK, daysLeft: 3, message: "Warning: your password will expire in 3 days." } : { result: AuthResult.AUTH_RESULT_USER_UNKNOWN, message: "" }),
  getAging: (_call, callback) => callback(serviceError(grpc.status.UNIMPLEMENTED, "not in the fake"), null),
  changePassword: (_call, callback) => callback(serviceError(grpc.status.UNIMPLEMENTED, "not in the fake"), null),
  checkRelay: (_call, callback) => callback(serviceError(grpc.status.UNIMPLEMENTED, "not in the fake"), null),
  resolveRecipient: (call, callback) =>
    callback(null, call.request.localPart === "daemon"
      ? { found: true, accounts: ["alice"], otherTargets: ["|/usr/bin/procmail -a x", "bob@example.org"], unresolved: [{ target: "ghost", reason: UnresolvedReason.UNRESOLVED_REASON_UNKNOWN }] }
      : { found: false, accounts: [], otherTargets: [], unresolved: [] }),
};

function bind(server: grpc.Server, socket: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`unix:${socket}`, grpc.ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve()));
  });
}

function fakeIo(stdin: string | Buffer = ""): { io: CliIo; result: (code: number) => Run } {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdin: Readable.from(stdin === "" ? [] : [Buffer.from(stdin)]),
    stdout: { write: (chunk) => ((stdout += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8")), true) },
    stderr: { write: (chunk) => ((stderr += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8")), true) },
    env: {},
  };
  return { io, result: (code) => ({ code, stdout, stderr }) };
}

/** A fake terminal on stdin that types the next answer whenever a prompt appears on stderr. */
function terminalIo(answers: string[]): { io: CliIo; result: (code: number) => Run } {
  let stdout = "";
  let stderr = "";
  const keyboard = new PassThrough();
  const stdin = Object.assign(keyboard, { isTTY: true, setRawMode: (): PassThrough => keyboard });
  const io: CliIo = {
    stdin,
    stdout: { write: (chunk) => ((stdout += chunk.toString()), true) },
    stderr: {
      write: (chunk) => {
        const text = chunk.toString();
        stderr += text;
        const answer = /[Pp]assword: $/.test(text) ? answers.shift() : undefined;
        if (answer !== undefined) setImmediate(() => keyboard.write(answer));
        return true;
      },
    },
    env: {},
  };
  return { io, result: (code) => ({ code, stdout, stderr }) };
}

describe("shadowctl main() against a fake shadowd", () => {
  const dir = mkdtempSync(join(tmpdir(), "shadowctl-unit-"));
  const adminSocket = join(dir, "admin.sock");
  const authSocket = join(dir, "auth.sock");
  const accounts = new Map<string, Account>();
  const recorded: Recorded = { addUser: [], modifyUser: [], setPassword: [], setAging: [], deleted: [], imports: [] };
  const adminServer = new grpc.Server();
  const authServer = new grpc.Server();

  const run = async (args: string[], stdin: string | Buffer = ""): Promise<Run> => {
    const { io, result } = fakeIo(stdin);
    const code = await main(["--socket", adminSocket, "--auth-socket", authSocket, ...args], io);
    return result(code);
  };

  before(async () => {
    adminServer.addService(AdminService, createFakeAdmin(accounts, recorded));
    adminServer.addService(AuthService, FAKE_AUTH);
    new HealthImplementation({ "": "SERVING" }).addToServer(adminServer);
    authServer.addService(AuthService, FAKE_AUTH);
    await bind(adminServer, adminSocket);
    await bind(authServer, authSocket);
  });
  after(() => {
    adminServer.forceShutdown();
    authServer.forceShutdown();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    accounts.clear();
    accounts.set(ALICE.name, ALICE);
    accounts.set(NOSHADOW.name, NOSHADOW);
    for (const list of Object.values(recorded) as unknown[][]) list.length = 0;
  });

  describe("usage and help", () => {
    it("prints the top-level help on stdout and exits 0", async () => {
      const { code, stdout, stderr } = await run(["--help"]);
      assert.equal(code, 0);
      assert.equal(stderr, "");
      for (const command of COMMANDS) assert.match(stdout, new RegExp(`\\n  ${command.name} `));
      assert.match(stdout, /Examples:/);
    });
    for (const command of COMMANDS) {
      it(`'${command.name} --help' explains usage with an example and exits 0`, async () => {
        const { code, stdout } = await run([command.name, "--help"]);
        assert.equal(code, 0);
        assert.match(stdout, new RegExp(`^Usage: shadowctl ${command.name} `));
        assert.match(stdout, /Examples?:\n {2}shadowctl /);
      });
    }
    it("'help COMMAND' prints that command's help", async () => {
      const { code, stdout } = await run(["help", "chage"]);
      assert.equal(code, 0);
      assert.match(stdout, /^Usage: shadowctl chage /);
    });
    it("an unknown command prints usage on stderr and exits 2", async () => {
      const { code, stdout, stderr } = await run(["frobnicate"]);
      assert.equal(code, 2);
      assert.equal(stdout, "");
      assert.match(stderr, /^shadowctl: unknown command 'frobnicate'\nUsage: shadowctl /);
    });
    it("no command at all exits 2", async () => {
      const { io, result } = fakeIo();
      const outcome = result(await main([], io));
      assert.equal(outcome.code, 2);
      assert.match(outcome.stderr, /missing COMMAND/);
    });
    it("an unknown flag prints the command's usage on stderr and exits 2 without calling shadowd", async () => {
      const { code, stderr } = await run(["useradd", "--frobnicate", "bob"]);
      assert.equal(code, 2);
      assert.match(stderr, /^shadowctl useradd: Unknown option '--frobnicate'\nUsage: shadowctl useradd \[options\] LOGIN\n/);
      assert.match(stderr, /Try 'shadowctl useradd --help' for more information\.\n$/);
      assert.equal(recorded.addUser.length, 0);
    });
    it("an unknown global option exits 2", async () => {
      const { io, result } = fakeIo();
      const outcome = result(await main(["--sock", "x", "status"], io));
      assert.equal(outcome.code, 2);
      assert.match(outcome.stderr, /Unknown option '--sock'/);
    });
  });

  describe("account commands", () => {
    it("useradd --stdin sends the clear password without its trailing newline", async () => {
      const { code, stdout, stderr } = await run(["useradd", "--stdin", "-c", "Bob", "-e", "2022-01-08", "bob"], "pa ss\n");
      assert.deepEqual({ code, stdout, stderr }, { code: 0, stdout: "", stderr: "" });
      assert.deepEqual(recorded.addUser, [{ name: "bob", gecos: "Bob", home: "", shell: "", expireDate: 19000, password: Buffer.from("pa ss") }]);
    });
    it("useradd of an existing user says so", async () => {
      const { code, stderr } = await run(["useradd", "alice"]);
      assert.equal(code, 1);
      assert.equal(stderr, "shadowctl: user 'alice' already exists\n");
    });
    it("useradd shows the server's reason for an invalid argument", async () => {
      const { code, stderr } = await run(["useradd", "Bad Name"]);
      assert.equal(code, 1);
      assert.equal(stderr, "shadowctl: cannot add user 'Bad Name': invalid user name 'Bad Name'\n");
    });
    it("usermod -L sends a lock", async () => {
      const { code } = await run(["usermod", "-L", "alice"]);
      assert.equal(code, 0);
      assert.deepEqual(recorded.modifyUser, [{ name: "alice", lock: true, unlock: false }]);
    });
    it("usermod of an unknown user says it does not exist", async () => {
      const { code, stderr } = await run(["usermod", "-U", "ghost"]);
      assert.equal(code, 1);
      assert.equal(stderr, "shadowctl: user 'ghost' does not exist\n");
    });
    it("usermod without flags checks the user and says no changes", async () => {
      const { code, stdout } = await run(["usermod", "alice"]);
      assert.deepEqual({ code, stdout }, { code: 0, stdout: "usermod: no changes\n" });
      assert.equal(recorded.modifyUser.length, 0);
    });
    it("userdel deletes", async () => {
      const { code } = await run(["userdel", "alice"]);
      assert.equal(code, 0);
      assert.deepEqual(recorded.deleted, ["alice"]);
    });
  });

  describe("passwd", () => {
    it("--stdin sends the password verbatim minus one newline", async () => {
      const { code, stdout } = await run(["passwd", "--stdin", "alice"], "  spaced pw \n\n");
      assert.deepEqual({ code, stdout }, { code: 0, stdout: "passwd: password updated successfully\n" });
      assert.deepEqual(recorded.setPassword, [{ name: "alice", password: Buffer.from("  spaced pw \n"), expire: false, delete: false, lock: false, unlock: false }]);
    });
    it("refuses to read a pipe without --stdin, with a hint, and sends nothing", async () => {
      const { code, stderr } = await run(["passwd", "alice"], "pw\n");
      assert.equal(code, 2);
      assert.match(stderr, /standard input is not a terminal/);
      assert.match(stderr, /--stdin/);
      assert.equal(recorded.setPassword.length, 0);
    });
    it("refuses an empty password", async () => {
      const { code, stderr } = await run(["passwd", "--stdin", "alice"], "\n");
      assert.equal(code, 1);
      assert.match(stderr, /password unchanged/);
      assert.equal(recorded.setPassword.length, 0);
    });
    it("prompts twice without echo on a terminal and sets the password", async () => {
      const { io, result } = terminalIo(["new pw\r", "new pw\r"]);
      const outcome = result(await main(["--socket", adminSocket, "passwd", "alice"], io));
      assert.deepEqual(outcome, { code: 0, stdout: "passwd: password updated successfully\n", stderr: "New password: \nRetype new password: \n" });
      assert.deepEqual(recorded.setPassword.map((request) => request.password), [Buffer.from("new pw")]);
    });
    it("refuses mismatched passwords typed on a terminal, as passwd does", async () => {
      const { io, result } = terminalIo(["one\r", "two\r"]);
      const outcome = result(await main(["--socket", adminSocket, "passwd", "alice"], io));
      assert.deepEqual(outcome, {
        code: 1,
        stdout: "",
        stderr: "New password: \nRetype new password: \nSorry, passwords do not match.\npasswd: Authentication token manipulation error\npasswd: password unchanged\n",
      });
      assert.equal(recorded.setPassword.length, 0);
    });
    it("does not prompt for an unknown user", async () => {
      const { io, result } = terminalIo(["x\r", "x\r"]);
      const outcome = result(await main(["--socket", adminSocket, "passwd", "ghost"], io));
      assert.deepEqual(outcome, { code: 1, stdout: "", stderr: "shadowctl: user 'ghost' does not exist\n" });
    });
    it("-e expires and prints passwd's confirmation", async () => {
      const { code, stdout } = await run(["passwd", "-e", "alice"]);
      assert.deepEqual({ code, stdout }, { code: 0, stdout: "passwd: password changed.\n" });
      assert.deepEqual(recorded.setPassword, [{ name: "alice", lock: false, unlock: false, expire: true, delete: false }]);
    });
    it("-S prints the status line", async () => {
      const { code, stdout } = await run(["passwd", "-S", "alice"]);
      assert.deepEqual({ code, stdout }, { code: 0, stdout: "alice P 2022-01-08 0 99999 7 -1\n" });
    });
    it("-S -a prints every account", async () => {
      const { stdout } = await run(["passwd", "-Sa"]);
      assert.equal(stdout, "alice P 2022-01-08 0 99999 7 -1\nnos P\n");
    });
    it("never prints the password or the hash", async () => {
      const outputs = [await run(["passwd", "--stdin", "alice"], "Secret-123\n"), await run(["passwd", "-S", "alice"])];
      for (const output of outputs) {
        assert.doesNotMatch(output.stdout + output.stderr, /Secret-123|\$6\$salt/);
      }
    });
  });

  describe("chage", () => {
    it("-l prints formatChageList of the account's shadow entry", async () => {
      const { code, stdout } = await run(["chage", "-l", "alice"]);
      assert.equal(code, 0);
      assert.equal(stdout, formatChageList(accountFromProto(ALICE).shadow));
      assert.match(stdout, /^Last password change\t\t\t\t\t: Jan 08, 2022\n/);
    });
    it("-l -i prints ISO dates", async () => {
      const { stdout } = await run(["chage", "-l", "-i", "alice"]);
      assert.equal(stdout, formatChageList(accountFromProto(ALICE).shadow, { iso: true }));
      assert.match(stdout, /2022-01-08/);
    });
    it("-l of an account without a shadow entry prints never and -1", async () => {
      const { stdout } = await run(["chage", "-l", "nos"]);
      assert.equal(stdout, formatChageList(null));
    });
    it("-l of an unknown user answers as chage does", async () => {
      const { code, stdout, stderr } = await run(["chage", "-l", "ghost"]);
      assert.deepEqual({ code, stdout, stderr }, { code: 1, stdout: "", stderr: "chage: user 'ghost' does not exist in /etc/passwd\n" });
    });
    it("setting aging sends one SetAging request", async () => {
      const { code } = await run(["chage", "-d", "0", "-E", "-1", "alice"]);
      assert.equal(code, 0);
      assert.deepEqual(recorded.setAging, [{ name: "alice", lastChange: 0, expireDate: -1 }]);
    });
  });

  describe("getent", () => {
    it("prints passwd lines for every account", async () => {
      const { code, stdout } = await run(["getent", "passwd"]);
      assert.equal(code, 0);
      assert.equal(stdout, `${formatPasswdLine(accountFromProto(ALICE))}\n${formatPasswdLine(accountFromProto(NOSHADOW))}\n`.replace(/\n\n/g, "\n"));
    });
    it("prints only accounts with a shadow entry for shadow", async () => {
      const { code, stdout } = await run(["getent", "shadow"]);
      const alice = accountFromProto(ALICE);
      assert.equal(code, 0);
      assert.equal(stdout.trimEnd(), formatShadowLine(alice.name, alice.shadow ?? assert.fail("alice has a shadow entry")).trimEnd());
    });
    it("exits 2 when a key is not found, after printing the others", async () => {
      const { code, stdout } = await run(["getent", "passwd", "ghost", "alice"]);
      assert.equal(code, 2);
      assert.match(stdout, /^alice:x:1000:1000:Alice:\/home\/alice:\/bin\/sh\n$/);
    });
    it("looks an all-digit passwd key up as a uid", async () => {
      const { code, stdout } = await run(["getent", "passwd", "1001"]);
      assert.equal(code, 0);
      assert.match(stdout, /^nos:/);
    });
    it("exits 2 for shadow of an account without a shadow entry", async () => {
      const { code, stdout } = await run(["getent", "shadow", "nos"]);
      assert.deepEqual({ code, stdout }, { code: 2, stdout: "" });
    });
  });

  describe("auth-test and check-account", () => {
    it("prints OK and exits 0 for the right password from the argument", async () => {
      const { code, stdout } = await run(["auth-test", "alice", "right pw"]);
      assert.equal(code, 0);
      assert.equal(stdout, "auth-test: user 'alice': OK\n  uid=1000\n  gid=1000\n  home=/home/alice\n");
    });
    it("reads the password from standard input when it is not a terminal", async () => {
      const { code } = await run(["auth-test", "alice"], "right pw\n");
      assert.equal(code, 0);
    });
    it("prompts for the password on a terminal", async () => {
      const { io, result } = terminalIo(["right pw\r"]);
      const outcome = result(await main(["--auth-socket", authSocket, "auth-test", "alice"], io));
      assert.equal(outcome.code, 0);
      assert.equal(outcome.stderr, "Password: \n");
    });
    it("prints DENIED and exits 1 for a wrong password", async () => {
      const { code, stdout } = await run(["auth-test", "alice"], "wrong\n");
      assert.deepEqual({ code, stdout }, { code: 1, stdout: "auth-test: user 'alice': DENIED\n" });
    });
    it("check-account prints the warning", async () => {
      const { code, stdout } = await run(["check-account", "alice"]);
      assert.equal(code, 0);
      assert.equal(stdout, "check-account: user 'alice': OK\n  days_left=3\n  message=Warning: your password will expire in 3 days.\n");
    });
    it("check-account exits 1 for an unknown user", async () => {
      const { code, stdout } = await run(["check-account", "ghost"]);
      assert.deepEqual({ code, stdout }, { code: 1, stdout: "check-account: user 'ghost': USER_UNKNOWN\n" });
    });
  });

  describe("import", () => {
    const passwdFile = join(dir, "passwd");
    const shadowFile = join(dir, "shadow");
    it("streams the options, then both files in 256 KiB chunks", async () => {
      const passwdText = Array.from({ length: 6000 }, (_, index) => `user${index}:x:${2000 + index}:100:${"g".repeat(20)}:/home/user${index}:/bin/sh\n`).join("");
      const shadowText = "user0:$6$x$y:19000:0:99999:7:::\n";
      writeFileSync(passwdFile, passwdText);
      writeFileSync(shadowFile, shadowText);
      const { code, stdout } = await run(["import", "--passwd", passwdFile, "--shadow", shadowFile]);
      assert.equal(code, 0);
      assert.match(stdout, /^created: {3}2 \(u1, u2\)\n/);
      assert.match(stdout, /import: committed\n$/);
      const messages = recorded.imports[0] ?? assert.fail("no import received");
      assert.deepEqual(messages[0], {
        part: { $case: "options", value: { dryRun: false, mode: 1, skipInvalid: false, includeSystem: false, passwdFileName: passwdFile, shadowFileName: shadowFile } },
      });
      const kinds = messages.slice(1).map((message) => message.part?.$case);
      const passwdChunks = messages.flatMap((m) => (m.part?.$case === "passwdChunk" ? [m.part.value] : []));
      assert.ok(passwdChunks.length > 1, "a file larger than 256 KiB goes in several chunks");
      assert.ok(passwdChunks.every((chunk) => chunk.length <= 256 * 1024));
      assert.equal(Buffer.concat(passwdChunks).toString("utf8"), passwdText);
      const shadowChunks = messages.flatMap((m) => (m.part?.$case === "shadowChunk" ? [m.part.value] : []));
      assert.equal(Buffer.concat(shadowChunks).toString("utf8"), shadowText);
      assert.equal(kinds.length, passwdChunks.length + shadowChunks.length, "every message after the options is a chunk");
    });
    it("prints a problem as FILE:LINE: NAME: REASON and exits 1 when the import aborted", async () => {
      writeFileSync(passwdFile, "a:x:1000:1000::/h:/bin/sh\nbad:x:1001:1001::/h:/bin/sh\n");
      writeFileSync(shadowFile, "a:$6$x$y:19000:0:99999:7:::\nbad:$6$x$y:-5:0:99999:7:::\n");
      const { code, stdout, stderr } = await run(["import", "--passwd", passwdFile, "--shadow", shadowFile]);
      assert.equal(code, 1);
      assert.match(stdout, new RegExp(`\\n${shadowFile.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:2: bad: negative number\\n`));
      assert.match(stderr, /^shadowctl: import aborted, nothing was written: 1 problem \(fix them, or use --skip-invalid/);
    });
    it("exits 0 with --skip-invalid when the rest was committed", async () => {
      const { code } = await run(["import", "--passwd", passwdFile, "--shadow", shadowFile, "--skip-invalid"]);
      assert.equal(code, 0);
    });
    it("exits 0 for a dry run and prints JSON with --json", async () => {
      const { code, stdout } = await run(["import", "--passwd", passwdFile, "--shadow", shadowFile, "--dry-run", "--json"]);
      assert.equal(code, 0);
      const report = JSON.parse(stdout) as { committed: boolean; dryRun: boolean; problems: unknown[] };
      assert.deepEqual([report.committed, report.dryRun, report.problems.length], [false, true, 1]);
    });
    it("reports an unreadable file and sends nothing", async () => {
      const { code, stderr } = await run(["import", "--passwd", join(dir, "missing"), "--shadow", shadowFile]);
      assert.equal(code, 1);
      assert.match(stderr, /^shadowctl: import: cannot read .*missing: ENOENT/);
      assert.equal(recorded.imports.length, 0);
    });
  });

  describe("import of something that is not a file", () => {
    it("refuses a directory before sending anything", async () => {
      const { code, stdout, stderr } = await run(["import", "--passwd", dir, "--shadow", "/dev/null"]);
      assert.deepEqual({ code, stdout }, { code: 1, stdout: "" });
      assert.equal(stderr, `shadowctl: import: cannot read ${dir}: EISDIR: is a directory\n`);
      assert.equal(recorded.imports.length, 0);
    });
  });

  describe("export, aliases, faillock and status", () => {
    it("export writes both files, the passwd file with mode 0644 and the shadow file with mode 0640, and refuses to replace them without --force", async () => {
      const passwdOut = join(dir, "out-passwd");
      const shadowOut = join(dir, "out-shadow");
      const { code } = await run(["export", "--passwd", passwdOut, "--shadow", shadowOut]);
      assert.equal(code, 0);
      assert.equal(readFileSync(passwdOut, "utf8"), "alice:x:1000:1000::/home/alice:/bin/sh\n");
      assert.equal(readFileSync(shadowOut, "utf8"), "alice:$6$salt$hash:19000:0:99999:7:::\n");
      assert.equal(statSync(passwdOut).mode & 0o777, 0o644);
      assert.equal(statSync(shadowOut).mode & 0o777, 0o640);
      writeFileSync(shadowOut, "old\n");
      const refused = await run(["export", "--passwd", passwdOut, "--shadow", shadowOut]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /exists; nothing was written \(use --force to replace it\)/);
      assert.equal(readFileSync(shadowOut, "utf8"), "old\n");
      assert.equal((await run(["export", "--force", "--passwd", passwdOut, "--shadow", shadowOut])).code, 0);
      assert.equal(readFileSync(shadowOut, "utf8"), "alice:$6$salt$hash:19000:0:99999:7:::\n");
    });
    it("aliases prints the count", async () => {
      const aliasesFile = join(dir, "aliases");
      writeFileSync(aliasesFile, "postmaster: root\n");
      const { code, stdout } = await run(["aliases", aliasesFile]);
      assert.deepEqual({ code, stdout }, { code: 0, stdout: "aliases: 3\n" });
    });
    const aliasCases: Array<{ name: string; args: (file: string) => string[]; text?: string; expect: Run }> = [
      { name: "aliases import FILE prints the count", args: (file) => ["aliases", "import", file], expect: { code: 0, stdout: "aliases: 3\n", stderr: "" } },
      { name: "newaliases FILE imports like aliases import", args: (file) => ["newaliases", file], expect: { code: 0, stdout: "aliases: 3\n", stderr: "" } },
      {
        name: "a refused import prints the problems under the local file name and exits 1",
        args: (file) => ["aliases", "import", file],
        text: "postmaster: root\nbad:\n",
        expect: { code: 1, stdout: "aliases: 0\nFILE:2: bad: no targets after ':'\n… and 1233 more\n", stderr: "shadowctl: aliases: the aliases table is unchanged\n" },
      },
      {
        name: "aliases show prints every alias as an aliases(5) line, quoting names that need it",
        args: () => ["aliases", "show"],
        expect: { code: 0, stdout: 'postmaster: root\n"list owners": \\alice, "carol smith"@example.org\n', stderr: "" },
      },
      {
        name: "aliases show NAME prints that alias",
        args: () => ["aliases", "show", "Postmaster"],
        expect: { code: 0, stdout: 'postmaster: root, "|/usr/bin/logger -t mail"\n', stderr: "" },
      },
      { name: "aliases show of a missing NAME exits 2", args: () => ["aliases", "show", "nobody"], expect: { code: 2, stdout: "", stderr: "shadowctl: aliases: no alias 'nobody'\n" } },
      {
        name: "aliases resolve prints accounts, other targets and unresolved names, one per line",
        args: () => ["aliases", "resolve", "daemon"],
        expect: { code: 0, stdout: "account: alice\nother: |/usr/bin/procmail -a x\nother: bob@example.org\nunresolved: ghost: neither an alias nor an account\n", stderr: "" },
      },
      {
        name: "aliases resolve of an unknown local part exits 2",
        args: () => ["aliases", "resolve", "nosuch"],
        expect: { code: 2, stdout: "", stderr: "shadowctl: aliases: 'nosuch' is neither an alias nor an account\n" },
      },
    ];
    for (const aliasCase of aliasCases) {
      it(aliasCase.name, async () => {
        const aliasesFile = join(dir, "aliases-case");
        writeFileSync(aliasesFile, aliasCase.text ?? "postmaster: root\n");
        const outcome = await run(aliasCase.args(aliasesFile));
        assert.deepEqual(outcome, { ...aliasCase.expect, stdout: aliasCase.expect.stdout.replace("FILE", aliasesFile) });
      });
    }
    it("faillock --reset succeeds quietly", async () => {
      const { code, stdout } = await run(["faillock", "--user", "alice", "--reset"]);
      assert.deepEqual({ code, stdout }, { code: 0, stdout: "" });
    });
    it("status prints the version, health and counts", async () => {
      const { code, stdout } = await run(["status"]);
      assert.equal(code, 0);
      assert.equal(
        stdout,
        `shadowd 0.1.0-test\nadmin socket: ${adminSocket}\nhealth:       SERVING\nuptime:       1h 2m 3s\naccounts:     2\ndatabase:     /tmp/x.db\ntoday:        19000 (2022-01-08)\n`,
      );
    });
  });

  describe("failures", () => {
    it("says the daemon is not running when nothing listens on the socket, and exits 1", async () => {
      const { io, result } = fakeIo();
      const missing = join(dir, "nothing-here", "shadowd-admin.sock");
      const outcome = result(await main(["--socket", missing, "userdel", "alice"], io));
      assert.deepEqual(outcome, { code: 1, stdout: "", stderr: `shadowctl: cannot reach shadowd at ${missing}: is the daemon running?\n` });
    });
    it("derives both sockets from --state-dir", async () => {
      const { io, result } = fakeIo();
      const stateDir = join(dir, "state");
      const outcome = result(await main(["--state-dir", stateDir, "status"], io));
      assert.equal(outcome.stderr, `shadowctl: cannot reach shadowd at ${join(stateDir, "shadowd-admin.sock")}: is the daemon running?\n`);
    });
    it("derives the sockets from SHADOWD_STATE_DIR", async () => {
      const { io, result } = fakeIo();
      const stateDir = join(dir, "from-env");
      const outcome = result(await main(["auth-test", "alice", "pw"], { ...io, env: { SHADOWD_STATE_DIR: stateDir } }));
      assert.equal(outcome.stderr, `shadowctl: cannot reach shadowd at ${join(stateDir, "shadowd.sock")}: is the daemon running?\n`);
    });
    it("hints at the wrong socket when Admin is not served there", async () => {
      const { io, result } = fakeIo();
      const outcome = result(await main(["--socket", authSocket, "userdel", "alice"], io));
      assert.equal(outcome.code, 1);
      assert.match(outcome.stderr, new RegExp(`^shadowctl: cannot delete user 'alice': .*\\(is ${authSocket.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} shadowd's admin socket\\?\\)\\n$`));
    });
  });
});
