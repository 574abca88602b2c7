// Runs the real bin/shadowctl against a real shadowd (test/helpers/daemon.ts): account
// lifecycle, auth-test outcomes, chage, getent, import, usage errors and a missing daemon.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatIsoDay } from "../../src/domain/days";
import { type CommandResult, REPO_ROOT, runCommand, startTestDaemon, type TestDaemon } from "../helpers/daemon";

const SHADOWCTL = join(REPO_ROOT, "bin/shadowctl");

/** sha512crypt of "imported pw" (openssl passwd -6 -salt saltsalt). */
const IMPORTED_HASH = "$6$saltsalt$cdryZ371fxhy86pnOePLXG6kx1R.80Emve6u6GRAx8fiR3Jb0ZQMO5oojg9kh.z2JO1L725Sb1zTtkz7cm9h81";

function today(): number {
  return Math.floor(Date.now() / 86_400_000);
}

function assertResult(result: CommandResult, expected: { code: number; stdout?: RegExp | string; stderr?: RegExp | string }): void {
  const context = `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
  assert.equal(result.code, expected.code, context);
  for (const stream of ["stdout", "stderr"] as const) {
    const want = expected[stream];
    if (want === undefined) continue;
    if (typeof want === "string") assert.equal(result[stream], want, context);
    else assert.match(result[stream], want, context);
  }
}

describe("shadowctl against a real shadowd", () => {
  let daemon!: TestDaemon;
  const files = mkdtempSync(join(tmpdir(), "shadowctl-it-"));

  before(async () => {
    daemon = await startTestDaemon();
  });
  after(async () => {
    await daemon?.stop();
    rmSync(files, { recursive: true, force: true });
    if (daemon !== undefined) rmSync(daemon.stateDir, { recursive: true, force: true });
  });

  /** useradd NAME, then passwd --stdin NAME with `password`. */
  async function createUser(name: string, password: string): Promise<void> {
    assertResult(await daemon.shadowctl(["useradd", "-c", `Test ${name}`, name]), { code: 0, stderr: "" });
    assertResult(await daemon.shadowctl(["passwd", "--stdin", name], { stdin: `${password}\n` }), {
      code: 0,
      stdout: "passwd: password updated successfully\n",
    });
  }

  it("useradd, passwd --stdin, then auth-test says OK", async () => {
    await createUser("alice", "correct horse");
    assertResult(await daemon.shadowctl(["auth-test", "alice"], { stdin: "correct horse\n" }), {
      code: 0,
      stdout: /^auth-test: user 'alice': OK\n {2}uid=\d+\n {2}gid=\d+\n {2}home=\/home\/alice\n$/,
    });
  });

  it("auth-test with a wrong password says DENIED and exits 1", async () => {
    assertResult(await daemon.shadowctl(["auth-test", "alice", "wrong horse"]), { code: 1, stdout: "auth-test: user 'alice': DENIED\n" });
  });

  it("useradd --stdin sets the password at creation", async () => {
    assertResult(await daemon.shadowctl(["useradd", "--stdin", "gina"], { stdin: "gina's pw\n" }), { code: 0 });
    assertResult(await daemon.shadowctl(["auth-test", "gina", "gina's pw"]), { code: 0, stdout: /: OK\n/ });
  });

  it("usermod -L locks (LOCKED) and usermod -U unlocks (OK)", async () => {
    await createUser("bob", "bob pw");
    assertResult(await daemon.shadowctl(["usermod", "-L", "bob"]), { code: 0 });
    assertResult(await daemon.shadowctl(["auth-test", "bob", "bob pw"]), { code: 1, stdout: "auth-test: user 'bob': LOCKED\n" });
    assertResult(await daemon.shadowctl(["passwd", "-S", "bob"]), { code: 0, stdout: /^bob L \d{4}-\d{2}-\d{2} / });
    assertResult(await daemon.shadowctl(["usermod", "-U", "bob"]), { code: 0 });
    assertResult(await daemon.shadowctl(["auth-test", "bob", "bob pw"]), { code: 0, stdout: /^auth-test: user 'bob': OK\n/ });
  });

  it("chage -d 0 requires a password change, and chage -l says so", async () => {
    await createUser("carol", "carol pw");
    assertResult(await daemon.shadowctl(["chage", "-d", "0", "carol"]), { code: 0, stdout: "", stderr: "" });
    assertResult(await daemon.shadowctl(["auth-test", "carol", "carol pw"]), { code: 1, stdout: /^auth-test: user 'carol': PASSWORD_CHANGE_REQUIRED\n/ });
    assertResult(await daemon.shadowctl(["chage", "-l", "carol"]), {
      code: 0,
      stdout: /^Last password change\t\t\t\t\t: password must be changed\nPassword expires\t\t\t\t\t: /,
    });
  });

  it("chage -E yesterday expires the account", async () => {
    await createUser("dave", "dave pw");
    assertResult(await daemon.shadowctl(["chage", "-E", formatIsoDay(today() - 1), "dave"]), { code: 0 });
    assertResult(await daemon.shadowctl(["auth-test", "dave", "dave pw"]), { code: 1, stdout: /^auth-test: user 'dave': ACCOUNT_EXPIRED\n/ });
    assertResult(await daemon.shadowctl(["check-account", "dave"]), { code: 1, stdout: /^check-account: user 'dave': ACCOUNT_EXPIRED\n/ });
    assertResult(await daemon.shadowctl(["chage", "-E", "-1", "dave"]), { code: 0 });
    assertResult(await daemon.shadowctl(["auth-test", "dave", "dave pw"]), { code: 0 });
  });

  it("chage -l of an unknown user answers as chage does", async () => {
    assertResult(await daemon.shadowctl(["chage", "-l", "nobody-here"]), {
      code: 1,
      stdout: "",
      stderr: "chage: user 'nobody-here' does not exist in /etc/passwd\n",
    });
  });

  it("getent prints passwd and shadow lines, and exits 2 for an unknown key", async () => {
    await createUser("erin", "erin pw");
    const passwd = await daemon.shadowctl(["getent", "passwd", "erin"]);
    assertResult(passwd, { code: 0, stdout: /^erin:x:(\d+):(\d+):Test erin:\/home\/erin:\/bin\/sh\n$/ });
    const uid = /^erin:x:(\d+):/.exec(passwd.stdout)?.[1] ?? assert.fail("no uid");
    assertResult(await daemon.shadowctl(["getent", "passwd", uid]), { code: 0, stdout: passwd.stdout });
    assertResult(await daemon.shadowctl(["getent", "shadow", "erin"]), {
      code: 0,
      stdout: new RegExp(`^erin:\\$argon2id\\$v=19\\$m=\\d+,t=\\d+,p=\\d+\\$[^:]+:${today()}:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*\\n$`),
    });
    assertResult(await daemon.shadowctl(["getent", "passwd", "erin", "nobody-here"]), { code: 2, stdout: passwd.stdout });
    const all = await daemon.shadowctl(["getent", "passwd"]);
    assertResult(all, { code: 0 });
    assert.ok(all.stdout.split("\n").includes(passwd.stdout.trimEnd()), all.stdout);
  });

  it("never prints a password or hash outside getent shadow", async () => {
    const outputs = [
      await daemon.shadowctl(["passwd", "--stdin", "erin"], { stdin: "Very-Secret-1\n" }),
      await daemon.shadowctl(["auth-test", "erin"], { stdin: "Very-Secret-1\n" }),
      await daemon.shadowctl(["passwd", "-S", "erin"]),
      await daemon.shadowctl(["chage", "-l", "erin"]),
      await daemon.shadowctl(["getent", "passwd", "erin"]),
    ];
    for (const output of outputs) assert.doesNotMatch(output.stdout + output.stderr, /Very-Secret-1|\$argon2id\$/);
  });

  it("userdel removes the account", async () => {
    await createUser("frank", "frank pw");
    assertResult(await daemon.shadowctl(["userdel", "frank"]), { code: 0, stdout: "", stderr: "" });
    assertResult(await daemon.shadowctl(["getent", "passwd", "frank"]), { code: 2, stdout: "" });
    assertResult(await daemon.shadowctl(["auth-test", "frank", "frank pw"]), { code: 1, stdout: "auth-test: user 'frank': DENIED\n" });
    assertResult(await daemon.shadowctl(["userdel", "frank"]), { code: 1, stderr: "shadowctl: user 'frank' does not exist\n" });
  });

  it("import with one bad shadow line fails whole without --skip-invalid, and commits the rest with it", async () => {
    const passwdFile = join(files, "passwd");
    const shadowFile = join(files, "shadow");
    writeFileSync(passwdFile, "imp1:x:5001:5001:Imported:/home/imp1:/bin/sh\nimpbad:x:5002:5002::/home/impbad:/bin/sh\n");
    writeFileSync(shadowFile, `imp1:${IMPORTED_HASH}:19000:0:99999:7:::\nimpbad:${IMPORTED_HASH}:-5:0:99999:7:::\n`);

    const aborted = await daemon.shadowctl(["import", "--passwd", passwdFile, "--shadow", shadowFile]);
    assertResult(aborted, { code: 1, stderr: /^shadowctl: import aborted, nothing was written: 1 problem/ });
    assert.ok(aborted.stdout.split("\n").some((line) => line.startsWith(`${shadowFile}:2: impbad: `)), aborted.stdout);
    assertResult(await daemon.shadowctl(["getent", "passwd", "imp1"]), { code: 2, stdout: "" });

    const dryRun = await daemon.shadowctl(["import", "--passwd", passwdFile, "--shadow", shadowFile, "--skip-invalid", "--dry-run", "--json"]);
    assertResult(dryRun, { code: 0 });
    const report = JSON.parse(dryRun.stdout) as { committed: boolean; problems: Array<{ file: string; line: number; name: string }> };
    assert.equal(report.committed, false);
    assert.deepEqual(report.problems.map((p) => [p.file, p.line, p.name]), [[shadowFile, 2, "impbad"]]);
    assertResult(await daemon.shadowctl(["getent", "passwd", "imp1"]), { code: 2 });

    const skipped = await daemon.shadowctl(["import", "--passwd", passwdFile, "--shadow", shadowFile, "--skip-invalid"]);
    assertResult(skipped, { code: 0, stdout: /\nimport: committed\n$/ });
    assertResult(await daemon.shadowctl(["getent", "passwd", "imp1"]), { code: 0, stdout: "imp1:x:5001:5001:Imported:/home/imp1:/bin/sh\n" });
    assertResult(await daemon.shadowctl(["auth-test", "imp1", "imported pw"]), { code: 0, stdout: /^auth-test: user 'imp1': OK\n/ });
  });

  it("imports nothing when a file fails midway, even in replace mode", async () => {
    const passwdFile = join(files, "passwd-only");
    writeFileSync(passwdFile, "imp9:x:5009:5009::/home/imp9:/bin/sh\n");
    // Reading /proc/self/mem at offset 0 fails with EIO after the open succeeded.
    const result = await daemon.shadowctl(["import", "--mode", "replace", "--skip-invalid", "--passwd", passwdFile, "--shadow", "/proc/self/mem"]);
    assertResult(result, { code: 1, stdout: "", stderr: /^shadowctl: import: cannot read \/proc\/self\/mem: EIO: .*; nothing was imported\n$/ });
    assertResult(await daemon.shadowctl(["getent", "passwd", "imp9"]), { code: 2 });
    assertResult(await daemon.shadowctl(["getent", "passwd", "alice"]), { code: 0 });
  });

  it("refuses Admin commands through the auth socket with a hint", async () => {
    const result = await runCommand(SHADOWCTL, ["--socket", daemon.authSocket, "userdel", "alice"]);
    assertResult(result, { code: 1, stdout: "", stderr: /^shadowctl: cannot delete user 'alice': .*\(is .*shadowd\.sock shadowd's admin socket\?\)\n$/ });
    assertResult(await daemon.shadowctl(["getent", "passwd", "alice"]), { code: 0 });
  });

  it("status reports a serving daemon", async () => {
    assertResult(await daemon.shadowctl(["status"]), { code: 0, stdout: new RegExp(`^shadowd \\S+\\nadmin socket: ${daemon.adminSocket.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\nhealth: +SERVING\\n`) });
  });
});

describe("shadowctl without a daemon", () => {
  it("--help exits 0 and a bad flag or command exits 2 with usage on stderr", async () => {
    assertResult(await runCommand(SHADOWCTL, ["--help"]), { code: 0, stdout: /^Usage: shadowctl /, stderr: "" });
    assertResult(await runCommand(SHADOWCTL, ["chage", "--help"]), { code: 0, stdout: /^Usage: shadowctl chage /, stderr: "" });
    assertResult(await runCommand(SHADOWCTL, ["usermod", "--bogus", "alice"]), {
      code: 2,
      stdout: "",
      stderr: /^shadowctl usermod: Unknown option '--bogus'\nUsage: shadowctl usermod /,
    });
    assertResult(await runCommand(SHADOWCTL, ["no-such-command"]), { code: 2, stdout: "", stderr: /^shadowctl: unknown command 'no-such-command'\n/ });
  });

  it("says clearly when the daemon is not running, and exits 1", async () => {
    const emptyState = mkdtempSync(join(tmpdir(), "shadowctl-nodaemon-"));
    try {
      const result = await runCommand(SHADOWCTL, ["--state-dir", emptyState, "useradd", "zoe"]);
      assertResult(result, {
        code: 1,
        stdout: "",
        stderr: `shadowctl: cannot reach shadowd at ${join(emptyState, "shadowd-admin.sock")}: is the daemon running?\n`,
      });
    } finally {
      rmSync(emptyState, { recursive: true, force: true });
    }
  });
});
