// Owns `shadowctl export` (Admin.ExportAccounts into passwd + shadow files) and `faillock
// --reset` (Admin.ResetFailures). The aliases commands are in aliases-command.ts.
import { constants, type Stats } from "node:fs";
import { type FileHandle, open, rename, stat, unlink } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { basename, dirname, join, resolve } from "node:path";
import { Metadata, type ServiceError } from "@grpc/grpc-js";
import { AdminService, type ExportAccountsResponse } from "../../gen/shadowd/v1/shadowd";
import { expectOperands, flagOption, parseCommandLine, type ParseOutcome, stringOption } from "./args";
import { type Command, type CommandContext, EXIT_FAILURE, EXIT_OK, runParsed, writeError, writeOut } from "./context";
import { callMethod, reportRpcFailure } from "./rpc-call";

/** A parsed `export` command line. */
export interface ExportCommand {
  passwdFile: string;
  shadowFile: string;
  /** Replace files that exist already. */
  force: boolean;
}

/** The modes export gives its files (Debian's /etc/passwd and /etc/shadow). */
export const EXPORT_MODES = { passwd: 0o644, shadow: 0o640 } as const;

const EXPORT_HELP = `Usage: shadowctl export --passwd FILE --shadow FILE [--force]

Write every account back as a passwd(5) and a shadow(5) file. Lines that were imported
come back byte for byte, in their files' order, as long as the account was not changed
since; changed and new accounts are written the way shadow-utils writes them, new ones
after the imported ones in creation order. Comments, blank lines and lines that were not
imported are not written.

Each file is written to a temporary file in the same directory, synced, and renamed over
FILE (the shadow file first), so a reader sees the old file or the new one, never half.
The passwd file gets mode 0644, the shadow file 0640; a replaced file's owner and group
are kept (e.g. root:shadow for /etc/shadow).

Options:
      --passwd FILE           where to write the passwd lines
      --shadow FILE           where to write the shadow lines (password hashes!)
  -f, --force                 replace FILEs that exist (default: refuse)
  -h, --help                  show this help

pam_unix cannot read argon2id hashes (shadowd's default for new passwords): see
shadowd --hash-scheme before switching PAM back to exported files.

Example:
  shadowctl export --passwd backup/passwd --shadow backup/shadow
`;

const FAILLOCK_HELP = `Usage: shadowctl faillock --user USER --reset
       shadowctl faillock --reset USER

Clear USER's recorded authentication failures, like faillock(8) --reset, so a
TEMPORARILY_LOCKED account can log in again at once.

Options:
      --user USER             the account (or give it as the operand)
      --reset                 clear its failure records
  -h, --help                  show this help

Example:
  shadowctl faillock --user alice --reset
`;

/** Parse `export` arguments. */
export function parseExportArgs(args: readonly string[]): ParseOutcome<ExportCommand> {
  const line = parseCommandLine(args, { passwd: { type: "string" }, shadow: { type: "string" }, force: { type: "boolean", short: "f" } });
  if (line.kind !== "ok") return line;
  const none = expectOperands(line.value, []);
  if (none.kind !== "ok") return none;
  const passwdFile = stringOption(line.value, "passwd");
  const shadowFile = stringOption(line.value, "shadow");
  if (passwdFile === undefined || passwdFile === "") return { kind: "usage", message: "missing --passwd FILE" };
  if (shadowFile === undefined || shadowFile === "") return { kind: "usage", message: "missing --shadow FILE" };
  if (resolve(passwdFile) === resolve(shadowFile)) return { kind: "usage", message: "--passwd and --shadow must be different files" };
  return { kind: "ok", value: { passwdFile, shadowFile, force: flagOption(line.value, "force") } };
}

/** Parse `faillock` arguments. */
export function parseFaillockArgs(args: readonly string[]): ParseOutcome<{ name: string }> {
  const line = parseCommandLine(args, { user: { type: "string" }, reset: { type: "boolean" } });
  if (line.kind !== "ok") return line;
  const flagged = stringOption(line.value, "user");
  const operands = expectOperands(line.value, flagged === undefined && line.value.positionals.length > 0 ? ["USER"] : []);
  if (operands.kind !== "ok") return operands;
  const name = flagged ?? operands.value[0];
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

/** `shadowctl faillock`. */
export const FAILLOCK_COMMAND: Command = {
  name: "faillock",
  summary: "clear an account's authentication failures (faillock --reset)",
  help: FAILLOCK_HELP,
  run: (context, args) => runParsed(context, FAILLOCK_COMMAND, parseFaillockArgs(args), ({ name }) => runFaillock(context, name)),
};

async function runExport(context: CommandContext, command: ExportCommand): Promise<number> {
  const targets = [
    { kind: "passwd" as const, file: command.passwdFile, mode: EXPORT_MODES.passwd },
    { kind: "shadow" as const, file: command.shadowFile, mode: EXPORT_MODES.shadow },
  ];
  const outputs: AtomicFile[] = [];
  try {
    for (const target of targets) {
      const existing = await statIfExists(target.file);
      if (existing !== null && !command.force) {
        writeError(context, `export: ${target.file} exists; nothing was written (use --force to replace it)`);
        await discardAll(outputs);
        return EXIT_FAILURE;
      }
      if (existing?.isDirectory() === true) throw new Error(`${target.file} is a directory`);
      outputs.push(await createAtomicFile(target.file, target.mode, existing));
    }
  } catch (error) {
    await discardAll(outputs);
    writeError(context, `export: cannot write: ${errorText(error)}; nothing was written`);
    return EXIT_FAILURE;
  }
  const [passwd, shadow] = outputs as [AtomicFile, AtomicFile];
  const lines = { passwd: 0, shadow: 0 };
  const stream = context.admin().exportAccounts({}, new Metadata(), context.callOptions("stream"));
  try {
    for await (const message of stream as AsyncIterable<ExportAccountsResponse>) {
      const part = message.part;
      if (part === undefined) continue;
      const target = part.$case === "passwdChunk" ? passwd : shadow;
      await target.handle.write(part.value);
      lines[part.$case === "passwdChunk" ? "passwd" : "shadow"] += countNewlines(part.value);
    }
    // The shadow file first: a new account's shadow line before its passwd line.
    await shadow.commit();
    await passwd.commit();
  } catch (error) {
    stream.cancel();
    await discardAll(outputs);
    if (isServiceError(error)) {
      reportRpcFailure(context.io.stderr, error, { action: "export failed", socket: context.endpoints.adminSocket });
    } else {
      writeError(context, `export: cannot write: ${errorText(error)}; nothing was replaced`);
    }
    return EXIT_FAILURE;
  }
  writeOut(context, `export: ${lines.passwd} passwd lines to ${command.passwdFile}, ${lines.shadow} shadow lines to ${command.shadowFile}\n`);
  return EXIT_OK;
}

/** A temporary file next to its target, renamed over it by commit(). */
interface AtomicFile {
  handle: FileHandle;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

/**
 * A new temporary file in `target`'s directory with exactly `mode` (whatever the umask),
 * and the owner and group of `existing` when it replaces a file. commit() syncs it, renames
 * it over `target` and syncs the directory; discard() removes it.
 */
async function createAtomicFile(target: string, mode: number, existing: Stats | null): Promise<AtomicFile> {
  const temp = join(dirname(target), `.${basename(target)}.shadowctl-${process.pid}-${randomBytes(4).toString("hex")}`);
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  let done = false;
  const discard = async (): Promise<void> => {
    if (done) return;
    done = true;
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
  };
  try {
    if (existing !== null) await handle.chown(existing.uid, existing.gid);
    await handle.chmod(mode);
  } catch (error) {
    await discard();
    throw error;
  }
  return {
    handle,
    discard,
    commit: async () => {
      await handle.sync();
      await handle.close();
      await rename(temp, target);
      done = true;
      const directory = await open(dirname(target), "r");
      try {
        await directory.sync();
      } finally {
        await directory.close();
      }
    },
  };
}

async function discardAll(outputs: AtomicFile[]): Promise<void> {
  await Promise.allSettled(outputs.map((output) => output.discard()));
}

async function statIfExists(path: string): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

function countNewlines(bytes: Uint8Array): number {
  let count = 0;
  for (let index = bytes.indexOf(10); index !== -1; index = bytes.indexOf(10, index + 1)) count++;
  return count;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
