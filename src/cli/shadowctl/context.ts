// Owns what every shadowctl command is handed: the process streams, the socket paths, the
// lazily opened gRPC clients, and the shared ways to print output, usage errors and help.
import type { Readable } from "node:stream";
import type { CallOptions } from "@grpc/grpc-js";
import type { AdminClient, AuthClient } from "../../gen/shadowd/v1/shadowd";
import type { ParseOutcome } from "./args";

/** Standard input: any readable stream; a terminal also has isTTY and setRawMode. */
export type CliInput = Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };

/** An output stream: only write is used. */
export interface CliOutput {
  write(chunk: string | Uint8Array): boolean;
}

/** The process's streams and environment, injected so main() can be tested. */
export interface CliIo {
  stdin: CliInput;
  stdout: CliOutput;
  stderr: CliOutput;
  env: Readonly<Record<string, string | undefined>>;
}

/** Where shadowd listens. */
export interface Endpoints {
  adminSocket: string;
  authSocket: string;
}

/** Everything a command needs to run. */
export interface CommandContext {
  io: CliIo;
  endpoints: Endpoints;
  /** The Admin client on the admin socket (opened on first use). */
  admin(): AdminClient;
  /** The Auth client on the auth socket (opened on first use). */
  auth(): AuthClient;
  /** Call options (a deadline) for one unary call, or for a longer stream. */
  callOptions(kind?: "unary" | "stream"): Partial<CallOptions>;
}

/** One shadowctl command. */
export interface Command {
  name: string;
  /** One line for the top-level help. */
  summary: string;
  /** The full --help text; the lines up to the first blank line are the synopsis. */
  help: string;
  run(context: CommandContext, args: readonly string[]): Promise<number>;
}

/** Exit status: success. */
export const EXIT_OK = 0;
/** Exit status: the operation failed (or was refused by shadowd). */
export const EXIT_FAILURE = 1;
/** Exit status: the command line is wrong; nothing was sent to shadowd. */
export const EXIT_USAGE = 2;

/** Write text to standard output. */
export function writeOut(context: CommandContext, text: string): void {
  context.io.stdout.write(text);
}

/** Write one `shadowctl: ...` error line to standard error. */
export function writeError(context: CommandContext, message: string): void {
  context.io.stderr.write(`shadowctl: ${message}\n`);
}

/** The synopsis of a help text: its lines up to the first blank line. */
export function synopsisOf(help: string): string {
  const end = help.indexOf("\n\n");
  return end === -1 ? help : help.slice(0, end + 1);
}

/** Print a usage error for `command` on standard error and return EXIT_USAGE. */
export function reportUsage(io: Pick<CliIo, "stderr">, command: string, help: string, message: string): number {
  const prefix = command === "" ? "shadowctl" : `shadowctl ${command}`;
  io.stderr.write(`${prefix}: ${message}\n${synopsisOf(help)}Try '${prefix} --help' for more information.\n`);
  return EXIT_USAGE;
}

/**
 * Run a parsed command: print its help (exit 0), report a usage error (exit 2), or
 * execute it with the parsed value.
 */
export async function runParsed<T>(
  context: CommandContext,
  command: Pick<Command, "name" | "help">,
  parsed: ParseOutcome<T>,
  execute: (value: T) => Promise<number>,
): Promise<number> {
  switch (parsed.kind) {
    case "help":
      writeOut(context, command.help);
      return EXIT_OK;
    case "usage":
      return reportUsage(context.io, command.name, command.help, parsed.message);
    case "ok":
      return execute(parsed.value);
    default: {
      const unreachable: never = parsed;
      return unreachable;
    }
  }
}
