// Owns the mapping between `accounts` rows and domain Accounts (snake_case ↔ camelCase,
// NULL ↔ null, has_shadow ↔ shadow !== null) and the translation of driver errors into
// storage errors. No SQL statements live here.
import Database from "better-sqlite3";
import type { Account } from "../../domain/account";
import { AlreadyExistsError } from "../storage";

/** The columns of `accounts` that carry account data, in insert order. */
export const ACCOUNT_COLUMNS = [
  "name",
  "passwd_password",
  "uid",
  "gid",
  "gecos",
  "home",
  "shell",
  "has_shadow",
  "hash",
  "last_change",
  "min_days",
  "max_days",
  "warn_days",
  "inactive_days",
  "expire_date",
  "flag",
] as const;

/** One `accounts` row as better-sqlite3 returns it (without the timestamps). */
export interface AccountRow {
  id: number;
  name: string;
  passwd_password: string;
  uid: number;
  gid: number;
  gecos: string;
  home: string;
  shell: string;
  has_shadow: number;
  hash: string | null;
  last_change: number | null;
  min_days: number | null;
  max_days: number | null;
  warn_days: number | null;
  inactive_days: number | null;
  expire_date: number | null;
  flag: string | null;
}

/**
 * The bind values of an account, in ACCOUNT_COLUMNS order (positional binding: measurably
 * cheaper than named parameters for bulk imports).
 */
export type AccountValues = [
  name: string,
  passwdPassword: string,
  uid: number,
  gid: number,
  gecos: string,
  home: string,
  shell: string,
  hasShadow: 0 | 1,
  hash: string | null,
  lastChange: number | null,
  minDays: number | null,
  maxDays: number | null,
  warnDays: number | null,
  inactiveDays: number | null,
  expireDate: number | null,
  flag: string | null,
];

/** The domain Account of a row. */
export function toAccount(row: AccountRow): Account {
  return {
    name: row.name,
    passwdPassword: row.passwd_password,
    uid: row.uid,
    gid: row.gid,
    gecos: row.gecos,
    home: row.home,
    shell: row.shell,
    shadow:
      row.has_shadow === 0
        ? null
        : {
            hash: row.hash ?? "",
            lastChange: row.last_change,
            minDays: row.min_days,
            maxDays: row.max_days,
            warnDays: row.warn_days,
            inactiveDays: row.inactive_days,
            expireDate: row.expire_date,
            flag: row.flag ?? "",
          },
  };
}

/**
 * The bind values of an account. Throws RangeError for a number that is not an integer:
 * better-sqlite3 would bind NaN as NULL, silently turning it into an empty shadow field.
 * Ranges and separators are checked by the schema's CHECK constraints.
 */
export function toValues(account: Account): AccountValues {
  const shadow = account.shadow;
  const name = account.name;
  return shadow === null
    ? [
        name,
        account.passwdPassword,
        checkInteger(name, "uid", account.uid),
        checkInteger(name, "gid", account.gid),
        account.gecos,
        account.home,
        account.shell,
        0,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
      ]
    : [
        name,
        account.passwdPassword,
        checkInteger(name, "uid", account.uid),
        checkInteger(name, "gid", account.gid),
        account.gecos,
        account.home,
        account.shell,
        1,
        shadow.hash,
        checkInteger(name, "lastChange", shadow.lastChange),
        checkInteger(name, "minDays", shadow.minDays),
        checkInteger(name, "maxDays", shadow.maxDays),
        checkInteger(name, "warnDays", shadow.warnDays),
        checkInteger(name, "inactiveDays", shadow.inactiveDays),
        checkInteger(name, "expireDate", shadow.expireDate),
        shadow.flag,
      ];
}

function checkInteger<T extends number | null>(name: string, field: string, value: T): T {
  if (value !== null && !Number.isInteger(value)) {
    throw new RangeError(`account '${name}': ${field} must be an integer, not ${value}`);
  }
  return value;
}

/**
 * The storage error for a driver error raised while writing the account `name`:
 * - a UNIQUE violation → AlreadyExistsError(name);
 * - a CHECK, NOT NULL or STRICT type violation → RangeError naming the account;
 * - SQLITE_BUSY (the write lock stayed taken longer than busy_timeout, which every write
 *   waits for because it starts with BEGIN IMMEDIATE) → an Error saying so, the driver
 *   error as its cause;
 * - anything else is returned unchanged.
 */
export function translateDriverError(error: unknown, name: string): unknown {
  if (!(error instanceof Database.SqliteError)) return error;
  if (error.code === "SQLITE_CONSTRAINT_UNIQUE") return new AlreadyExistsError(name);
  if (
    error.code === "SQLITE_CONSTRAINT_CHECK" ||
    error.code === "SQLITE_CONSTRAINT_NOTNULL" ||
    error.code === "SQLITE_CONSTRAINT_DATATYPE"
  ) {
    return new RangeError(`account '${name}' has a value the storage refuses (${error.message})`, {
      cause: error,
    });
  }
  if (error.code === "SQLITE_BUSY" || error.code.startsWith("SQLITE_BUSY_")) {
    return new Error("the database stayed locked by another connection beyond busy_timeout", {
      cause: error,
    });
  }
  return error;
}
