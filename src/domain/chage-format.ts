// Owns the text of `chage -l`, byte for byte as shadow-utils 4.13 prints it in the C locale
// (list_fields in src/chage.c). Pure; imports only domain/.

import { describeAging, type AgingDescription, type AgingFields } from "./aging";
import { civilFromDays } from "./days";

export interface ChageFormatOptions {
  /** `chage -i`: dates as YYYY-MM-DD instead of "%b %d, %Y". */
  iso?: boolean;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const;

/**
 * `chage -l` for a shadow entry, or for none (null: a missing or rejected shadow line, which
 * chage shows as "never" and -1). Seven lines, each ending in "\n", labels padded with tabs.
 */
export function formatChageList(shadow: AgingFields | null, options?: ChageFormatOptions): string {
  return formatAgingDescription(describeAging(shadow), options);
}

/**
 * `chage -l` from the numbers GetAging returns (see describeAging), so a client holding
 * only an Aging message prints the same bytes.
 */
export function formatAgingDescription(aging: AgingDescription, options?: ChageFormatOptions): string {
  const iso = options?.iso ?? false;
  const lastChange = aging.lastChange ?? -1;
  const mustChange = "password must be changed";
  const lines = [
    `Last password change\t\t\t\t\t: ${lastChange < 0 ? "never" : lastChange === 0 ? mustChange : formatChageDate(lastChange, iso)}`,
    `Password expires\t\t\t\t\t: ${aging.mustChange ? mustChange : dateOrNever(aging.passwordExpires, iso)}`,
    `Password inactive\t\t\t\t\t: ${aging.mustChange ? mustChange : dateOrNever(aging.passwordInactive, iso)}`,
    `Account expires\t\t\t\t\t\t: ${dateOrNever(aging.accountExpires, iso)}`,
    `Minimum number of days between password change\t\t: ${aging.minDays ?? -1}`,
    `Maximum number of days between password change\t\t: ${aging.maxDays ?? -1}`,
    `Number of days of warning before password expires\t: ${aging.warnDays ?? -1}`,
  ];
  return `${lines.join("\n")}\n`;
}

/**
 * A day as chage's print_date shows it: strftime "%b %d, %Y" (or "%Y-%m-%d") of gmtime in
 * the C locale. The year is not padded and may have more than 4 digits.
 */
export function formatChageDate(day: number, iso: boolean): string {
  const { year, month, day: dayOfMonth } = civilFromDays(day);
  const dd = String(dayOfMonth).padStart(2, "0");
  if (iso) return `${year}-${String(month).padStart(2, "0")}-${dd}`;
  return `${MONTHS[month - 1] ?? "???"} ${dd}, ${year}`;
}

function dateOrNever(day: number | null, iso: boolean): string {
  return day === null ? "never" : formatChageDate(day, iso);
}
