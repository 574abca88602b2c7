// Tests domain/chage-format.ts: the reference §2.2 samples byte for byte, ISO dates, years
// past 9999, and a differential run against the real shadow-utils `chage -R <root> -l` over
// generated shadow lines with boundary values (needs root and chage; skipped loudly otherwise).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import type { ShadowFields } from "../../../src/domain/account";
import { describeAging } from "../../../src/domain/aging";
import { formatAgingDescription, formatChageDate, formatChageList } from "../../../src/domain/chage-format";
import { parseShadowLine } from "../../../src/domain/shadow-format";

function listing(lastChange: string, expires: string, inactive: string, account: string, min: string, max: string, warn: string): string {
  return (
    `Last password change\t\t\t\t\t: ${lastChange}\n` +
    `Password expires\t\t\t\t\t: ${expires}\n` +
    `Password inactive\t\t\t\t\t: ${inactive}\n` +
    `Account expires\t\t\t\t\t\t: ${account}\n` +
    `Minimum number of days between password change\t\t: ${min}\n` +
    `Maximum number of days between password change\t\t: ${max}\n` +
    `Number of days of warning before password expires\t: ${warn}\n`
  );
}

function shadowOf(numbers: string): ShadowFields {
  const parsed = parseShadowLine(`u:h:${numbers}`);
  if (!parsed.ok) throw new Error(`test setup: ${numbers}: ${parsed.reason}`);
  return parsed.entry.fields;
}

describe("formatChageList on the reference §2.2 samples (observed with chage 4.13)", () => {
  const cases: Array<[string, ShadowFields | null, string]> = [
    ["a normal entry: max 99999 never expires", shadowOf("19000:0:99999:7:::"), listing("Jan 08, 2022", "never", "never", "never", "0", "99999", "7")],
    [
      "a forced change prints 'password must be changed' three times",
      shadowOf("0:0:99999:7:::"),
      listing("password must be changed", "password must be changed", "password must be changed", "never", "0", "99999", "7"),
    ],
    ["all fields empty print never and -1", shadowOf("::::::"), listing("never", "never", "never", "never", "-1", "-1", "-1")],
    ["every date set", shadowOf("19000:5:30:7:10:20000:"), listing("Jan 08, 2022", "Feb 07, 2022", "Feb 17, 2022", "Oct 04, 2024", "5", "30", "7")],
    ["max 9999 has a date and expire 0 is Jan 01, 1970", shadowOf("19000:0:9999:7:10:0:"), listing("Jan 08, 2022", "May 25, 2049", "Jun 04, 2049", "Jan 01, 1970", "0", "9999", "7")],
    ["max 10000 never expires (the 4.13 rule)", shadowOf("19000::10000:::1:"), listing("Jan 08, 2022", "never", "never", "Jan 02, 1970", "-1", "10000", "-1")],
    [
      "4294967295 everywhere is -1 everywhere",
      shadowOf("4294967295:0:4294967295:4294967295:4294967295:4294967295:"),
      listing("never", "never", "never", "never", "0", "-1", "-1"),
    ],
    ["no shadow entry prints never and -1", null, listing("never", "never", "never", "never", "-1", "-1", "-1")],
    [
      "the largest 32-bit days reach year 11761218",
      shadowOf("2147483647:5:9999:7:2147483647:2147483647:"),
      listing("Jul 11, 5881580", "Nov 26, 5881607", "Jun 05, 11761218", "Jul 11, 5881580", "5", "9999", "7"),
    ],
    [
      "a wrapped negative last change prints never, and the raw numbers",
      shadowOf("2147483648:-0:+5: 7:\t3:0:"),
      listing("never", "never", "never", "Jan 01, 1970", "0", "5", "7"),
    ],
  ];
  for (const [name, shadow, expected] of cases) {
    it(name, () => assert.equal(formatChageList(shadow), expected));
  }
  it("prints ISO dates with -i", () => {
    assert.equal(
      formatChageList(shadowOf("19000:5:30:7:10:20000:"), { iso: true }),
      listing("2022-01-08", "2022-02-07", "2022-02-17", "2024-10-04", "5", "30", "7"),
    );
  });
  it("prints the same from describeAging's numbers (what GetAging sends)", () => {
    const shadow = shadowOf("19000:5:30:7:10:0:");
    assert.equal(formatAgingDescription(describeAging(shadow)), formatChageList(shadow));
  });
});

describe("formatChageDate", () => {
  const cases: Array<[string, number, boolean, string]> = [
    ["day 0 is Jan 01, 1970", 0, false, "Jan 01, 1970"],
    ["pads the day of the month", 19_000, false, "Jan 08, 2022"],
    ["prints a leap day", 19_782, false, "Feb 29, 2024"],
    ["prints ISO with -i", 19_000, true, "2022-01-08"],
    ["does not pad or cut a 7-digit year", 2_147_483_647, false, "Jul 11, 5881580"],
  ];
  for (const [name, day, iso, text] of cases) {
    it(name, () => assert.equal(formatChageDate(day, iso), text));
  }
});

describe("formatChageList against the real `chage -R <root> -l`", () => {
  const USERS = 700;
  let root = "";
  let skipReason = "";
  const lines: string[] = [];

  before(() => {
    if (typeof process.getuid !== "function" || process.getuid() !== 0) {
      skipReason = "not running as root (chage -R needs chroot)";
      return;
    }
    const probe = spawnSync("chage", ["--help"], { encoding: "utf8" });
    if (probe.error !== undefined) {
      skipReason = "chage is not installed";
      return;
    }
    const value = fc.oneof(
      fc.constantFrom("", "0", "1", "-0", "+7", " 30", "6", "7", "29", "30", "9999", "10000", "99999", "19000", "20784", "2147483647", "2147483648", "4294967294", "4294967295", "x", "-1"),
      fc.integer({ min: 0, max: 4_294_967_295 }).map(String),
      fc.integer({ min: 0, max: 30_000 }).map(String),
    );
    const shape = fc.tuple(value, value, value, value, value, value).map((v) => v.join(":"));
    const numbers = fc.sample(shape, { seed: 2022, numRuns: USERS });
    root = mkdtempSync(join(tmpdir(), "shadowd-chage-"));
    mkdirSync(join(root, "etc"));
    const passwd: string[] = [];
    numbers.forEach((n, i) => {
      const name = `c${String(i).padStart(4, "0")}`;
      passwd.push(`${name}:x:${20_000 + i}:${20_000 + i}::/nonexistent:/usr/sbin/nologin`);
      lines.push(`${name}:!:${n}:`);
    });
    // A passwd-only user: chage shows no shadow entry as never / -1.
    passwd.push("nosh:x:29999:29999::/nonexistent:/usr/sbin/nologin");
    writeFileSync(join(root, "etc", "passwd"), `${passwd.join("\n")}\n`);
    writeFileSync(join(root, "etc", "shadow"), `${lines.join("\n")}\n`, { mode: 0o600 });
  });
  after(() => {
    if (root !== "") rmSync(root, { recursive: true, force: true });
  });

  function chage(args: string[]): string {
    const run = spawnSync("chage", ["-R", root, ...args], { encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C" } });
    assert.equal(run.status, 0, `chage ${args.join(" ")}: ${run.stderr}`);
    return run.stdout;
  }

  it(`prints what chage prints for ${USERS} generated shadow lines, in both date formats`, (t) => {
    if (root === "") {
      console.warn(`\n*** SKIPPED: the chage differential test did not run (${skipReason}) ***\n`);
      t.skip(`chage differential test did not run: ${skipReason}`);
      return;
    }
    const mismatches: string[] = [];
    for (const line of lines) {
      const name = line.slice(0, line.indexOf(":"));
      const parsed = parseShadowLine(line);
      const shadow = parsed.ok ? parsed.entry.fields : null;
      for (const iso of [false, true]) {
        const real = chage(iso ? ["-i", "-l", name] : ["-l", name]);
        const ours = formatChageList(shadow, { iso });
        if (real !== ours) mismatches.push(`${JSON.stringify(line)} ${iso ? "-i" : ""}\n--- chage\n${real}--- ours\n${ours}`);
      }
    }
    assert.equal(lines.filter((line) => !parseShadowLine(line).ok).length > 10, true, "some generated lines are invalid");
    assert.deepEqual(mismatches.slice(0, 5), [], `${mismatches.length} of ${lines.length * 2} listings differ`);
    assert.equal(chage(["-l", "nosh"]), formatChageList(null));
  });
});
