// Owns the SQLite AccountImporter: per session two worker threads (import-worker.ts), one per
// file, stage their bytes in parallel into throw-away files under the state directory, then
// the passwd worker merges both into the database on its own connection while the shadow
// worker looks for orphans. The main thread only hands chunks over (with backpressure), so
// it keeps serving during a large import.
import * as fs from "node:fs";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { ImportBusyError, type AccountImporter, type ImportOutcome, type ImportPlan, type ImportSession } from "../account-import";
import type { AccountFile } from "../storage";
import type { ImportWorkerData, ImportWorkerReply, ImportWorkerRequest } from "./import-worker";
import type { StagingSummary } from "./import-staging";
import type { OrphanSummary, Pairing, StagingFiles } from "./import-merge";

const NO_ORPHANS: OrphanSummary = { count: 0, first: [] };

/**
 * Chunks a worker may have queued before addPasswd/addShadow wait for it. Both files'
 * chunks come through one stream in turn, so a short queue makes the other worker wait
 * whenever one falls behind: 16 chunks (4 MiB of 256 KiB chunks) keep both busy.
 */
const MAX_CHUNKS_IN_FLIGHT = 16;

const WORKER_SCRIPT = path.join(__dirname, "import-worker.js");

/**
 * A worker keeps only a chunk's lines and one batch of rows at a time: bounded heaps keep
 * the daemon's peak RSS well under 300 MB at a million lines (a 4 MB young generation
 * saves 30 MB more, for about 8% more CPU in the workers).
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 64 };

export interface SqliteImporterOptions {
  /** The accounts database (a file: the workers open their own connections to it). */
  databasePath: string;
  /** Where staging files go; emptied now (left-overs of a killed daemon) and per session. */
  stagingDir: string;
}

/**
 * An importer for the database at options.databasePath. Creating it deletes stagingDir
 * (only a previous run's staging files can be there: one daemon per state directory), so
 * create it once, at start. Sessions run one at a time (ImportBusyError otherwise).
 */
export function createSqliteAccountImporter(options: SqliteImporterOptions): AccountImporter {
  fs.rmSync(options.stagingDir, { recursive: true, force: true });
  let open = false;
  /** The last session's clean-up (its checkpoint, workers, files), which may outlive it. */
  let closing: Promise<void> = Promise.resolve();
  let counter = 0;
  return {
    async begin(): Promise<ImportSession> {
      if (open) throw new ImportBusyError();
      open = true;
      try {
        await closing;
        fs.mkdirSync(options.stagingDir, { recursive: true, mode: 0o700 });
        counter++;
        return createSession(options.databasePath, options.stagingDir, `import-${process.pid}-${counter}`, (cleanUp) => {
          open = false;
          closing = cleanUp;
        });
      } catch (error) {
        open = false;
        throw error;
      }
    },
  };
}

/** One worker thread and the chunks it has not acknowledged yet. */
class FileWorker {
  readonly #worker: Worker;
  readonly #waiting: Array<{ resolve: (reply: ImportWorkerReply) => void; reject: (error: Error) => void; want: ImportWorkerReply["type"] }> = [];
  readonly #drained: Array<() => void> = [];
  #inFlight = 0;
  #failure: Error | null = null;
  #exited = false;

  constructor(readonly file: AccountFile, readonly stagingPath: string) {
    // An empty file with mode 0600 first, so SQLite does not create it with the umask's mode.
    fs.closeSync(fs.openSync(stagingPath, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600));
    const data: ImportWorkerData = { file, stagingPath };
    this.#worker = new Worker(WORKER_SCRIPT, { workerData: data, resourceLimits: WORKER_LIMITS });
    this.#worker.on("message", (reply: ImportWorkerReply) => this.#onReply(reply));
    this.#worker.on("error", (error: Error) => this.#fail(error));
    this.#worker.on("exit", (code) => {
      this.#exited = true;
      this.#fail(new Error(`the ${file} import worker exited (code ${code})`));
    });
  }

  /** Hand `chunk` over (copied: the worker owns what it gets); waits while too many are queued. */
  async send(chunk: Uint8Array): Promise<void> {
    this.#throwIfFailed();
    const copy = new Uint8Array(chunk.byteLength);
    copy.set(chunk);
    this.#inFlight++;
    this.#post({ type: "chunk", bytes: copy.buffer }, [copy.buffer]);
    while (this.#inFlight >= MAX_CHUNKS_IN_FLIGHT) {
      await new Promise<void>((resolve) => this.#drained.push(resolve));
      this.#throwIfFailed();
    }
  }

  /** The end of this file: every line staged and committed. */
  async end(): Promise<StagingSummary> {
    const reply = await this.#request({ type: "end" }, "staged");
    if (reply.type !== "staged") throw new Error("unexpected reply");
    return reply.summary;
  }

  /** Index the names, resolve duplicates, close the staging file: how many duplicates. */
  async index(): Promise<number> {
    const reply = await this.#request({ type: "index" }, "indexed");
    if (reply.type !== "indexed") throw new Error("unexpected reply");
    return reply.duplicates;
  }

  /** Close the staging file without indexing it. */
  async closeFile(): Promise<void> {
    await this.#request({ type: "close" }, "closed");
  }

  /** Carry out the plan up to its commit (import-merge.ts prepareStagedMerge). */
  async prepareMerge(databasePath: string, staging: StagingFiles, plan: ImportPlan, pairing: Pairing): Promise<void> {
    await this.#request({ type: "merge", databasePath, staging, plan, pairing }, "prepared");
  }

  /** The shadow lines without a passwd line (import-merge.ts findOrphans). */
  async findOrphans(staging: StagingFiles): Promise<OrphanSummary> {
    const reply = await this.#request({ type: "orphans", staging }, "orphans");
    if (reply.type !== "orphans") throw new Error("unexpected reply");
    return reply.orphans;
  }

  /** Commit or roll back the prepared merge: its outcome, and when the checkpoint after it ran. */
  async decide(orphans: OrphanSummary): Promise<{ outcome: ImportOutcome; checkpointed: Promise<unknown> }> {
    const checkpointed = this.#expect("checkpointed");
    checkpointed.catch(() => undefined);
    const reply = await this.#request({ type: "decide", orphans }, "outcome");
    if (reply.type !== "outcome") throw new Error("unexpected reply");
    return { outcome: reply.outcome, checkpointed };
  }

  async stop(): Promise<void> {
    if (!this.#exited) await this.#worker.terminate();
  }

  #request(request: ImportWorkerRequest, want: ImportWorkerReply["type"]): Promise<ImportWorkerReply> {
    this.#throwIfFailed();
    const reply = this.#expect(want);
    this.#post(request);
    return reply;
  }

  #expect(want: ImportWorkerReply["type"]): Promise<ImportWorkerReply> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    return new Promise<ImportWorkerReply>((resolve, reject) => this.#waiting.push({ resolve, reject, want }));
  }

  #post(request: ImportWorkerRequest, transfer: ArrayBuffer[] = []): void {
    this.#worker.postMessage(request, transfer);
  }

  #onReply(reply: ImportWorkerReply): void {
    if (reply.type === "ack") {
      this.#inFlight--;
      for (const wake of this.#drained.splice(0)) wake();
      return;
    }
    if (reply.type === "error") {
      this.#fail(new Error(`${this.file} import worker: ${reply.message}`));
      return;
    }
    const index = this.#waiting.findIndex((waiter) => waiter.want === reply.type);
    const [waiter] = index < 0 ? [] : this.#waiting.splice(index, 1);
    waiter?.resolve(reply);
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#failure);
    for (const wake of this.#drained.splice(0)) wake();
  }

  #throwIfFailed(): void {
    if (this.#failure !== null) throw this.#failure;
  }
}

function createSession(databasePath: string, stagingDir: string, prefix: string, release: (cleanUp: Promise<void>) => void): ImportSession {
  const passwd = new FileWorker("passwd", path.join(stagingDir, `${prefix}-passwd.db`));
  let shadow: FileWorker;
  try {
    shadow = new FileWorker("shadow", path.join(stagingDir, `${prefix}-shadow.db`));
  } catch (error) {
    void passwd.stop();
    fs.rmSync(passwd.stagingPath, { force: true });
    throw error;
  }
  let cleanUp: Promise<void> | null = null;
  /** Stop both workers (after `first`), delete the staging files, free the importer. */
  const close = (first: Promise<unknown> = Promise.resolve()): Promise<void> => {
    if (cleanUp === null) {
      cleanUp = (async () => {
        await first.catch(() => undefined);
        await Promise.allSettled([passwd.stop(), shadow.stop()]);
        for (const worker of [passwd, shadow]) fs.rmSync(worker.stagingPath, { force: true });
      })();
      release(cleanUp);
    }
    return cleanUp;
  };
  return {
    addPasswd: (chunk) => passwd.send(chunk),
    addShadow: (chunk) => shadow.send(chunk),
    async finish(plan: ImportPlan): Promise<ImportOutcome> {
      try {
        const [passwdFile, shadowFile] = await Promise.all([passwd.end(), shadow.end()]);
        // The same names in the same order (a SHA-256 of each file's name sequence): the
        // shadow file needs no index of its own, and its lines pair up with the passwd lines
        // by entry number. Otherwise they pair up by name, and some may have no passwd line.
        const sameOrder = passwdFile.entries === shadowFile.entries && passwdFile.namesDigest === shadowFile.namesDigest;
        const [passwdDuplicates] = await Promise.all([passwd.index(), sameOrder ? Promise.resolve(0) : shadow.index()]);
        // Duplicate names (then in both files alike) are rare: the shadow file gets its index
        // and its duplicates resolved too, and the lines pair up by name, the general way.
        if (sameOrder) await (passwdDuplicates > 0 ? shadow.index() : shadow.closeFile());
        const pairing: Pairing = sameOrder && passwdDuplicates === 0 ? "entry" : "name";
        const staging = { passwd: passwd.stagingPath, shadow: shadow.stagingPath };
        // In parallel: the passwd worker merges up to the commit, the shadow worker counts
        // shadow lines without a passwd line (any problem may still roll the merge back).
        const orphans = pairing === "entry" ? Promise.resolve(NO_ORPHANS) : shadow.findOrphans(staging);
        const [found] = await Promise.all([orphans.finally(() => void shadow.stop()), passwd.prepareMerge(databasePath, staging, plan, pairing)]);
        const merged = await passwd.decide(found);
        // The outcome goes back now; the checkpoint and the clean-up follow on their own.
        void close(merged.checkpointed);
        return merged.outcome;
      } catch (error) {
        await close();
        throw error;
      }
    },
    async abort(): Promise<void> {
      // After finish() the clean-up is under way and nothing waits for it.
      if (cleanUp === null) await close();
    },
  };
}
