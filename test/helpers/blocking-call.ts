// Runs blocking unary calls in a worker thread (blocking-call-worker.ts) and resolves their
// outcomes on this thread, whose event loop stays free for the test's own servers.
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { UnaryCallOptions, UnaryOutcome } from "../../src/rpc/http2-unary";

export interface BlockingCaller {
  call(options: UnaryCallOptions): Promise<UnaryOutcome>;
  close(): Promise<void>;
}

export function startBlockingCaller(): BlockingCaller {
  const worker = new Worker(path.join(__dirname, "blocking-call-worker.js"));
  worker.unref();
  const waiting = new Map<number, (outcome: UnaryOutcome) => void>();
  let nextId = 0;
  worker.on("message", ({ id, outcome }: { id: number; outcome: UnaryOutcome }) => {
    const resolve = waiting.get(id);
    waiting.delete(id);
    resolve?.(outcome.kind === "ok" ? { kind: "ok", response: Buffer.from(outcome.response) } : outcome);
  });
  const failAll = (reason: string): void => {
    for (const resolve of waiting.values()) resolve({ kind: "failed", reason });
    waiting.clear();
  };
  worker.on("error", (error) => failAll(`worker failed: ${error.message}`));
  worker.on("exit", (code) => failAll(`worker exited with ${code}`));
  return {
    call(options: UnaryCallOptions): Promise<UnaryOutcome> {
      const id = nextId++;
      worker.ref();
      return new Promise((resolve) => {
        waiting.set(id, (outcome) => {
          if (waiting.size === 0) worker.unref();
          resolve(outcome);
        });
        worker.postMessage({ id, options });
      });
    },
    close: async () => {
      await worker.terminate();
    },
  };
}
