// Differential test: seeded generated accounts (test/helpers/case-generator.ts) run through the REAL pam_unix
// 1.5.2 / glibc / chage (test/helpers/real-pam.ts, one private mount namespace) and through a real shadowd;
// every disagreement is a failing subtest that prints the case. Needs root + unshare + pamtester, else skips LOUDLY.
import assert from "node:assert/strict";
import { test } from "node:test";
import { generateDifferentialCases } from "../helpers/case-generator";
import { startTestDaemon } from "../helpers/daemon";
import type { TestDaemon } from "../helpers/daemon";
import {
  buildAccountFiles,
  describeReplyMismatch,
  expectAuthenticate,
  expectCheckAccount,
  hangsGlibcSgetspent,
  isRealPamAvailable,
  mapWithConcurrency,
  passwdEntryUid,
  queryShadowd,
  rejectedShadowLineIndexes,
  runLockedTwins,
  runRealPam,
  runShadowctlInProcess,
} from "../helpers/real-pam";
import type { CommandCapture, PamCase, PamOutcome, ShadowdReplies } from "../helpers/real-pam";
import type { ImportReport } from "../../src/gen/shadowd/v1/shadowd";

const DEFAULT_SEED = 20_261_127;
const DEFAULT_COUNT = 400;
/** How many cases also compare `shadowctl chage -l` with the real chage. */
const DEFAULT_CHAGE_COUNT = 100_000;
const FAST_ARGON2 = ["--argon2-memory", "1024", "--argon2-time", "1"];
/** shadowd's default --min-uid: Authenticate answers NOT_PERMITTED below it (and for root). */
const SHADOWD_MIN_UID = 1000;

function numberFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name}=${text} is not a non-negative integer`);
  return value;
}

function announceSkip(reason: string): void {
  const bar = "!".repeat(78);
  console.error(
    `\n${bar}\n!! DIFFERENTIAL TEST AGAINST THE REAL pam_unix SKIPPED: ${reason}\n` +
      `!! shadowd was NOT compared with Linux-PAM 1.5.2. Run as root on Debian 12 with pamtester and unshare.\n${bar}\n`,
  );
}

/** Everything one daemon was given and answered. */
interface DaemonRun {
  daemon: TestDaemon;
  indexes: number[];
  report: ImportReport;
  /** 1-based shadow line → index into `cases` (global). */
  shadowLineOwners: Map<number, number>;
  /** 1-based passwd line → index into `cases` (global). */
  passwdLineOwners: Map<number, number>;
}

async function startDaemonRun(cases: readonly PamCase[], indexes: number[], nullok: boolean): Promise<DaemonRun> {
  const daemon = await startTestDaemon({ nullok, extraArgs: FAST_ARGON2 });
  const files = buildAccountFiles(indexes.map((index) => cases[index] as PamCase));
  const report = await daemon.importText(files.passwdText, files.shadowText);
  const globalOwners = (owners: Map<number, number>): Map<number, number> =>
    new Map([...owners].map(([line, local]) => [line, indexes[local] ?? -1]));
  return { daemon, indexes, report, shadowLineOwners: globalOwners(files.shadowLineOwners), passwdLineOwners: globalOwners(files.passwdLineOwners) };
}

/** Starts both daemons; if one fails to start, stops the other before failing. */
async function startDaemonRuns(cases: readonly PamCase[], plainIndexes: number[], nullokIndexes: number[]): Promise<[DaemonRun, DaemonRun]> {
  const [plain, nullok] = await Promise.allSettled([startDaemonRun(cases, plainIndexes, false), startDaemonRun(cases, nullokIndexes, true)]);
  if (plain.status === "fulfilled" && nullok.status === "fulfilled") return [plain.value, nullok.value];
  for (const settled of [plain, nullok]) if (settled.status === "fulfilled") await settled.value.daemon.stop();
  throw plain.status === "rejected" ? plain.reason : nullok.status === "rejected" ? nullok.reason : new Error("unreachable");
}

/** Lines (1-based) of one file that belong to case `index`. */
function linesOf(owners: Map<number, number>, index: number): number[] {
  return [...owners].filter(([, owner]) => owner === index).map(([line]) => line);
}

function reproduction(seed: number, count: number, today: number, pamCase: PamCase, pam: PamOutcome, extra: Record<string, unknown>): string {
  return JSON.stringify(
    {
      reproduce: `SHADOWD_DIFF_SEED=${seed} SHADOWD_DIFF_COUNT=${count} (generated for day ${today})`,
      case: pamCase,
      pam: { ...pam, chage: undefined },
      ...extra,
    },
    null,
    2,
  );
}

/**
 * False when the real tools disagree among themselves, so shadowd (one data model, following pam) cannot
 * match both: getspnam/getpwnam (glibc's files backend, used by pam_unix) skip leading white space and
 * tolerate short or long passwd lines, while shadow-utils' commonio (chage) does not. chage is not
 * compared for those cases.
 */
function chageSeesPamsEntry(pamCase: PamCase, outcome: PamOutcome, realChage: CommandCapture): boolean {
  const chageKnowsUser = !(realChage.code === 1 && realChage.stderr.includes("does not exist in /etc/passwd"));
  if (chageKnowsUser !== (outcome.passwdEntry !== null)) return false;
  if (outcome.shadowEntry === null) return true;
  return (pamCase.shadowLine ?? "").split("\n").some((line) => line.startsWith(`${pamCase.user}:`));
}

function withoutAccount(replies: ShadowdReplies): ShadowdReplies {
  const authenticate = "error" in replies.authenticate ? replies.authenticate : { ...replies.authenticate, account: undefined };
  return { checkAccount: replies.checkAccount, authenticate };
}

test("shadowd answers like the real pam_unix 1.5.2, glibc and chage on generated accounts", async (t) => {
  const availability = isRealPamAvailable();
  if (!availability.ok) {
    announceSkip(availability.reason);
    t.skip(`real pam_unix unavailable: ${availability.reason}`);
    return;
  }
  const seed = numberFromEnv("SHADOWD_DIFF_SEED", DEFAULT_SEED);
  const count = numberFromEnv("SHADOWD_DIFF_COUNT", DEFAULT_COUNT);
  const chageCount = numberFromEnv("SHADOWD_DIFF_CHAGE_COUNT", DEFAULT_CHAGE_COUNT);
  const today = Math.floor(Date.now() / 86_400_000);
  console.log(`differential: SHADOWD_DIFF_SEED=${seed} SHADOWD_DIFF_COUNT=${count} day ${today}`);

  const cases = generateDifferentialCases(seed, today, count);
  // chage -l reads the whole shadow file with sgetspent(), which hangs on some lines: those cases run
  // in a batch of their own, without chage.
  const hanging = cases.map((pamCase) => hangsGlibcSgetspent(pamCase.shadowLine ?? ""));
  const chageIndexes = cases.flatMap((_pamCase, index) => (hanging[index] === true ? [] : [index])).slice(0, chageCount);
  const otherIndexes = cases.flatMap((_pamCase, index) => (chageIndexes.includes(index) ? [] : [index]));
  const plainIndexes = cases.flatMap((pamCase, index) => (pamCase.service === "unix-nullok" ? [] : [index]));
  const nullokIndexes = cases.flatMap((pamCase, index) => (pamCase.service === "unix-nullok" ? [index] : []));
  const started = Date.now();
  const [plain, nullok] = await startDaemonRuns(cases, plainIndexes, nullokIndexes);
  try {
    const [withChage, withoutChage] = await Promise.all([
      runRealPam(chageIndexes.map((index) => cases[index] as PamCase), { chage: true }),
      runRealPam(otherIndexes.map((index) => cases[index] as PamCase)),
    ]);
    const pam: PamOutcome[] = new Array<PamOutcome>(cases.length);
    chageIndexes.forEach((index, position) => (pam[index] = withChage[position] as PamOutcome));
    otherIndexes.forEach((index, position) => (pam[index] = withoutChage[position] as PamOutcome));
    const lockedMatches = await runLockedTwins(cases, pam);
    const daemonOf = (index: number): DaemonRun => (cases[index]?.service === "unix-nullok" ? nullok : plain);
    const replies = new Map<number, ShadowdReplies>();
    for (const run of [plain, nullok]) {
      const answers = await queryShadowd(
        run.daemon.authp,
        run.indexes.map((index) => cases[index] as PamCase),
      );
      answers.forEach((answer, local) => replies.set(run.indexes[local] ?? -1, answer));
    }
    const chageResults = await mapWithConcurrency(chageIndexes, 4, (index) =>
      runShadowctlInProcess(daemonOf(index).daemon.stateDir, ["chage", "-l", cases[index]?.user ?? ""]),
    );
    const chageByIndex = new Map<number, { real: CommandCapture; shadowctl: CommandCapture }>();
    chageIndexes.forEach((index, position) => {
      const real = pam[index]?.chage;
      const shadowctl = chageResults[position];
      if (real !== null && real !== undefined && shadowctl !== undefined) chageByIndex.set(index, { real, shadowctl });
    });
    console.log(`differential: real stack and shadowd answered in ${Date.now() - started} ms`);

    if (Math.floor(Date.now() / 86_400_000) !== today) {
      t.skip("the UTC day changed during the run; pam and shadowd may have used different days");
      return;
    }

    let failures = 0;
    for (const [index, pamCase] of cases.entries()) {
      const outcome = pam[index];
      const answer = replies.get(index);
      const run = daemonOf(index);
      assert.ok(outcome !== undefined && answer !== undefined);
      await t.test(`${pamCase.user} ${pamCase.label ?? ""}`, () => {
        const mismatches: string[] = [];
        if ("error" in answer.checkAccount) mismatches.push(`CheckAccount failed: ${answer.checkAccount.error}`);
        else mismatches.push(...describeReplyMismatch("CheckAccount", expectCheckAccount(outcome), answer.checkAccount));
        if ("error" in answer.authenticate) {
          mismatches.push(`Authenticate failed: ${answer.authenticate.error}`);
        } else {
          const uid = passwdEntryUid(outcome.passwdEntry);
          const notPermitted = uid !== null && uid < SHADOWD_MIN_UID;
          const expected = expectAuthenticate(outcome, {
            lockedHashMatches: lockedMatches[index] === true,
            notPermitted,
            passwordBytes: Buffer.byteLength(pamCase.password, "utf8"),
          });
          mismatches.push(...describeReplyMismatch("Authenticate", expected, answer.authenticate));
        }
        const lines = linesOf(run.shadowLineOwners, index);
        const passwdLines = linesOf(run.passwdLineOwners, index);
        const reported = run.report.problems.filter((problem) => problem.file === "shadow");
        for (const rejected of rejectedShadowLineIndexes(pamCase, outcome.shadowEntry !== null)) {
          const line = lines[rejected];
          if (!reported.some((problem) => problem.line === line)) {
            mismatches.push(`import: shadow line ${String(line)} is rejected by glibc but is not an import problem`);
          }
        }
        const chage = chageByIndex.get(index);
        if (chage !== undefined && chageSeesPamsEntry(pamCase, outcome, chage.real)) {
          if (chage.shadowctl.code !== chage.real.code) mismatches.push(`chage -l: exit ${chage.shadowctl.code}, real chage ${chage.real.code}`);
          if (chage.shadowctl.stdout !== chage.real.stdout) {
            mismatches.push(`chage -l stdout ${JSON.stringify(chage.shadowctl.stdout)}, real chage ${JSON.stringify(chage.real.stdout)}`);
          }
          if (chage.real.code !== 0 && chage.shadowctl.stderr !== chage.real.stderr) {
            mismatches.push(`chage -l stderr ${JSON.stringify(chage.shadowctl.stderr)}, real chage ${JSON.stringify(chage.real.stderr)}`);
          }
        }
        const problems = run.report.problems.filter(
          (problem) => (problem.file === "shadow" && lines.includes(problem.line)) || (problem.file === "passwd" && passwdLines.includes(problem.line)),
        );
        if (mismatches.length > 0) failures += 1;
        assert.deepEqual(mismatches, [], reproduction(seed, count, today, pamCase, outcome, { shadowd: withoutAccount(answer), importProblems: problems }));
      });
    }
    if (failures > 0) console.error(`differential: ${failures} of ${cases.length} cases disagree (SHADOWD_DIFF_SEED=${seed} SHADOWD_DIFF_COUNT=${count})`);
  } finally {
    const codes = await Promise.all([plain.daemon.stop(), nullok.daemon.stop()]);
    assert.deepEqual(codes, [0, 0], `shadowd exit codes ${JSON.stringify(codes)}`);
  }
});
