// Owns day arithmetic: epoch days from a clock reading, calendar dates <-> day numbers
// (proleptic Gregorian, UTC, any range), and CLI date arguments. Imports nothing.

import type { EpochDays } from "./account";

const MS_PER_DAY = 86_400_000;
/** The largest day number a shadow field holds as itself (larger ones wrap negative in glibc). */
export const MAX_DAY_NUMBER = 2_147_483_647;

/** A calendar date; `month` and `day` are 1-based. */
export interface CivilDate {
  year: number;
  month: number;
  day: number;
}

/** pam_unix's `time(NULL) / 86400`: whole days since 1970-01-01 UTC (no time zone). */
export function todayFromMs(ms: number): EpochDays {
  return Math.floor(ms / MS_PER_DAY);
}

/**
 * The calendar date of a day number (UTC). Exact for any safe integer, far beyond the
 * range of `Date` (shadow dates reach year 11 761 218).
 */
export function civilFromDays(days: number): CivilDate {
  // Howard Hinnant's civil_from_days, with floor division for negative inputs.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return { year, month, day };
}

/** The day number of a calendar date (UTC); the inverse of `civilFromDays`. */
export function daysFromCivil(date: CivilDate): number {
  const y = date.year - (date.month <= 2 ? 1 : 0);
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (date.month > 2 ? date.month - 3 : date.month + 9) + 2) / 5) + date.day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** `YYYY-MM-DD` for a day number (the year zero-padded to at least 4 digits). */
export function formatIsoDay(day: EpochDays): string {
  const { year, month, day: dayOfMonth } = civilFromDays(day);
  const yearText = year < 0 ? `-${String(-year).padStart(4, "0")}` : String(year).padStart(4, "0");
  return `${yearText}-${pad2(month)}-${pad2(dayOfMonth)}`;
}

/**
 * Reads a date given on a command line (`chage -d/-E`, `useradd -e`, `usermod -e`):
 * `YYYY-MM-DD` (a real calendar date from 1970-01-01 on), a day number 0..2147483647, or
 * `-1` (clear the field). Anything else is an error with the reason.
 */
export function parseDayArgument(text: string): number | { error: string } {
  if (text === "") return { error: "the date is empty; give YYYY-MM-DD, a day number, or -1 to clear" };
  if (text === "-1") return -1;
  if (/^-[0-9]+$/.test(text)) {
    return { error: `"${text}" is negative; only -1 (clear the field) is allowed` };
  }
  if (/^[0-9]+$/.test(text)) {
    const digits = text.replace(/^0+(?=.)/, "");
    if (digits.length > 10 || Number(digits) > MAX_DAY_NUMBER) {
      return { error: `day number ${text} is larger than ${MAX_DAY_NUMBER}, the largest a shadow file can hold` };
    }
    return Number(digits);
  }
  const match = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(text);
  if (match === null) {
    return { error: `"${text}" is neither a date (YYYY-MM-DD) nor a day number (or -1 to clear)` };
  }
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12) return { error: `"${text}" has no month ${month}` };
  const lastDay = daysInMonth(year, month);
  if (day < 1 || day > lastDay) {
    return { error: `"${text}" is not a calendar date (${year}-${pad2(month)} has ${lastDay} days)` };
  }
  const days = daysFromCivil({ year, month, day });
  if (days < 0) return { error: `"${text}" is before 1970-01-01, the first day a shadow file can hold` };
  return days;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}
