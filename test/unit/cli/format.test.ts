// Tests shadowctl's pure output formatters: `passwd -S` lines (against the real shadow-utils
// 4.13 passwd when it can run), import reports, auth results, dates and uptimes.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Account, ShadowFields } from "../../../src/domain/account";
import { formatAuthResponse } from "../../../src/cli/shadowctl/auth-commands";
import { formatImportReport, formatImportReportJson, formatProblem } from "../../../src/cli/shadowctl/import-command";
import { summarizeNames } from "../../../src/cli/shadowctl/output";
import { formatPasswdStatus, passwordStatusLetter } from "../../../src/cli/shadowctl/passwd-command";
import { formatUptime } from "../../../src/cli/shadowctl/status-command";
import { AuthResult, type ImportReport } from "../../../src/gen/shadowd/v1/shadowd";

function shadow(hash: string, fields: Partial<Omit<ShadowFields, "hash">> = {}): ShadowFields {
  return { hash, lastChange: null, minDays: null, maxDays: null, warnDays: null, inactiveDays: null, expireDate: null, flag: "", ...fields };
}

function account(name: string, uid: number, entry: ShadowFields | null, passwdPassword = "x"): Account {
  return { name, passwdPassword, uid, gid: uid, gecos: "", home: `/home/${name}`, shell: "/bin/sh", shadow: entry };
}

/** Accounts with the shadow line real passwd reads and the line it printed (shadow 4.13, Debian 12). */
const STATUS_CASES: Array<{ name: string; account: Account; shadowLine: string | null; expected: string }> = [
  {
    name: "a usable hash with the usual aging prints P and the last change as YYYY-MM-DD",
    account: account("alice", 1000, shadow("$6$abc$def", { lastChange: 19000, minDays: 0, maxDays: 99999, warnDays: 7 })),
    shadowLine: "alice:$6$abc$def:19000:0:99999:7:::",
    expected: "alice P 2022-01-08 0 99999 7 -1\n",
  },
  {
    name: "a !-locked hash prints L, and last change 0 prints 1970-01-01",
    account: account("bob", 1001, shadow("!$6$x$y", { lastChange: 0 })),
    shadowLine: "bob:!$6$x$y:0::::::",
    expected: "bob L 1970-01-01 -1 -1 -1 -1\n",
  },
  {
    name: "an empty hash prints NP",
    account: account("carol", 1002, shadow("", { lastChange: 19000, minDays: 5, maxDays: 30, warnDays: 7, inactiveDays: 10, expireDate: 20000 })),
    shadowLine: "carol::19000:5:30:7:10:20000:",
    expected: "carol NP 2022-01-08 5 30 7 10\n",
  },
  {
    name: "an account without a shadow entry prints only the name and the passwd field's status",
    account: account("dan", 1003, null),
    shadowLine: null,
    expected: "dan P\n",
  },
  {
    name: "an empty last change prints never and empty numbers -1",
    account: account("eve", 1004, shadow("$6$x$y")),
    shadowLine: "eve:$6$x$y:::::::",
    expected: "eve P never -1 -1 -1 -1\n",
  },
  {
    name: "a * hash prints L",
    account: account("frank", 1005, shadow("*", { lastChange: 19000, maxDays: 10000, expireDate: 1 })),
    shadowLine: "frank:*:19000::10000:::1:",
    expected: "frank L 2022-01-08 -1 10000 -1 -1\n",
  },
  {
    name: "a passwd-field hash without a shadow entry prints its status",
    account: account("gina", 1006, null, "$1$salt$hash"),
    shadowLine: null,
    expected: "gina P\n",
  },
];

describe("formatPasswdStatus", () => {
  for (const testCase of STATUS_CASES) {
    it(testCase.name, () => {
      assert.equal(formatPasswdStatus(testCase.account), testCase.expected);
    });
  }

  it("prints what the real passwd -S prints for the same entries", (context) => {
    const canRun = process.getuid?.() === 0 && spawnSync("passwd", ["--help"]).status !== null;
    if (!canRun) {
      context.skip("needs root and shadow-utils' passwd");
      return;
    }
    const root = mkdtempSync(join(tmpdir(), "shadowctl-passwd-S-"));
    try {
      mkdirSync(join(root, "etc"));
      const accounts = STATUS_CASES.map((testCase) => testCase.account);
      const passwdLines = ["root:x:0:0:root:/root:/bin/sh", ...accounts.map((a) => `${a.name}:${a.passwdPassword}:${a.uid}:${a.gid}::${a.home}:${a.shell}`)];
      const shadowLines = ["root:*:19000:0:99999:7:::", ...STATUS_CASES.flatMap((testCase) => (testCase.shadowLine === null ? [] : [testCase.shadowLine]))];
      writeFileSync(join(root, "etc/passwd"), `${passwdLines.join("\n")}\n`);
      writeFileSync(join(root, "etc/shadow"), `${shadowLines.join("\n")}\n`, { mode: 0o600 });
      const real = spawnSync("passwd", ["-R", root, "-S", "-a"], { encoding: "utf8" });
      assert.equal(real.status, 0, real.stderr);
      const expected = ["root L 2022-01-08 0 99999 7 -1\n", ...accounts.map((a) => formatPasswdStatus(a))].join("");
      assert.equal(expected, real.stdout);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("passwordStatusLetter", () => {
  const cases: Array<[string, string]> = [
    ["", "NP"],
    ["!", "L"],
    ["!!", "L"],
    ["*LK*", "L"],
    ["!$y$j9T$abc", "L"],
    ["x", "P"],
    ["$argon2id$v=19$m=65536,t=3,p=4$abc$def", "P"],
  ];
  for (const [hash, letter] of cases) {
    it(`'${hash}' is ${letter}`, () => assert.equal(passwordStatusLetter(hash), letter));
  }
});

describe("summarizeNames", () => {
  it("lists all names when they fit", () => assert.equal(summarizeNames(["a", "b"], 3), "a, b"));
  it("says how many more there are", () => assert.equal(summarizeNames(["a", "b", "c", "d"], 2), "a, b … and 2 more"));
  it("counts names the server did not send", () => assert.equal(summarizeNames(["a"], 10, 5), "a … and 4 more"));
});

function report(overrides: Partial<ImportReport> = {}): ImportReport {
  return {
    created: 0,
    updated: 0,
    unchanged: 0,
    skipped: 0,
    deleted: 0,
    problems: [],
    committed: false,
    createdNames: [],
    updatedNames: [],
    deletedNames: [],
    skippedNames: [],
    problemCount: overrides.problems?.length ?? 0,
    ...overrides,
  };
}

describe("import reports", () => {
  it("formats a problem as FILE:LINE: NAME: REASON", () => {
    assert.equal(formatProblem({ file: "/tmp/shadow", line: 3, name: "bob", reason: "negative number" }), "/tmp/shadow:3: bob: negative number");
  });
  it("leaves the name out when none could be read", () => {
    assert.equal(formatProblem({ file: "passwd", line: 9, name: "", reason: "invalid line" }), "passwd:9: invalid line");
  });
  it("prints the counts with the first names, and says it committed", () => {
    const text = formatImportReport(report({ created: 2, createdNames: ["alice", "bob"], unchanged: 1, committed: true }), { dryRun: false });
    assert.equal(
      text,
      [
        "created:   2 (alice, bob)",
        "updated:   0",
        "unchanged: 1",
        "skipped:   0",
        "deleted:   0",
        "problems:  0",
        "import: committed",
        "",
      ].join("\n"),
    );
  });
  it("prints the first 50 problems, then how many more", () => {
    const problems = Array.from({ length: 53 }, (_, index) => ({ file: "shadow", line: index + 1, name: `u${index}`, reason: "bad" }));
    const lines = formatImportReport(report({ problems }), { dryRun: false }).trimEnd().split("\n");
    assert.equal(lines.filter((line) => line.startsWith("shadow:")).length, 50);
    assert.equal(lines.at(-1), "… and 3 more");
  });
  it("counts the problems the server counted but did not list", () => {
    const problems = Array.from({ length: 60 }, (_, index) => ({ file: "passwd", line: index + 1, name: "", reason: "bad" }));
    const lines = formatImportReport(report({ problems, problemCount: 2500 }), { dryRun: false }).trimEnd().split("\n");
    assert.equal(lines.find((line) => line.startsWith("problems:")), "problems:  2500");
    assert.equal(lines.filter((line) => line.startsWith("passwd:")).length, 50);
    assert.equal(lines.at(-1), "… and 2450 more");
  });
  it("says a dry run wrote nothing", () => {
    assert.match(formatImportReport(report({ created: 1 }), { dryRun: true }), /dry run: nothing was written\n$/);
  });
  it("prints every field as JSON, zeros included", () => {
    const parsed: unknown = JSON.parse(formatImportReportJson(report({ problems: [{ file: "p", line: 1, name: "x", reason: "r" }] }), { dryRun: true }));
    assert.deepEqual(parsed, {
      committed: false,
      dryRun: true,
      created: 0,
      updated: 0,
      unchanged: 0,
      skipped: 0,
      deleted: 0,
      createdNames: [],
      updatedNames: [],
      skippedNames: [],
      deletedNames: [],
      problemCount: 1,
      problems: [{ file: "p", line: 1, name: "x", reason: "r" }],
    });
  });
});

describe("auth results", () => {
  it("prints OK with the account and the warning", () => {
    const text = formatAuthResponse("auth-test", "alice", {
      result: AuthResult.AUTH_RESULT_OK,
      daysLeft: 5,
      message: "Warning: your password will expire in 5 days.",
      account: { name: "alice", uid: 1000, gid: 100, home: "/home/alice" },
    });
    assert.equal(
      text,
      "auth-test: user 'alice': OK\n  uid=1000\n  gid=100\n  home=/home/alice\n  days_left=5\n  message=Warning: your password will expire in 5 days.\n",
    );
  });
  it("prints a denial on one line", () => {
    assert.equal(formatAuthResponse("auth-test", "bob", { result: AuthResult.AUTH_RESULT_DENIED, message: "" }), "auth-test: user 'bob': DENIED\n");
  });
  it("prints the account phase's message", () => {
    assert.equal(
      formatAuthResponse("check-account", "eve", { result: AuthResult.AUTH_RESULT_ACCOUNT_EXPIRED, message: "Your account has expired; please contact your system administrator." }),
      "check-account: user 'eve': ACCOUNT_EXPIRED\n  message=Your account has expired; please contact your system administrator.\n",
    );
  });
});

describe("formatUptime", () => {
  const cases: Array<[number, string]> = [
    [0, "0s"],
    [59, "59s"],
    [60, "1m 0s"],
    [3723, "1h 2m 3s"],
    [90061, "1d 1h 1m 1s"],
    [86400, "1d 0h 0m 0s"],
  ];
  for (const [seconds, text] of cases) {
    it(`${seconds} s is ${text}`, () => assert.equal(formatUptime(seconds), text));
  }
});
