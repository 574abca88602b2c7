// Integration: no password, hash or password length leaks. Every flow that carries one runs
// against a daemon at --log-level trace; then its whole log, every error detail and
// shadowctl's output are searched for each secret in any form.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { Writable } from "node:stream";
import type { ServiceError } from "@grpc/grpc-js";
import Database from "better-sqlite3";
import pino from "pino";
import { startTestDaemon, type CommandResult, type TestDaemon } from "../helpers/daemon";
import { AuthResult } from "../../src/gen/shadowd/v1/shadowd";
import { cryptPassphrase } from "../../src/crypto/legacy-crypt";
import { REDACTED_PATHS } from "../../src/daemon/logger";

/** Passwords of distinctive lengths: 29, 31, 37, 41, 43, 47, 49, 53, 57, 59 and 600 bytes. */
const P = {
  useradd: "Useradd-secret-zq81-KLmn-pppq",
  passwd: "Passwd-secret-vv42-ABCD-efghijk",
  wrong: "Wrong-secret-tt93-OPQR-stuvwx-yz01234",
  changed: "Changed-secret-rr15-GHIJ-klmnop-qrstuv-wx",
  wrongOld: "WrongOld-secret-ss26-MNOP-qrstuv-wxyzab-cde",
  rpcAdd: "RpcAdd-secret-uu37-QRST-uvwxyz-abcdef-ghijklmno",
  imported: "Imported-secret-ww48-UVWX-yzabcd-efghij-klmnopqrs",
  invalid: "Invalid-secret-xx59-YZAB-cdefgh-ijklmn-opqrst-uvwx-yz",
  internal: "Internal-secret-yy60-CDEF-ghijkl-mnopqr-stuvwx-yzabcd-efg",
  nul: "Nul-secret-zz71-GHIJ-klmnop-qrstuv-wxyzab-cdefgh-ijklmnop\u0000x",
  long: `Long-secret-${"L".repeat(588)}`,
};

/** Every textual form a secret could take in a JSON log line or an error message. */
function formsOf(secret: Buffer): string[] {
  return [
    secret.toString("utf8"),
    secret.toString("hex"),
    secret.toString("hex").toUpperCase(),
    secret.toString("base64"),
    secret.toString("base64url"),
    // A Buffer serialised by JSON.stringify: {"type":"Buffer","data":[85,115,...]}.
    [...secret.subarray(0, 12)].join(","),
    // JSON's escaping of a NUL byte.
    secret.toString("utf8").replace(/\u0000/g, "\\u0000"),
  ].filter((form) => form.length >= 8);
}

/** The forms of a stored hash: the whole string and its digest (after the last `$`). */
function hashForms(hash: string): string[] {
  const digest = hash.slice(hash.lastIndexOf("$") + 1);
  return [hash, ...(digest.length >= 16 ? [digest] : [])];
}

/** A password length written as a field or in words. */
function lengthPatterns(length: number): RegExp[] {
  return [
    new RegExp(`"(?:length|len|size|bytes|passwordLength|password_length|passwordBytes|pwlen)"\\s*:\\s*${length}\\b`, "i"),
    new RegExp(`\\b${length} bytes\\b`, "i"),
    new RegExp(`\\blength[ =:]+${length}\\b`, "i"),
  ];
}

function grpcError(error: unknown): ServiceError {
  assert.ok(error instanceof Error && "code" in error, `a gRPC error, not ${String(error)}`);
  return error as ServiceError;
}

test("no password, hash or password length appears in the trace log, in error details or in shadowctl's output", { timeout: 120_000 }, async () => {
  const daemon: TestDaemon = await startTestDaemon({ extraArgs: ["--log-level", "trace", "--faillock-deny", "3", "--penalty-max-ms", "0"] });
  const details: string[] = [];
  const outputs: CommandResult[] = [];
  const hashes = new Set<string>();
  const rememberHash = async (name: string): Promise<void> => {
    const account = await daemon.adminp.getUser({ name });
    const hash = account.shadow?.hash ?? account.passwdPassword;
    if (hash.length > 1) hashes.add(hash);
  };
  const expectError = async (call: Promise<unknown>, code: number): Promise<void> => {
    const error = grpcError(await call.then(() => new Error("the call succeeded"), (e: unknown) => e));
    assert.equal(error.code, code, error.details);
    details.push(error.details, error.message);
  };
  const ctl = async (args: string[], stdin?: string): Promise<CommandResult> => {
    const result = await daemon.shadowctl(args, stdin === undefined ? {} : { stdin });
    outputs.push(result);
    return result;
  };

  try {
    // useradd --stdin, passwd --stdin, auth-test right and wrong (shadowctl).
    assert.equal((await ctl(["useradd", "--stdin", "sam"], `${P.useradd}\n`)).code, 0);
    await rememberHash("sam");
    assert.equal((await ctl(["passwd", "--stdin", "sam"], `${P.passwd}\n`)).code, 0);
    await rememberHash("sam");
    assert.match((await ctl(["auth-test", "--remote", "192.0.2.50", "sam"], `${P.passwd}\n`)).stdout, /: OK\n/);
    assert.match((await ctl(["auth-test", "--remote", "192.0.2.50", "sam"], `${P.wrong}\n`)).stdout, /: DENIED\n/);

    // ChangePassword: a wrong old password, then a real change.
    const change = (oldPassword: string, newPassword: string): Promise<{ result: number }> =>
      daemon.authp.changePassword({ username: "sam", oldPassword: Buffer.from(oldPassword), newPassword: Buffer.from(newPassword), service: "passwd", remoteAddress: "192.0.2.50" });
    await change(P.wrongOld, P.changed);
    await change(P.passwd, P.changed);
    await rememberHash("sam");
    assert.equal((await daemon.authp.authenticate({ username: "sam", password: Buffer.from(P.changed), service: "imap", remoteAddress: "" })).result, AuthResult.AUTH_RESULT_OK);
    await daemon.authp.checkAccount({ username: "sam", service: "imap", remoteAddress: "" });

    // AddUser over RPC, with a clear password and with a pre-hashed one.
    await daemon.adminp.addUser({ name: "tia", gecos: "", home: "/home/tia", shell: "/bin/sh", password: Buffer.from(P.rpcAdd) });
    await rememberHash("tia");
    const sha512 = await cryptPassphrase(Buffer.from(P.imported), "$6$secretsTestSalt$");
    assert.ok(sha512 !== null && sha512.startsWith("$6$"));
    await daemon.adminp.addUser({ name: "uma", gecos: "", home: "/home/uma", shell: "/bin/sh", passwordHash: sha512 });
    hashes.add(sha512);

    // Import with hashes (one line malformed, carrying a hash), then a login that re-hashes.
    const yescrypt = await cryptPassphrase(Buffer.from(P.imported), "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$");
    assert.ok(yescrypt !== null && yescrypt.startsWith("$y$"));
    hashes.add(yescrypt);
    const report = await daemon.importText(
      "vic:x:1501:1501::/home/vic:/bin/sh\nwes:x:1502:1502::/home/wes:/bin/sh\n",
      `vic:${sha512}:19000:0:99999:7:::\nwes:${yescrypt}:19000:0:99999:7:::\nwes:${yescrypt}:not-a-number:0:99999:7:::extra:fields\n`,
    );
    assert.ok(report.created >= 1, JSON.stringify({ created: report.created, problems: report.problems.length }));
    for (const name of ["vic", "wes"]) {
      assert.equal((await daemon.authp.authenticate({ username: name, password: Buffer.from(P.imported), service: "imap", remoteAddress: "" })).result, AuthResult.AUTH_RESULT_OK);
    }
    // The re-hash runs in the background: wait until both are argon2id.
    for (const name of ["vic", "wes"]) {
      for (let i = 0; i < 100 && !(await daemon.adminp.getUser({ name })).shadow?.hash.startsWith("$argon2id$"); i++) await new Promise((resolve) => setTimeout(resolve, 20));
      await rememberHash(name);
    }
    for (let i = 0; i < 100 && !/re-hashed legacy password as argon2id/.test(daemon.log()); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.match(daemon.log(), /re-hashed legacy password as argon2id/, "the re-hash path ran");

    // Faillock: tia locks after 3 failures (a log line names the lock).
    for (let i = 0; i < 3; i++) await daemon.authp.authenticate({ username: "tia", password: Buffer.from(P.wrong), service: "smtp", remoteAddress: "192.0.2.51" });
    assert.equal((await daemon.authp.authenticate({ username: "tia", password: Buffer.from(P.rpcAdd), service: "smtp", remoteAddress: "192.0.2.51" })).result, AuthResult.AUTH_RESULT_TEMPORARILY_LOCKED);

    // Malformed requests that carry a password or a hash: INVALID_ARGUMENT.
    const INVALID_ARGUMENT = 3;
    await expectError(daemon.adminp.addUser({ name: "bad:name", gecos: "", home: "", shell: "", password: Buffer.from(P.invalid) }), INVALID_ARGUMENT);
    await expectError(daemon.adminp.addUser({ name: "xena", gecos: "", home: "", shell: "", password: Buffer.from(P.invalid), passwordHash: sha512 }), INVALID_ARGUMENT);
    await expectError(daemon.adminp.addUser({ name: "yuri", gecos: "", home: "", shell: "", passwordHash: `${sha512}:x` }), INVALID_ARGUMENT);
    await expectError(daemon.adminp.setPassword({ name: "sam", password: Buffer.from(P.long), expire: false, delete: false, lock: false, unlock: false }), INVALID_ARGUMENT);
    await expectError(daemon.authp.authenticate({ username: "sam\u0001", password: Buffer.from(P.invalid), service: "imap", remoteAddress: "" }), INVALID_ARGUMENT);
    await expectError(daemon.authp.authenticate({ username: "sam", password: Buffer.from(P.invalid), service: "imap\n", remoteAddress: "" }), INVALID_ARGUMENT);
    await daemon.authp.authenticate({ username: "sam", password: Buffer.from(P.nul), service: "imap", remoteAddress: "" });
    await daemon.authp.authenticate({ username: "sam", password: Buffer.from(P.long), service: "imap", remoteAddress: "" });
    const changeOutcome = await change(P.changed, P.nul).catch((error: unknown) => {
      details.push(grpcError(error).details);
      return null;
    });
    assert.notEqual(changeOutcome?.result, 1, "a password with a NUL byte is never accepted");

    // An internal error on a password-bearing call: the database locked by another process
    // beyond busy_timeout (5 s) makes SetPassword fail with INTERNAL.
    const holder = new Database(path.join(daemon.stateDir, "shadowd.db"));
    holder.exec("BEGIN EXCLUSIVE");
    try {
      await expectError(daemon.adminp.setPassword({ name: "sam", password: Buffer.from(P.internal), expire: false, delete: false, lock: false, unlock: false }), 13);
    } finally {
      holder.exec("ROLLBACK");
      holder.close();
    }
    for (let i = 0; i < 100 && !/"level":50.*"stack".*internal error/.test(daemon.log()); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.match(daemon.log(), /"level":50.*"stack".*internal error/, "the internal error was logged with its stack");
    assert.match((await ctl(["passwd", "--stdin", "nobody-here"], `${P.invalid}\n`)).stderr, /nobody-here/);
  } finally {
    assert.equal(await daemon.stop(), 0);
  }

  const log = daemon.log();
  assert.match(log, /"level":10|"level":20/, "the log is at trace/debug level");
  const haystacks: { where: string; text: string }[] = [
    { where: "the daemon log", text: log },
    { where: "error details", text: details.join("\n") },
    ...outputs.map((output, i) => ({ where: `shadowctl run ${i + 1}`, text: `${output.stdout}\n${output.stderr}` })),
  ];
  const secrets: { what: string; forms: string[] }[] = [
    ...Object.entries(P).map(([what, password]) => ({ what: `password ${what}`, forms: formsOf(Buffer.from(password)) })),
    ...[...hashes].map((hash, i) => ({ what: `hash ${i + 1} (${hash.slice(0, 12)}…)`, forms: hashForms(hash) })),
  ];
  assert.ok(hashes.size >= 8, `${hashes.size} distinct hashes were collected`);
  const leaks: string[] = [];
  for (const { where, text } of haystacks) {
    for (const { what, forms } of secrets) {
      for (const form of forms) if (text.includes(form)) leaks.push(`${what} in ${where} as ${JSON.stringify(form.slice(0, 24))}`);
    }
    for (const [what, password] of Object.entries(P)) {
      for (const pattern of lengthPatterns(Buffer.byteLength(password))) if (pattern.test(text)) leaks.push(`the length of password ${what} in ${where}: ${pattern}`);
    }
  }
  assert.deepEqual(leaks, []);
});

test("the logger redacts secret-bearing fields at every depth handlers use", () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done): void {
      lines.push(chunk.toString("utf8"));
      done();
    },
  });
  const logger = pino({ level: "trace", redact: { paths: REDACTED_PATHS, censor: "[redacted]" } }, sink);
  const secret = "Redaction-secret-0123456789";
  const cases: { name: string; fields: object }[] = [
    { name: "password", fields: { password: secret } },
    { name: "newPassword", fields: { newPassword: secret } },
    { name: "oldPassword", fields: { oldPassword: secret } },
    { name: "hash", fields: { hash: secret } },
    { name: "passwordHash", fields: { passwordHash: secret } },
    { name: "request.password", fields: { request: { password: secret } } },
    { name: "one level down", fields: { input: { newPassword: secret, oldPassword: secret, hash: secret, passwordHash: secret } } },
  ];
  for (const c of cases) logger.info(c.fields, c.name);
  logger.flush();
  assert.equal(lines.length, cases.length);
  lines.forEach((line, i) => {
    assert.ok(!line.includes(secret), `${cases[i]!.name} leaked: ${line}`);
    assert.match(line, /\[redacted\]/, cases[i]!.name);
  });
});
