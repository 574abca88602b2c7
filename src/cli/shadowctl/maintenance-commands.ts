// Owns `shadowctl export` (Admin.ExportAccounts into passwd + shadow files), `aliases`
// (Admin.ImportAliases, like newaliases) and `faillock --reset` (Admin.ResetFailures).
import { once } from "node:events";
import { type FileHandle, open, rename, unlink } from "node:fs/promises";
import { Metadata, type ServiceError } from "@grpc/grpc-js";
import { AdminService, type ExportAccountsResponse, type ImportAliasesReport } from "../../gen/shadowd/v1/shadowd";
import { expectOperands, flagOption, parseCommandLine, type ParseOutcome, stringOption } from "./args";
import { type Command, type CommandContext, EXIT_FAILURE, EXIT_OK, runParsed, writeError, writeOut } from "./context";
import { formatProblem, IMPORT_CHUNK_BYTES, MAX_PRINTED_PROBLEMS } from "./import-command";
import { callMethod, reportRpcFailure, type RpcOutcome } from "./rpc-call";

/** A parsed `export` command line. */
export interface ExportCommand {
  passwdFile: string;
  shadowFile: string;
}

const EXPORT_HELP = `Usage: shadowctl export --passwd FILE --shadow FILE

Write every account back as a passwd(5) and a shadow(5) file, exactly as imported (empty
fields stay empty). Each file is written to FILE.tmp and then renamed over FILE; the
shadow file is created with mode 0600.

Options:
      --passwd FILE           where to write the passwd lines
      --shadow FILE           where to write the shadow lines (password hashes!)
  -h, --help                  show this help

Example:
  shadowctl export --passwd backup/passwd --shadow backup/shadow
`;

const ALIASES_HELP = `Usage: shadowctl aliases FILE

Replace shadowd's aliases table with the aliases(5) file FILE, atomically, like
newaliases(1). Problems are printed as FILE:LINE: NAME: REASON; any problem leaves the
table unchanged.

Options:
  -h, --help                  show this help

Example:
  shadowctl aliases /etc/aliases
`;

const FAILLOCK_HELP = `Usage: shadowctl faillock --user USER --reset

Clear USER's recorded authentication failures, like faillock(8) --reset, so a
TEMPORARILY_LOCKED account can log in again at once.

Options:
      --user USER             the account
      --reset                 clear its failure records
  -h, --help                  show this help

Example:
  shadowctl faillock --user alice --reset
`;

/** Parse `export` arguments. */
export function parseExportArgs(args: readonly string[]): ParseOutcome<ExportCommand> {
  const line = parseCommandLine(args, { passwd: { type: "string" }, shadow: { type: "string" } });
  if (line.kind !== "ok") return line;
  const none = expectOperands(line.value, []);
  if (none.kind !== "ok") return none;
  const passwdFile = stringOption(line.value, "passwd");
  const shadowFile = stringOption(line.value, "shadow");
  if (passwdFile === undefined || passwdFile === "") return { kind: "usage", message: "missing --passwd FILE" };
  if (shadowFile === undefined || shadowFile === "") return { kind: "usage", message: "missing --shadow FILE" };
  if (passwdFile === shadowFile) return { kind: "usage", message: "--passwd and --shadow must be different files" };
  return { kind: "ok", value: { passwdFile, shadowFile } };
}

/** Parse `aliases` arguments. */
export function parseAliasesArgs(args: readonly string[]): ParseOutcome<{ file: string }> {
  const line = parseCommandLine(args, {});
  if (line.kind !== "ok") return line;
  const operands = expectOperands(line.value, ["FILE"]);
  if (operands.kind !== "ok") return operands;
  return { kind: "ok", value: { file: operands.value[0] ?? "" } };
}

/** Parse `faillock` arguments. */
export function parseFaillockArgs(args: readonly string[]): ParseOutcome<{ name: string }> {
  const line = parseCommandLine(args, { user: { type: "string" }, reset: { type: "boolean" } });
  if (line.kind !== "ok") return line;
  const none = expectOperands(line.value, []);
  if (none.kind !== "ok") return none;
  const name = stringOption(line.value, "user");
  if (name === undefined) return { kind: "usage", message: "missing --user USER" };
  if (!flagOption(line.value, "reset")) return { kind: "usage", message: "only --reset is supported" };
  return { kind: "ok", value: { name } };
}

/** `shadowctl export`. */
export const EXPORT_COMMAND: Command = {
  name: "export",
  summary: "write the accounts back as passwd + shadow files",
  help: EXPORT_HELP,
  run: (context, args) => runParsed(context, EXPORT_COMMAND, parseExportArgs(args), (command) => runExport(context, command)),
};

/** `shadowctl aliases`. */
export const ALIASES_COMMAND: Command = {
  name: "aliases",
  summary: "replace the aliases table from an aliases(5) file (like newaliases)",
  help: ALIASES_HELP,
  run: (context, args) => runParsed(context, ALIASES_COMMAND, parseAliasesArgs(args), ({ file }) => runAliases(context, file)),
};

/** `shadowctl faillock`. */
export const FAILLOCK_COMMAND: Command = {
  name: "faillock",
  summary: "clear an account's authentication failures (faillock --reset)",
  help: FAILLOCK_HELP,
  run: (context, args) => runParsed(context, FAILLOCK_COMMAND, parseFaillockArgs(args), ({ name }) => runFaillock(context, name)),
};

async function runExport(context: CommandContext, command: ExportCommand): Promise<number> {
  const targets = [
    { file: command.passwdFile, mode: 0o644 },
    { file: command.shadowFile, mode: 0o600 },
  ];
  const handles: FileHandle[] = [];
  try {
    for (const target of targets) {
      handles.push(await open(`${target.file}.tmp`, "w", target.mode));
    }
  } catch (error) {
    await Promise.allSettled(handles.map((handle) => handle.close()));
    writeError(context, `export: cannot write: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT_FAILURE;
  }
  const [passwd, shadow] = handles as [FileHandle, FileHandle];
  let failed = false;
  const stream = context.admin().exportAccounts({}, new Metadata(), context.callOptions("stream"));
  try {
    for await (const message of stream as AsyncIterable<ExportAccountsResponse>) {
      const part = message.part;
      if (part === undefined) continue;
      await (part.$case === "passwdChunk" ? passwd : shadow).write(part.value);
    }
  } catch (error) {
    failed = true;
    stream.cancel();
    if (isServiceError(error)) {
      reportRpcFailure(context.io.stderr, error, { action: "export failed", socket: context.endpoints.adminSocket });
    } else {
      writeError(context, `export: cannot write: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  await Promise.allSettled([passwd.close(), shadow.close()]);
  if (failed) {
    await Promise.allSettled(targets.map((target) => unlink(`${target.file}.tmp`)));
    return EXIT_FAILURE;
  }
  for (const target of targets) await rename(`${target.file}.tmp`, target.file);
  return EXIT_OK;
}

async function runAliases(context: CommandContext, file: string): Promise<number> {
  let handle: FileHandle;
  try {
    handle = await open(file, "r");
    if ((await handle.stat()).isDirectory()) {
      await handle.close();
      writeError(context, `aliases: cannot read ${file}: EISDIR: is a directory`);
      return EXIT_FAILURE;
    }
  } catch (error) {
    writeError(context, `aliases: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT_FAILURE;
  }
  try {
    const outcome = await sendAliases(context, handle);
    if (outcome === "read-failed") {
      writeError(context, `aliases: cannot read ${file}; the aliases table is unchanged`);
      return EXIT_FAILURE;
    }
    if (!outcome.ok) {
      return reportRpcFailure(context.io.stderr, outcome.error, { action: "aliases import failed", socket: context.endpoints.adminSocket });
    }
    const report = outcome.value;
    const lines = [`aliases: ${report.aliases}`];
    for (const problem of report.problems.slice(0, MAX_PRINTED_PROBLEMS)) {
      lines.push(formatProblem({ ...problem, file: problem.file === "" ? file : problem.file }));
    }
    if (report.problems.length > MAX_PRINTED_PROBLEMS) lines.push(`… and ${report.problems.length - MAX_PRINTED_PROBLEMS} more`);
    writeOut(context, `${lines.join("\n")}\n`);
    if (report.committed) return EXIT_OK;
    writeError(context, "aliases: the aliases table is unchanged");
    return EXIT_FAILURE;
  } finally {
    await handle.close();
  }
}

async function sendAliases(
  context: CommandContext,
  handle: FileHandle,
): Promise<RpcOutcome<ImportAliasesReport> | "read-failed"> {
  let answered = false;
  let resolveResult: (outcome: RpcOutcome<ImportAliasesReport>) => void = () => undefined;
  const result = new Promise<RpcOutcome<ImportAliasesReport>>((resolve) => {
    resolveResult = resolve;
  });
  const onAnswer = (error: ServiceError | null, report: ImportAliasesReport): void => {
    answered = true;
    resolveResult(error === null ? { ok: true, value: report } : { ok: false, error });
  };
  const call = context.admin().importAliases(new Metadata(), context.callOptions("stream"), onAnswer);
  const reader = handle.createReadStream({ highWaterMark: IMPORT_CHUNK_BYTES, autoClose: false });
  try {
    for await (const chunk of reader as AsyncIterable<Buffer>) {
      if (answered) break;
      if (!call.write({ chunk })) await Promise.race([once(call, "drain").catch(() => undefined), result]);
    }
  } catch {
    // ImportAliases has no way to mark a stream invalid: shadowd must not commit a
    // cancelled stream (grpc-js reports a client cancel to the server as a normal end).
    call.cancel();
    await result;
    return "read-failed";
  } finally {
    reader.destroy();
  }
  if (!answered) call.end();
  return result;
}

async function runFaillock(context: CommandContext, name: string): Promise<number> {
  const admin = context.admin();
  const outcome = await callMethod(admin, AdminService.resetFailures, { name }, context.callOptions());
  if (!outcome.ok) {
    return reportRpcFailure(context.io.stderr, outcome.error, {
      action: `cannot reset the failures of '${name}'`,
      socket: context.endpoints.adminSocket,
      user: name,
    });
  }
  return EXIT_OK;
}

function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as { code?: unknown }).code === "number" && "details" in error;
}
