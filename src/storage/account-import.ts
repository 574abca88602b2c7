// Owns the contract of a bulk account import (Admin.ImportAccounts): a session fed the
// passwd and shadow bytes as they arrive, in any interleaving, then one plan applied in one
// transaction, or only reported. The SQLite backend is sqlite/sqlite-import.ts.
import type { AccountFile } from "./storage";

/** What an import does with existing accounts (see ImportPlan). */
export type ImportMode = "merge" | "replace" | "create-only";

/** How many names of each kind an outcome lists. */
export const REPORTED_NAMES = 20;

/** How many problems an outcome lists (problemCount counts them all). */
export const REPORTED_PROBLEMS = 1000;

/**
 * What to do once both files are in:
 * - merge: create new accounts, update changed ones, leave the others;
 * - replace: merge, and delete accounts the passwd file does not name (a name on a passwd
 *   line that has a problem counts as named: a typo does not delete its account);
 * - create-only: create new accounts; existing ones are left as they are.
 * Accounts with a uid below minUid are skipped (and counted) unless includeSystem. Any
 * problem aborts the import unless skipInvalid. A dry run computes the same outcome and
 * writes nothing.
 */
export interface ImportPlan {
  mode: ImportMode;
  dryRun: boolean;
  skipInvalid: boolean;
  includeSystem: boolean;
  minUid: number;
}

/** A line that was not imported: its file, 1-based line number, the name on it, and why. */
export interface ImportLineProblem {
  file: AccountFile;
  line: number;
  name: string;
  reason: string;
}

/** What an import did (or, for a dry run or an aborted import, would have done). */
export interface ImportOutcome {
  created: number;
  updated: number;
  /** Accounts in the files already identical (in create-only mode: every existing one). */
  unchanged: number;
  /** Passwd lines with a problem (with skipInvalid) and system accounts left out. */
  skipped: number;
  deleted: number;
  /** The first REPORTED_NAMES of each kind, in file order (deleted: creation order). */
  createdNames: string[];
  updatedNames: string[];
  deletedNames: string[];
  skippedNames: string[];
  /** The first REPORTED_PROBLEMS problems: the passwd file's, then the shadow file's, by line. */
  problems: ImportLineProblem[];
  problemCount: number;
  /** True when the changes were written (never for dry runs and aborted imports). */
  committed: boolean;
}

/**
 * One import in progress. Bytes of each file arrive in order; the two files may interleave.
 * Nothing is written before finish(), and nothing at all when the session is aborted.
 */
export interface ImportSession {
  /** The next bytes of the passwd file; resolves when the session can take more. */
  addPasswd(chunk: Uint8Array): Promise<void>;
  /** The next bytes of the shadow file; resolves when the session can take more. */
  addShadow(chunk: Uint8Array): Promise<void>;
  /** Both files are complete: apply `plan` (or only report it) and end the session. */
  finish(plan: ImportPlan): Promise<ImportOutcome>;
  /** Drop what was received; nothing is written. Harmless (and immediate) after finish(), and twice. */
  abort(): Promise<void>;
}

/** Starts import sessions, one at a time. */
export interface AccountImporter {
  /**
   * A new session; ImportBusyError while another one is open. It may first wait for the
   * previous session's clean-up (which can go on after its finish()).
   */
  begin(): Promise<ImportSession>;
}

/** Another import session is open (imports run one at a time). */
export class ImportBusyError extends Error {
  constructor() {
    super("another import is running; try again when it has finished");
    this.name = "ImportBusyError";
  }
}
