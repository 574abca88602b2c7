// Owns Admin.ImportAccounts: /etc/passwd + /etc/shadow bytes streamed in, an ImportReport
// out. Lines are judged by glibc's rules (domain/shadow-format) inside the importer, which
// stages them and applies the plan in one transaction, or nothing at all; memory stays
// constant whatever the size of the files.
import type { AccountImporter, ImportMode, ImportOutcome } from "../storage/account-import";
import type { AccountFile } from "../storage/storage";

/** One line that was not imported. */
export interface ImportProblem {
  file: string;
  line: number;
  name: string;
  reason: string;
}

export interface ImportDeps {
  /** Stages the files and applies the plan (storage/sqlite/sqlite-import.ts). */
  importer: AccountImporter;
  /** Accounts below this uid are system accounts: skipped unless include_system. */
  minUid: number;
}

export interface ImportRequestOptions {
  dryRun: boolean;
  mode: ImportMode;
  skipInvalid: boolean;
  includeSystem: boolean;
  /** How problems name the files. */
  passwdFileName: string;
  shadowFileName: string;
}

/** The next bytes of one of the two files. */
export interface ImportChunk {
  file: AccountFile;
  bytes: Uint8Array;
}

export interface ImportReport {
  created: number;
  updated: number;
  unchanged: number;
  skipped: number;
  deleted: number;
  /** The first problems (passwd file, then shadow file, by line); problemCount counts all. */
  problems: ImportProblem[];
  problemCount: number;
  committed: boolean;
  createdNames: string[];
  updatedNames: string[];
  deletedNames: string[];
  skippedNames: string[];
}

/**
 * Import the chunks of a passwd and a shadow file (in any interleaving; each file's own
 * chunks in order). Default all-or-nothing: any problem aborts and nothing is written; with
 * skipInvalid the valid records go in and the rest are reported. When `chunks` throws (a
 * cancelled stream, a size limit), or anything else fails, nothing is written and the error
 * reaches the caller. The importer's ImportBusyError comes through unchanged.
 */
export async function importAccounts(deps: ImportDeps, options: ImportRequestOptions, chunks: AsyncIterable<ImportChunk>): Promise<ImportReport> {
  const session = await deps.importer.begin();
  try {
    for await (const chunk of chunks) {
      await (chunk.file === "passwd" ? session.addPasswd(chunk.bytes) : session.addShadow(chunk.bytes));
    }
    const outcome = await session.finish({
      mode: options.mode,
      dryRun: options.dryRun,
      skipInvalid: options.skipInvalid,
      includeSystem: options.includeSystem,
      minUid: deps.minUid,
    });
    return toReport(outcome, options);
  } finally {
    await session.abort();
  }
}

function toReport(outcome: ImportOutcome, options: ImportRequestOptions): ImportReport {
  const fileName = (file: AccountFile): string => (file === "passwd" ? options.passwdFileName : options.shadowFileName);
  return {
    created: outcome.created,
    updated: outcome.updated,
    unchanged: outcome.unchanged,
    skipped: outcome.skipped,
    deleted: outcome.deleted,
    problems: outcome.problems.map((problem) => ({ file: fileName(problem.file), line: problem.line, name: problem.name, reason: problem.reason })),
    problemCount: outcome.problemCount,
    committed: outcome.committed,
    createdNames: outcome.createdNames,
    updatedNames: outcome.updatedNames,
    deletedNames: outcome.deletedNames,
    skippedNames: outcome.skippedNames,
  };
}
