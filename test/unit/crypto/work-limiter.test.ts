// Tests the hashing concurrency gate: the running bound, FIFO draining, immediate
// OverloadedError beyond the queue, counters, and that failures free their slot.
import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { describe, it } from "node:test";
import { OverloadedError } from "../../../src/app/ports";
import { DEFAULT_MAX_QUEUED, WorkLimiter } from "../../../src/crypto/work-limiter";

/** A task the test finishes by hand. */
interface Gate {
  task: () => Promise<number>;
  started: boolean;
  finish: () => void;
  fail: (err: Error) => void;
}

function makeGate(value: number, startOrder: number[]): Gate {
  let resolve: (v: number) => void = () => undefined;
  let reject: (err: Error) => void = () => undefined;
  const gate: Gate = {
    started: false,
    task: () => {
      gate.started = true;
      startOrder.push(value);
      return new Promise<number>((res, rej) => {
        resolve = res;
        reject = rej;
      });
    },
    finish: () => resolve(value),
    fail: (err) => reject(err),
  };
  return gate;
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("WorkLimiter defaults", () => {
  it("runs as many tasks as the machine has cores and queues 64", () => {
    const limiter = new WorkLimiter();
    assert.equal(limiter.maxConcurrent, availableParallelism());
    assert.equal(limiter.maxQueued, DEFAULT_MAX_QUEUED);
    assert.equal(DEFAULT_MAX_QUEUED, 64);
  });

  const invalid = [
    { name: "zero concurrency is refused", options: { maxConcurrent: 0 } },
    { name: "fractional concurrency is refused", options: { maxConcurrent: 1.5 } },
    { name: "a negative queue is refused", options: { maxQueued: -1 } },
  ];
  for (const c of invalid) {
    it(c.name, () => {
      assert.throws(() => new WorkLimiter(c.options), RangeError);
    });
  }
});

describe("WorkLimiter bound and queue", () => {
  it("never runs more than maxConcurrent tasks and starts the rest in FIFO order", async () => {
    const startOrder: number[] = [];
    const limiter = new WorkLimiter({ maxConcurrent: 3, maxQueued: 10 });
    const gates = Array.from({ length: 10 }, (_, i) => makeGate(i, startOrder));
    let maxSeen = 0;
    const results = gates.map((gate) =>
      limiter.run(async () => {
        maxSeen = Math.max(maxSeen, limiter.running);
        return gate.task();
      }),
    );
    await flush();
    assert.deepEqual(startOrder, [0, 1, 2]);
    assert.equal(limiter.running, 3);
    assert.equal(limiter.queued, 7);

    // Finish out of order: each freed slot goes to the oldest waiter.
    gates[1]?.finish();
    await flush();
    assert.deepEqual(startOrder, [0, 1, 2, 3]);
    gates[0]?.finish();
    gates[3]?.finish();
    await flush();
    assert.deepEqual(startOrder, [0, 1, 2, 3, 4, 5]);
    assert.equal(limiter.running, 3);

    for (const gate of gates) {
      gate.finish();
      await flush();
    }
    assert.deepEqual(await Promise.all(results), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(startOrder, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.ok(maxSeen <= 3, `saw ${maxSeen} running`);
    assert.equal(limiter.running, 0);
    assert.equal(limiter.queued, 0);
  });

  it("rejects the 65th waiting call at once with OverloadedError, without running it", async () => {
    const startOrder: number[] = [];
    const limiter = new WorkLimiter({ maxConcurrent: 2 });
    const gates = Array.from({ length: 2 + 64 }, (_, i) => makeGate(i, startOrder));
    const accepted = gates.map((gate) => limiter.run(gate.task));
    assert.equal(limiter.running, 2);
    assert.equal(limiter.queued, 64);

    let extraRan = false;
    const extra = limiter.run(async () => {
      extraRan = true;
      return -1;
    });
    let settledFirst: "extra" | "none" = "none";
    await Promise.race([
      extra.then(
        () => undefined,
        () => {
          settledFirst = "extra";
        },
      ),
      flush(),
    ]);
    assert.equal(settledFirst, "extra");
    await assert.rejects(extra, OverloadedError);
    assert.equal(extraRan, false);
    assert.equal(limiter.counters().rejected, 1);
    assert.deepEqual(limiter.counters(), { running: 2, queued: 64, maxConcurrent: 2, maxQueued: 64, rejected: 1 });

    // Once a slot frees, the queue has room again.
    gates[0]?.finish();
    await flush();
    assert.equal(limiter.queued, 63);
    const late = makeGate(999, startOrder);
    const lateResult = limiter.run(late.task);
    assert.equal(limiter.queued, 64);

    for (const gate of [...gates, late]) {
      gate.finish();
      await flush();
    }
    await Promise.all([...accepted, lateResult]);
    assert.equal(startOrder.at(-1), 999);
  });

  it("with maxQueued 0 refuses anything beyond the running tasks", async () => {
    const limiter = new WorkLimiter({ maxConcurrent: 1, maxQueued: 0 });
    const gate = makeGate(1, []);
    const first = limiter.run(gate.task);
    await assert.rejects(limiter.run(async () => 2), OverloadedError);
    gate.finish();
    assert.equal(await first, 1);
  });
});

describe("WorkLimiter failures", () => {
  it("a rejected task passes its error on and frees its slot", async () => {
    const startOrder: number[] = [];
    const limiter = new WorkLimiter({ maxConcurrent: 1, maxQueued: 1 });
    const failing = makeGate(1, startOrder);
    const next = makeGate(2, startOrder);
    const failed = limiter.run(failing.task);
    const queued = limiter.run(next.task);
    failing.fail(new Error("boom"));
    await assert.rejects(failed, /boom/);
    await flush();
    assert.deepEqual(startOrder, [1, 2]);
    next.finish();
    assert.equal(await queued, 2);
    assert.equal(limiter.running, 0);
  });

  it("a task that throws synchronously rejects and frees its slot", async () => {
    const limiter = new WorkLimiter({ maxConcurrent: 1, maxQueued: 1 });
    const thrower = (): Promise<number> => {
      throw new Error("sync boom");
    };
    await assert.rejects(limiter.run(thrower), /sync boom/);
    assert.equal(limiter.running, 0);
    assert.equal(await limiter.run(async () => 7), 7);
  });
});
