// Integration: `shadowctl export` against a real daemon: imported lines come back byte for
// byte in their files' order (odd but valid lines included), later accounts follow in
// creation order, changed accounts keep their place, files are replaced atomically with
// modes 0644/0640 and their owner kept; this machine's own /etc/passwd and /etc/shadow plus
// users with every hash format round-trip, and the REAL pam_unix logs them in from the
// exported files; --hash-scheme yescrypt keeps new passwords readable by pam_unix.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startTestDaemon, type TestDaemon } from "../helpers/daemon";
import { isRealPamAvailable, runRealPam, type PamCase } from "../helpers/real-pam";
import { cryptPassphrase, generateCryptSetting } from "../../src/crypto/legacy-crypt";

const CHEAP_ARGON2 = ["--argon2-memory", "256", "--argon2-time", "1", "--penalty-max-ms", "0"];
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "shd-export-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

let counter = 0;
function scratchPath(name: string): string {
  counter++;
  return path.join(scratch, `${counter}-${name}`);
}

async function importTexts(daemon: TestDaemon, passwd: string, shadow: string, flags: string[] = []): Promise<{ problemCount: number; problems: Array<{ line: number; file: string }> }> {
  const passwdFile = scratchPath("passwd");
  const shadowFile = scratchPath("shadow");
  fs.writeFileSync(passwdFile, passwd);
  fs.writeFileSync(shadowFile, shadow);
  const result = await daemon.shadowctl(["import", "--passwd", passwdFile, "--shadow", shadowFile, "--json", ...flags]);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const report = JSON.parse(result.stdout) as { problemCount: number; problems: Array<{ line: number; file: string }> };
  return { ...report, problems: report.problems.map((p) => ({ line: p.line, file: p.file === passwdFile ? "passwd" : "shadow" })) };
}

async function exportTexts(daemon: TestDaemon): Promise<{ passwd: string; shadow: string }> {
  const passwd = scratchPath("exported-passwd");
  const shadow = scratchPath("exported-shadow");
  const result = await daemon.shadowctl(["export", "--passwd", passwd, "--shadow", shadow]);
  assert.equal(result.code, 0, result.stderr);
  return { passwd: fs.readFileSync(passwd, "utf8"), shadow: fs.readFileSync(shadow, "utf8") };
}

/** `text` without the (1-based) lines listed. */
function withoutLines(text: string, dropped: ReadonlySet<number>): string {
  return text
    .split("\n")
    .slice(0, -1)
    .filter((_, index) => !dropped.has(index + 1))
    .map((line) => `${line}\n`)
    .join("");
}

const HASH = "$6$gtSaltExport$39vtOXI9lLtEbRf7KLss1vsc.143t/KSHg.mWGfEwItyzjkURbCRiSvXIXuJ9cmMcHTEfeO/h7W568iQosBec0"; // "export-pw"

describe("export after import", () => {
  // Valid lines written the way no tool would write them come back as they were; comments,
  // blank lines and refused lines do not come back.
  const passwd = [
    "# accounts of the old server",
    "root:x:0:0:root:/root:/bin/bash",
    "  spaced:x:2001:2001:Leading Spaces:/home/spaced:/bin/sh",
    "plus:x:+2002:2002::/home/plus:/bin/sh",
    "short:x:2003:2003",
    "colon:x:2004:2004::/home/colon:/bin/sh:with:colons",
    "crlf:x:2005:2005::/home/crlf:/bin/sh\r",
    "",
    "broken:x:abc:1::/:/bin/sh",
    "noshadow:x:2006:2006::/home/noshadow:/bin/sh",
    `hashed:${HASH}:2007:2007::/home/hashed:/bin/sh`,
    "",
  ].join("\n");
  const shadow = [
    `crlf:${HASH}:19000:0:99999:7:::`,
    `plus:${HASH}:19000:0:99999:7:::`,
    "# locked system account",
    "root:*:19000:0:99999:7:::",
    `short:${HASH}:19000:0:99999`,
    `colon:${HASH}:+19000:0:99999:7::4294967295:`,
    `spaced:!${HASH}:19000::::::`,
    `hashed:!:19000:0:99999:7:1:20000`,
    "",
  ].join("\n");
  const passwdExpected = withoutLines(passwd, new Set([1, 8, 9]));
  const shadowExpected = withoutLines(shadow, new Set([3]));

  it("gives every imported line back byte for byte, in each file's order", async () => {
    const daemon = await startTestDaemon({ extraArgs: CHEAP_ARGON2 });
    try {
      const report = await importTexts(daemon, passwd, shadow, ["--skip-invalid", "--include-system"]);
      assert.deepEqual(report.problems, [{ line: 9, file: "passwd" }]);
      const exported = await exportTexts(daemon);
      assert.equal(exported.passwd, passwdExpected);
      assert.equal(exported.shadow, shadowExpected);
    } finally {
      await daemon.stop();
    }
  });

  it("re-importing the exported files changes nothing", async () => {
    const daemon = await startTestDaemon({ extraArgs: CHEAP_ARGON2 });
    try {
      await importTexts(daemon, passwd, shadow, ["--skip-invalid", "--include-system"]);
      const exported = await exportTexts(daemon);
      const passwdFile = scratchPath("again-passwd");
      const shadowFile = scratchPath("again-shadow");
      fs.writeFileSync(passwdFile, exported.passwd);
      fs.writeFileSync(shadowFile, exported.shadow);
      const again = await daemon.shadowctl(["import", "--passwd", passwdFile, "--shadow", shadowFile, "--include-system", "--json"]);
      const report = JSON.parse(again.stdout) as { created: number; updated: number; unchanged: number; problemCount: number };
      assert.deepEqual([report.created, report.updated, report.unchanged, report.problemCount], [0, 0, 8, 0]);
      assert.deepEqual(await exportTexts(daemon), exported);
    } finally {
      await daemon.stop();
    }
  });

  it("puts later accounts after the imported ones in creation order; a changed account keeps its place, formatted", async () => {
    const daemon = await startTestDaemon({ extraArgs: CHEAP_ARGON2 });
    try {
      await importTexts(daemon, passwd, shadow, ["--skip-invalid", "--include-system"]);
      for (const name of ["zlater", "alater"]) assert.equal((await daemon.shadowctl(["useradd", "-u", name === "zlater" ? "3001" : "3002", name])).code, 0);
      assert.equal((await daemon.shadowctl(["usermod", "-c", "Plus Changed", "plus"])).code, 0);
      assert.equal((await daemon.shadowctl(["chage", "-M", "30", "spaced"])).code, 0);
      const exported = await exportTexts(daemon);
      const passwdLines = passwdExpected.split("\n").slice(0, -1);
      passwdLines[2] = "plus:x:2002:2002:Plus Changed:/home/plus:/bin/sh";
      passwdLines.push("zlater:x:3001:3001::/home/zlater:/bin/sh", "alater:x:3002:3002::/home/alater:/bin/sh");
      assert.equal(exported.passwd, passwdLines.map((line) => `${line}\n`).join(""));
      const shadowLines = shadowExpected.split("\n").slice(0, -1);
      shadowLines[5] = `spaced:!${HASH}:19000::30::::`;
      assert.deepEqual(exported.shadow.split("\n").slice(0, 7), shadowLines);
      assert.match(exported.shadow.split("\n")[7] ?? "", /^zlater:!:\d+:0:99999:7:::$/);
      assert.match(exported.shadow.split("\n")[8] ?? "", /^alater:!:\d+:0:99999:7:::$/);
    } finally {
      await daemon.stop();
    }
  });
});

describe("export files", () => {
  it("are 0644 and 0640, keep a replaced file's owner and group, leave no temporary file, and are not replaced without --force", async () => {
    const daemon = await startTestDaemon({ extraArgs: CHEAP_ARGON2 });
    const dir = fs.mkdtempSync(path.join(scratch, "out-"));
    try {
      await importTexts(daemon, "filer:x:2100:2100::/home/filer:/bin/sh\n", `filer:${HASH}:19000:0:99999:7:::\n`);
      const passwdFile = path.join(dir, "passwd");
      const shadowFile = path.join(dir, "shadow");
      const first = await daemon.shadowctl(["export", "--passwd", passwdFile, "--shadow", shadowFile]);
      assert.deepEqual([first.code, first.stdout], [0, `export: 1 passwd lines to ${passwdFile}, 1 shadow lines to ${shadowFile}\n`]);
      assert.equal(fs.statSync(passwdFile).mode & 0o7777, 0o644);
      assert.equal(fs.statSync(shadowFile).mode & 0o7777, 0o640);
      fs.writeFileSync(shadowFile, "precious\n");
      fs.chownSync(shadowFile, 0, 42);
      const refused = await daemon.shadowctl(["export", "--passwd", passwdFile, "--shadow", shadowFile]);
      assert.equal(refused.code, 1);
      assert.equal(fs.readFileSync(shadowFile, "utf8"), "precious\n");
      const forced = await daemon.shadowctl(["export", "--force", "--passwd", passwdFile, "--shadow", shadowFile]);
      assert.equal(forced.code, 0, forced.stderr);
      const stat = fs.statSync(shadowFile);
      assert.deepEqual([stat.uid, stat.gid, stat.mode & 0o7777], [0, 42, 0o640]);
      assert.equal(fs.readFileSync(shadowFile, "utf8"), `filer:${HASH}:19000:0:99999:7:::\n`);
      assert.deepEqual(fs.readdirSync(dir).sort(), ["passwd", "shadow"]);
    } finally {
      await daemon.stop();
    }
  });
});

/** A user of every hash format SEMANTICS.md lists, with its password (null: none logs in). */
interface HashUser {
  name: string;
  hash: string;
  password: string;
  /** pam_unix logs in with `password` (crypt(3) formats, not locked). */
  pamOk: boolean;
}

async function hashUsers(): Promise<HashUser[]> {
  const crypt = async (name: string, password: string, setting: string | null): Promise<HashUser> => {
    assert.ok(setting !== null, `libxcrypt makes no setting for ${name}`);
    const hash = await cryptPassphrase(Buffer.from(password), setting);
    assert.ok(hash !== null, `libxcrypt refused ${setting}`);
    return { name, hash, password, pamOk: true };
  };
  const users = [
    await crypt("gen_y", "pw-y-secret", generateCryptSetting("$y$")),
    await crypt("gen_gy", "pw-gy-secret", generateCryptSetting("$gy$")),
    await crypt("gen_7", "pw-7-secret", generateCryptSetting("$7$")),
    await crypt("gen_2b", "pw-2b-secret", generateCryptSetting("$2b$", { count: 5 })),
    await crypt("gen_2a", "pw-2a-secret", generateCryptSetting("$2a$", { count: 5 })),
    await crypt("gen_2y", "pw-2y-secret", generateCryptSetting("$2y$", { count: 5 })),
    await crypt("gen_6", "pw-6-secret", generateCryptSetting("$6$")),
    await crypt("gen_6r", "pw-6r-secret", generateCryptSetting("$6$", { count: 7000 })),
    await crypt("gen_5", "pw-5-secret", generateCryptSetting("$5$")),
    await crypt("gen_1", "pw-1-secret", generateCryptSetting("$1$")),
    await crypt("gen_des", "desPW", "gt"),
    await crypt("gen_big", "bigcrypt-secret", `gt${"A".repeat(22)}`),
  ];
  const locked = await crypt("gen_locked", "pw-locked", generateCryptSetting("$6$"));
  return [
    ...users,
    { ...locked, hash: `!${locked.hash}`, pamOk: false },
    { name: "gen_empty", hash: "", password: "anything", pamOk: false },
    { name: "gen_bang", hash: "!", password: "anything", pamOk: false },
    { name: "gen_star", hash: "*", password: "anything", pamOk: false },
  ];
}

describe("this machine's accounts plus every hash format", () => {
  it("round-trip byte for byte, and the real pam_unix logs the crypt(3) users in from the exported files", async (t) => {
    // Copies: the machine's files are only read.
    const systemPasswd = fs.readFileSync("/etc/passwd", "utf8");
    const systemShadow = fs.readFileSync("/etc/shadow", "utf8");
    const users = await hashUsers();
    const passwd = systemPasswd + users.map((u, i) => `${u.name}:x:${20000 + i}:${20000 + i}:Generated ${u.name}:/home/${u.name}:/bin/sh\n`).join("");
    const shadow = systemShadow + users.map((u) => `${u.name}:${u.hash}:19000:0:99999:7:::\n`).join("");
    const daemon = await startTestDaemon({ extraArgs: CHEAP_ARGON2 });
    try {
      const report = await importTexts(daemon, passwd, shadow, ["--include-system", "--skip-invalid"]);
      const dropped = (file: string): Set<number> => new Set(report.problems.filter((p) => p.file === file).map((p) => p.line));
      assert.equal(report.problemCount, report.problems.length);
      const exported = await exportTexts(daemon);
      assert.equal(exported.passwd, withoutLines(passwd, dropped("passwd")));
      assert.equal(exported.shadow, withoutLines(shadow, dropped("shadow")));

      const availability = isRealPamAvailable();
      if (!availability.ok) {
        t.skip(`real pam_unix unavailable: ${availability.reason}`);
        return;
      }
      const lineOf = (text: string, name: string): string => text.split("\n").find((line) => line.startsWith(`${name}:`)) ?? assert.fail(`${name} not exported`);
      const cases: PamCase[] = users.flatMap((u) => {
        const lines = { passwdLine: lineOf(exported.passwd, u.name), shadowLine: lineOf(exported.shadow, u.name), service: "unix" as const };
        return [
          { user: u.name, password: u.password, label: `${u.name} right password`, ...lines },
          { user: `${u.name}_w`, password: `${u.password}-wrong`, label: `${u.name} wrong password`, passwdLine: lines.passwdLine.replace(`${u.name}:`, `${u.name}_w:`), shadowLine: lines.shadowLine.replace(`${u.name}:`, `${u.name}_w:`), service: "unix" as const },
        ];
      });
      const outcomes = await runRealPam(cases);
      const actual = cases.map((c, i) => `${c.label ?? c.user}: ${outcomes[i]?.authCode}`);
      const expected = cases.map((c, i) => `${c.label ?? c.user}: ${i % 2 === 0 && users[i / 2]?.pamOk === true ? "PAM_SUCCESS" : "PAM_AUTH_ERR"}`);
      assert.deepEqual(actual, expected);
    } finally {
      await daemon.stop();
    }
  });
});

describe("--hash-scheme and pam_unix", () => {
  const schemes: Array<{ scheme: string; prefix: RegExp; pam: string }> = [
    { scheme: "yescrypt", prefix: /^\$y\$j9T\$/, pam: "PAM_SUCCESS" },
    { scheme: "sha512crypt", prefix: /^\$6\$[^r]/, pam: "PAM_SUCCESS" },
    { scheme: "argon2id", prefix: /^\$argon2id\$v=19\$m=256,t=1,p=1\$/, pam: "PAM_AUTH_ERR" },
  ];
  for (const c of schemes) {
    it(`${c.scheme}: a new password exported is ${c.pam === "PAM_SUCCESS" ? "" : "not "}accepted by the real pam_unix`, async (t) => {
      const daemon = await startTestDaemon({ extraArgs: [...CHEAP_ARGON2, "--hash-scheme", c.scheme] });
      try {
        await daemon.adminp.addUser({ name: "schemer", gecos: "", home: "", shell: "", password: Buffer.from("scheme pw 1") });
        const exported = await exportTexts(daemon);
        const shadowLine = exported.shadow.split("\n").find((line) => line.startsWith("schemer:")) ?? assert.fail("no shadow line");
        assert.match(shadowLine.split(":")[1] ?? "", c.prefix);
        const availability = isRealPamAvailable();
        if (!availability.ok) {
          t.skip(`real pam_unix unavailable: ${availability.reason}`);
          return;
        }
        const passwdLine = exported.passwd.split("\n").find((line) => line.startsWith("schemer:")) ?? assert.fail("no passwd line");
        const [outcome] = await runRealPam([{ user: "schemer", password: "scheme pw 1", passwdLine, shadowLine, service: "unix" }]);
        assert.equal(outcome?.authCode, c.pam);
      } finally {
        await daemon.stop();
      }
    });
  }
});
