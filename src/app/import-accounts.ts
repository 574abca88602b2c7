// Owns Admin.ImportAccounts: /etc/passwd + /etc/shadow text in, an ImportReport out.
// Parsing is glibc's (domain/shadow-format); this decides what changes and writes it in
// one transaction, or nothing at all.
import type { Account } from "../domain/account";
import {
  createLineSplitter,
  createPasswdLineReader,
  createShadowLineReader,
  joinAccounts,
  type LineResult,
  type ParsedLine,
} from "../domain/shadow-format";
import type { Storage } from "./ports";

/** One line that was not imported. */
export interface ImportProblem {
  file: string;
  line: number;
  name: string;
  reason: string;
}

interface ReadFile<E> {
  entries: ParsedLine<E>[];
  problems: ImportProblem[];
}

/** Split bytes into lines and run them through a stateful line reader. */
function readLines<E>(bytes: Buffer, reader: (text: string) => LineResult<E>, file: string): ReadFile<E> {
  const splitter = createLineSplitter();
  const result: ReadFile<E> = { entries: [], problems: [] };
  const take = (lines: string[]): void => {
    for (const text of lines) {
      const read = reader(text);
      if (read.kind === "entry") result.entries.push({ line: read.line, text: read.text, entry: read.entry });
      else if (read.kind === "problem") result.problems.push({ file, line: read.line, name: read.name, reason: read.reason });
    }
  };
  take(splitter.push(bytes));
  take(splitter.end());
  return result;
}

/** Both files parsed (glibc's rules) and joined into accounts, with every problem by file and line. */
function readImportFiles(passwdBytes: Buffer, shadowBytes: Buffer, names: { passwdFileName: string; shadowFileName: string }) {
  const passwd = readLines(passwdBytes, createPasswdLineReader(), names.passwdFileName);
  const shadow = readLines(shadowBytes, createShadowLineReader(), names.shadowFileName);
  const joined = joinAccounts(passwd.entries, shadow.entries);
  const problems: ImportProblem[] = [
    ...passwd.problems,
    ...shadow.problems,
    ...joined.problems.map((p) => ({ ...p, file: p.file === "passwd" ? names.passwdFileName : names.shadowFileName })),
  ];
  const invalidNames = passwd.problems.map((p) => p.name).filter((name) => name !== "");
  return { accounts: joined.accounts, problems, invalidRecords: passwd.problems.length, invalidNames };
}

export interface ImportDeps {
  storage: Storage;
  /** Accounts below this uid are system accounts: skipped unless include_system. */
  minUid: number;
}

export interface ImportRequestOptions {
  dryRun: boolean;
  mode: "merge" | "replace" | "create-only";
  skipInvalid: boolean;
  includeSystem: boolean;
  passwdFileName: string;
  shadowFileName: string;
}

export interface ImportReport {
  created: number;
  updated: number;
  unchanged: number;
  skipped: number;
  deleted: number;
  problems: ImportProblem[];
  committed: boolean;
  createdNames: string[];
  updatedNames: string[];
  deletedNames: string[];
  skippedNames: string[];
}

/** How many names of each kind a report lists. */
const REPORTED_NAMES = 20;

function sameAccount(a: Account, b: Account): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function note(names: string[], name: string): void {
  if (names.length < REPORTED_NAMES) names.push(name);
}

/**
 * Import passwd + shadow text. Default all-or-nothing: any problem aborts and nothing is
 * written; with skipInvalid the valid records go in and the rest are reported.
 */
export async function importAccounts(deps: ImportDeps, options: ImportRequestOptions, passwdBytes: Buffer, shadowBytes: Buffer): Promise<ImportReport> {
  const parsed = readImportFiles(passwdBytes, shadowBytes, { passwdFileName: options.passwdFileName, shadowFileName: options.shadowFileName });
  const report: ImportReport = {
    created: 0,
    updated: 0,
    unchanged: 0,
    skipped: parsed.invalidRecords,
    deleted: 0,
    problems: parsed.problems,
    committed: false,
    createdNames: [],
    updatedNames: [],
    deletedNames: [],
    skippedNames: [...parsed.invalidNames.slice(0, REPORTED_NAMES)],
  };
  if (parsed.problems.length > 0 && !options.skipInvalid) {
    report.skipped = 0;
    report.skippedNames = [];
    return report;
  }

  const batch = { create: [] as Account[], replace: [] as Account[], delete: [] as string[] };
  const inFiles = new Set<string>();
  for (const account of parsed.accounts) {
    inFiles.add(account.name);
    if (!options.includeSystem && account.uid < deps.minUid) {
      report.skipped++;
      note(report.skippedNames, account.name);
      continue;
    }
    const existing = await deps.storage.getAccount(account.name);
    if (existing === null) {
      batch.create.push(account);
      report.created++;
      note(report.createdNames, account.name);
    } else if (options.mode === "create-only" || sameAccount(existing, account)) {
      report.unchanged++;
    } else {
      batch.replace.push(account);
      report.updated++;
      note(report.updatedNames, account.name);
    }
  }
  if (options.mode === "replace") {
    for await (const account of deps.storage.listAccounts()) {
      if (inFiles.has(account.name)) continue;
      batch.delete.push(account.name);
      report.deleted++;
      note(report.deletedNames, account.name);
    }
  }
  if (options.dryRun) return report;
  await deps.storage.applyBatch(batch);
  report.committed = true;
  return report;
}
