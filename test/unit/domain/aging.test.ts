// Tests domain/aging.ts: every row of reference §1.5 at T-1, T and T+1 under the 1.5.2 and
// 1.6.1 rules, the raw check_shadow_expiry outputs, pam_unix's messages and describeAging.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Account, ShadowFields } from "../../../src/domain/account";
import {
  agingMessage,
  agingPamCode,
  checkShadowExpiry,
  describeAging,
  evaluateAccountAging,
  evaluateAging,
  type AccountAgingStatus,
  type AgingRules,
} from "../../../src/domain/aging";
import { parseShadowLine } from "../../../src/domain/shadow-format";

/** The reference's "today" (2026-11-27). */
const T = 20_784;

/** Shadow fields from the reference's `lstchg:min:max:warn:inact:expire` notation. */
function fieldsOf(spec: string): ShadowFields {
  const parts = spec.split(":");
  assert.equal(parts.length, 6, `bad spec ${spec}`);
  const num = (text: string | undefined): number | null => {
    if (text === undefined || text === "") return null;
    const match = /^T([+-]\d+)?$/.exec(text);
    if (match !== null) return T + Number(match[1] ?? 0);
    return Number(text);
  };
  return {
    hash: "$6$salt$hash",
    lastChange: num(parts[0]),
    minDays: num(parts[1]),
    maxDays: num(parts[2]),
    warnDays: num(parts[3]),
    inactiveDays: num(parts[4]),
    expireDate: num(parts[5]),
    flag: "",
  };
}

/** Short names for statuses: ok, warn N, expired, admin, aged, inactive, unavailable. */
function shortStatus(status: AccountAgingStatus): string {
  switch (status.kind) {
    case "ok":
      return "ok";
    case "warn":
      return `warn ${status.daysLeft}`;
    case "account-expired":
      return "expired";
    case "must-change":
      return status.reason === "administrator" ? "admin" : "aged";
    case "inactive":
      return "inactive";
    case "no-shadow-entry":
      return "unavailable";
  }
}

/** One row: the fields, then the statuses at T-1, T, T+1 under 1.5.2 and under 1.6.1. */
interface Row {
  name: string;
  fields: ShadowFields;
  pam152: [string, string, string];
  pam161: [string, string, string];
}

const same = (a: string, b: string, c: string): { pam152: [string, string, string]; pam161: [string, string, string] } => ({
  pam152: [a, b, c],
  pam161: [a, b, c],
});

const ROWS: Row[] = [
  { name: "a normal account (changed 10 days ago, max 99999)", fields: fieldsOf("T-10:0:99999:7::"), ...same("ok", "ok", "ok") },
  { name: "a forced change (passwd -e: last change 0)", fields: fieldsOf("0:0:99999:7::"), ...same("admin", "admin", "admin") },
  { name: "an empty last change with max 99999", fields: fieldsOf(":0:99999:7::"), ...same("ok", "ok", "ok") },
  {
    name: "an empty last change with max 30 (1.5.2 reads it as day -1)",
    fields: fieldsOf(":0:30:7::"),
    pam152: ["aged", "aged", "aged"],
    pam161: ["ok", "ok", "ok"],
  },
  {
    name: "an empty last change with max 30 and inactive 10",
    fields: fieldsOf(":0:30:7:10:"),
    pam152: ["inactive", "inactive", "inactive"],
    pam161: ["ok", "ok", "ok"],
  },
  {
    name: "a last change of 4294967295 (stored -1) with max 30",
    fields: fieldsOf("-1:0:30:7::"),
    pam152: ["aged", "aged", "aged"],
    pam161: ["ok", "ok", "ok"],
  },
  { name: "expire 0 (1970-01-01)", fields: fieldsOf("T-10:0:99999:7::0"), ...same("expired", "expired", "expired") },
  { name: "expire today: unusable from day T on", fields: fieldsOf("T-10:0:99999:7::T"), ...same("ok", "expired", "expired") },
  { name: "expire 4294967295 (stored -1) never expires", fields: fieldsOf("T-10:0:99999:7::-1"), ...same("ok", "ok", "ok") },
  {
    name: "max 30 with the password 30 days old",
    fields: fieldsOf("T-30:0:30:7::"),
    pam152: ["warn 1", "warn 0", "aged"],
    pam161: ["warn 1", "aged", "aged"],
  },
  {
    name: "max 30 warn 7 with the password 23 days old (1.5.2 warns a day later)",
    fields: fieldsOf("T-23:0:30:7::"),
    pam152: ["ok", "ok", "warn 6"],
    pam161: ["ok", "warn 7", "warn 6"],
  },
  {
    name: "max 30 warn 7 with the password 29 days old",
    fields: fieldsOf("T-29:0:30:7::"),
    pam152: ["warn 2", "warn 1", "warn 0"],
    pam161: ["warn 2", "warn 1", "aged"],
  },
  {
    name: "warn 1 with the password 30 days old",
    fields: fieldsOf("T-30:0:30:1::"),
    pam152: ["ok", "warn 0", "aged"],
    pam161: ["warn 1", "aged", "aged"],
  },
  {
    name: "warn 0 with the password 30 days old",
    fields: fieldsOf("T-30:0:30:0::"),
    pam152: ["ok", "ok", "aged"],
    pam161: ["ok", "aged", "aged"],
  },
  {
    name: "an empty warn with the password 30 days old",
    fields: fieldsOf("T-30:0:30:::"),
    pam152: ["ok", "ok", "aged"],
    pam161: ["ok", "aged", "aged"],
  },
  { name: "warn 10 above max 5 (warns every day)", fields: fieldsOf("T-1:0:5:10::"), ...same("warn 5", "warn 4", "warn 3") },
  {
    name: "max 30 inactive 10 with the password 40 days old",
    fields: fieldsOf("T-40:0:30:7:10:"),
    pam152: ["aged", "aged", "inactive"],
    pam161: ["aged", "inactive", "inactive"],
  },
  {
    name: "max 30 inactive 0 with the password 30 days old",
    fields: fieldsOf("T-30:0:30:7:0:"),
    pam152: ["warn 1", "warn 0", "inactive"],
    pam161: ["warn 1", "inactive", "inactive"],
  },
  {
    name: "max 0 with the password changed today",
    fields: fieldsOf("T:0:0:7::"),
    pam152: ["ok", "warn 0", "aged"],
    pam161: ["ok", "aged", "aged"],
  },
  { name: "min 5 with the password changed today (AUTHTOK_ERR is hidden)", fields: fieldsOf("T:5:30:7::"), ...same("ok", "ok", "ok") },
  { name: "a last change in the future", fields: fieldsOf("T+5:0:30:7::"), ...same("ok", "ok", "ok") },
  { name: "a last change in the future with max 0 inactive 0", fields: fieldsOf("T+5:0:0:7:0:"), ...same("ok", "ok", "ok") },
  { name: "a last change of 1 (1970-01-02) with max 99999", fields: fieldsOf("1:0:99999:7::"), ...same("ok", "ok", "ok") },
  { name: "an empty max with inactive 10", fields: fieldsOf("T-100:0::7:10:"), ...same("ok", "ok", "ok") },
  {
    name: "max 4294967291 (stored -5): 1.5.2 compares it as -5",
    fields: fieldsOf("T-10:0:-5:7::"),
    pam152: ["aged", "aged", "aged"],
    pam161: ["ok", "ok", "ok"],
  },
  {
    name: "expire 4294967294 (stored -2): 1.5.2 treats it as a past day",
    fields: fieldsOf("T-10:0:99999:7::-2"),
    pam152: ["expired", "expired", "expired"],
    pam161: ["ok", "ok", "ok"],
  },
  {
    name: "last change 4294967294 (stored -2) with max 30",
    fields: fieldsOf("-2:0:30:7::"),
    pam152: ["aged", "aged", "aged"],
    pam161: ["ok", "ok", "ok"],
  },
  {
    name: "inactive 4294967291 (stored -5) with the password 31 days old",
    fields: fieldsOf("T-31:0:30:7:-5:"),
    pam152: ["warn 0", "inactive", "inactive"],
    pam161: ["aged", "aged", "aged"],
  },
  { name: "expire before an administrator-forced change wins", fields: fieldsOf("0:0:99999:7::T"), ...same("admin", "expired", "expired") },
  { name: "every aging field empty", fields: fieldsOf(":::::"), ...same("ok", "ok", "ok") },
  { name: "every aging field 0", fields: fieldsOf("0:0:0:0:0:0"), ...same("expired", "expired", "expired") },
];

describe("evaluateAging on the reference §1.5 table", () => {
  for (const row of ROWS) {
    for (const [rules, expected] of [
      ["pam-1.5.2", row.pam152],
      ["pam-1.6.1", row.pam161],
    ] as Array<[AgingRules, [string, string, string]]>) {
      it(`${row.name}, under ${rules}: ${expected.join(" / ")} at T-1 / T / T+1`, () => {
        const actual = [T - 1, T, T + 1].map((today) => shortStatus(evaluateAging(row.fields, today, { rules })));
        assert.deepEqual(actual, expected);
      });
    }
  }
  it("uses the 1.5.2 rules when no option is given", () => {
    for (const row of ROWS) {
      const actual = [T - 1, T, T + 1].map((today) => shortStatus(evaluateAging(row.fields, today)));
      assert.deepEqual(actual, row.pam152, row.name);
    }
  });
});

describe("evaluateAging on parsed lines", () => {
  const cases: Array<[string, string, [string, string, string], [string, string, string]]> = [
    ["the 5-field SVR3 form with max 30, 31 days old", `u:h:${T - 31}:0:30`, ["ok", "aged", "aged"], ["aged", "aged", "aged"]],
    ["max 2147483648 (wraps to -2147483648)", `u:h:${T - 10}:0:2147483648:7:::`, ["aged", "aged", "aged"], ["ok", "ok", "ok"]],
    ["expire 2147483648 (wraps to -2147483648)", `u:h:${T - 10}:0:99999:7::2147483648:`, ["expired", "expired", "expired"], ["ok", "ok", "ok"]],
    ["max -0 (reads as 0)", `u:h:${T - 10}:0:-0:7:::`, ["aged", "aged", "aged"], ["aged", "aged", "aged"]],
  ];
  for (const [name, line, pam152, pam161] of cases) {
    it(`${name}: ${pam152.join(" / ")} under 1.5.2`, () => {
      const parsed = parseShadowLine(line);
      assert.ok(parsed.ok, `the line should parse: ${line}`);
      if (!parsed.ok) return;
      const at = (rules: AgingRules): string[] =>
        [T - 1, T, T + 1].map((today) => shortStatus(evaluateAging(parsed.entry.fields, today, { rules })));
      assert.deepEqual(at("pam-1.5.2"), pam152);
      assert.deepEqual(at("pam-1.6.1"), pam161);
    });
  }
});

describe("checkShadowExpiry", () => {
  const cases: Array<[string, ShadowFields, AgingRules, { code: string; daysLeft: number }]> = [
    ["reports AUTHTOK_ERR when the minimum age is not reached", fieldsOf("T:5:30:7::"), "pam-1.5.2", { code: "PAM_AUTHTOK_ERR", daysLeft: -1 }],
    ["keeps the warning days with AUTHTOK_ERR", fieldsOf("T:5:0:7::"), "pam-1.5.2", { code: "PAM_AUTHTOK_ERR", daysLeft: 0 }],
    ["sets daysleft 0 for an administrator-forced change", fieldsOf("0:0:99999:7::"), "pam-1.5.2", { code: "PAM_NEW_AUTHTOK_REQD", daysLeft: 0 }],
    ["leaves daysleft -1 for an aged password", fieldsOf("T-31:0:30:7::"), "pam-1.5.2", { code: "PAM_NEW_AUTHTOK_REQD", daysLeft: -1 }],
    ["returns lstchg + max - today (<= 0) when inactive under 1.5.2", fieldsOf("T-45:0:30:7:10:"), "pam-1.5.2", { code: "PAM_AUTHTOK_EXPIRED", daysLeft: -15 }],
    ["returns max + inact - passed when inactive under 1.6.1", fieldsOf("T-45:0:30:7:10:"), "pam-1.6.1", { code: "PAM_AUTHTOK_EXPIRED", daysLeft: -5 }],
    [
      "applies C's (int) cast to 1.5.2's daysleft (lstchg and max near INT_MIN)",
      fieldsOf("-2147483648:0:-5:7:0:"),
      "pam-1.5.2",
      { code: "PAM_AUTHTOK_EXPIRED", daysLeft: 2_147_462_859 },
    ],
    ["ignores min 0 under 1.6.1", fieldsOf("T:0:30:7::"), "pam-1.6.1", { code: "PAM_SUCCESS", daysLeft: -1 }],
    ["reports min under 1.6.1 only when positive", fieldsOf("T:1:30:7::"), "pam-1.6.1", { code: "PAM_AUTHTOK_ERR", daysLeft: -1 }],
    ["treats min 4294967295 (stored -1) as unset under 1.5.2", fieldsOf("T:-1:30:7::"), "pam-1.5.2", { code: "PAM_SUCCESS", daysLeft: -1 }],
  ];
  for (const [name, fields, rules, expected] of cases) {
    it(name, () => assert.deepEqual(checkShadowExpiry(fields, T, { rules }), expected));
  }
});

describe("evaluateAccountAging", () => {
  const base: Account = {
    name: "alice",
    passwdPassword: "x",
    uid: 1000,
    gid: 1000,
    gecos: "",
    home: "/home/alice",
    shell: "/bin/sh",
    shadow: fieldsOf("T-31:0:30:7::"),
  };
  const cases: Array<[string, Account, string]> = [
    ["applies the shadow entry of an account whose passwd field is x", base, "aged"],
    ["applies the shadow entry of a ##name passwd field", { ...base, passwdPassword: "##alice" }, "aged"],
    ["ignores aging when the passwd field holds the hash", { ...base, passwdPassword: "$6$salt$hash" }, "ok"],
    ["ignores aging for an empty passwd field", { ...base, passwdPassword: "" }, "ok"],
    ["ignores aging for a ##name of another user", { ...base, passwdPassword: "##bob" }, "ok"],
    ["reports a shadowed account without a shadow entry as unavailable", { ...base, shadow: null }, "unavailable"],
    ["passes a hash-in-passwd account without a shadow entry", { ...base, passwdPassword: "*", shadow: null }, "ok"],
    ["never looks at a locked hash", { ...base, shadow: { ...fieldsOf("T-10:0:99999:7::"), hash: "!" } }, "ok"],
  ];
  for (const [name, account, expected] of cases) {
    it(name, () => assert.equal(shortStatus(evaluateAccountAging(account, T)), expected));
  }
});

describe("agingMessage and agingPamCode", () => {
  const cases: Array<[string, AccountAgingStatus, string, string]> = [
    ["ok shows nothing", { kind: "ok" }, "", "PAM_SUCCESS"],
    ["a warning of 1 day is singular", { kind: "warn", daysLeft: 1 }, "Warning: your password will expire in 1 day.", "PAM_SUCCESS"],
    ["a warning of 0 days is plural", { kind: "warn", daysLeft: 0 }, "Warning: your password will expire in 0 days.", "PAM_SUCCESS"],
    ["a warning of 5 days is plural", { kind: "warn", daysLeft: 5 }, "Warning: your password will expire in 5 days.", "PAM_SUCCESS"],
    [
      "an expired account asks for the administrator",
      { kind: "account-expired" },
      "Your account has expired; please contact your system administrator.",
      "PAM_ACCT_EXPIRED",
    ],
    [
      "an inactive password shows the account-expired text",
      { kind: "inactive" },
      "Your account has expired; please contact your system administrator.",
      "PAM_AUTHTOK_EXPIRED",
    ],
    [
      "an administrator-forced change says so",
      { kind: "must-change", reason: "administrator" },
      "You are required to change your password immediately (administrator enforced).",
      "PAM_NEW_AUTHTOK_REQD",
    ],
    [
      "an aged password says password expired",
      { kind: "must-change", reason: "password-expired" },
      "You are required to change your password immediately (password expired).",
      "PAM_NEW_AUTHTOK_REQD",
    ],
    ["a missing shadow entry shows nothing", { kind: "no-shadow-entry" }, "", "PAM_AUTHINFO_UNAVAIL"],
  ];
  for (const [name, status, message, code] of cases) {
    it(name, () => {
      assert.equal(agingMessage(status), message);
      assert.equal(agingPamCode(status), code);
    });
  }
});

describe("describeAging", () => {
  it("gives every field null and nothing derived without a shadow entry", () => {
    assert.deepEqual(describeAging(null), {
      hasShadow: false,
      lastChange: null,
      minDays: null,
      maxDays: null,
      warnDays: null,
      inactiveDays: null,
      expireDate: null,
      passwordExpires: null,
      passwordInactive: null,
      accountExpires: null,
      mustChange: false,
    });
  });
  const cases: Array<[string, string, Partial<ReturnType<typeof describeAging>>]> = [
    [
      "derives chage's dates from 19000:5:30:7:10:20000",
      "19000:5:30:7:10:20000",
      { passwordExpires: 19_030, passwordInactive: 19_040, accountExpires: 20_000, mustChange: false, hasShadow: true },
    ],
    ["marks a last change of 0 as must change, with no dates", "0:0:99999:7:10:", { passwordExpires: null, passwordInactive: null, mustChange: true }],
    ["treats max 10000 as never (chage 4.13)", "19000::10000:::1", { passwordExpires: null, passwordInactive: null, accountExpires: 1 }],
    ["gives a date for max 9999", "19000:0:9999:7:10:0", { passwordExpires: 28_999, passwordInactive: 29_009, accountExpires: 0 }],
    ["keeps expire 0 as a real date", "19000:0:99999:7::0", { accountExpires: 0 }],
    ["has no inactive date without inactive days", "19000:0:30:7::", { passwordExpires: 19_030, passwordInactive: null }],
    ["keeps stored -1 values as -1, not null", "-1:0:-1:-1:-1:-1", { lastChange: -1, maxDays: -1, passwordExpires: null, accountExpires: null }],
    ["keeps empty fields null", ":::::", { lastChange: null, minDays: null, maxDays: null, warnDays: null, inactiveDays: null, expireDate: null }],
  ];
  for (const [name, spec, expected] of cases) {
    it(name, () => {
      const described = describeAging(fieldsOf(spec));
      for (const [key, value] of Object.entries(expected)) {
        assert.equal(described[key as keyof typeof described], value, key);
      }
    });
  }
});
