// Tests domain/days.ts: the clock-to-day rule, calendar conversions and CLI date arguments.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  civilFromDays,
  daysFromCivil,
  formatIsoDay,
  MAX_DAY_NUMBER,
  parseDayArgument,
  todayFromMs,
} from "../../../src/domain/days";

describe("todayFromMs", () => {
  const cases: Array<[string, number, number]> = [
    ["the epoch is day 0", 0, 0],
    ["the last millisecond of day 0 is still day 0", 86_399_999, 0],
    ["midnight UTC starts the next day", 86_400_000, 1],
    ["2026-11-27T00:00:00Z is day 20784", Date.UTC(2026, 10, 27), 20_784],
    ["2026-11-27T23:59:59.999Z is still day 20784", Date.UTC(2026, 10, 27, 23, 59, 59, 999), 20_784],
    ["a time before 1970 floors to a negative day", -1, -1],
  ];
  for (const [name, ms, day] of cases) {
    it(name, () => assert.equal(todayFromMs(ms), day));
  }
});

describe("civilFromDays and daysFromCivil", () => {
  it("agree with Date for every day in a wide range", () => {
    fc.assert(
      fc.property(fc.integer({ min: -1_000_000, max: 2_000_000 }), (day) => {
        const date = new Date(day * 86_400_000);
        const civil = civilFromDays(day);
        assert.deepEqual(civil, { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() });
        assert.equal(daysFromCivil(civil), day);
      }),
      { seed: 20_784, numRuns: 2000 },
    );
  });
  it("reach far beyond Date's range (chage prints year 11761218)", () => {
    assert.deepEqual(civilFromDays(2_147_483_647), { year: 5_881_580, month: 7, day: 11 });
    // chage 4.13 printed "Jun 05, 11761218" for 2147483647 + 9999 + 2147483647.
    assert.deepEqual(civilFromDays(4_294_977_293), { year: 11_761_218, month: 6, day: 5 });
    assert.equal(daysFromCivil({ year: 5_881_580, month: 7, day: 11 }), 2_147_483_647);
  });
});

describe("formatIsoDay", () => {
  const cases: Array<[string, number, string]> = [
    ["day 0 is 1970-01-01", 0, "1970-01-01"],
    ["day 19000 is 2022-01-08", 19_000, "2022-01-08"],
    ["a leap day prints as Feb 29", daysFromCivil({ year: 2024, month: 2, day: 29 }), "2024-02-29"],
    ["a five-digit year is not cut", 3_000_000, "10183-09-21"],
  ];
  for (const [name, day, text] of cases) {
    it(name, () => assert.equal(formatIsoDay(day), text));
  }
});

describe("parseDayArgument", () => {
  const accepted: Array<[string, string, number]> = [
    ["-1 clears the field", "-1", -1],
    ["0 is a day number", "0", 0],
    ["a plain day number is itself", "19000", 19_000],
    ["leading zeros do not make it octal", "010", 10],
    ["the largest 32-bit day is accepted", "2147483647", MAX_DAY_NUMBER],
    ["1970-01-01 is day 0", "1970-01-01", 0],
    ["2022-01-08 is day 19000", "2022-01-08", 19_000],
    ["a leap day in a leap year is valid", "2024-02-29", daysFromCivil({ year: 2024, month: 2, day: 29 })],
    ["2000 is a leap year", "2000-02-29", daysFromCivil({ year: 2000, month: 2, day: 29 })],
    ["9999-12-31 is the last four-digit date", "9999-12-31", 2_932_896],
  ];
  for (const [name, text, day] of accepted) {
    it(`accepts ${name}`, () => assert.equal(parseDayArgument(text), day));
  }
  const rejected: Array<[string, string, RegExp]> = [
    ["the empty string", "", /empty/],
    ["-2 (only -1 may be negative)", "-2", /negative; only -1/],
    ["-0 (a negative sign)", "-0", /negative/],
    ["a day number above 2147483647 (glibc would wrap it negative)", "2147483648", /larger than 2147483647/],
    ["a huge day number", "99999999999999999999", /larger than/],
    ["February 30", "2023-02-30", /not a calendar date \(2023-02 has 28 days\)/],
    ["February 29 in a common year", "1900-02-29", /1900-02 has 28 days/],
    ["month 13", "2023-13-01", /no month 13/],
    ["month 00", "2023-00-10", /no month 0/],
    ["day 00", "2023-01-00", /not a calendar date/],
    ["a date before 1970", "1969-12-31", /before 1970-01-01/],
    ["a one-digit month", "2023-1-05", /neither a date/],
    ["a date with a time", "2023-01-05T00:00", /neither a date/],
    ["a date with spaces", " 2023-01-05", /neither a date/],
    ["a plus sign", "+5", /neither a date/],
    ["words", "tomorrow", /neither a date/],
    ["a US-style date", "01/05/2023", /neither a date/],
  ];
  for (const [name, text, reason] of rejected) {
    it(`rejects ${name}`, () => {
      const result = parseDayArgument(text);
      assert.equal(typeof result, "object", `expected an error for ${JSON.stringify(text)}`);
      if (typeof result === "object") assert.match(result.error, reason);
    });
  }
  it("round-trips every ISO date it formats", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2_932_896 }), (day) => {
        assert.equal(parseDayArgument(formatIsoDay(day)), day);
      }),
      { seed: 7, numRuns: 2000 },
    );
  });
});
