// Tests pam_faillock's decisions as domain/faillock-policy reproduces them (check_tally and
// write_tally of Linux-PAM 1.5.2): counting from the latest failure, the strict unlock
// boundary, no extension while locked, restart after an expired lock, deny 0, never.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DEFAULT_FAILLOCK_SETTINGS,
  evaluateFaillock,
  faillockHorizonMs,
  recordFailure,
  type FaillockSettings,
  type FaillockStatus,
} from "../../../src/domain/faillock-policy";

const S = 1000;
const at = (atMs: number): { atMs: number } => ({ atMs });
/** deny 3, fail_interval 900 s, unlock_time 600 s. */
const PAM: FaillockSettings = { deny: 3, failIntervalMs: 900 * S, unlockTimeMs: 600 * S };

describe("evaluateFaillock (check_tally)", () => {
  const cases: { name: string; times: number[]; now: number; settings?: FaillockSettings; expected: FaillockStatus }[] = [
    { name: "no failures leave the account open", times: [], now: 0, expected: { kind: "open", failures: 0 } },
    { name: "fewer failures than deny leave it open", times: [10 * S, 20 * S], now: 30 * S, expected: { kind: "open", failures: 2 } },
    {
      name: "deny failures within the interval lock it until latest + unlock_time",
      times: [10 * S, 20 * S, 30 * S],
      now: 31 * S,
      expected: { kind: "locked", failures: 3, latestMs: 30 * S, unlockAtMs: 630 * S + 1 },
    },
    {
      name: "the input order does not matter",
      times: [30 * S, 10 * S, 20 * S],
      now: 31 * S,
      expected: { kind: "locked", failures: 3, latestMs: 30 * S, unlockAtMs: 630 * S + 1 },
    },
    {
      name: "a failure fail_interval or more before the latest one does not count",
      times: [0, 500 * S, 900 * S],
      now: 901 * S,
      expected: { kind: "open", failures: 2 },
    },
    {
      name: "failures are counted from the latest failure, not from now",
      times: [0, 100 * S, 899 * S],
      now: 1400 * S,
      expected: { kind: "locked", failures: 3, latestMs: 899 * S, unlockAtMs: 1499 * S + 1 },
    },
    {
      name: "the lock still holds at exactly latest + unlock_time (pam's test is strict)",
      times: [0, 1 * S, 2 * S],
      now: 602 * S,
      expected: { kind: "locked", failures: 3, latestMs: 2 * S, unlockAtMs: 602 * S + 1 },
    },
    {
      name: "one millisecond later the lock has run out",
      times: [0, 1 * S, 2 * S],
      now: 602 * S + 1,
      expected: { kind: "lock-expired", failures: 3, latestMs: 2 * S },
    },
    {
      name: "more failures than deny still lock",
      times: [0, 1 * S, 2 * S, 3 * S],
      now: 4 * S,
      expected: { kind: "locked", failures: 4, latestMs: 3 * S, unlockAtMs: 603 * S + 1 },
    },
    {
      name: "deny 0 never locks",
      times: [0, 1 * S, 2 * S, 3 * S, 4 * S],
      now: 5 * S,
      settings: { ...PAM, deny: 0 },
      expected: { kind: "open", failures: 5 },
    },
    {
      name: "unlock_time 0 locks until a reset, whatever the time",
      times: [0, 1 * S, 2 * S],
      now: 10 * 365 * 86_400 * S,
      settings: { ...PAM, unlockTimeMs: 0 },
      expected: { kind: "locked", failures: 3, latestMs: 2 * S, unlockAtMs: null },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(evaluateFaillock(c.times, c.now, c.settings ?? PAM), c.expected);
    });
  }
});

describe("recordFailure (authfail: check_tally, then write_tally)", () => {
  const cases: {
    name: string;
    records: number[];
    failure: number;
    settings?: FaillockSettings;
    expected: { kind: "unchanged" } | { kind: "write"; times: number[]; failures: number; locksNow: boolean };
  }[] = [
    { name: "a first failure is written", records: [], failure: 5 * S, expected: { kind: "write", times: [5 * S], failures: 1, locksNow: false } },
    {
      name: "the failure that reaches deny says so (pam logs the lock then)",
      records: [1 * S, 2 * S],
      failure: 3 * S,
      expected: { kind: "write", times: [1 * S, 2 * S, 3 * S], failures: 3, locksNow: true },
    },
    { name: "a failure while locked writes nothing, so the lock is not extended", records: [1 * S, 2 * S, 3 * S], failure: 100 * S, expected: { kind: "unchanged" } },
    {
      name: "after an expired lock every old record goes and counting restarts at 1",
      records: [1 * S, 2 * S, 3 * S],
      failure: 700 * S,
      expected: { kind: "write", times: [700 * S], failures: 1, locksNow: false },
    },
    {
      name: "records fail_interval or more before now are dropped",
      records: [0, 500 * S],
      failure: 900 * S,
      expected: { kind: "write", times: [500 * S, 900 * S], failures: 2, locksNow: false },
    },
    {
      name: "with unlock_time 0 a lock never runs out, so nothing is written",
      records: [1 * S, 2 * S, 3 * S],
      failure: 86_400 * S,
      settings: { ...PAM, unlockTimeMs: 0 },
      expected: { kind: "unchanged" },
    },
    {
      name: "with deny 0 nothing locks and only the newest record is kept",
      records: [1 * S, 2 * S, 3 * S],
      failure: 4 * S,
      settings: { ...PAM, deny: 0 },
      expected: { kind: "write", times: [4 * S], failures: 4, locksNow: false },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const write = recordFailure(c.records.map(at), at(c.failure), c.settings ?? PAM);
      if (c.expected.kind === "unchanged") {
        assert.equal(write.kind, "unchanged");
        return;
      }
      assert.equal(write.kind, "write");
      if (write.kind !== "write") return;
      assert.deepEqual({ times: write.records.map((record) => record.atMs), failures: write.failures, locksNow: write.locksNow }, {
        times: c.expected.times,
        failures: c.expected.failures,
        locksNow: c.expected.locksNow,
      });
    });
  }

  it("keeps the other fields of a record as they were", () => {
    const write = recordFailure([{ atMs: 1, source: "192.0.2.1" }], { atMs: 2, source: "192.0.2.2" }, PAM);
    assert.deepEqual(write.kind === "write" ? write.records : null, [
      { atMs: 1, source: "192.0.2.1" },
      { atMs: 2, source: "192.0.2.2" },
    ]);
  });

  it("deny failures in a row, one at a time, lock on the last one and then stop writing", () => {
    let records: { atMs: number }[] = [];
    const kinds: string[] = [];
    for (let i = 1; i <= 7; i++) {
      const write = recordFailure(records, at(i * S), DEFAULT_FAILLOCK_SETTINGS);
      kinds.push(write.kind === "write" ? `write ${write.failures}${write.locksNow ? " (locks)" : ""}` : "unchanged");
      if (write.kind === "write") records = write.records;
    }
    assert.deepEqual(kinds, ["write 1", "write 2", "write 3", "write 4", "write 5 (locks)", "unchanged", "unchanged"]);
    assert.equal(evaluateFaillock(records.map((record) => record.atMs), 8 * S, DEFAULT_FAILLOCK_SETTINGS).kind, "locked");
  });
});

describe("faillockHorizonMs", () => {
  it("is 2 × fail_interval + unlock_time before now", () => {
    assert.equal(faillockHorizonMs(10_000 * S, PAM), (10_000 - 1800 - 600) * S);
  });
  it("is null when locks never run out", () => {
    assert.equal(faillockHorizonMs(10_000 * S, { ...PAM, unlockTimeMs: 0 }), null);
  });
  it("purging before it never changes a decision (exhaustive over a small grid)", () => {
    const settings: FaillockSettings = { deny: 3, failIntervalMs: 4, unlockTimeMs: 2 };
    for (let mask = 0; mask < 1 << 10; mask++) {
      const times = Array.from({ length: 10 }, (_, i) => i).filter((i) => (mask & (1 << i)) !== 0);
      for (let now = 9; now <= 20; now++) {
        const horizon = faillockHorizonMs(now, settings) ?? Number.NEGATIVE_INFINITY;
        const kept = times.filter((t) => t >= horizon);
        const full = evaluateFaillock(times, now, settings);
        const purged = evaluateFaillock(kept, now, settings);
        assert.equal(purged.kind === "locked", full.kind === "locked", `lock for ${times} at ${now}`);
        const next = recordFailure(times.map(at), at(now), settings);
        const nextPurged = recordFailure(kept.map(at), at(now), settings);
        assert.deepEqual(
          nextPurged.kind === "write" ? nextPurged.records.map((r) => r.atMs) : "unchanged",
          next.kind === "write" ? next.records.map((r) => r.atMs) : "unchanged",
          `write for ${times} at ${now}`,
        );
      }
    }
  });
});
