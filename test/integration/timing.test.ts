// Integration: Authenticate's answer time does not tell an unknown user from a known user
// with a wrong password or from an account without a usable hash (`*`, `!`, no shadow
// entry): medians of 200 calls each, at the daemon's default argon2id cost, within 10 %.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { startTestDaemon } from "../helpers/daemon";
import { AuthResult } from "../../src/gen/shadowd/v1/shadowd";

/**
 * Calls per category. At the default argon2id cost (m=19456 KiB, t=2, p=1: ~50 ms here)
 * 3 × 200 sequential calls take about 35 s. The default cost is kept on purpose: the real
 * hashes are argon2id at exactly the parameters the dummy verification uses, which is the
 * configuration in production; with lower parameters a fixed per-call overhead (gRPC, the
 * SQLite read) would weigh more and the test would be stricter than reality, not laxer.
 */
const CALLS = 200;
const WARM_UP = 10;
const TOLERANCE = 0.1;

type Category = "unknown user" | "wrong password" | "unusable hash";

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

test("unknown users, wrong passwords and unusable hashes answer DENIED with medians within 10 % of each other", { timeout: 180_000 }, async (t) => {
  // Faillock stays on at its defaults: the accounts lock after 5 failures, which must not
  // show either (every failure commits one write, known name or not, locked or not).
  const daemon = await startTestDaemon();
  try {
    await daemon.adminp.addUser({ name: "tim-wrong", gecos: "", home: "/home/tim", shell: "/bin/sh", password: Buffer.from("Timing-right-pw-1") });
    await daemon.adminp.addUser({ name: "tim-star", gecos: "", home: "/home/tim", shell: "/bin/sh", passwordHash: "*" });
    await daemon.adminp.addUser({ name: "tim-bang", gecos: "", home: "/home/tim", shell: "/bin/sh", passwordHash: "!" });
    const report = await daemon.importText("tim-noshadow:x:1300:1300::/home/tim:/bin/sh\n", "");
    assert.equal(report.committed, true);
    const stored = await daemon.adminp.getUser({ name: "tim-wrong" });
    assert.match(stored.shadow?.hash ?? "", /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/, "the real hash costs what the dummy costs");
    assert.equal((await daemon.adminp.getUser({ name: "tim-noshadow" })).shadow, undefined, "tim-noshadow has no shadow entry");

    const users: Record<Category, string[]> = {
      "unknown user": ["tim-nobody"],
      "wrong password": ["tim-wrong"],
      "unusable hash": ["tim-star", "tim-bang", "tim-noshadow"],
    };
    const categories = Object.keys(users) as Category[];
    const samples: Record<Category, number[]> = { "unknown user": [], "wrong password": [], "unusable hash": [] };
    const byUser = new Map<string, number[]>();
    const password = Buffer.from("Timing-wrong-pw-1");
    const callOnce = async (category: Category, round: number): Promise<number> => {
      const names = users[category];
      const username = names[round % names.length]!;
      const started = performance.now();
      const response = await daemon.authp.authenticate({ username, password, service: "imap", remoteAddress: "" });
      const ms = performance.now() - started;
      assert.equal(response.result, AuthResult.AUTH_RESULT_DENIED, `${category} (${username})`);
      byUser.set(username, [...(byUser.get(username) ?? []), ms]);
      return ms;
    };
    for (let round = 0; round < WARM_UP; round++) for (const category of categories) await callOnce(category, round);
    byUser.clear();
    // Interleaved, in a fresh random order each round, so drift and load spread evenly.
    for (let round = 0; round < CALLS; round++) {
      const order = [...categories].sort(() => Math.random() - 0.5);
      for (const category of order) samples[category].push(await callOnce(category, round));
    }

    const medians = categories.map((category) => ({ category, median: median(samples[category]) }));
    const fastest = Math.min(...medians.map((entry) => entry.median));
    const slowest = Math.max(...medians.map((entry) => entry.median));
    const summary = [
      ...medians.map((entry) => `${entry.category}: ${entry.median.toFixed(1)} ms`),
      ...[...byUser].map(([user, values]) => `${user}: ${median(values).toFixed(1)} ms`),
    ].join(", ");
    t.diagnostic(`timing medians: ${summary}; spread ${(((slowest - fastest) / fastest) * 100).toFixed(1)} %`);
    assert.ok(fastest > 10, `every call did a real argon2id verification (fastest median ${fastest.toFixed(1)} ms)`);
    assert.ok(slowest <= fastest * (1 + TOLERANCE), `medians differ by more than ${TOLERANCE * 100} %: ${summary}`);
  } finally {
    await daemon.stop();
  }
});
