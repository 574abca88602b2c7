// Integration: aliases and POP-before-SMTP through the real daemon. ImportAliases (atomic
// replace, refused files, a cancelled stream), GetAlias/ListAliases, ResolveRecipient with
// the system-accounts example and Debian's stock file, shadowctl aliases/newaliases,
// CheckRelay after pop3/imap logins (and not after the others), expiry, --relay-ttl 0, a
// restart keeping grants and aliases, and the system-account rules with --min-uid.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { REPO_ROOT, startTestDaemon, type TestDaemon } from "../helpers/daemon";
import { type Alias, AuthResult, type ImportAliasesReport, UnresolvedReason } from "../../src/gen/shadowd/v1/shadowd";

const TODAY = Math.floor(Date.now() / 86_400_000);
// sha512crypt of "Secret123" (from the pam_unix conformance corpus).
const SHA512_SECRET123 = "$6$gtSaltSHA512abcd$rNc43TYrZFhYzZcsslEwaZmY6yI9GbmENTqTajY6StsdoErqbLarFamFEYEyFQBC74YBflrXfuqITHY/4SOjY0";
const FIXTURES = path.join(REPO_ROOT, "test/fixtures/aliases");
const SYSTEM_ACCOUNTS = path.join(FIXTURES, "system-accounts-to-alice");
const DEBIAN_POSTFIX = path.join(FIXTURES, "debian-postfix-aliases");

const PASSWD = [
  "alice:x:1001:1001::/home/alice:/bin/sh",
  "bob:x:1002:1002::/home/bob:/bin/sh",
  "root:x:0:0:root:/root:/bin/bash",
  "daemonish:x:999:999::/:/usr/sbin/nologin",
  "",
].join("\n");
const SHADOW = ["alice", "bob", "root", "daemonish"].map((name) => `${name}:${SHA512_SECRET123}:${TODAY - 10}:0:99999:7:::`).join("\n") + "\n";

async function startWithAccounts(extraArgs: string[] = [], stateDir?: string): Promise<TestDaemon> {
  const daemon = await startTestDaemon(stateDir === undefined ? { extraArgs } : { extraArgs, stateDir });
  if (stateDir === undefined) {
    const report = await daemon.importText(PASSWD, SHADOW);
    assert.deepEqual(report.problems, []);
  }
  return daemon;
}

async function stopCleanly(daemon: TestDaemon): Promise<void> {
  const code = await daemon.stop();
  assert.equal(code, 0, `shadowd exited with ${code}:\n${daemon.log()}`);
}

/** Admin.ImportAliases with `text` in chunks of `chunkBytes`. */
function importAliases(daemon: TestDaemon, text: string, chunkBytes = 7): Promise<ImportAliasesReport> {
  return new Promise((resolve, reject) => {
    const call = daemon.admin.importAliases((error, report) => (error ? reject(error) : resolve(report)));
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; i += chunkBytes) call.write({ chunk: bytes.subarray(i, i + chunkBytes) });
    call.end();
  });
}

function listAliases(daemon: TestDaemon): Promise<Alias[]> {
  return new Promise((resolve, reject) => {
    const aliases: Alias[] = [];
    const stream = daemon.admin.listAliases({});
    stream.on("data", (alias: Alias) => aliases.push(alias));
    stream.on("error", reject);
    stream.on("end", () => resolve(aliases));
  });
}

function login(daemon: TestDaemon, username: string, service: string, remoteAddress: string, password = "Secret123"): Promise<AuthResult> {
  return daemon.authp.authenticate({ username, password: Buffer.from(password), service, remoteAddress }).then((response) => response.result);
}

async function rejectsWith(promise: Promise<unknown>, code: grpc.status, details: RegExp): Promise<void> {
  await assert.rejects(promise, (error: grpc.ServiceError) => {
    assert.equal(error.code, code, error.details);
    assert.match(error.details, details);
    return true;
  });
}

const resolvedTo = (accounts: string[]) => ({ found: true, accounts, otherTargets: [], unresolved: [] });

describe("aliases through the daemon", () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startWithAccounts();
  });
  after(() => stopCleanly(daemon));

  it("newaliases imports the system-accounts example; every system account resolves to alice", async () => {
    const result = await daemon.shadowctl(["newaliases", SYSTEM_ACCOUNTS]);
    assert.deepEqual(result, { code: 0, stdout: "aliases: 24\n", stderr: "" });
    for (const localPart of ["daemon", "bin", "nobody", "postmaster", "MAILER-DAEMON", "root"]) {
      assert.deepEqual(await daemon.authp.resolveRecipient({ localPart }), resolvedTo(["alice"]), localPart);
    }
  });

  it("ResolveRecipient answers accounts without aliases, unknown names, and refuses an empty local part", async () => {
    assert.deepEqual(await daemon.authp.resolveRecipient({ localPart: "bob" }), resolvedTo(["bob"]));
    assert.deepEqual(await daemon.authp.resolveRecipient({ localPart: "nobody-here" }), { found: false, accounts: [], otherTargets: [], unresolved: [] });
    await rejectsWith(daemon.authp.resolveRecipient({ localPart: "" }), grpc.status.INVALID_ARGUMENT, /local_part is empty/);
  });

  it("a file with problems is refused by line and leaves the table as it was", async () => {
    const report = await importAliases(daemon, "postmaster: bob\nbroken line\nempty:\nDaemon: bob\ndaemon: bob\n");
    assert.deepEqual(report, {
      aliases: 0,
      committed: false,
      problemCount: 3,
      problems: [
        { file: "aliases", line: 2, name: "", reason: "no ':' after the alias name (an alias line is name: target, target, ...)" },
        { file: "aliases", line: 3, name: "empty", reason: "no targets after ':'" },
        { file: "aliases", line: 5, name: "daemon", reason: 'duplicate alias "daemon": it is first defined on line 4' },
      ],
    });
    assert.equal((await listAliases(daemon)).length, 24);
    assert.deepEqual(await daemon.authp.resolveRecipient({ localPart: "postmaster" }), resolvedTo(["alice"]));
  });

  it("shadowctl prints a refused file's problems under its own name and exits 1", async () => {
    const file = path.join(daemon.stateDir, "broken-aliases");
    fs.writeFileSync(file, "ok: bob\nx: a (b\n");
    const result = await daemon.shadowctl(["aliases", "import", file]);
    assert.deepEqual(result, { code: 1, stdout: `aliases: 0\n${file}:2: x: an unterminated "(" comment\n`, stderr: "shadowctl: aliases: the aliases table is unchanged\n" });
  });

  it("a cancelled import writes nothing", async () => {
    await new Promise<void>((resolve) => {
      const call = daemon.admin.importAliases(() => resolve());
      call.write({ chunk: Buffer.from("only: bob\n") });
      setTimeout(() => call.cancel(), 50);
    });
    assert.equal((await listAliases(daemon)).length, 24);
  });

  it("ListAliases and GetAlias show the table in file order, targets as aliases(5) text", async () => {
    const aliases = await listAliases(daemon);
    assert.deepEqual(aliases.slice(0, 3), [
      { name: "mailer-daemon", targets: ["postmaster"], line: 5 },
      { name: "postmaster", targets: ["root"], line: 6 },
      { name: "daemon", targets: ["root"], line: 9 },
    ]);
    assert.deepEqual(await daemon.adminp.getAlias({ name: "ROOT" }), { name: "root", targets: ["alice"], line: 34 });
    await rejectsWith(daemon.adminp.getAlias({ name: "no-such-alias" }), grpc.status.NOT_FOUND, /alias 'no-such-alias' does not exist/);
  });

  it("every kind of target: accounts, other targets and unresolved names", async () => {
    const text = [
      "team: alice, \\bob, \"|/usr/bin/logger -t mail\", /var/mail/archive, :include:/etc/mail/team, carol@example.org, ghost, loop1",
      "loop1: loop2",
      "loop2: loop1",
      "",
    ].join("\n");
    assert.deepEqual(await importAliases(daemon, text), { aliases: 3, problems: [], committed: true, problemCount: 0 });
    assert.deepEqual(await daemon.authp.resolveRecipient({ localPart: "Team" }), {
      found: true,
      accounts: ["alice", "bob"],
      otherTargets: ["|/usr/bin/logger -t mail", "/var/mail/archive", ":include:/etc/mail/team", "carol@example.org"],
      unresolved: [
        { target: "ghost", reason: UnresolvedReason.UNRESOLVED_REASON_UNKNOWN },
        { target: "loop1", reason: UnresolvedReason.UNRESOLVED_REASON_LOOP },
      ],
    });
    const shown = await daemon.shadowctl(["aliases", "show", "team"]);
    assert.deepEqual(shown, { code: 0, stdout: 'team: alice, \\bob, "|/usr/bin/logger -t mail", /var/mail/archive, :include:/etc/mail/team, carol@example.org, ghost, loop1\n', stderr: "" });
    const resolved = await daemon.shadowctl(["aliases", "resolve", "team"]);
    assert.equal(resolved.code, 0);
    assert.equal(
      resolved.stdout,
      "account: alice\naccount: bob\nother: |/usr/bin/logger -t mail\nother: /var/mail/archive\nother: :include:/etc/mail/team\nother: carol@example.org\n" +
        "unresolved: ghost: neither an alias nor an account\nunresolved: loop1: alias loop\n",
    );
  });

  it("Debian's stock /etc/aliases replaces the table: postmaster goes to root", async () => {
    const result = await daemon.shadowctl(["aliases", "import", DEBIAN_POSTFIX]);
    assert.deepEqual(result, { code: 0, stdout: "aliases: 1\n", stderr: "" });
    assert.deepEqual(await listAliases(daemon), [{ name: "postmaster", targets: ["root"], line: 2 }]);
    assert.deepEqual(await daemon.authp.resolveRecipient({ localPart: "postmaster" }), resolvedTo(["root"]));
    assert.deepEqual(await daemon.authp.resolveRecipient({ localPart: "team" }), { found: false, accounts: [], otherTargets: [], unresolved: [] });
    assert.deepEqual(await daemon.shadowctl(["aliases", "show"]), { code: 0, stdout: "postmaster: root\n", stderr: "" });
  });
});

describe("POP-before-SMTP through the daemon", () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startWithAccounts();
  });
  after(async () => {
    if (daemon.process.exitCode === null) await stopCleanly(daemon);
  });

  it("an OK pop3 login with an address grants that address relay for the default 600 s", async () => {
    const before = Math.floor(Date.now() / 1000);
    assert.equal(await login(daemon, "alice", "pop3", "192.0.2.10"), AuthResult.AUTH_RESULT_OK);
    const answer = await daemon.authp.checkRelay({ remoteAddress: "192.0.2.10" });
    assert.equal(answer.allowed, true);
    assert.equal(answer.username, "alice");
    assert.ok(answer.expiresAt >= before + 600 - 1 && answer.expiresAt <= Math.floor(Date.now() / 1000) + 600, `expires_at ${answer.expiresAt}`);
  });

  it("an OK imap login seen as IPv4-mapped IPv6 grants the IPv4 address", async () => {
    assert.equal(await login(daemon, "bob", "imap", "::ffff:192.0.2.14"), AuthResult.AUTH_RESULT_OK);
    assert.deepEqual({ ...(await daemon.authp.checkRelay({ remoteAddress: "192.0.2.14" })), expiresAt: 0 }, { allowed: true, username: "bob", expiresAt: 0 });
  });

  const noGrant: Array<{ name: string; user: string; service: string; address: string; password?: string; result: AuthResult }> = [
    { name: "an OK smtp login", user: "alice", service: "smtp", address: "192.0.2.11", result: AuthResult.AUTH_RESULT_OK },
    { name: "a failed pop3 login", user: "alice", service: "pop3", address: "192.0.2.12", password: "wrong", result: AuthResult.AUTH_RESULT_DENIED },
    { name: "root's pop3 login with the right password (NOT_PERMITTED)", user: "root", service: "pop3", address: "192.0.2.13", result: AuthResult.AUTH_RESULT_NOT_PERMITTED },
    { name: "a uid-999 imap login with the right password (NOT_PERMITTED)", user: "daemonish", service: "imap", address: "192.0.2.15", result: AuthResult.AUTH_RESULT_NOT_PERMITTED },
    { name: "a uid-999 imap login with a wrong password (DENIED, not NOT_PERMITTED)", user: "daemonish", service: "imap", address: "192.0.2.16", password: "wrong", result: AuthResult.AUTH_RESULT_DENIED },
  ];
  for (const c of noGrant) {
    it(`${c.name} grants nothing`, async () => {
      assert.equal(await login(daemon, c.user, c.service, c.address, c.password), c.result);
      assert.deepEqual(await daemon.authp.checkRelay({ remoteAddress: c.address }), { allowed: false, username: "", expiresAt: 0 });
    });
  }

  it("an OK imap login without an address grants nothing", async () => {
    const grants = (): number => daemon.log().split("\n").filter((line) => line.includes("relay granted")).length;
    const before = grants();
    assert.equal(await login(daemon, "alice", "imap", ""), AuthResult.AUTH_RESULT_OK);
    assert.equal(grants(), before);
  });

  it("CheckRelay refuses an empty address", async () => {
    await rejectsWith(daemon.authp.checkRelay({ remoteAddress: "" }), grpc.status.INVALID_ARGUMENT, /remote_address is empty/);
  });

  it("grants and aliases survive a restart", async () => {
    await importAliases(daemon, "postmaster: alice\n");
    const granted = await daemon.authp.checkRelay({ remoteAddress: "192.0.2.10" });
    await stopCleanly(daemon);
    daemon = await startWithAccounts([], daemon.stateDir);
    assert.deepEqual(await daemon.authp.checkRelay({ remoteAddress: "192.0.2.10" }), granted);
    assert.deepEqual(await daemon.authp.resolveRecipient({ localPart: "postmaster" }), resolvedTo(["alice"]));
  });
});

describe("POP-before-SMTP expiry and --relay-ttl 0", () => {
  it("with --relay-ttl 2 a grant ends after two seconds", async () => {
    const daemon = await startWithAccounts(["--relay-ttl", "2"]);
    try {
      assert.equal(await login(daemon, "alice", "pop3", "192.0.2.20"), AuthResult.AUTH_RESULT_OK);
      const answer = await daemon.authp.checkRelay({ remoteAddress: "192.0.2.20" });
      assert.equal(answer.allowed, true);
      assert.ok(answer.expiresAt <= Math.floor(Date.now() / 1000) + 2, `expires_at ${answer.expiresAt}`);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      assert.deepEqual(await daemon.authp.checkRelay({ remoteAddress: "192.0.2.20" }), { allowed: false, username: "", expiresAt: 0 });
    } finally {
      await stopCleanly(daemon);
    }
  });

  it("--relay-ttl 0 disables POP-before-SMTP; --min-uid 0 lets uid 999 in but never root", async () => {
    const daemon = await startWithAccounts(["--relay-ttl", "0", "--min-uid", "0"]);
    try {
      assert.equal(await login(daemon, "alice", "pop3", "192.0.2.30"), AuthResult.AUTH_RESULT_OK);
      assert.equal((await daemon.authp.checkRelay({ remoteAddress: "192.0.2.30" })).allowed, false);
      assert.equal(await login(daemon, "daemonish", "imap", "192.0.2.31"), AuthResult.AUTH_RESULT_OK);
      assert.equal(await login(daemon, "root", "imap", "192.0.2.32"), AuthResult.AUTH_RESULT_NOT_PERMITTED);
      assert.equal(await login(daemon, "root", "imap", "192.0.2.33", "wrong"), AuthResult.AUTH_RESULT_DENIED);
    } finally {
      await stopCleanly(daemon);
    }
  });
});
