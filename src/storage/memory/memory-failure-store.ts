// Owns the in-memory FailureStore for unit tests: a map from name to records, copied in and
// out so callers cannot change stored state by mutating what they passed or got.
import type { FailureRecord, FailureStore, FailureUpdate } from "../failure-store";

export class MemoryFailureStore implements FailureStore {
  readonly #records = new Map<string, FailureRecord[]>();

  async listFailures(name: string): Promise<FailureRecord[]> {
    return (this.#records.get(name) ?? []).map((record) => ({ ...record }));
  }

  #total = 0;

  async totalFailures(): Promise<number> {
    return this.#total;
  }

  async applyFailureUpdates(updates: readonly FailureUpdate[], failures: number): Promise<void> {
    const staged = new Map<string, FailureRecord[]>();
    for (const { name, update } of updates) {
      const current = staged.get(name) ?? this.#records.get(name) ?? [];
      const next = update(current.map((record) => ({ ...record })));
      if (next === null) continue;
      staged.set(name, [...next].sort((a, b) => a.atMs - b.atMs).map((record) => ({ ...record })));
    }
    for (const [name, records] of staged) {
      if (records.length === 0) this.#records.delete(name);
      else this.#records.set(name, records);
    }
    this.#total += failures;
  }

  async clearFailures(name: string): Promise<number> {
    const count = this.#records.get(name)?.length ?? 0;
    this.#records.delete(name);
    return count;
  }

  async purgeFailures(beforeMs: number): Promise<number> {
    let purged = 0;
    for (const [name, records] of this.#records) {
      const kept = records.filter((record) => record.atMs >= beforeMs);
      purged += records.length - kept.length;
      if (kept.length === 0) this.#records.delete(name);
      else this.#records.set(name, kept);
    }
    return purged;
  }
}
