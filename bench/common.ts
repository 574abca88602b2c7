// Owns what every benchmark script shares: the median (machines are shared and noisy, so
// figures are medians) and the entry point that exits 0, or prints the error and exits 1.

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Run a benchmark's main and exit: 0 when it finished, 1 (error printed) when it threw. */
export function runBenchmark(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
