// Owns `shadowctl import`: streams a passwd and a shadow file (256 KiB chunks, the two files
// interleaved, with backpressure) into Admin.ImportAccounts, shows progress on a terminal,
// and prints the ImportReport.
import { type FileHandle, open } from "node:fs/promises";
import { Metadata, type ServiceError } from "@grpc/grpc-js";
import {
  type ImportAccountsRequest,
  ImportMode,
  type ImportOptions,
  type ImportProblem,
  type ImportReport,
} from "../../gen/shadowd/v1/shadowd";
import { expectOperands, flagOption, parseCommandLine, type ParseOutcome, stringOption } from "./args";
import { Presets, SingleBar } from "cli-progress";
import { type CliOutput, type Command, type CommandContext, EXIT_FAILURE, EXIT_OK, runParsed, writeError, writeOut } from "./context";
import { summarizeNames } from "./output";
import { reportRpcFailure, type RpcOutcome } from "./rpc-call";

/** Bytes per chunk message of the other file imports (aliases). */
export const IMPORT_CHUNK_BYTES = 64 * 1024;

/**
 * Bytes per passwd/shadow chunk of `shadowctl import`: fewer, larger messages cost both
 * sides measurably less CPU on a large import (the admin socket takes up to 4 MiB).
 */
export const ACCOUNT_CHUNK_BYTES = 256 * 1024;

/** Problems printed before "… and N more". */
export const MAX_PRINTED_PROBLEMS = 50;

/** Names printed per count before "… and N more". */
const MAX_PRINTED_NAMES = 10;

/** A parsed `import` command line. */
export interface ImportCommand {
  passwdFile: string;
  shadowFile: string;
  /** The options sent: a replace without --yes is sent as a dry run. */
  options: ImportOptions;
  json: boolean;
  /** --mode replace without --yes (and without --dry-run): only report, then say so. */
  replaceNeedsYes: boolean;
}

const IMPORT_OPTIONS = {
  passwd: { type: "string" },
  shadow: { type: "string" },
  "skip-invalid": { type: "boolean" },
  "dry-run": { type: "boolean" },
  json: { type: "boolean" },
  mode: { type: "string" },
  yes: { type: "boolean", short: "y" },
  "include-system": { type: "boolean" },
} as const;

const MODES: Readonly<Record<string, ImportMode>> = {
  merge: ImportMode.IMPORT_MODE_MERGE,
  replace: ImportMode.IMPORT_MODE_REPLACE,
  "create-only": ImportMode.IMPORT_MODE_CREATE_ONLY,
};

const IMPORT_HELP = `Usage: shadowctl import --passwd FILE --shadow FILE [options]

Import accounts from a passwd(5) and a shadow(5) file, accepting exactly the lines glibc
accepts. By default any problem aborts the import and nothing is written; otherwise all
changes are written in one transaction. Both files are streamed (memory stays constant).

Options:
      --passwd FILE           the passwd file (e.g. /etc/passwd)
      --shadow FILE           the shadow file (e.g. /etc/shadow; /dev/null for none)
      --mode MODE             merge (default): create new accounts, update changed ones;
                              replace: merge, and delete accounts absent from the files
                              (needs --yes; without it, only reports what it would do);
                              create-only: create new accounts, leave existing ones
  -y, --yes                   really apply --mode replace
      --skip-invalid          import the valid records and report the others
      --include-system        also import accounts with a uid below shadowd's min_uid
                              (default: skipped and counted)
      --dry-run               report exactly what would change; write nothing
      --json                  print the report as JSON
  -h, --help                  show this help

A progress bar is shown on standard error when it is a terminal. Problems are printed as
FILE:LINE: NAME: REASON (the first ${MAX_PRINTED_PROBLEMS}, then how many more).
Exit status: 0 committed (or a dry run), 1 not committed or failed, 2 usage.

Examples:
  shadowctl import --passwd /etc/passwd --shadow /etc/shadow --dry-run
  shadowctl import --passwd /etc/passwd --shadow /etc/shadow --skip-invalid
  shadowctl import --passwd old/passwd --shadow old/shadow --mode replace --yes --json
`;

/** Parse `import` arguments. */
export function parseImportArgs(args: readonly string[]): ParseOutcome<ImportCommand> {
  const line = parseCommandLine(args, IMPORT_OPTIONS);
  if (line.kind !== "ok") return line;
  const values = line.value;
  const none = expectOperands(values, []);
  if (none.kind !== "ok") return none;
  const passwdFile = stringOption(values, "passwd");
  const shadowFile = stringOption(values, "shadow");
  if (passwdFile === undefined || passwdFile === "") return { kind: "usage", message: "missing --passwd FILE" };
  if (shadowFile === undefined || shadowFile === "") {
    return { kind: "usage", message: "missing --shadow FILE (use --shadow /dev/null to import without one)" };
  }
  const modeName = stringOption(values, "mode") ?? "merge";
  const mode = MODES[modeName];
  if (mode === undefined) {
    return { kind: "usage", message: `invalid mode '${modeName}': expected merge, replace or create-only` };
  }
  const dryRun = flagOption(values, "dry-run");
  const replaceNeedsYes = mode === ImportMode.IMPORT_MODE_REPLACE && !dryRun && !flagOption(values, "yes");
  return {
    kind: "ok",
    value: {
      passwdFile,
      shadowFile,
      json: flagOption(values, "json"),
      replaceNeedsYes,
      options: {
        dryRun: dryRun || replaceNeedsYes,
        mode,
        skipInvalid: flagOption(values, "skip-invalid"),
        includeSystem: flagOption(values, "include-system"),
        passwdFileName: passwdFile,
        shadowFileName: shadowFile,
      },
    },
  };
}

/** One problem as `FILE:LINE: NAME: REASON` (without NAME when none could be read). */
export function formatProblem(problem: ImportProblem): string {
  const name = problem.name === "" ? "" : `${problem.name}: `;
  return `${problem.file}:${problem.line}: ${name}${problem.reason}`;
}

/** The text report: counts (with the first names), then the problems. */
export function formatImportReport(report: ImportReport, options: { dryRun: boolean }): string {
  const countLine = (label: string, count: number, names: readonly string[]): string => {
    const shown = names.length > 0 ? ` (${summarizeNames(names, MAX_PRINTED_NAMES, Math.max(count, names.length))})` : "";
    return `${`${label}:`.padEnd(11)}${count}${shown}`;
  };
  const problemCount = Math.max(report.problemCount, report.problems.length);
  const lines = [
    countLine("created", report.created, report.createdNames),
    countLine("updated", report.updated, report.updatedNames),
    countLine("unchanged", report.unchanged, []),
    countLine("skipped", report.skipped, report.skippedNames),
    countLine("deleted", report.deleted, report.deletedNames),
    countLine("problems", problemCount, []),
  ];
  const printed = report.problems.slice(0, MAX_PRINTED_PROBLEMS);
  for (const problem of printed) lines.push(formatProblem(problem));
  if (problemCount > printed.length) lines.push(`… and ${problemCount - printed.length} more`);
  if (options.dryRun) {
    lines.push("import: dry run: nothing was written");
  } else if (report.committed) {
    lines.push("import: committed");
  }
  return `${lines.join("\n")}\n`;
}

/** The report as JSON, every field present (ts-proto's toJSON would drop zeros). */
export function formatImportReportJson(report: ImportReport, options: { dryRun: boolean }): string {
  const json = {
    committed: report.committed,
    dryRun: options.dryRun,
    created: report.created,
    updated: report.updated,
    unchanged: report.unchanged,
    skipped: report.skipped,
    deleted: report.deleted,
    createdNames: report.createdNames,
    updatedNames: report.updatedNames,
    skippedNames: report.skippedNames,
    deletedNames: report.deletedNames,
    problemCount: Math.max(report.problemCount, report.problems.length),
    problems: report.problems.map((problem) => ({
      file: problem.file,
      line: problem.line,
      name: problem.name,
      reason: problem.reason,
    })),
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** `shadowctl import`. */
export const IMPORT_COMMAND: Command = {
  name: "import",
  summary: "import accounts from passwd + shadow files",
  help: IMPORT_HELP,
  run: (context, args) => runParsed(context, IMPORT_COMMAND, parseImportArgs(args), (command) => runImport(context, command)),
};

async function runImport(context: CommandContext, command: ImportCommand): Promise<number> {
  const passwd = await openInput(context, command.passwdFile);
  if (passwd === undefined) return EXIT_FAILURE;
  const shadow = await openInput(context, command.shadowFile);
  if (shadow === undefined) {
    await passwd.handle.close();
    return EXIT_FAILURE;
  }
  const progress = createProgress(context, passwd.size + shadow.size);
  try {
    const sent = await sendImport(context, command.options, [
      { ...passwd, name: command.options.passwdFileName, kind: "passwdChunk" },
      { ...shadow, name: command.options.shadowFileName, kind: "shadowChunk" },
    ], progress);
    progress?.stop();
    if (sent.kind === "read-failed") {
      writeError(context, `import: cannot read ${sent.file}: ${sent.message}; nothing was imported`);
      return EXIT_FAILURE;
    }
    if (!sent.outcome.ok) {
      return reportRpcFailure(context.io.stderr, sent.outcome.error, {
        action: "import failed",
        socket: context.endpoints.adminSocket,
      });
    }
    const report = sent.outcome.value;
    const dryRun = command.options.dryRun;
    writeOut(context, command.json ? formatImportReportJson(report, { dryRun }) : formatImportReport(report, { dryRun }));
    const problems = Math.max(report.problemCount, report.problems.length);
    const counted = `${problems} problem${problems === 1 ? "" : "s"}`;
    if (command.replaceNeedsYes) {
      const why = problems > 0 && !command.options.skipInvalid ? ` (and fix the ${counted}, or use --skip-invalid)` : "";
      writeError(context, `import: --mode replace without --yes only reports: nothing was written; run again with --yes to apply it${why}`);
      return EXIT_FAILURE;
    }
    if (report.committed || dryRun) return EXIT_OK;
    writeError(
      context,
      problems > 0
        ? `import aborted, nothing was written: ${counted} (fix them, or use --skip-invalid to import the valid records)`
        : "import was not committed, nothing was written",
    );
    return EXIT_FAILURE;
  } finally {
    progress?.stop();
    await Promise.allSettled([passwd.handle.close(), shadow.handle.close()]);
  }
}

/** An opened input file and its size (0 when unknown: a pipe or a device). */
interface InputFile {
  handle: FileHandle;
  size: number;
}

/** Open a file for reading (not a directory), or report why not, before anything is sent. */
async function openInput(context: CommandContext, path: string): Promise<InputFile | undefined> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, "r");
    const stat = await handle.stat();
    if (stat.isDirectory()) {
      await handle.close();
      writeError(context, `import: cannot read ${path}: EISDIR: is a directory`);
      return undefined;
    }
    return { handle, size: stat.isFile() ? stat.size : 0 };
  } catch (error) {
    await handle?.close();
    writeError(context, `import: cannot read ${path}: ${errorMessage(error)}`);
    return undefined;
  }
}

/** Progress by bytes sent, drawn on standard error only when it is a terminal. */
interface Progress {
  advance(bytes: number): void;
  stop(): void;
}

function createProgress(context: CommandContext, totalBytes: number): Progress | undefined {
  const stream = context.io.stderr as CliOutput & Partial<NodeJS.WriteStream>;
  if (stream.isTTY !== true || totalBytes === 0) return undefined;
  const bar = new SingleBar(
    {
      stream: stream as NodeJS.WriteStream,
      format: "import [{bar}] {percentage}% | {sentMiB}/{totalMiB} MiB | ETA {eta}s",
      hideCursor: true,
      clearOnComplete: true,
    },
    Presets.shades_classic,
  );
  const mib = (bytes: number): string => (bytes / (1024 * 1024)).toFixed(1);
  let sent = 0;
  let stopped = false;
  bar.start(totalBytes, 0, { sentMiB: mib(0), totalMiB: mib(totalBytes) });
  return {
    advance: (bytes) => {
      sent += bytes;
      bar.update(Math.min(sent, totalBytes), { sentMiB: mib(sent) });
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}

type SendOutcome =
  | { kind: "sent"; outcome: RpcOutcome<ImportReport> }
  | { kind: "read-failed"; file: string; message: string };

interface SourceFile extends InputFile {
  name: string;
  kind: "passwdChunk" | "shadowChunk";
}

/**
 * Send the options, then both files' chunks interleaved so that they end together (the
 * file with the smaller share sent goes next): shadowd stages the two files in parallel.
 * Then wait for the report. Stops reading as soon as shadowd answers early (an error); when
 * a file cannot be read midway, ends the stream with a protocol error so nothing half-sent
 * is imported.
 */
async function sendImport(context: CommandContext, options: ImportOptions, files: SourceFile[], progress: Progress | undefined): Promise<SendOutcome> {
  let answered = false;
  let resolveResult: (outcome: RpcOutcome<ImportReport>) => void = () => undefined;
  const result = new Promise<RpcOutcome<ImportReport>>((resolve) => {
    resolveResult = resolve;
  });
  const onAnswer = (error: ServiceError | null, report: ImportReport): void => {
    answered = true;
    resolveResult(error === null ? { ok: true, value: report } : { ok: false, error });
  };
  const stream = context.admin().importAccounts(new Metadata(), context.callOptions("stream"), onAnswer);
  const send = async (message: ImportAccountsRequest): Promise<void> => {
    if (stream.write(message)) return;
    await Promise.race([new Promise<void>((resolve) => stream.once("drain", () => resolve())), result]);
  };
  await send({ part: { $case: "options", value: options } });
  const readers = files.map((file) => ({
    file,
    stream: file.handle.createReadStream({ highWaterMark: ACCOUNT_CHUNK_BYTES, autoClose: false }),
    sent: 0,
    done: false,
  }));
  const iterators = readers.map((reader) => (reader.stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]());
  // The share of a file already sent; a file of unknown size goes by bytes alone.
  const share = (index: number): number => {
    const reader = readers[index]!;
    return reader.file.size > 0 ? reader.sent / reader.file.size : reader.sent;
  };
  try {
    for (;;) {
      if (answered) break;
      const open = readers.flatMap((reader, index) => (reader.done ? [] : [index]));
      if (open.length === 0) break;
      const index = open.reduce((best, candidate) => (share(candidate) < share(best) ? candidate : best));
      const reader = readers[index]!;
      let next: IteratorResult<Buffer>;
      try {
        next = await iterators[index]!.next();
      } catch (error) {
        // grpc-js hands a cancelled client stream to the server as a normal end, so a plain
        // cancel could commit half a file. A second options message is a protocol error that
        // makes shadowd refuse the whole import instead.
        if (!answered) {
          stream.write({ part: { $case: "options", value: options } });
          stream.end();
        }
        await result;
        return { kind: "read-failed", file: reader.file.name, message: errorMessage(error) };
      }
      if (next.done === true) {
        reader.done = true;
        continue;
      }
      reader.sent += next.value.length;
      const part: ImportAccountsRequest["part"] =
        reader.file.kind === "passwdChunk" ? { $case: "passwdChunk", value: next.value } : { $case: "shadowChunk", value: next.value };
      await send({ part });
      progress?.advance(next.value.length);
    }
  } finally {
    for (const reader of readers) reader.stream.destroy();
  }
  if (!answered) stream.end();
  return { kind: "sent", outcome: await result };
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const text = error.message.replace(/^[A-Z]+: /, "").replace(/, (open|read) '.*'$/, "");
    return typeof code === "string" ? `${code}: ${text}` : text;
  }
  return String(error);
}
