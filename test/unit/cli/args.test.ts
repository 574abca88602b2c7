// Tests shadowctl's getopt-like wrapper over util.parseArgs and its shared value parsers.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  expectOperands,
  parseCommandLine,
  parseDate,
  parseDayCount,
  parseId,
  type OptionSpecs,
  type ParseOutcome,
  type ParsedCommandLine,
} from "../../../src/cli/shadowctl/args";

const SPECS: OptionSpecs = {
  expiredate: { type: "string", short: "E" },
  mindays: { type: "string", short: "m" },
  lock: { type: "boolean", short: "L" },
  list: { type: "boolean", short: "l" },
};

type Expected =
  | { values: Record<string, string | boolean>; positionals: string[] }
  | { usage: RegExp }
  | "help";

function simplify(outcome: ParseOutcome<ParsedCommandLine>): Expected | { unexpected: string } {
  if (outcome.kind === "help") return "help";
  if (outcome.kind === "usage") return { unexpected: outcome.message };
  const values: Record<string, string | boolean> = {};
  for (const [name, value] of Object.entries(outcome.value.values)) if (value !== undefined) values[name] = value;
  return { values, positionals: outcome.value.positionals };
}

describe("parseCommandLine", () => {
  const cases: Array<{ name: string; args: string[]; expected: Expected }> = [
    { name: "short options take their value from the next argument", args: ["-m", "5", "alice"], expected: { values: { mindays: "5" }, positionals: ["alice"] } },
    { name: "a value may start with a dash, as getopt allows (-E -1)", args: ["-E", "-1", "alice"], expected: { values: { expiredate: "-1" }, positionals: ["alice"] } },
    { name: "a long option's value may start with a dash", args: ["--expiredate", "-1", "alice"], expected: { values: { expiredate: "-1" }, positionals: ["alice"] } },
    { name: "a clustered flag followed by a string option takes the next argument", args: ["-LE", "-1", "bob"], expected: { values: { lock: true, expiredate: "-1" }, positionals: ["bob"] } },
    { name: "an inline short value is kept", args: ["-m7", "bob"], expected: { values: { mindays: "7" }, positionals: ["bob"] } },
    { name: "--name=value is kept", args: ["--mindays=-1", "bob"], expected: { values: { mindays: "-1" }, positionals: ["bob"] } },
    { name: "operands may come before options", args: ["bob", "-L"], expected: { values: { lock: true }, positionals: ["bob"] } },
    { name: "-- ends the options", args: ["-L", "--", "-weird"], expected: { values: { lock: true }, positionals: ["-weird"] } },
    { name: "an empty value is a value", args: ["-E", "", "bob"], expected: { values: { expiredate: "" }, positionals: ["bob"] } },
    { name: "an unknown short option is a usage error", args: ["-x", "bob"], expected: { usage: /Unknown option '-x'/ } },
    { name: "an unknown long option is a usage error", args: ["--bogus"], expected: { usage: /Unknown option '--bogus'/ } },
    { name: "a missing value is a usage error", args: ["-m"], expected: { usage: /argument missing/ } },
    { name: "a value for a boolean flag is a usage error", args: ["--lock=yes"], expected: { usage: /does not take an argument/ } },
    { name: "-h asks for help", args: ["-h"], expected: "help" },
    { name: "--help wins over other errors after it", args: ["--help", "alice"], expected: "help" },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      const outcome = parseCommandLine(testCase.args, SPECS);
      if (typeof testCase.expected === "object" && "usage" in testCase.expected) {
        assert.equal(outcome.kind, "usage");
        if (outcome.kind === "usage") assert.match(outcome.message, testCase.expected.usage);
        return;
      }
      assert.deepEqual(simplify(outcome), testCase.expected);
    });
  }
});

describe("expectOperands", () => {
  const line = (positionals: string[]): ParsedCommandLine => ({ values: {}, positionals });
  it("accepts exactly the named operands", () => {
    assert.deepEqual(expectOperands(line(["alice"]), ["LOGIN"]), { kind: "ok", value: ["alice"] });
  });
  it("names the missing operand", () => {
    assert.deepEqual(expectOperands(line([]), ["LOGIN"]), { kind: "usage", message: "missing LOGIN" });
  });
  it("names the first extra operand", () => {
    assert.deepEqual(expectOperands(line(["alice", "bob"]), ["LOGIN"]), { kind: "usage", message: "unexpected argument 'bob'" });
  });
});

describe("value parsers", () => {
  const cases: Array<{ name: string; outcome: ParseOutcome<number>; expected: number | RegExp }> = [
    { name: "a uid is decimal", outcome: parseId("1000", "user id"), expected: 1000 },
    { name: "uid 0 is allowed", outcome: parseId("0", "user id"), expected: 0 },
    { name: "the largest uid is 4294967294", outcome: parseId("4294967294", "user id"), expected: 4294967294 },
    { name: "uid 4294967295 ((uid_t)-1) is refused", outcome: parseId("4294967295", "user id"), expected: /at most/ },
    { name: "a group name is refused: only numeric ids", outcome: parseId("users", "group id"), expected: /names are not supported/ },
    { name: "a negative uid is refused", outcome: parseId("-5", "user id"), expected: /expected a number/ },
    { name: "a day count is decimal", outcome: parseDayCount("90", "maximum days"), expected: 90 },
    { name: "a day count of -1 clears", outcome: parseDayCount("-1", "maximum days"), expected: -1 },
    { name: "a day count below -1 is refused, as chage does", outcome: parseDayCount("-2", "maximum days"), expected: /or -1 to clear/ },
    { name: "a day count must be a number", outcome: parseDayCount("ten", "warning days"), expected: /expected a number of days/ },
    { name: "a day count above int32 is refused", outcome: parseDayCount("2147483648", "warning days"), expected: /too large/ },
    { name: "a date may be YYYY-MM-DD", outcome: parseDate("2022-01-08", "expiry date"), expected: 19000 },
    { name: "a date may be a day number", outcome: parseDate("19000", "expiry date"), expected: 19000 },
    { name: "day 0 is a date (chage -d 0: must change)", outcome: parseDate("0", "last change date"), expected: 0 },
    { name: "a date of -1 clears", outcome: parseDate("-1", "expiry date"), expected: -1 },
    { name: "an empty date clears, as useradd -e ''", outcome: parseDate("", "expiry date"), expected: -1 },
    { name: "an unparseable date is refused", outcome: parseDate("tomorrow", "expiry date"), expected: /^invalid expiry date 'tomorrow': .*YYYY-MM-DD/ },
    { name: "a date that is not in the calendar is refused", outcome: parseDate("2022-02-30", "expiry date"), expected: /^invalid expiry date '2022-02-30'/ },
    { name: "a negative date other than -1 is refused", outcome: parseDate("-5", "last change date"), expected: /^invalid last change date '-5'/ },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      if (typeof testCase.expected === "number") {
        assert.deepEqual(testCase.outcome, { kind: "ok", value: testCase.expected });
      } else {
        assert.equal(testCase.outcome.kind, "usage");
        if (testCase.outcome.kind === "usage") assert.match(testCase.outcome.message, testCase.expected);
      }
    });
  }
});
