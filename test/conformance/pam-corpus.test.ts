// Conformance: every recorded pam_unix 1.5.2 / chage 4.13 corpus case (test/fixtures/pam) against a real shadowd —
// CheckAccount, Authenticate, `shadowctl chage -l` and the import report. Needs no root: the expectations
// are the recorded observations, with {today±N} filled in for the current day.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadConformanceCorpus } from "../fixtures/pam/corpus";
import type { CorpusCase } from "../fixtures/pam/corpus";
import { startTestDaemon } from "../helpers/daemon";
import type { CommandResult, TestDaemon } from "../helpers/daemon";
import {
  effectiveHash,
  buildAccountFiles,
  describeReplyMismatch,
  expectAuthenticate,
  expectCheckAccount,
  mapWithConcurrency,
  queryShadowd,
  rejectedShadowLineIndexes,
  runShadowctlInProcess,
} from "../helpers/real-pam";
import type { AccountFiles, CommandCapture, ShadowdReplies } from "../helpers/real-pam";
import { lockedHashMatches } from "../helpers/case-generator";
import type { ImportReport } from "../../src/gen/shadowd/v1/shadowd";

const TODAY = Math.floor(Date.now() / 86_400_000);
const CORPUS = loadConformanceCorpus(TODAY);
/** Cheap argon2 for the re-hash after legacy logins: the tests are about semantics, not cost. */
const FAST_ARGON2 = ["--argon2-memory", "1024", "--argon2-time", "1"];
const NULLRESETOK_SKIP =
  "nullresetok: shadowd has no nullresetok mode (pam_unix's option allowing an empty hash only when a change is required); Authenticate not compared";

/** One daemon and what it was given and answered. */
interface Run {
  daemon: TestDaemon;
  cases: CorpusCase[];
  files: AccountFiles;
  report: ImportReport;
  replies: Map<string, ShadowdReplies>;
  /** shadowctl's main() run in-process, for every case. */
  chage: Map<string, CommandCapture>;
  /** bin/shadowctl as a process, for a sample (a node start costs ~150 ms). */
  spawnedChage: Map<string, CommandResult>;
}

/** Every 10th case and every unknown user also go through the real bin/shadowctl process. */
function spawnsShadowctl(c: CorpusCase): boolean {
  return CORPUS.indexOf(c) % 10 === 0 || c.expected.chageRc !== 0;
}

const runs: Run[] = [];
const runOf = new Map<string, Run>();

/** nullok cases go to a --nullok daemon; every other case (nullresetok included) to a plain one. */
function usesNullokDaemon(c: CorpusCase): boolean {
  return c.pamCase.service === "unix-nullok";
}

async function startRun(cases: CorpusCase[], nullok: boolean): Promise<Run> {
  const daemon = await startTestDaemon({ nullok, extraArgs: FAST_ARGON2 });
  const files = buildAccountFiles(cases.map((c) => c.pamCase));
  const report = await daemon.importText(files.passwdText, files.shadowText);
  const replyList = await queryShadowd(daemon.authp, cases.map((c) => c.pamCase));
  const chageList = await mapWithConcurrency(cases, 4, (c) => runShadowctlInProcess(daemon.stateDir, ["chage", "-l", c.id]));
  const spawned = cases.filter(spawnsShadowctl);
  const spawnedList = await mapWithConcurrency(spawned, 2, (c) => daemon.shadowctl(["chage", "-l", c.id]));
  const run: Run = { daemon, cases, files, report, replies: new Map(), chage: new Map(), spawnedChage: new Map() };
  cases.forEach((c, index) => {
    const replies = replyList[index];
    const chage = chageList[index];
    if (replies !== undefined) run.replies.set(c.id, replies);
    if (chage !== undefined) run.chage.set(c.id, chage);
    runOf.set(c.id, run);
  });
  spawned.forEach((c, index) => {
    const result = spawnedList[index];
    if (result !== undefined) run.spawnedChage.set(c.id, result);
  });
  return run;
}

before(async () => {
  const started = await Promise.all([
    startRun(CORPUS.filter((c) => !usesNullokDaemon(c)), false),
    startRun(CORPUS.filter(usesNullokDaemon), true),
  ]);
  runs.push(...started);
});

after(async () => {
  for (const run of runs) {
    const code = await run.daemon.stop();
    assert.equal(code, 0, `shadowd exited with ${String(code)}:\n${run.daemon.log()}`);
  }
});

function runFor(c: CorpusCase): Run {
  const run = runOf.get(c.id);
  assert.ok(run !== undefined, `no daemon ran ${c.id}`);
  return run;
}

function repliesFor(c: CorpusCase): ShadowdReplies {
  const replies = runFor(c).replies.get(c.id);
  assert.ok(replies !== undefined, `no replies for ${c.id}`);
  return replies;
}

/** What glibc's getspnam returned for the user, as far as the recorded codes tell. */
function glibcShadowEntry(c: CorpusCase): string | null {
  const passwdField = c.pamCase.passwdLine?.split(":")[1];
  const shadowed = passwdField === "x" || passwdField === `##${c.id}`;
  if (shadowed && c.expected.acctCode === "PAM_AUTHINFO_UNAVAIL") return null;
  return c.pamCase.shadowLine?.split("\n").find((line) => line.startsWith(`${c.id}:`)) ?? null;
}

/** 1-based line numbers, in the imported shadow text, of the case's shadow lines. */
function shadowLineNumbers(c: CorpusCase): number[] {
  const run = runFor(c);
  const caseIndex = run.cases.indexOf(c);
  return [...run.files.shadowLineOwners].filter(([, owner]) => owner === caseIndex).map(([line]) => line);
}

function reportedShadowLines(c: CorpusCase): number[] {
  return runFor(c).report.problems.filter((p) => p.file === "shadow").map((p) => p.line);
}

/**
 * The index of the case's only shadow line when glibc found it for a shadowed passwd entry: a line
 * glibc accepts must be imported, so it must not be a problem. null when that is not known.
 */
function acceptedShadowLineIndex(c: CorpusCase): number | null {
  const lines = c.pamCase.shadowLine?.split("\n") ?? [];
  const passwdField = c.pamCase.passwdLine?.split(":")[1];
  if (lines.length !== 1 || (passwdField !== "x" && passwdField !== `##${c.id}`)) return null;
  return glibcShadowEntry(c) !== null ? 0 : null;
}

function caseReport(c: CorpusCase, extra: Record<string, unknown>): string {
  return JSON.stringify({ id: c.id, passwd: c.pamCase.passwdLine, shadow: c.pamCase.shadowLine, password: c.pamCase.password, expected: c.expected, ...extra }, null, 2);
}

for (const c of CORPUS) {
  describe(`${c.id} ${c.desc}`, () => {
    it("CheckAccount answers like pam_acct_mgmt", () => {
      const reply = repliesFor(c).checkAccount;
      assert.ok(!("error" in reply), `CheckAccount failed: ${"error" in reply ? reply.error : ""}`);
      const expected = expectCheckAccount({ acctCode: c.expected.acctCode, messages: c.expected.acctMessages });
      const mismatches = describeReplyMismatch("CheckAccount", expected, reply);
      assert.deepEqual(mismatches, [], caseReport(c, { shadowd: reply }));
    });

    it(
      "Authenticate answers like pam_authenticate then pam_acct_mgmt",
      c.pamCase.service === "unix-nullresetok" ? { skip: NULLRESETOK_SKIP } : {},
      () => {
        const reply = repliesFor(c).authenticate;
        assert.ok(!("error" in reply), `Authenticate failed: ${"error" in reply ? reply.error : ""}`);
        const hash = effectiveHash(c.pamCase.passwdLine, glibcShadowEntry(c));
        const expected = expectAuthenticate(
          { authCode: c.expected.authCode, acctCode: c.expected.acctCode, messages: c.expected.acctMessages, authMessages: c.expected.authMessages },
          { lockedHashMatches: hash !== null && lockedHashMatches(hash, c.pamCase.password) },
        );
        const mismatches = describeReplyMismatch("Authenticate", expected, reply);
        assert.deepEqual(mismatches, [], caseReport(c, { shadowd: { ...reply, account: undefined } }));
      },
    );

    it(`shadowctl chage -l prints what chage -l printed${spawnsShadowctl(c) ? " (in-process and as a process)" : ""}`, () => {
      const results = [runFor(c).chage.get(c.id), ...(spawnsShadowctl(c) ? [runFor(c).spawnedChage.get(c.id)] : [])];
      for (const result of results) {
        assert.ok(result !== undefined);
        assert.equal(result.code, c.expected.chageRc, `exit status; stderr: ${result.stderr}`);
        if (c.expected.chageRc === 0) {
          assert.equal(result.stdout, c.expected.chageOutput);
        } else {
          assert.equal(result.stderr, c.expected.chageOutput);
          assert.equal(result.stdout, "");
        }
      }
    });

    const rejected = rejectedShadowLineIndexes(c.pamCase, glibcShadowEntry(c) !== null);
    const accepted = acceptedShadowLineIndex(c);
    if (rejected.length > 0) {
      it("the import reports every line glibc rejected", () => {
        const lines = shadowLineNumbers(c);
        for (const index of rejected) {
          const line = lines[index];
          assert.ok(line !== undefined && reportedShadowLines(c).includes(line), `shadow line ${String(line)} ${JSON.stringify(c.pamCase.shadowLine)} is not an import problem`);
        }
      });
    }
    if (accepted !== null) {
      it("the import takes the line glibc accepted without a problem", () => {
        const line = shadowLineNumbers(c)[accepted];
        const problems = runFor(c).report.problems.filter((p) => p.file === "shadow" && p.line === line);
        assert.deepEqual(problems, [], `shadow line ${String(line)} ${JSON.stringify(c.pamCase.shadowLine)}`);
      });
    }
  });
}
