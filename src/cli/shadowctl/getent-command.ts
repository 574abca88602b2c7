// Owns `shadowctl getent passwd|shadow [KEY...]`: accounts printed as /etc/passwd and
// /etc/shadow lines, with getent(1)'s exit status 2 when a key is not found.
import { status } from "@grpc/grpc-js";
import type { Account } from "../../domain/account";
import { formatPasswdLine, formatShadowLine } from "../../domain/shadow-format";
import { type Account as ProtoAccount, AdminService } from "../../gen/shadowd/v1/shadowd";
import { accountFromProto } from "../../rpc/convert";
import { parseCommandLine, type ParseOutcome } from "./args";
import { type Command, type CommandContext, EXIT_FAILURE, EXIT_OK, runParsed, writeOut } from "./context";
import { callMethod, consumeStream, reportRpcFailure } from "./rpc-call";

/** getent's exit status when one or more keys were not found. */
export const EXIT_KEY_NOT_FOUND = 2;

/** A parsed `getent` command line. */
export interface GetentCommand {
  database: "passwd" | "shadow";
  /** Names (or, for passwd, numeric uids); empty = every account. */
  keys: string[];
}

const GETENT_HELP = `Usage: shadowctl getent passwd|shadow [KEY...]

Print shadowd's accounts as /etc/passwd or /etc/shadow lines, like getent(1). A KEY is a
login name; for passwd an all-digit KEY is a uid. Without keys every account is printed,
in creation order. 'getent shadow' prints the password hashes: that is its purpose.

Exit status: 0 all found, 1 failure, 2 a KEY was not found (as getent).

Options:
  -h, --help                  show this help

Examples:
  shadowctl getent passwd
  shadowctl getent passwd alice 1001
  shadowctl getent shadow alice
`;

/** Parse `getent` arguments. */
export function parseGetentArgs(args: readonly string[]): ParseOutcome<GetentCommand> {
  const line = parseCommandLine(args, {});
  if (line.kind !== "ok") return line;
  const [database, ...keys] = line.value.positionals;
  if (database === undefined) return { kind: "usage", message: "missing database (passwd or shadow)" };
  if (database !== "passwd" && database !== "shadow") {
    return { kind: "usage", message: `unknown database '${database}': shadowctl knows passwd and shadow` };
  }
  return { kind: "ok", value: { database, keys } };
}

/** The line getent prints for `account` in `database`, or null when it has none there. */
export function formatGetentLine(account: Account, database: GetentCommand["database"]): string | null {
  if (database === "passwd") return withNewline(formatPasswdLine(account));
  return account.shadow === null ? null : withNewline(formatShadowLine(account.name, account.shadow));
}

/** `shadowctl getent`. */
export const GETENT_COMMAND: Command = {
  name: "getent",
  summary: "print accounts as passwd or shadow lines (like getent)",
  help: GETENT_HELP,
  run: (context, args) => runParsed(context, GETENT_COMMAND, parseGetentArgs(args), (command) => runGetent(context, command)),
};

async function runGetent(context: CommandContext, command: GetentCommand): Promise<number> {
  if (command.keys.length === 0) return printAll(context, command.database);
  let missing = false;
  let everyone: Account[] | undefined;
  for (const key of command.keys) {
    let account: Account | undefined;
    if (command.database === "passwd" && /^[0-9]+$/.test(key)) {
      if (everyone === undefined) {
        const listed = await listAccounts(context);
        if (listed === undefined) return EXIT_FAILURE;
        everyone = listed;
      }
      account = everyone.find((candidate) => candidate.uid === Number(key));
    } else {
      const fetched = await fetchAccount(context, key);
      if (fetched === "failed") return EXIT_FAILURE;
      account = fetched;
    }
    const line = account === undefined ? null : formatGetentLine(account, command.database);
    if (line === null) {
      missing = true;
    } else {
      writeOut(context, line);
    }
  }
  return missing ? EXIT_KEY_NOT_FOUND : EXIT_OK;
}

async function printAll(context: CommandContext, database: GetentCommand["database"]): Promise<number> {
  const stream = context.admin().listUsers({}, context.callOptions("stream"));
  const outcome = await consumeStream(stream, (message: ProtoAccount) => {
    const line = formatGetentLine(accountFromProto(message), database);
    if (line !== null) writeOut(context, line);
  });
  if (!outcome.ok) {
    return reportRpcFailure(context.io.stderr, outcome.error, {
      action: "cannot list the accounts",
      socket: context.endpoints.adminSocket,
    });
  }
  return EXIT_OK;
}

/** Every account, or undefined after reporting the failure. */
async function listAccounts(context: CommandContext): Promise<Account[] | undefined> {
  const accounts: Account[] = [];
  const stream = context.admin().listUsers({}, context.callOptions("stream"));
  const outcome = await consumeStream(stream, (message: ProtoAccount) => accounts.push(accountFromProto(message)));
  if (outcome.ok) return accounts;
  reportRpcFailure(context.io.stderr, outcome.error, { action: "cannot list the accounts", socket: context.endpoints.adminSocket });
  return undefined;
}

/** One account; undefined when it does not exist; "failed" after reporting another error. */
async function fetchAccount(context: CommandContext, name: string): Promise<Account | undefined | "failed"> {
  const admin = context.admin();
  const outcome = await callMethod(admin, AdminService.getUser, { name }, context.callOptions());
  if (outcome.ok) return accountFromProto(outcome.value);
  // getent treats a malformed key like an unknown one: it is simply not found.
  if (outcome.error.code === status.NOT_FOUND || outcome.error.code === status.INVALID_ARGUMENT) return undefined;
  reportRpcFailure(context.io.stderr, outcome.error, { action: `cannot read user '${name}'`, socket: context.endpoints.adminSocket });
  return "failed";
}

function withNewline(line: string): string {
  return line.endsWith("\n") ? line : `${line}\n`;
}
