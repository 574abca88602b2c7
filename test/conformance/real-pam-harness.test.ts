// Validates the real-pam harness (test/helpers/real-pam.ts) and the case generator: the recorded corpus must
// come out of the real pam_unix/chage exactly as recorded, and pamtester's texts must map to libpam's codes.
// Needs root + unshare + pamtester for the real runs; those parts skip LOUDLY otherwise.
import assert from "node:assert/strict";
import { describe, it, test } from "node:test";
import { load } from "koffi";
import { loadConformanceCorpus } from "../fixtures/pam/corpus";
import {
  PAM_CODES,
  effectiveHash,
  runLockedTwins,
  buildAccountFiles,
  expectAuthenticate,
  expectCheckAccount,
  isRealPamAvailable,
  parsePamtesterRun,
  runRealPam,
  warningDays,
} from "../helpers/real-pam";
import type { PamMessage, PamOutcome } from "../helpers/real-pam";
import { cryptWithLibxcrypt, generateDifferentialCases, lockedHashMatches } from "../helpers/case-generator";
import { AuthResult } from "../../src/gen/shadowd/v1/shadowd";

const TODAY = Math.floor(Date.now() / 86_400_000);

function announceSkip(reason: string): void {
  const bar = "!".repeat(78);
  console.error(`\n${bar}\n!! REAL pam_unix NOT RUN: ${reason}\n!! The harness checks against the real stack were SKIPPED (need root, unshare, pamtester).\n${bar}\n`);
}

function sortMessages(messages: readonly PamMessage[]): PamMessage[] {
  return [...messages].sort((a, b) => `${a.style}${a.text}`.localeCompare(`${b.style}${b.text}`));
}

describe("pamtester output parsing", () => {
  const cases: Array<{ name: string; stdout: string; stderr: string; code: number; op: "authenticate" | "acct_mgmt"; expected: unknown }> = [
    {
      name: "a successful authentication after a prompt is PAM_SUCCESS, prompted, without messages",
      stdout: "pamtester: successfully authenticated\n",
      stderr: "pamtester: invoking pam_start(gt-unix, u1, ...)\npamtester: performing operation - authenticate\nPassword: ",
      code: 0,
      op: "authenticate",
      expected: { code: "PAM_SUCCESS", messages: [], prompted: true },
    },
    {
      name: "a failed authentication is read from the strerror text on stderr",
      stdout: "",
      stderr: "pamtester: invoking pam_start(gt-unix, u1, ...)\npamtester: performing operation - authenticate\nPassword: pamtester: Authentication failure\n",
      code: 1,
      op: "authenticate",
      expected: { code: "PAM_AUTH_ERR", messages: [], prompted: true },
    },
    {
      name: "an account warning is a TEXT_INFO message on stdout",
      stdout: "Warning: your password will expire in 5 days.\npamtester: account management done.\n",
      stderr: "pamtester: invoking pam_start(gt-unix, u2, ...)\npamtester: performing operation - acct_mgmt\n",
      code: 0,
      op: "acct_mgmt",
      expected: { code: "PAM_SUCCESS", messages: [{ style: "PAM_TEXT_INFO", text: "Warning: your password will expire in 5 days." }], prompted: false },
    },
    {
      name: "a forced change is an ERROR_MSG on stderr and PAM_NEW_AUTHTOK_REQD",
      stdout: "",
      stderr:
        "pamtester: invoking pam_start(gt-unix, u3, ...)\npamtester: performing operation - acct_mgmt\n" +
        "You are required to change your password immediately (administrator enforced).\n" +
        "pamtester: Authentication token is no longer valid; new one required\n",
      code: 1,
      op: "acct_mgmt",
      expected: {
        code: "PAM_NEW_AUTHTOK_REQD",
        messages: [{ style: "PAM_ERROR_MSG", text: "You are required to change your password immediately (administrator enforced)." }],
        prompted: false,
      },
    },
    {
      name: "an unknown strerror text is an error, not a guess",
      stdout: "",
      stderr: "pamtester: Something new\n",
      code: 1,
      op: "acct_mgmt",
      expected: { error: 'unknown pam_strerror text "Something new"' },
    },
    {
      name: "a success text with a failing exit status is an error",
      stdout: "pamtester: account management done.\n",
      stderr: "",
      code: 1,
      op: "acct_mgmt",
      expected: { error: "exit 1 contradicts PAM_SUCCESS" },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(parsePamtesterRun({ stdout: c.stdout, stderr: c.stderr, code: c.code }, c.op), c.expected);
    });
  }
});

describe("pam code table", () => {
  it("matches pam_strerror() of this machine's libpam for every code", (t) => {
    let strerror: (code: number) => unknown;
    try {
      const lib = load("libpam.so.0");
      const fn = lib.func("const char *pam_strerror(void *pamh, int errnum)");
      strerror = (code) => fn(null, code);
    } catch (error) {
      t.skip(`libpam.so.0 not loadable: ${String(error)}`);
      return;
    }
    for (const code of PAM_CODES) assert.equal(strerror(code.value), code.text, code.name);
  });
});

describe("pam outcome → shadowd reply mapping", () => {
  const warn: PamMessage = { style: "PAM_TEXT_INFO", text: "Warning: your password will expire in 1 day." };
  const expired: PamMessage = { style: "PAM_ERROR_MSG", text: "Your account has expired; please contact your system administrator." };
  it("reads the day count of singular and plural warnings", () => {
    assert.equal(warningDays([warn]), 1);
    assert.equal(warningDays([{ style: "PAM_TEXT_INFO", text: "Warning: your password will expire in 0 days." }]), 0);
    assert.equal(warningDays([expired]), undefined);
  });
  const rows: Array<{ name: string; outcome: Pick<PamOutcome, "authCode" | "acctCode" | "messages" | "authMessages">; locked: boolean; auth: AuthResult; acct: AuthResult }> = [
    { name: "success with a warning is OK both ways", outcome: { authCode: "PAM_SUCCESS", acctCode: "PAM_SUCCESS", messages: [warn], authMessages: [] }, locked: false, auth: AuthResult.AUTH_RESULT_OK, acct: AuthResult.AUTH_RESULT_OK },
    { name: "a wrong password on an expired account is DENIED but CheckAccount says ACCOUNT_EXPIRED", outcome: { authCode: "PAM_AUTH_ERR", acctCode: "PAM_ACCT_EXPIRED", messages: [expired], authMessages: [] }, locked: false, auth: AuthResult.AUTH_RESULT_DENIED, acct: AuthResult.AUTH_RESULT_ACCOUNT_EXPIRED },
    { name: "the right password on a !-locked hash is LOCKED", outcome: { authCode: "PAM_AUTH_ERR", acctCode: "PAM_SUCCESS", messages: [], authMessages: [] }, locked: true, auth: AuthResult.AUTH_RESULT_LOCKED, acct: AuthResult.AUTH_RESULT_OK },
    { name: "no shadow entry is DENIED both ways", outcome: { authCode: "PAM_AUTHINFO_UNAVAIL", acctCode: "PAM_AUTHINFO_UNAVAIL", messages: [], authMessages: [] }, locked: false, auth: AuthResult.AUTH_RESULT_DENIED, acct: AuthResult.AUTH_RESULT_DENIED },
    { name: "an unknown user is DENIED, and USER_UNKNOWN for CheckAccount", outcome: { authCode: "PAM_USER_UNKNOWN", acctCode: "PAM_USER_UNKNOWN", messages: [], authMessages: [] }, locked: false, auth: AuthResult.AUTH_RESULT_DENIED, acct: AuthResult.AUTH_RESULT_USER_UNKNOWN },
    { name: "inactive is PASSWORD_EXPIRED", outcome: { authCode: "PAM_SUCCESS", acctCode: "PAM_AUTHTOK_EXPIRED", messages: [expired], authMessages: [] }, locked: false, auth: AuthResult.AUTH_RESULT_PASSWORD_EXPIRED, acct: AuthResult.AUTH_RESULT_PASSWORD_EXPIRED },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.equal(expectAuthenticate(row.outcome, { lockedHashMatches: row.locked }).result, row.auth);
      assert.equal(expectCheckAccount(row.outcome).result, row.acct);
    });
  }
});

describe("case generator", () => {
  it("is deterministic for a seed and never puts NUL or a newline in a password", () => {
    const first = generateDifferentialCases(7, TODAY, 120);
    const second = generateDifferentialCases(7, TODAY, 120);
    assert.deepEqual(first, second);
    assert.equal(new Set(first.map((c) => c.user)).size, 120);
    for (const c of first) assert.ok(!c.password.includes("\0") && !c.password.includes("\n"), c.user);
    assert.notDeepEqual(generateDifferentialCases(8, TODAY, 120), first);
  });

  it("covers every crypt family, locked and empty hashes, malformed lines and both services", () => {
    const cases = generateDifferentialCases(1, TODAY, 400);
    const shadow = cases.map((c) => c.shadowLine ?? "").join("\n");
    for (const marker of ["$y$", "$6$", "$5$", "$1$", "$2b$", ":!$", "::"]) assert.ok(shadow.includes(marker), marker);
    assert.ok(cases.some((c) => c.service === "unix-nullok"));
    assert.ok(cases.some((c) => (c.shadowLine ?? "").includes("\n")), "duplicates");
    assert.ok(cases.some((c) => c.shadowLine === null));
    assert.ok(cases.some((c) => c.passwdLine === null));
    assert.ok(cases.some((c) => (c.shadowLine ?? "").split(":").length === 5), "SVR3 lines");
  });

  it("knows a !-locked hash from the password it locks", () => {
    const hash = cryptWithLibxcrypt("Secret123", "$6$gtSaltSHA512abcd");
    assert.ok(hash !== null);
    assert.equal(lockedHashMatches(`!${hash}`, "Secret123"), true);
    assert.equal(lockedHashMatches(`!${hash}`, "Secret1234"), false);
    assert.equal(lockedHashMatches(hash, "Secret123"), false);
    assert.equal(lockedHashMatches(`!!${hash}`, "Secret123"), true);
    assert.equal(lockedHashMatches(`*${hash}`, "Secret123"), false);
    assert.equal(lockedHashMatches("!!", ""), false);
    assert.equal(lockedHashMatches("!*", ""), false);
    assert.equal(lockedHashMatches("!", ""), false);
    assert.equal(effectiveHash("u:x:1:1::/:/bin/sh", "u:!abc:1::::::"), "!abc");
    assert.equal(effectiveHash("u:!abc:1:1::/:/bin/sh", null), "!abc");
    assert.equal(effectiveHash("u:##u:1:1::/:/bin/sh", "u:h:1::::::"), "h");
  });

  it("writes one passwd and shadow line per case line and remembers their owners", () => {
    const files = buildAccountFiles([
      { user: "a1", passwdLine: "a1:x:61001:61001::/:/bin/sh", shadowLine: "a1:h:1::::::\na1:h:2::::::", password: "p", service: "unix" },
      { user: "b1", passwdLine: null, shadowLine: "b1:h:1::::::", password: "p", service: "unix" },
    ]);
    assert.equal(files.shadowText, "a1:h:1::::::\na1:h:2::::::\nb1:h:1::::::\n");
    assert.deepEqual([...files.shadowLineOwners], [[1, 0], [2, 0], [3, 1]]);
    assert.deepEqual([...files.passwdLineOwners], [[1, 0]]);
  });
});

test("the real pam_unix and chage reproduce every recorded corpus case", async (t) => {
  const availability = isRealPamAvailable();
  if (!availability.ok) {
    announceSkip(availability.reason);
    t.skip(`real pam_unix unavailable: ${availability.reason}`);
    return;
  }
  const corpus = loadConformanceCorpus(TODAY);
  const outcomes = await runRealPam(corpus.map((c) => c.pamCase), { chage: true });
  for (const [index, c] of corpus.entries()) {
    const outcome = outcomes[index];
    await t.test(`${c.id} ${c.desc}`, () => {
      assert.ok(outcome !== undefined);
      assert.equal(outcome.authCode, c.expected.authCode, "auth code");
      assert.equal(outcome.acctCode, c.expected.acctCode, "acct code");
      assert.deepEqual(sortMessages(outcome.messages), sortMessages(c.expected.acctMessages), "acct messages");
      assert.deepEqual(outcome.authMessages, c.expected.authMessages, "auth messages");
      assert.equal(outcome.authPrompted, c.expected.authPrompted, "prompted");
      const warning = outcome.messages.find((m) => m.style === "PAM_TEXT_INFO")?.text ?? null;
      assert.equal(warning, c.expected.warning, "warning");
      assert.ok(outcome.chage !== null);
      assert.equal(outcome.chage.code, c.expected.chageRc, "chage exit status");
      assert.equal(c.expected.chageRc === 0 ? outcome.chage.stdout : outcome.chage.stderr, c.expected.chageOutput, "chage output");
      // The locked-hash oracle agrees with the corpus's own notion of a right password.
      const hash = effectiveHash(outcome.passwdEntry, outcome.shadowEntry);
      if (hash !== null && hash.startsWith("!") && c.passwordIsCorrect !== null) {
        assert.equal(lockedHashMatches(hash, c.pamCase.password), c.passwordIsCorrect, "locked oracle");
      }
    });
  }
});

test("generated cases run through the real stack and reach every pam code the corpus knows", async (t) => {
  const availability = isRealPamAvailable();
  if (!availability.ok) {
    announceSkip(availability.reason);
    t.skip(`real pam_unix unavailable: ${availability.reason}`);
    return;
  }
  const cases = generateDifferentialCases(20_250_101, TODAY, 250);
  const outcomes = await runRealPam(cases);
  const authCodes = new Set(outcomes.map((o) => o.authCode));
  const acctCodes = new Set(outcomes.map((o) => o.acctCode));
  for (const code of ["PAM_SUCCESS", "PAM_AUTH_ERR", "PAM_AUTHINFO_UNAVAIL", "PAM_USER_UNKNOWN"] as const) assert.ok(authCodes.has(code), code);
  for (const code of ["PAM_SUCCESS", "PAM_ACCT_EXPIRED", "PAM_NEW_AUTHTOK_REQD", "PAM_AUTHTOK_EXPIRED", "PAM_AUTHINFO_UNAVAIL"] as const) {
    assert.ok(acctCodes.has(code), code);
  }
  assert.ok(outcomes.some((o) => warningDays(o.messages) !== undefined), "some warning");
  assert.ok(outcomes.some((o) => !o.authPrompted), "some unprompted (nullok) auth");

  // The libxcrypt locked-hash oracle (used where pam cannot run) agrees with pam_unix on unlocked twins.
  const twins = await runLockedTwins(cases, outcomes);
  assert.ok(twins.some(Boolean), "some locked hash verifies");
  cases.forEach((c, index) => {
    const hash = effectiveHash(outcomes[index]?.passwdEntry ?? null, outcomes[index]?.shadowEntry ?? null);
    const oracle = hash !== null && lockedHashMatches(hash, c.password);
    assert.equal(oracle, twins[index], `${c.user} ${c.label ?? ""}: hash ${JSON.stringify(hash)}`);
  });
});
