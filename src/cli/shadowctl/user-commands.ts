// Owns `shadowctl useradd`, `usermod` and `userdel`: shadow-utils flags parsed into
// Admin.AddUser / ModifyUser / DeleteUser requests, and the calls themselves.
import { status } from "@grpc/grpc-js";
import { type AddUserRequest, AdminService, type ModifyUserRequest } from "../../gen/shadowd/v1/shadowd";
import {
  expectOperands,
  flagOption,
  parseCommandLine,
  parseDate,
  parseDayCount,
  parseId,
  parseOptional,
  type ParseOutcome,
  stringOption,
} from "./args";
import { type Command, type CommandContext, EXIT_FAILURE, EXIT_OK, runParsed, writeError, writeOut } from "./context";
import { describeMissingPassword, obtainNewPassword } from "./prompt";
import { callMethod, reportRpcFailure } from "./rpc-call";

/** A parsed `useradd` command line. */
export interface UseraddCommand {
  request: AddUserRequest;
  /** --stdin: read a clear password from standard input (hashed by shadowd). */
  passwordFromStdin: boolean;
}

/** A parsed `usermod` command line; `request` has no change set when nothing was asked. */
export interface UsermodCommand {
  request: ModifyUserRequest;
  hasChanges: boolean;
}

const USERADD_OPTIONS = {
  uid: { type: "string", short: "u" },
  gid: { type: "string", short: "g" },
  comment: { type: "string", short: "c" },
  "home-dir": { type: "string", short: "d" },
  shell: { type: "string", short: "s" },
  expiredate: { type: "string", short: "e" },
  inactive: { type: "string", short: "f" },
  password: { type: "string", short: "p" },
  stdin: { type: "boolean" },
} as const;

const USERMOD_OPTIONS = {
  login: { type: "string", short: "l" },
  uid: { type: "string", short: "u" },
  gid: { type: "string", short: "g" },
  comment: { type: "string", short: "c" },
  home: { type: "string", short: "d" },
  shell: { type: "string", short: "s" },
  expiredate: { type: "string", short: "e" },
  inactive: { type: "string", short: "f" },
  lock: { type: "boolean", short: "L" },
  unlock: { type: "boolean", short: "U" },
} as const;

const USERADD_HELP = `Usage: shadowctl useradd [options] LOGIN

Create an account in shadowd, like useradd(8). No home directory is created.

Options:
  -u, --uid UID               user id (default: the next free id at or above min_uid)
  -g, --gid GID               numeric primary group id (default: the uid)
  -c, --comment COMMENT       GECOS field
  -d, --home-dir HOME_DIR     home directory (default: /home/LOGIN)
  -s, --shell SHELL           login shell (default: /bin/sh)
  -e, --expiredate EXPIRE     account expiry date, YYYY-MM-DD or a day number ("" or -1: never)
  -f, --inactive INACTIVE     days after password expiry until the account is inactive (-1: never)
  -p, --password HASH         a password already hashed with crypt(3) or argon2id, stored as given
      --stdin                 read a clear password from standard input (one trailing newline is
                              stripped); shadowd hashes it
  -h, --help                  show this help

Without -p or --stdin the account has no usable password ("!") until 'shadowctl passwd'.

Examples:
  shadowctl useradd -c 'Alice Liddell' alice
  printf '%s\\n' 'correct horse' | shadowctl useradd --stdin -e 2026-12-31 bob
  shadowctl useradd -u 2001 -p '$y$j9T$...' carol
`;

const USERMOD_HELP = `Usage: shadowctl usermod [options] LOGIN

Change an account in shadowd, like usermod(8).

Options:
  -l, --login NEW_LOGIN       new login name
  -u, --uid UID               new user id
  -g, --gid GID               new numeric primary group id
  -c, --comment COMMENT       new GECOS field
  -d, --home HOME_DIR         new home directory (nothing is moved)
  -s, --shell SHELL           new login shell
  -e, --expiredate EXPIRE     account expiry date, YYYY-MM-DD or a day number ("" or -1: never)
  -f, --inactive INACTIVE     days after password expiry until the account is inactive (-1: never)
  -L, --lock                  lock the password (prefix it with "!")
  -U, --unlock                unlock the password (remove one "!")
  -h, --help                  show this help

Examples:
  shadowctl usermod -L alice                 # lock; the password stays as it was
  shadowctl usermod -e 1 bob                 # disable the account (expired since 1970-01-02)
  shadowctl usermod -e -1 bob                # remove the expiry date
  shadowctl usermod -l alicia -c 'Alicia' alice
`;

const USERDEL_HELP = `Usage: shadowctl userdel LOGIN

Delete an account from shadowd, like userdel(8). Files are not touched.

Options:
  -h, --help                  show this help

Example:
  shadowctl userdel alice
`;

/** Parse `useradd` arguments into an AddUser request. */
export function parseUseraddArgs(args: readonly string[]): ParseOutcome<UseraddCommand> {
  const line = parseCommandLine(args, USERADD_OPTIONS);
  if (line.kind !== "ok") return line;
  const operands = expectOperands(line.value, ["LOGIN"]);
  if (operands.kind !== "ok") return operands;
  const request: AddUserRequest = {
    name: operands.value[0] ?? "",
    gecos: stringOption(line.value, "comment") ?? "",
    home: stringOption(line.value, "home-dir") ?? "",
    shell: stringOption(line.value, "shell") ?? "",
  };
  const ids = parseIdOptions(line.value);
  if (ids.kind !== "ok") return ids;
  Object.assign(request, ids.value);
  const expire = parseOptional(stringOption(line.value, "expiredate"), (text) => parseDate(text, "expiry date"));
  if (expire.kind !== "ok") return expire;
  if (expire.value !== undefined && expire.value !== -1) request.expireDate = expire.value;
  const inactive = parseOptional(stringOption(line.value, "inactive"), (text) => parseDayCount(text, "inactive days"));
  if (inactive.kind !== "ok") return inactive;
  if (inactive.value !== undefined && inactive.value !== -1) request.inactiveDays = inactive.value;
  const hash = stringOption(line.value, "password");
  const passwordFromStdin = flagOption(line.value, "stdin");
  if (hash !== undefined && passwordFromStdin) {
    return { kind: "usage", message: "-p and --stdin are exclusive" };
  }
  if (hash !== undefined) request.passwordHash = hash;
  return { kind: "ok", value: { request, passwordFromStdin } };
}

/** -u and -g, as useradd and usermod both take them: the ids given, or the usage error. */
function parseIdOptions(values: Parameters<typeof stringOption>[0]): ParseOutcome<{ uid?: number; gid?: number }> {
  const ids: { uid?: number; gid?: number } = {};
  const uid = parseOptional(stringOption(values, "uid"), (text) => parseId(text, "user id"));
  if (uid.kind !== "ok") return uid;
  if (uid.value !== undefined) ids.uid = uid.value;
  const gid = parseOptional(stringOption(values, "gid"), (text) => parseId(text, "group id"));
  if (gid.kind !== "ok") return gid;
  if (gid.value !== undefined) ids.gid = gid.value;
  return { kind: "ok", value: ids };
}

/** Parse `usermod` arguments into a ModifyUser request. */
export function parseUsermodArgs(args: readonly string[]): ParseOutcome<UsermodCommand> {
  const line = parseCommandLine(args, USERMOD_OPTIONS);
  if (line.kind !== "ok") return line;
  const operands = expectOperands(line.value, ["LOGIN"]);
  if (operands.kind !== "ok") return operands;
  const lock = flagOption(line.value, "lock");
  const unlock = flagOption(line.value, "unlock");
  if (lock && unlock) return { kind: "usage", message: "-L and -U are exclusive" };
  const request: ModifyUserRequest = { name: operands.value[0] ?? "", lock, unlock };
  const newName = stringOption(line.value, "login");
  if (newName !== undefined) request.newName = newName;
  const gecos = stringOption(line.value, "comment");
  if (gecos !== undefined) request.gecos = gecos;
  const home = stringOption(line.value, "home");
  if (home !== undefined) request.home = home;
  const shell = stringOption(line.value, "shell");
  if (shell !== undefined) request.shell = shell;
  const ids = parseIdOptions(line.value);
  if (ids.kind !== "ok") return ids;
  Object.assign(request, ids.value);
  const expire = parseOptional(stringOption(line.value, "expiredate"), (text) => parseDate(text, "expiry date"));
  if (expire.kind !== "ok") return expire;
  if (expire.value !== undefined) request.expireDate = expire.value;
  const inactive = parseOptional(stringOption(line.value, "inactive"), (text) => parseDayCount(text, "inactive days"));
  if (inactive.kind !== "ok") return inactive;
  if (inactive.value !== undefined) request.inactiveDays = inactive.value;
  const hasChanges = Object.keys(line.value.values).some((name) => name !== "help");
  return { kind: "ok", value: { request, hasChanges } };
}

/** Parse `userdel` arguments: exactly one login name. */
export function parseUserdelArgs(args: readonly string[]): ParseOutcome<{ name: string }> {
  const line = parseCommandLine(args, {});
  if (line.kind !== "ok") return line;
  const operands = expectOperands(line.value, ["LOGIN"]);
  if (operands.kind !== "ok") return operands;
  return { kind: "ok", value: { name: operands.value[0] ?? "" } };
}

/** `shadowctl useradd`. */
export const USERADD_COMMAND: Command = {
  name: "useradd",
  summary: "create an account (like useradd)",
  help: USERADD_HELP,
  run: (context, args) => runParsed(context, USERADD_COMMAND, parseUseraddArgs(args), (command) => addUser(context, command)),
};

/** `shadowctl usermod`. */
export const USERMOD_COMMAND: Command = {
  name: "usermod",
  summary: "change an account: name, ids, GECOS, home, shell, expiry, lock (like usermod)",
  help: USERMOD_HELP,
  run: (context, args) =>
    runParsed(context, USERMOD_COMMAND, parseUsermodArgs(args), (command) => modifyUser(context, command)),
};

/** `shadowctl userdel`. */
export const USERDEL_COMMAND: Command = {
  name: "userdel",
  summary: "delete an account (like userdel)",
  help: USERDEL_HELP,
  run: (context, args) =>
    runParsed(context, USERDEL_COMMAND, parseUserdelArgs(args), ({ name }) => deleteUser(context, name)),
};

async function addUser(context: CommandContext, command: UseraddCommand): Promise<number> {
  const request: AddUserRequest = { ...command.request };
  if (command.passwordFromStdin) {
    const password = await obtainNewPassword(context.io.stdin, context.io.stderr, { fromStdin: true });
    if (password.kind !== "ok") {
      context.io.stderr.write(describeMissingPassword(password, "useradd"));
      return EXIT_FAILURE;
    }
    request.password = password.secret;
  }
  const admin = context.admin();
  const outcome = await callMethod(admin, AdminService.addUser, request, context.callOptions());
  if (!outcome.ok) {
    if (outcome.error.code === status.ALREADY_EXISTS) {
      writeError(context, `user '${request.name}' already exists`);
      return EXIT_FAILURE;
    }
    return reportRpcFailure(context.io.stderr, outcome.error, {
      action: `cannot add user '${request.name}'`,
      socket: context.endpoints.adminSocket,
    });
  }
  return EXIT_OK;
}

async function modifyUser(context: CommandContext, command: UsermodCommand): Promise<number> {
  const admin = context.admin();
  const name = command.request.name;
  if (!command.hasChanges) {
    // usermod(8) checks that the user exists, then says "no changes" and succeeds.
    const existing = await callMethod(admin, AdminService.getUser, { name }, context.callOptions());
    if (!existing.ok) {
      return reportRpcFailure(context.io.stderr, existing.error, {
        action: `cannot read user '${name}'`,
        socket: context.endpoints.adminSocket,
        user: name,
      });
    }
    writeOut(context, "usermod: no changes\n");
    return EXIT_OK;
  }
  const outcome = await callMethod(admin, AdminService.modifyUser, command.request, context.callOptions());
  if (!outcome.ok) {
    if (outcome.error.code === status.ALREADY_EXISTS && command.request.newName !== undefined) {
      writeError(context, `user '${command.request.newName}' already exists`);
      return EXIT_FAILURE;
    }
    return reportRpcFailure(context.io.stderr, outcome.error, {
      action: `cannot modify user '${name}'`,
      socket: context.endpoints.adminSocket,
      user: name,
    });
  }
  return EXIT_OK;
}

async function deleteUser(context: CommandContext, name: string): Promise<number> {
  const admin = context.admin();
  const outcome = await callMethod(admin, AdminService.deleteUser, { name }, context.callOptions());
  if (!outcome.ok) {
    return reportRpcFailure(context.io.stderr, outcome.error, {
      action: `cannot delete user '${name}'`,
      socket: context.endpoints.adminSocket,
      user: name,
    });
  }
  return EXIT_OK;
}
