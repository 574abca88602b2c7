// Owns `shadowctl aliases import|show|resolve` and `shadowctl newaliases`: the aliases table
// over the admin socket (Admin.ImportAliases, GetAlias, ListAliases; Auth.ResolveRecipient,
// which the admin socket serves too).
import { once } from "node:events";
import { type FileHandle, open } from "node:fs/promises";
import { Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { formatAliasName } from "../../domain/aliases-format";
import {
  type Alias,
  AdminService,
  AuthService,
  type ImportAliasesReport,
  type ResolveRecipientResponse,
  UnresolvedReason,
} from "../../gen/shadowd/v1/shadowd";
import { parseCommandLine, type ParseOutcome } from "./args";
import { type Command, type CommandContext, EXIT_FAILURE, EXIT_OK, runParsed, writeError, writeOut } from "./context";
import { formatProblem, IMPORT_CHUNK_BYTES, MAX_PRINTED_PROBLEMS } from "./import-command";
import { callMethod, consumeStream, reportRpcFailure, type RpcOutcome } from "./rpc-call";

/** The file `aliases import` and `newaliases` read when none is given. */
export const DEFAULT_ALIASES_FILE = "/etc/aliases";

/** The exit status of `show NAME` for no such alias, and of `resolve` for neither alias nor account (as getent). */
export const EXIT_NAME_NOT_FOUND = 2;

/** A parsed `aliases` (or `newaliases`) command line. */
export type AliasesCommand =
  | { action: "import"; file: string }
  | { action: "show"; name: string | null }
  | { action: "resolve"; localPart: string };

const ALIASES_HELP = `Usage: shadowctl aliases import [FILE]
       shadowctl aliases show [NAME]
       shadowctl aliases resolve LOCALPART
       shadowctl aliases FILE

Manage shadowd's aliases table, the aliases(5) file of the mail system.

  import [FILE]         replace the table with the aliases(5) file FILE (default
                        ${DEFAULT_ALIASES_FILE}), atomically, like newaliases(1); any problem
                        leaves the table unchanged
  show [NAME]           print the table, or the alias NAME, as aliases(5) lines
  resolve LOCALPART     print where mail for LOCALPART goes, one line each: 'account: NAME'
                        for local accounts, 'other: TARGET' for commands, files, :include:
                        files and remote addresses (not followed), 'unresolved: NAME: WHY'
                        for local names that lead nowhere
  FILE                  the same as 'import FILE'

Alias names are case-insensitive. Problems are printed as FILE:LINE: NAME: REASON (the
first ${MAX_PRINTED_PROBLEMS}).
Exit status: 0 success, 1 failure (for import: the table is unchanged), 2 usage error, no
alias NAME, or a LOCALPART that is neither an alias nor an account.

Options:
  -h, --help            show this help

Examples:
  shadowctl aliases import /etc/aliases
  shadowctl aliases show postmaster
  shadowctl aliases resolve MAILER-DAEMON
`;

const NEWALIASES_HELP = `Usage: shadowctl newaliases [FILE]

Rebuild shadowd's aliases table from the aliases(5) file FILE (default ${DEFAULT_ALIASES_FILE}),
like newaliases(1): the same as 'shadowctl aliases import FILE'. The table is replaced
atomically; any problem (printed as FILE:LINE: NAME: REASON) leaves it unchanged.

Options:
  -h, --help            show this help

Example:
  shadowctl newaliases
`;

/** Parse `aliases` arguments. */
export function parseAliasesArgs(args: readonly string[]): ParseOutcome<AliasesCommand> {
  const line = parseCommandLine(args, {});
  if (line.kind !== "ok") return line;
  const [first, ...rest] = line.value.positionals;
  const extra = (allowed: number): ParseOutcome<never> | null =>
    rest.length > allowed ? { kind: "usage", message: `unexpected argument '${rest[allowed] ?? ""}'` } : null;
  switch (first) {
    case undefined:
      return { kind: "usage", message: "missing import, show or resolve" };
    case "import":
      return extra(1) ?? { kind: "ok", value: { action: "import", file: rest[0] ?? DEFAULT_ALIASES_FILE } };
    case "show":
      return extra(1) ?? { kind: "ok", value: { action: "show", name: rest[0] ?? null } };
    case "resolve":
      if (rest[0] === undefined) return { kind: "usage", message: "missing LOCALPART" };
      return extra(1) ?? { kind: "ok", value: { action: "resolve", localPart: rest[0] } };
    default:
      // The short form of earlier versions: `aliases FILE`.
      return rest.length === 0 ? { kind: "ok", value: { action: "import", file: first } } : { kind: "usage", message: `unknown action '${first}': use import, show or resolve` };
  }
}

/** Parse `newaliases` arguments. */
export function parseNewaliasesArgs(args: readonly string[]): ParseOutcome<AliasesCommand> {
  const line = parseCommandLine(args, {});
  if (line.kind !== "ok") return line;
  const [file, extra] = line.value.positionals;
  if (extra !== undefined) return { kind: "usage", message: `unexpected argument '${extra}'` };
  return { kind: "ok", value: { action: "import", file: file ?? DEFAULT_ALIASES_FILE } };
}

/** `shadowctl aliases`. */
export const ALIASES_COMMAND: Command = {
  name: "aliases",
  summary: "import, show or resolve the aliases table",
  help: ALIASES_HELP,
  run: (context, args) => runParsed(context, ALIASES_COMMAND, parseAliasesArgs(args), (command) => runAliases(context, command)),
};

/** `shadowctl newaliases`. */
export const NEWALIASES_COMMAND: Command = {
  name: "newaliases",
  summary: "rebuild the aliases table from /etc/aliases (like newaliases)",
  help: NEWALIASES_HELP,
  run: (context, args) => runParsed(context, NEWALIASES_COMMAND, parseNewaliasesArgs(args), (command) => runAliases(context, command)),
};

/** The aliases(5) line of an alias as GetAlias/ListAliases send it (targets already formatted). */
export function formatAliasMessage(alias: Pick<Alias, "name" | "targets">): string {
  return `${formatAliasName(alias.name)}: ${alias.targets.join(", ")}\n`;
}

/** What `aliases resolve` prints: one `account:`, `other:` or `unresolved:` line per result. */
export function formatResolution(response: ResolveRecipientResponse): string {
  const lines = [
    ...response.accounts.map((account) => `account: ${account}`),
    ...response.otherTargets.map((target) => `other: ${target}`),
    ...response.unresolved.map(({ target, reason }) => `unresolved: ${target}: ${describeUnresolved(reason)}`),
  ];
  return lines.map((line) => `${line}\n`).join("");
}

function describeUnresolved(reason: UnresolvedReason): string {
  switch (reason) {
    case UnresolvedReason.UNRESOLVED_REASON_UNKNOWN:
      return "neither an alias nor an account";
    case UnresolvedReason.UNRESOLVED_REASON_LOOP:
      return "alias loop";
    case UnresolvedReason.UNRESOLVED_REASON_TOO_DEEP:
      return "aliases nested too deep";
    default:
      return "unresolved";
  }
}

function runAliases(context: CommandContext, command: AliasesCommand): Promise<number> {
  switch (command.action) {
    case "import":
      return runImport(context, command.file);
    case "show":
      return command.name === null ? runShowAll(context) : runShowOne(context, command.name);
    case "resolve":
      return runResolve(context, command.localPart);
    default: {
      const unreachable: never = command;
      return unreachable;
    }
  }
}

async function runImport(context: CommandContext, file: string): Promise<number> {
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
    // The server names the file "aliases"; this side knows which file it sent.
    for (const problem of report.problems.slice(0, MAX_PRINTED_PROBLEMS)) lines.push(formatProblem({ ...problem, file }));
    const total = Math.max(report.problemCount, report.problems.length);
    const printed = Math.min(report.problems.length, MAX_PRINTED_PROBLEMS);
    if (total > printed) lines.push(`… and ${total - printed} more`);
    writeOut(context, `${lines.join("\n")}\n`);
    if (report.committed) return EXIT_OK;
    writeError(context, "aliases: the aliases table is unchanged");
    return EXIT_FAILURE;
  } finally {
    await handle.close();
  }
}

async function sendAliases(context: CommandContext, handle: FileHandle): Promise<RpcOutcome<ImportAliasesReport> | "read-failed"> {
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
    // ImportAliases has no way to mark a stream invalid: shadowd does not commit a cancelled
    // stream (it waits for a real half-close), so cancelling is how a read error aborts.
    call.cancel();
    await result;
    return "read-failed";
  } finally {
    reader.destroy();
  }
  if (!answered) call.end();
  return result;
}

async function runShowAll(context: CommandContext): Promise<number> {
  const stream = context.admin().listAliases({}, context.callOptions("stream"));
  const outcome = await consumeStream(stream, (alias: Alias) => writeOut(context, formatAliasMessage(alias)));
  if (outcome.ok) return EXIT_OK;
  return reportRpcFailure(context.io.stderr, outcome.error, { action: "cannot list the aliases", socket: context.endpoints.adminSocket });
}

async function runShowOne(context: CommandContext, name: string): Promise<number> {
  const outcome = await callMethod(context.admin(), AdminService.getAlias, { name }, context.callOptions());
  if (outcome.ok) {
    writeOut(context, formatAliasMessage(outcome.value));
    return EXIT_OK;
  }
  if (outcome.error.code === status.NOT_FOUND) {
    writeError(context, `aliases: no alias '${name}'`);
    return EXIT_NAME_NOT_FOUND;
  }
  return reportRpcFailure(context.io.stderr, outcome.error, { action: `cannot read alias '${name}'`, socket: context.endpoints.adminSocket });
}

async function runResolve(context: CommandContext, localPart: string): Promise<number> {
  const outcome = await callMethod(context.admin(), AuthService.resolveRecipient, { localPart }, context.callOptions());
  if (!outcome.ok) {
    return reportRpcFailure(context.io.stderr, outcome.error, { action: `cannot resolve '${localPart}'`, socket: context.endpoints.adminSocket });
  }
  if (!outcome.value.found) {
    writeError(context, `aliases: '${localPart}' is neither an alias nor an account`);
    return EXIT_NAME_NOT_FOUND;
  }
  writeOut(context, formatResolution(outcome.value));
  return EXIT_OK;
}
