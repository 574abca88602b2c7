// Integration: the real daemon on temporary UNIX sockets with a real SQLite file, called
// through generated gRPC clients. Outcomes, status codes, listeners, re-hash and shutdown.
import { test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { HealthClient } from "./health-client";
import { startTestDaemon, type TestDaemon } from "../helpers/daemon";
import { AuthResult, ChangeResult, AdminClient, AdminService, type AuthenticateResponse } from "../../src/gen/shadowd/v1/shadowd";
import { promiseClient } from "../../src/rpc/promise-client";

const TODAY = Math.floor(Date.now() / 86_400_000);
// sha512crypt of "Secret123" (from the pam_unix conformance corpus).
const SHA512_SECRET123 = "$6$gtSaltSHA512abcd$rNc43TYrZFhYzZcsslEwaZmY6yI9GbmENTqTajY6StsdoErqbLarFamFEYEyFQBC74YBflrXfuqITHY/4SOjY0";

let daemon: TestDaemon;

before(async () => {
  daemon = await startTestDaemon();
  const passwd = [
    "alice:x:1001:1001::/home/alice:/bin/sh",
    "warned:x:1002:1002::/home/warned:/bin/sh",
    "expired:x:1003:1003::/home/expired:/bin/sh",
    "mustchange:x:1004:1004::/home/mustchange:/bin/sh",
    "inactive:x:1005:1005::/home/inactive:/bin/sh",
    "locked:x:1006:1006::/home/locked:/bin/sh",
    "star:x:1007:1007::/home/star:/bin/sh",
    "empty:x:1008:1008::/home/empty:/bin/sh",
    "noshadow:x:1009:1009::/home/noshadow:/bin/sh",
    "inpasswd:" + SHA512_SECRET123 + ":1010:1010::/home/inpasswd:/bin/sh",
    "root:x:0:0:root:/root:/bin/bash",
    "daemonish:x:999:999::/:/usr/sbin/nologin",
    "rehashme:x:1011:1011::/home/rehashme:/bin/sh",
    "",
  ].join("\n");
  const shadow = [
    `alice:${SHA512_SECRET123}:${TODAY - 10}:0:99999:7:::`,
    `warned:${SHA512_SECRET123}:${TODAY - 25}:0:30:7:::`,
    `expired:${SHA512_SECRET123}:${TODAY - 10}:0:99999:7::${TODAY}:`,
    `mustchange:${SHA512_SECRET123}:0:0:99999:7:::`,
    `inactive:${SHA512_SECRET123}:${TODAY - 50}:0:30:7:10::`,
    `locked:!${SHA512_SECRET123}:${TODAY - 10}:0:99999:7:::`,
    `star:*:${TODAY - 10}:0:99999:7:::`,
    `empty::${TODAY - 10}:0:99999:7:::`,
    `root:${SHA512_SECRET123}:${TODAY - 10}:0:99999:7:::`,
    `daemonish:${SHA512_SECRET123}:${TODAY - 10}:0:99999:7:::`,
    `rehashme:${SHA512_SECRET123}:${TODAY - 10}:0:99999:7:::`,
    "",
  ].join("\n");
  const report = await daemon.importText(passwd, shadow);
  assert.deepEqual(report.problems, []);
  assert.equal(report.created, 13);
});

after(async () => {
  const code = await daemon.stop();
  assert.equal(code, 0, `shadowd exited with ${code}:\n${daemon.log()}`);
});

function authenticate(username: string, password: string | Buffer): Promise<AuthenticateResponse> {
  return daemon.authp.authenticate({ username, password: Buffer.from(password), service: "smtp", remoteAddress: "192.0.2.7" });
}

const authCases: { name: string; user: string; password: string | Buffer; result: AuthResult; daysLeft?: number; message?: string }[] = [
  { name: "the right password on a normal account is OK", user: "alice", password: "Secret123", result: AuthResult.AUTH_RESULT_OK, message: "" },
  { name: "a wrong password is DENIED", user: "alice", password: "Secret124", result: AuthResult.AUTH_RESULT_DENIED },
  { name: "an unknown user is DENIED, like a wrong password", user: "nobody-here", password: "Secret123", result: AuthResult.AUTH_RESULT_DENIED },
  { name: "inside the warning period OK carries days_left and pam's warning", user: "warned", password: "Secret123", result: AuthResult.AUTH_RESULT_OK, daysLeft: 5, message: "Warning: your password will expire in 5 days." },
  { name: "an expire date of today is ACCOUNT_EXPIRED", user: "expired", password: "Secret123", result: AuthResult.AUTH_RESULT_ACCOUNT_EXPIRED, message: "Your account has expired; please contact your system administrator." },
  { name: "an expired account with a wrong password reveals nothing", user: "expired", password: "nope", result: AuthResult.AUTH_RESULT_DENIED, message: "" },
  { name: "last change 0 is PASSWORD_CHANGE_REQUIRED", user: "mustchange", password: "Secret123", result: AuthResult.AUTH_RESULT_PASSWORD_CHANGE_REQUIRED, message: "You are required to change your password immediately (administrator enforced)." },
  { name: "max + inactive passed is PASSWORD_EXPIRED", user: "inactive", password: "Secret123", result: AuthResult.AUTH_RESULT_PASSWORD_EXPIRED, message: "Your account has expired; please contact your system administrator." },
  { name: "the right password on a !-locked hash is LOCKED", user: "locked", password: "Secret123", result: AuthResult.AUTH_RESULT_LOCKED },
  { name: "a wrong password on a !-locked hash is DENIED", user: "locked", password: "wrong", result: AuthResult.AUTH_RESULT_DENIED },
  { name: "a * hash never authenticates", user: "star", password: "", result: AuthResult.AUTH_RESULT_DENIED },
  { name: "an empty hash without --nullok never authenticates", user: "empty", password: "", result: AuthResult.AUTH_RESULT_DENIED },
  { name: "x in passwd without a shadow line is DENIED", user: "noshadow", password: "Secret123", result: AuthResult.AUTH_RESULT_DENIED },
  { name: "a hash in the passwd field authenticates without aging", user: "inpasswd", password: "Secret123", result: AuthResult.AUTH_RESULT_OK },
  { name: "root with the right password is NOT_PERMITTED", user: "root", password: "Secret123", result: AuthResult.AUTH_RESULT_NOT_PERMITTED },
  { name: "root with a wrong password is DENIED", user: "root", password: "x", result: AuthResult.AUTH_RESULT_DENIED },
  { name: "a uid below min_uid with the right password is NOT_PERMITTED", user: "daemonish", password: "Secret123", result: AuthResult.AUTH_RESULT_NOT_PERMITTED },
  { name: "a 512-byte password is DENIED", user: "alice", password: "a".repeat(512), result: AuthResult.AUTH_RESULT_DENIED },
  { name: "a password with a NUL byte is DENIED", user: "alice", password: Buffer.from("Secret123\0"), result: AuthResult.AUTH_RESULT_DENIED },
  { name: "a +name (NIS compat) is DENIED", user: "+alice", password: "Secret123", result: AuthResult.AUTH_RESULT_DENIED },
];

for (const c of authCases) {
  test(`Authenticate: ${c.name}`, async () => {
    const response = await authenticate(c.user, c.password);
    assert.equal(response.result, c.result);
    assert.equal(response.daysLeft, c.daysLeft);
    if (c.message !== undefined) assert.equal(response.message, c.message);
    if (c.result !== AuthResult.AUTH_RESULT_OK) assert.equal(response.account, undefined);
  });
}

const checkCases: { name: string; user: string; result: AuthResult; daysLeft?: number }[] = [
  { name: "a normal account is OK", user: "alice", result: AuthResult.AUTH_RESULT_OK },
  { name: "a missing account is USER_UNKNOWN", user: "nobody-here", result: AuthResult.AUTH_RESULT_USER_UNKNOWN },
  { name: "a locked hash passes, as pam_unix's account phase", user: "locked", result: AuthResult.AUTH_RESULT_OK },
  { name: "no shadow line is DENIED (PAM_AUTHINFO_UNAVAIL)", user: "noshadow", result: AuthResult.AUTH_RESULT_DENIED },
  { name: "the warning period gives days_left", user: "warned", result: AuthResult.AUTH_RESULT_OK, daysLeft: 5 },
  { name: "expired is ACCOUNT_EXPIRED", user: "expired", result: AuthResult.AUTH_RESULT_ACCOUNT_EXPIRED },
  { name: "root is not refused by the account phase", user: "root", result: AuthResult.AUTH_RESULT_OK },
];

for (const c of checkCases) {
  test(`CheckAccount: ${c.name}`, async () => {
    const response = await daemon.authp.checkAccount({ username: c.user, service: "pop3", remoteAddress: "" });
    assert.equal(response.result, c.result);
    assert.equal(response.daysLeft, c.daysLeft);
  });
}

const invalidCases: { name: string; username: string; service?: string }[] = [
  { name: "an empty user name", username: "" },
  { name: "a user name with a NUL byte", username: "al\0ice" },
  { name: "a user name with a newline", username: "alice\n" },
  { name: "a user name with ':'", username: "al:ice" },
  { name: "a 257-byte user name", username: "a".repeat(257) },
  { name: "a 300-byte service", username: "alice", service: "s".repeat(300) },
];

for (const c of invalidCases) {
  test(`Authenticate refuses ${c.name} with INVALID_ARGUMENT`, async () => {
    await assert.rejects(
      daemon.authp.authenticate({ username: c.username, password: Buffer.from("x"), service: c.service ?? "smtp", remoteAddress: "" }),
      (error: grpc.ServiceError) => error.code === grpc.status.INVALID_ARGUMENT && error.details.length > 0,
    );
  });
}

test("broken UTF-8 in a user name is INVALID_ARGUMENT", async () => {
  // Hand-encode an AuthenticateRequest whose username field holds the bytes 0xC3 0x28.
  const raw = new grpc.Client(`unix:${daemon.authSocket}`, grpc.credentials.createInsecure());
  const body = Buffer.from([0x0a, 0x02, 0xc3, 0x28, 0x12, 0x01, 0x78]);
  const error = await new Promise<grpc.ServiceError | null>((resolve) =>
    raw.makeUnaryRequest("/shadowd.v1.Auth/Authenticate", (b: Buffer) => b, (b: Buffer) => b, body, (e) => resolve(e)),
  );
  raw.close();
  assert.equal(error?.code, grpc.status.INVALID_ARGUMENT);
});

test("Admin is not served on the auth socket", async () => {
  const wrong = new AdminClient(`unix:${daemon.authSocket}`, grpc.credentials.createInsecure());
  await assert.rejects(promiseClient(wrong, AdminService).getUser({ name: "alice" }), (error: grpc.ServiceError) => error.code === grpc.status.UNIMPLEMENTED);
  wrong.close();
});

test("health answers SERVING on both sockets", async () => {
  for (const socket of [daemon.authSocket, daemon.adminSocket]) {
    const health = new HealthClient(socket);
    assert.equal(await health.check(""), "SERVING");
    health.close();
  }
});

test("socket and database modes are as API.md says", () => {
  assert.equal(fs.statSync(daemon.authSocket).mode & 0o777, 0o660);
  assert.equal(fs.statSync(daemon.adminSocket).mode & 0o777, 0o600);
  assert.equal(fs.statSync(`${daemon.stateDir}/shadowd.db`).mode & 0o777, 0o600);
});

test("a legacy sha512crypt hash is re-hashed to argon2id on success, aging untouched", async () => {
  const before = await daemon.adminp.getUser({ name: "rehashme" });
  assert.match(before.shadow!.hash, /^\$6\$/);
  assert.equal((await authenticate("rehashme", "Secret123")).result, AuthResult.AUTH_RESULT_OK);
  let after = before;
  for (let i = 0; i < 100 && !after.shadow!.hash.startsWith("$argon2id$"); i++) {
    await new Promise((r) => setTimeout(r, 20));
    after = await daemon.adminp.getUser({ name: "rehashme" });
  }
  assert.match(after.shadow!.hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  assert.equal(after.shadow!.lastChange, before.shadow!.lastChange);
  assert.equal((await authenticate("rehashme", "Secret123")).result, AuthResult.AUTH_RESULT_OK);
  assert.equal((await authenticate("rehashme", "Secret12")).result, AuthResult.AUTH_RESULT_DENIED);
});

test("GetAging returns the shadow numbers and NOT_FOUND for a missing user", async () => {
  const aging = await daemon.authp.getAging({ username: "warned" });
  assert.equal(aging.lastChange, TODAY - 25);
  assert.equal(aging.maxDays, 30);
  assert.equal(aging.passwordExpires, TODAY + 5);
  assert.equal(aging.inactiveDays, undefined);
  await assert.rejects(daemon.authp.getAging({ username: "nobody-here" }), (e: grpc.ServiceError) => e.code === grpc.status.NOT_FOUND);
});

test("no password or hash appears in the debug log", () => {
  const log = daemon.log();
  assert.ok(log.includes("authenticate"), "the log has authenticate lines");
  for (const secret of ["Secret123", "Secret124", SHA512_SECRET123, "gtSaltSHA512abcd"]) assert.ok(!log.includes(secret), `log leaks ${secret}`);
});

test("ChangePassword: outcomes as passwd run by the user", async (t) => {
  const change = (username: string, oldPassword: string, newPassword: string) =>
    daemon.authp.changePassword({ username, oldPassword: Buffer.from(oldPassword), newPassword: Buffer.from(newPassword), service: "passwd", remoteAddress: "" });
  await daemon.adminp.addUser({ name: "changer", gecos: "", home: "", shell: "", password: Buffer.from("old-pass-1") });
  await daemon.adminp.setAging({ name: "changer", lastChange: TODAY - 10 });
  await daemon.adminp.addUser({ name: "toosoon", gecos: "", home: "", shell: "", password: Buffer.from("old-pass-1") });
  await daemon.adminp.setAging({ name: "toosoon", minDays: 5 });
  const cases: { name: string; user: string; old: string; next: string; result: ChangeResult }[] = [
    { name: "a wrong old password is DENIED", user: "changer", old: "nope", next: "new-pass-2", result: ChangeResult.CHANGE_RESULT_DENIED },
    { name: "an unknown user is DENIED", user: "nobody-here", old: "x", next: "new-pass-2", result: ChangeResult.CHANGE_RESULT_DENIED },
    { name: "the same password is REJECTED", user: "changer", old: "old-pass-1", next: "old-pass-1", result: ChangeResult.CHANGE_RESULT_REJECTED },
    { name: "before the minimum age it is TOO_SOON", user: "toosoon", old: "old-pass-1", next: "new-pass-2", result: ChangeResult.CHANGE_RESULT_TOO_SOON },
    { name: "an expired account is NOT_ALLOWED", user: "expired", old: "Secret123", next: "new-pass-2", result: ChangeResult.CHANGE_RESULT_NOT_ALLOWED },
    { name: "a locked account is DENIED", user: "locked", old: "Secret123", next: "new-pass-2", result: ChangeResult.CHANGE_RESULT_DENIED },
    { name: "the right old password changes it", user: "changer", old: "old-pass-1", next: "new-pass-2", result: ChangeResult.CHANGE_RESULT_OK },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => assert.equal((await change(c.user, c.old, c.next)).result, c.result));
  }
  assert.equal((await authenticate("changer", "new-pass-2")).result, AuthResult.AUTH_RESULT_OK);
  assert.equal((await authenticate("changer", "old-pass-1")).result, AuthResult.AUTH_RESULT_DENIED);
  assert.equal((await daemon.adminp.getUser({ name: "changer" })).shadow?.lastChange, TODAY);
});

test("a cancelled import stream writes nothing", async () => {
  const before = await daemon.adminp.getStatus({});
  for (let attempt = 0; attempt < 5; attempt++) {
    await new Promise<void>((resolve) => {
      const stream = daemon.admin.importAccounts(() => resolve());
      stream.write({ part: { $case: "options", value: { dryRun: false, mode: 1, skipInvalid: true, includeSystem: true, passwdFileName: "", shadowFileName: "" } } });
      stream.write({ part: { $case: "passwdChunk", value: Buffer.from(`cancelled${attempt}:x:3000:3000::/home/c:/bin/sh\n`) } });
      setTimeout(() => stream.cancel(), 20);
    });
  }
  await new Promise((r) => setTimeout(r, 100));
  const after = await daemon.adminp.getStatus({});
  assert.equal(after.accounts, before.accounts);
  await assert.rejects(daemon.adminp.getUser({ name: "cancelled0" }), (e: grpc.ServiceError) => e.code === grpc.status.NOT_FOUND);
});
