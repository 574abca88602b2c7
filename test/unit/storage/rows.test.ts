// Tests the row ↔ Account mapping and the driver error translation of the SQLite backend.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import type { Account, ShadowFields } from "../../../src/domain/account";
import {
  ACCOUNT_COLUMNS,
  toAccount,
  toValues,
  translateDriverError,
  type AccountRow,
} from "../../../src/storage/sqlite/rows";
import { AlreadyExistsError } from "../../../src/storage/storage";

const SHADOW: ShadowFields = {
  hash: "",
  lastChange: 0,
  minDays: null,
  maxDays: -1,
  warnDays: 7,
  inactiveDays: -2147483648,
  expireDate: 2147483647,
  flag: "",
};

const SHADOWED: Account = {
  name: "alice",
  passwdPassword: "x",
  uid: 1000,
  gid: 100,
  gecos: "Alice",
  home: "/home/alice",
  shell: "/bin/sh",
  shadow: SHADOW,
};

describe("row mapping", () => {
  const cases: { name: string; account: Account; params: Partial<AccountRow> }[] = [
    {
      name: "a shadowed account keeps empty strings, nulls, zeros and -1 apart",
      account: SHADOWED,
      params: {
        has_shadow: 1,
        hash: "",
        last_change: 0,
        min_days: null,
        max_days: -1,
        warn_days: 7,
        inactive_days: -2147483648,
        expire_date: 2147483647,
        flag: "",
      },
    },
    {
      name: "an account without shadow entry has every shadow column NULL",
      account: { ...SHADOWED, passwdPassword: "$1$s$h", shadow: null },
      params: {
        has_shadow: 0,
        hash: null,
        last_change: null,
        min_days: null,
        max_days: null,
        warn_days: null,
        inactive_days: null,
        expire_date: null,
        flag: null,
      },
    },
  ];
  for (const { name, account, params } of cases) {
    it(name, () => {
      const values = toValues(account);
      assert.equal(values.length, ACCOUNT_COLUMNS.length);
      const row = Object.fromEntries(ACCOUNT_COLUMNS.map((column, at) => [column, values[at]]));
      assert.deepEqual({ ...row, ...params }, row, "the expected columns");
      assert.equal(row["passwd_password"], account.passwdPassword);
      assert.deepEqual(toAccount({ ...(row as Omit<AccountRow, "id">), id: 1 }), account);
    });
  }

  const notIntegers: { name: string; account: Account }[] = [
    { name: "a NaN uid", account: { ...SHADOWED, uid: Number.NaN } },
    { name: "a fractional gid", account: { ...SHADOWED, gid: 0.5 } },
    {
      name: "a NaN shadow number, which the driver would bind as NULL",
      account: { ...SHADOWED, shadow: { ...SHADOW, expireDate: Number.NaN } },
    },
    {
      name: "an infinite shadow number",
      account: { ...SHADOWED, shadow: { ...SHADOW, warnDays: -Infinity } },
    },
  ];
  for (const { name, account } of notIntegers) {
    it(`refuses ${name} with RangeError`, () => {
      assert.throws(() => toValues(account), RangeError);
    });
  }
});

describe("translateDriverError", () => {
  const cases: { name: string; code: string; check: (translated: unknown, original: Error) => void }[] = [
    {
      name: "a UNIQUE violation becomes AlreadyExistsError for the account",
      code: "SQLITE_CONSTRAINT_UNIQUE",
      check: (translated) => {
        assert.ok(translated instanceof AlreadyExistsError);
        assert.equal(translated.accountName, "alice");
      },
    },
    ...["SQLITE_CONSTRAINT_CHECK", "SQLITE_CONSTRAINT_NOTNULL", "SQLITE_CONSTRAINT_DATATYPE"].map((code) => ({
      name: `${code} becomes a RangeError naming the account`,
      code,
      check: (translated: unknown, original: Error): void => {
        assert.ok(translated instanceof RangeError);
        assert.match(translated.message, /account 'alice' has a value the storage refuses/);
        assert.equal(translated.cause, original);
      },
    })),
    ...["SQLITE_BUSY", "SQLITE_BUSY_SNAPSHOT", "SQLITE_BUSY_TIMEOUT"].map((code) => ({
      name: `${code} becomes a plain Error without the driver's code`,
      code,
      check: (translated: unknown, original: Error): void => {
        assert.ok(translated instanceof Error);
        assert.ok(!(translated instanceof Database.SqliteError));
        assert.equal((translated as { code?: unknown }).code, undefined);
        assert.match(translated.message, /busy_timeout/);
        assert.equal(translated.cause, original);
      },
    })),
    {
      name: "any other driver error passes unchanged",
      code: "SQLITE_IOERR_WRITE",
      check: (translated, original) => assert.equal(translated, original),
    },
  ];
  for (const { name, code, check } of cases) {
    it(name, () => {
      const original = new Database.SqliteError("driver says no", code);
      check(translateDriverError(original, "alice"), original);
    });
  }

  it("passes errors that are not the driver's unchanged", () => {
    const original = new TypeError("not sqlite");
    assert.equal(translateDriverError(original, "alice"), original);
  });
});
