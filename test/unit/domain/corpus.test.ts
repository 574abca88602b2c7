// Tests the domain layer against the recorded real pam_unix 1.5.2 / chage 4.13 corpus
// (test/fixtures/pam/pam_unix-1.5.2.jsonl): every case's passwd and shadow lines go through
// parsing and joining, then evaluateAccountAging and formatChageList must give the recorded
// pam_acct_mgmt code, message and `chage -l` bytes, with {today±N} filled in for a fixed day.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { agingMessage, agingPamCode, evaluateAccountAging } from "../../../src/domain/aging";
import { formatChageDate, formatChageList } from "../../../src/domain/chage-format";
import { joinAccounts, parsePasswdText, parseShadowText } from "../../../src/domain/shadow-format";
import { fillTodayTemplate, findCorpusFile } from "../../fixtures/pam/corpus";

/** The day the corpus was recorded (its `today`); any day works for the relative cases. */
const T = 20_784;

interface CorpusCase {
  id: string;
  desc: string;
  passwd_line: string | null;
  shadow_line_template: string | null;
  expected: {
    pam_acct_code_name: string;
    warning: string | null;
    acct_messages: Array<{ style: string; text: string }>;
    chage_l_template: string;
    chage_l_rc: number;
  };
}

/** {today±N} filled in for the fixed day T. */
function fillToday(template: string, render: (day: number) => string): string {
  return fillTodayTemplate(template, T, render);
}

const cases: CorpusCase[] = readFileSync(findCorpusFile(), "utf8")
  .split("\n")
  .filter((line) => line.trim() !== "")
  .map((line) => JSON.parse(line) as CorpusCase);

function accountOf(c: CorpusCase) {
  const passwd = parsePasswdText(c.passwd_line ?? "");
  const shadow = parseShadowText(c.shadow_line_template === null ? "" : fillToday(c.shadow_line_template, String));
  const joined = joinAccounts(passwd.entries, shadow.entries);
  return { passwd, shadow, joined, account: joined.accounts.find((a) => a.name === c.id) ?? null };
}

describe("the recorded pam_unix 1.5.2 corpus", () => {
  it("has its 181 cases", () => assert.equal(cases.length, 181));

  for (const c of cases) {
    it(`${c.id} (${c.desc}): pam_acct_mgmt gives ${c.expected.pam_acct_code_name}${c.expected.warning === null ? "" : ` "${c.expected.warning}"`}`, () => {
      const { passwd, account } = accountOf(c);
      assert.deepEqual(passwd.problems, [], "the corpus passwd line imports");
      if (account === null) {
        assert.equal(c.expected.pam_acct_code_name, "PAM_USER_UNKNOWN");
        return;
      }
      const status = evaluateAccountAging(account, T);
      assert.equal(agingPamCode(status), c.expected.pam_acct_code_name);
      assert.equal(agingMessage(status), c.expected.acct_messages[0]?.text ?? "");
      assert.equal(status.kind === "warn" ? agingMessage(status) : null, c.expected.warning);
    });
  }

  for (const c of cases.filter((k) => k.expected.chage_l_rc === 0)) {
    it(`${c.id}: chage -l prints the recorded bytes`, () => {
      const { account } = accountOf(c);
      assert.ok(account !== null, "chage found the user, so the passwd line must import");
      assert.equal(formatChageList(account.shadow), fillToday(c.expected.chage_l_template, (day) => formatChageDate(day, false)));
    });
  }

  it("reports every shadow line glibc skipped as an import problem", () => {
    for (const c of cases) {
      if (c.shadow_line_template === null || c.expected.pam_acct_code_name !== "PAM_AUTHINFO_UNAVAIL") continue;
      const { shadow } = accountOf(c);
      assert.equal(shadow.entries.length, 0, `${c.id}: ${c.shadow_line_template}`);
      assert.equal(shadow.problems.length, 1, `${c.id}: one problem`);
    }
  });

  it("reports a shadow line without a passwd entry (gt060)", () => {
    const c = cases.find((k) => k.id === "gt060");
    assert.ok(c !== undefined);
    assert.deepEqual(accountOf(c).joined.problems, [
      { file: "shadow", line: 1, name: "gt060", reason: 'no matching passwd entry for "gt060"' },
    ]);
  });
});
