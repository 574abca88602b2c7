// Owns the bound on concurrent password-hashing work: a FIFO gate that runs at most
// `maxConcurrent` tasks, queues at most `maxQueued` more and refuses the rest at once.
// Knows nothing about hashing; imports only app/ports (OverloadedError) and node:os.
import { availableParallelism } from "node:os";
import { OverloadedError } from "../app/ports";

/** Default wait-queue length before callers get OverloadedError. */
export const DEFAULT_MAX_QUEUED = 64;

export interface WorkLimiterOptions {
  /** Tasks allowed to run at once (default: os.availableParallelism()). */
  maxConcurrent?: number;
  /** Tasks allowed to wait for a slot (default: DEFAULT_MAX_QUEUED). 0 means no waiting. */
  maxQueued?: number;
}

/** Point-in-time counters for metrics. */
export interface WorkLimiterCounters {
  running: number;
  queued: number;
  maxConcurrent: number;
  maxQueued: number;
  /** Tasks refused with OverloadedError since creation. */
  rejected: number;
}

interface Waiter {
  start: () => void;
}

/**
 * FIFO concurrency gate. `run(task)` starts the task when a slot is free, otherwise queues
 * it; when the queue is full it rejects at once with OverloadedError and the task never runs.
 */
export class WorkLimiter {
  readonly maxConcurrent: number;
  readonly maxQueued: number;
  private active = 0;
  private rejectedCount = 0;
  /** Oldest first; short (at most maxQueued), so shift() is cheap. */
  private readonly waiting: Waiter[] = [];

  constructor(options: WorkLimiterOptions = {}) {
    const maxConcurrent = options.maxConcurrent ?? availableParallelism();
    const maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED;
    if (!Number.isSafeInteger(maxConcurrent) || maxConcurrent < 1) {
      throw new RangeError(`maxConcurrent must be a positive integer, got ${maxConcurrent}`);
    }
    if (!Number.isSafeInteger(maxQueued) || maxQueued < 0) {
      throw new RangeError(`maxQueued must be a non-negative integer, got ${maxQueued}`);
    }
    this.maxConcurrent = maxConcurrent;
    this.maxQueued = maxQueued;
  }

  /** Tasks currently running. */
  get running(): number {
    return this.active;
  }

  /** Tasks currently waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Counters for metrics. */
  counters(): WorkLimiterCounters {
    return {
      running: this.running,
      queued: this.queued,
      maxConcurrent: this.maxConcurrent,
      maxQueued: this.maxQueued,
      rejected: this.rejectedCount,
    };
  }

  /**
   * Run `task` under the bound. Resolves or rejects with the task's own outcome; rejects
   * with OverloadedError (without calling `task`) when every slot and queue place is taken.
   */
  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active < this.maxConcurrent) {
      return this.start(task);
    }
    if (this.queued >= this.maxQueued) {
      this.rejectedCount += 1;
      return Promise.reject(new OverloadedError());
    }
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({
        start: () => {
          this.start(task).then(resolve, reject);
        },
      });
    });
  }

  private start<T>(task: () => Promise<T>): Promise<T> {
    this.active += 1;
    let pending: Promise<T>;
    try {
      pending = task();
    } catch (err) {
      pending = Promise.reject(err);
    }
    return pending.finally(() => {
      this.active -= 1;
      this.startNext();
    });
  }

  private startNext(): void {
    if (this.active >= this.maxConcurrent) return;
    this.waiting.shift()?.start();
  }
}
