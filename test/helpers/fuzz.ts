// Test hook: the fast-check settings every fuzz test shares — a fixed seed and short runs by
// default (make test); SHADOWD_FUZZ_RUNS (runs of every property) and SHADOWD_FUZZ_SEED for
// long runs (make fuzz). The seed is reported so that a failure can be replayed.
import type * as fc from "fast-check";

/** The seed in force: SHADOWD_FUZZ_SEED, or a fixed default so that make test is reproducible. */
export const FUZZ_SEED = Number(process.env.SHADOWD_FUZZ_SEED ?? 20240605);

const RUNS_OVERRIDE = process.env.SHADOWD_FUZZ_RUNS === undefined ? null : Math.max(1, Number(process.env.SHADOWD_FUZZ_RUNS));

/** The number of runs of a property that makes `defaultRuns` runs in make test. */
export function fuzzRuns(defaultRuns: number): number {
  return RUNS_OVERRIDE ?? defaultRuns;
}

/** fast-check parameters for a property that runs `defaultRuns` times in make test. */
export function fuzzParameters<T>(defaultRuns: number): fc.Parameters<T> {
  return { seed: FUZZ_SEED, numRuns: fuzzRuns(defaultRuns), endOnFailure: true };
}

/** A line for t.diagnostic: the seed and how to replay it. */
export function fuzzNote(defaultRuns: number): string {
  return `fuzz seed ${FUZZ_SEED}, ${fuzzRuns(defaultRuns)} runs (replay with SHADOWD_FUZZ_SEED=${FUZZ_SEED}; more with SHADOWD_FUZZ_RUNS=N or make fuzz)`;
}
