// Owns shadowctl's entry point: global options (state dir, sockets), dispatch to the
// command modules in ./shadowctl/, and closing the gRPC clients. Returns 0, 1 or 2.
import { resolve } from "node:path";
import { credentials } from "@grpc/grpc-js";
import { AdminClient, AuthClient } from "../gen/shadowd/v1/shadowd";
import { parseCommandLine, stringOption } from "./shadowctl/args";
import { AUTH_TEST_COMMAND, CHECK_ACCOUNT_COMMAND } from "./shadowctl/auth-commands";
import { CHAGE_COMMAND } from "./shadowctl/chage-command";
import {
  type CliIo,
  type Command,
  type CommandContext,
  type Endpoints,
  EXIT_FAILURE,
  EXIT_OK,
  reportUsage,
} from "./shadowctl/context";
import { GETENT_COMMAND } from "./shadowctl/getent-command";
import { IMPORT_COMMAND } from "./shadowctl/import-command";
import { ALIASES_COMMAND, NEWALIASES_COMMAND } from "./shadowctl/aliases-command";
import { EXPORT_COMMAND, FAILLOCK_COMMAND } from "./shadowctl/maintenance-commands";
import { PASSWD_COMMAND } from "./shadowctl/passwd-command";
import { STATUS_COMMAND } from "./shadowctl/status-command";
import { USERADD_COMMAND, USERDEL_COMMAND, USERMOD_COMMAND } from "./shadowctl/user-commands";

export type { CliIo } from "./shadowctl/context";

/** The state directory when neither --state-dir nor SHADOWD_STATE_DIR is given. */
export const DEFAULT_STATE_DIR = "./var";
/** The admin socket's file name inside the state directory. */
export const ADMIN_SOCKET_NAME = "shadowd-admin.sock";
/** The auth socket's file name inside the state directory. */
export const AUTH_SOCKET_NAME = "shadowd.sock";

/** How long one unary call may take (argon2 hashing under load included). */
const UNARY_TIMEOUT_MS = 30_000;
/** How long a stream (import, export, listing) may take. */
const STREAM_TIMEOUT_MS = 60 * 60_000;

/** Every command, in the order the help lists them. */
export const COMMANDS: readonly Command[] = [
  USERADD_COMMAND,
  USERMOD_COMMAND,
  USERDEL_COMMAND,
  PASSWD_COMMAND,
  CHAGE_COMMAND,
  GETENT_COMMAND,
  AUTH_TEST_COMMAND,
  CHECK_ACCOUNT_COMMAND,
  IMPORT_COMMAND,
  EXPORT_COMMAND,
  ALIASES_COMMAND,
  NEWALIASES_COMMAND,
  FAILLOCK_COMMAND,
  STATUS_COMMAND,
];

const GLOBAL_OPTIONS = {
  "state-dir": { type: "string" },
  socket: { type: "string" },
  "auth-socket": { type: "string" },
} as const;

/** The top-level --help text. */
export function formatTopLevelHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length)) + 2;
  const commands = COMMANDS.map((command) => `  ${command.name.padEnd(width)}${command.summary}`).join("\n");
  return `Usage: shadowctl [--state-dir DIR | --socket PATH] [--auth-socket PATH] COMMAND [ARGS]
       shadowctl COMMAND --help

Administer shadowd, the mail servers' UNIX account daemon, over its admin socket. The
commands and their flags follow the shadow-utils tools.

Commands:
${commands}

Global options:
      --state-dir DIR      shadowd's state directory (default: $SHADOWD_STATE_DIR, else
                           ${DEFAULT_STATE_DIR}); its admin socket is DIR/${ADMIN_SOCKET_NAME}, its auth
                           socket DIR/${AUTH_SOCKET_NAME}
      --socket PATH        the admin socket (instead of DIR/${ADMIN_SOCKET_NAME})
      --auth-socket PATH   the auth socket, used by auth-test and check-account (instead of
                           DIR/${AUTH_SOCKET_NAME})
  -h, --help               show this help

Exit status: 0 success, 1 failure (the error is printed as one 'shadowctl: ...' line),
2 usage error (nothing was sent to shadowd); getent exits 2 for a key not found.

Examples:
  shadowctl useradd -c 'Alice Liddell' alice
  printf '%s\\n' "$PASSWORD" | shadowctl passwd --stdin alice
  shadowctl auth-test alice
  shadowctl chage -l alice
  shadowctl getent shadow alice
  shadowctl --state-dir /var/lib/shadowd import --passwd /etc/passwd --shadow /etc/shadow --dry-run
`;
}

/** Where the global options say the sockets are. */
export function resolveEndpoints(
  options: { stateDir?: string | undefined; socket?: string | undefined; authSocket?: string | undefined },
  env: Readonly<Record<string, string | undefined>>,
): Endpoints {
  const fromEnv = env["SHADOWD_STATE_DIR"];
  const stateDir = options.stateDir ?? (fromEnv !== undefined && fromEnv !== "" ? fromEnv : DEFAULT_STATE_DIR);
  return {
    adminSocket: resolve(options.socket ?? resolve(stateDir, ADMIN_SOCKET_NAME)),
    authSocket: resolve(options.authSocket ?? resolve(stateDir, AUTH_SOCKET_NAME)),
  };
}

/**
 * Run shadowctl with `argv` (without node and the script) and return the exit status:
 * 0 success, 1 failure, 2 usage. Never throws; never calls process.exit.
 */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const commandIndex = findCommandIndex(argv);
  const globals = parseCommandLine(argv.slice(0, commandIndex), GLOBAL_OPTIONS);
  const topHelp = formatTopLevelHelp();
  if (globals.kind === "usage") return reportUsage(io, "", topHelp, globals.message);
  const commandName = argv[commandIndex];
  if (globals.kind === "help" || commandName === "help") {
    const topic = commandName === "help" ? argv[commandIndex + 1] : undefined;
    const command = COMMANDS.find((candidate) => candidate.name === topic);
    if (topic !== undefined && command === undefined) return reportUsage(io, "", topHelp, `unknown command '${topic}'`);
    io.stdout.write(command === undefined ? topHelp : command.help);
    return EXIT_OK;
  }
  if (commandName === undefined) return reportUsage(io, "", topHelp, "missing COMMAND");
  const command = COMMANDS.find((candidate) => candidate.name === commandName);
  if (command === undefined) return reportUsage(io, "", topHelp, `unknown command '${commandName}'`);
  const endpoints = resolveEndpoints(
    {
      stateDir: stringOption(globals.value, "state-dir"),
      socket: stringOption(globals.value, "socket"),
      authSocket: stringOption(globals.value, "auth-socket"),
    },
    io.env,
  );
  const clients = openClients(endpoints);
  const context: CommandContext = {
    io,
    endpoints,
    admin: clients.admin,
    auth: clients.auth,
    callOptions: (kind = "unary") => ({ deadline: Date.now() + (kind === "stream" ? STREAM_TIMEOUT_MS : UNARY_TIMEOUT_MS) }),
  };
  try {
    return await command.run(context, argv.slice(commandIndex + 1));
  } catch (error) {
    io.stderr.write(`shadowctl: ${command.name}: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_FAILURE;
  } finally {
    clients.close();
  }
}

/** The index of the command word: the first argument that is neither a global option nor its value. */
function findCommandIndex(argv: readonly string[]): number {
  let index = 0;
  while (index < argv.length) {
    const arg = argv[index] ?? "";
    if (arg === "--") return index + 1;
    if (!arg.startsWith("-") || arg === "-") return index;
    const takesValue = Object.entries(GLOBAL_OPTIONS).some(([name, spec]) => spec.type === "string" && arg === `--${name}`);
    index += takesValue ? 2 : 1;
  }
  return Math.min(index, argv.length);
}

/** Clients opened on first use, closed together. */
function openClients(endpoints: Endpoints): { admin: () => AdminClient; auth: () => AuthClient; close: () => void } {
  let admin: AdminClient | undefined;
  let auth: AuthClient | undefined;
  return {
    admin: () => {
      admin ??= new AdminClient(`unix:${endpoints.adminSocket}`, credentials.createInsecure());
      return admin;
    },
    auth: () => {
      auth ??= new AuthClient(`unix:${endpoints.authSocket}`, credentials.createInsecure());
      return auth;
    },
    close: () => {
      admin?.close();
      auth?.close();
    },
  };
}
