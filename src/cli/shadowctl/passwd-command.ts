// Owns `shadowctl passwd`: set a password (prompted twice, or --stdin), -l/-u/-e/-d through
// Admin.SetPassword, and -S status lines formatted as shadow-utils 4.13's `passwd -S`.
import type { Account } from "../../domain/account";
import { formatIsoDay } from "../../domain/days";
import { AdminService, type Account as ProtoAccount, type SetPasswordRequest } from "../../gen/shadowd/v1/shadowd";
import { accountFromProto } from "../../rpc/convert";
import { expectOperands, flagOption, parseCommandLine, type ParseOutcome } from "./args";
import { type Command, type CommandContext, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, runParsed, writeOut } from "./context";
import { describeMissingPassword, isInteractive, obtainNewPassword } from "./prompt";
import { callMethod, consumeStream, reportRpcFailure } from "./rpc-call";

/** A parsed `passwd` command line. */
export type PasswdCommand =
  | { action: "set"; name: string; fromStdin: boolean }
  | { action: "change"; request: SetPasswordRequest }
  | { action: "status"; name: string }
  | { action: "status-all" };

const PASSWD_OPTIONS = {
  stdin: { type: "boolean" },
  lock: { type: "boolean", short: "l" },
  unlock: { type: "boolean", short: "u" },
  expire: { type: "boolean", short: "e" },
  delete: { type: "boolean", short: "d" },
  status: { type: "boolean", short: "S" },
  all: { type: "boolean", short: "a" },
} as const;

const PASSWD_HELP = `Usage: shadowctl passwd [--stdin] LOGIN
       shadowctl passwd [-l | -u] [-e] [-d] LOGIN
       shadowctl passwd -S [-a | LOGIN]

Set or change an account's password in shadowd, as root's passwd(1) does. shadowd
hashes the new password (argon2id) and sets the last change to today.

Options:
      --stdin          read the new password from standard input (one trailing newline is
                       stripped, everything else is kept); without it the password is
                       prompted for twice on the terminal, without echo
  -l, --lock           lock the password (prefix it with "!")
  -u, --unlock         unlock the password (remove one "!")
  -e, --expire         expire the password: it must be changed at the next login
  -d, --delete         delete the password (empty: the account then logs in only if
                       shadowd runs with --nullok)
  -S, --status         show the password status: LOGIN L|NP|P LASTCHANGE MIN MAX WARN INACTIVE
  -a, --all            with -S: every account
  -h, --help           show this help

Examples:
  shadowctl passwd alice                                   # prompts twice
  printf '%s\\n' "$NEW_PASSWORD" | shadowctl passwd --stdin alice
  shadowctl passwd -e alice                                # must change at next login
  shadowctl passwd -S alice
`;

/** Parse `passwd` arguments. */
export function parsePasswdArgs(args: readonly string[]): ParseOutcome<PasswdCommand> {
  const line = parseCommandLine(args, PASSWD_OPTIONS);
  if (line.kind !== "ok") return line;
  const values = line.value;
  const lock = flagOption(values, "lock");
  const unlock = flagOption(values, "unlock");
  const expire = flagOption(values, "expire");
  const remove = flagOption(values, "delete");
  const fromStdin = flagOption(values, "stdin");
  const changes = lock || unlock || expire || remove;
  if (flagOption(values, "status")) {
    if (changes || fromStdin) return { kind: "usage", message: "-S cannot be combined with other options" };
    if (flagOption(values, "all")) {
      const none = expectOperands(values, []);
      return none.kind === "ok" ? { kind: "ok", value: { action: "status-all" } } : none;
    }
    const operands = expectOperands(values, ["LOGIN"]);
    if (operands.kind !== "ok") return operands;
    return { kind: "ok", value: { action: "status", name: operands.value[0] ?? "" } };
  }
  if (flagOption(values, "all")) return { kind: "usage", message: "-a works only with -S" };
  const operands = expectOperands(values, ["LOGIN"]);
  if (operands.kind !== "ok") return operands;
  const name = operands.value[0] ?? "";
  if (!changes) return { kind: "ok", value: { action: "set", name, fromStdin } };
  if (fromStdin) return { kind: "usage", message: "--stdin sets a password; it cannot be combined with -l, -u, -e or -d" };
  if (lock && unlock) return { kind: "usage", message: "-l and -u are exclusive" };
  return { kind: "ok", value: { action: "change", request: { name, lock, unlock, expire, delete: remove } } };
}

/**
 * One `passwd -S` line as shadow-utils 4.13 prints it: `LOGIN L|NP|P DATE MIN MAX WARN
 * INACTIVE` with the last change as YYYY-MM-DD ("never" when empty or negative) and empty
 * numbers as -1; an account without a shadow entry prints only `LOGIN L|NP|P`.
 */
export function formatPasswdStatus(account: Account): string {
  const shadow = account.shadow;
  if (shadow === null) return `${account.name} ${passwordStatusLetter(account.passwdPassword)}\n`;
  const lastChange = shadow.lastChange === null || shadow.lastChange < 0 ? "never" : formatIsoDay(shadow.lastChange);
  const numbers = [shadow.minDays, shadow.maxDays, shadow.warnDays, shadow.inactiveDays].map((value) => String(value ?? -1));
  return `${account.name} ${passwordStatusLetter(shadow.hash)} ${lastChange} ${numbers.join(" ")}\n`;
}

/** passwd's pw_status(): L for a "!" or "*" prefix, NP for empty, else P. */
export function passwordStatusLetter(hash: string): "L" | "NP" | "P" {
  if (hash.startsWith("!") || hash.startsWith("*")) return "L";
  return hash === "" ? "NP" : "P";
}

/** `shadowctl passwd`. */
export const PASSWD_COMMAND: Command = {
  name: "passwd",
  summary: "set, lock, unlock, expire or delete a password; -S shows its status (like passwd)",
  help: PASSWD_HELP,
  run: (context, args) => runParsed(context, PASSWD_COMMAND, parsePasswdArgs(args), (command) => runPasswd(context, command)),
};

async function runPasswd(context: CommandContext, command: PasswdCommand): Promise<number> {
  switch (command.action) {
    case "set":
      return setPassword(context, command.name, command.fromStdin);
    case "change":
      return changePassword(context, command.request);
    case "status":
      return showStatus(context, command.name);
    case "status-all":
      return showAllStatuses(context);
    default: {
      const unreachable: never = command;
      return unreachable;
    }
  }
}

async function setPassword(context: CommandContext, name: string, fromStdin: boolean): Promise<number> {
  const admin = context.admin();
  if (isInteractive(context.io.stdin)) {
    // passwd(1) looks the user up before prompting: do not make someone type twice for nothing.
    const existing = await fetchAccount(context, name);
    if (existing !== undefined) return existing;
  }
  const password = await obtainNewPassword(context.io.stdin, context.io.stderr, { fromStdin });
  if (password.kind !== "ok") {
    context.io.stderr.write(describeMissingPassword(password, "passwd"));
    return password.kind === "not-a-terminal" ? EXIT_USAGE : EXIT_FAILURE;
  }
  const request: SetPasswordRequest = {
    name,
    password: password.secret,
    expire: false,
    delete: false,
    lock: false,
    unlock: false,
  };
  const outcome = await callMethod(admin, AdminService.setPassword, request, context.callOptions());
  if (!outcome.ok) {
    return reportRpcFailure(context.io.stderr, outcome.error, {
      action: `cannot set the password of '${name}'`,
      socket: context.endpoints.adminSocket,
      user: name,
    });
  }
  writeOut(context, "passwd: password updated successfully\n");
  return EXIT_OK;
}

async function changePassword(context: CommandContext, request: SetPasswordRequest): Promise<number> {
  const admin = context.admin();
  const outcome = await callMethod(admin, AdminService.setPassword, request, context.callOptions());
  if (!outcome.ok) {
    return reportRpcFailure(context.io.stderr, outcome.error, {
      action: `cannot change the password of '${request.name}'`,
      socket: context.endpoints.adminSocket,
      user: request.name,
    });
  }
  writeOut(context, "passwd: password changed.\n");
  return EXIT_OK;
}

async function showStatus(context: CommandContext, name: string): Promise<number> {
  const admin = context.admin();
  const outcome = await callMethod(admin, AdminService.getUser, { name }, context.callOptions());
  if (!outcome.ok) {
    return reportRpcFailure(context.io.stderr, outcome.error, {
      action: `cannot read user '${name}'`,
      socket: context.endpoints.adminSocket,
      user: name,
    });
  }
  writeOut(context, formatPasswdStatus(accountFromProto(outcome.value)));
  return EXIT_OK;
}

async function showAllStatuses(context: CommandContext): Promise<number> {
  const stream = context.admin().listUsers({}, context.callOptions("stream"));
  const outcome = await consumeStream(stream, (account: ProtoAccount) => {
    writeOut(context, formatPasswdStatus(accountFromProto(account)));
  });
  if (!outcome.ok) {
    return reportRpcFailure(context.io.stderr, outcome.error, {
      action: "cannot list the accounts",
      socket: context.endpoints.adminSocket,
    });
  }
  return EXIT_OK;
}

/** Check that `name` exists; undefined when it does, else the exit status after reporting. */
async function fetchAccount(context: CommandContext, name: string): Promise<number | undefined> {
  const admin = context.admin();
  const outcome = await callMethod(admin, AdminService.getUser, { name }, context.callOptions());
  if (outcome.ok) return undefined;
  return reportRpcFailure(context.io.stderr, outcome.error, {
    action: `cannot read user '${name}'`,
    socket: context.endpoints.adminSocket,
    user: name,
  });
}
