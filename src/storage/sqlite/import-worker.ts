// Owns the worker thread of one import file: stages the bytes the main thread hands over
// (import-staging.ts); then the passwd worker runs the merge (import-merge.ts) on its own
// connection while the shadow worker counts orphans, so the daemon's event loop keeps
// serving while a large import runs.
import { parentPort, workerData } from "node:worker_threads";
import type { ImportOutcome, ImportPlan } from "../account-import";
import type { AccountFile } from "../storage";
import { createStagingWriter, type StagingSummary } from "./import-staging";
import { findOrphans, prepareStagedMerge, type OrphanSummary, type Pairing, type PreparedMerge, type StagingFiles } from "./import-merge";

/** What the main thread gives a worker when it starts it. */
export interface ImportWorkerData {
  file: AccountFile;
  stagingPath: string;
}

/** Main thread → worker. */
export type ImportWorkerRequest =
  | { type: "chunk"; bytes: ArrayBuffer }
  | { type: "end" }
  | { type: "index" }
  | { type: "close" }
  | { type: "merge"; databasePath: string; staging: StagingFiles; plan: ImportPlan; pairing: Pairing }
  | { type: "orphans"; staging: StagingFiles }
  | { type: "decide"; orphans: OrphanSummary };

/** Worker → main thread. */
export type ImportWorkerReply =
  | { type: "ack" }
  | { type: "staged"; summary: StagingSummary }
  | { type: "indexed"; duplicates: number }
  | { type: "closed" }
  | { type: "prepared" }
  | { type: "orphans"; orphans: OrphanSummary }
  | { type: "outcome"; outcome: ImportOutcome }
  | { type: "checkpointed" }
  | { type: "error"; message: string };

function runWorker(): void {
  const port = parentPort;
  if (port === null) throw new Error("import-worker.js must run as a worker thread");
  const { file, stagingPath } = workerData as ImportWorkerData;
  const reply = (message: ImportWorkerReply): void => port.postMessage(message);
  let writer: ReturnType<typeof createStagingWriter> | null = null;
  let merge: PreparedMerge | null = null;
  port.on("message", (request: ImportWorkerRequest) => {
    try {
      switch (request.type) {
        case "chunk":
          writer ??= createStagingWriter(stagingPath, file);
          writer.push(new Uint8Array(request.bytes));
          reply({ type: "ack" });
          break;
        case "end":
          writer ??= createStagingWriter(stagingPath, file);
          reply({ type: "staged", summary: writer.end() });
          break;
        case "index":
          if (writer === null) throw new Error("index before end");
          reply({ type: "indexed", duplicates: writer.index() });
          break;
        case "close":
          writer?.close();
          reply({ type: "closed" });
          break;
        case "merge":
          merge = prepareStagedMerge(request.databasePath, request.staging, request.plan, request.pairing);
          reply({ type: "prepared" });
          break;
        case "orphans":
          reply({ type: "orphans", orphans: findOrphans(request.staging) });
          break;
        case "decide": {
          if (merge === null) throw new Error("decide before merge");
          const merged = merge.decide(request.orphans);
          reply({ type: "outcome", outcome: merged.outcome });
          // After the answer: the import's caller need not wait for the WAL to be copied back.
          merged.checkpoint();
          reply({ type: "checkpointed" });
          break;
        }
      }
    } catch (error) {
      writer?.close();
      merge?.close();
      reply({ type: "error", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  });
}

runWorker();
