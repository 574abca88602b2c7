// Owns `shadowctl chage`: -l prints shadow-utils 4.13's `chage -l` byte for byte from
// Admin.GetUser; -d -m -M -W -I -E become one Admin.SetAging request.
import { status } from "@grpc/grpc-js";
import { formatChageList } from "../../domain/chage-format";
import { AdminService, type SetAgingRequest } from "../../gen/shadowd/v1/shadowd";
import { accountFromProto } from "../../rpc/convert";
import {
  expectOperands,
  flagOption,
  parseCommandLine,
  parseDate,
  parseDayCount,
  parseOptional,
  type ParseOutcome,
  stringOption,
} from "./args";
import { type Command, type CommandContext, EXIT_FAILURE, EXIT_OK, runParsed, writeOut } from "./context";
import { callMethod, reportRpcFailure, type RpcOutcome } from "./rpc-call";

/** A parsed `chage` command line. */
export type ChageCommand = { action: "list"; name: string; iso: boolean } | { action: "set"; request: SetAgingRequest };

const CHAGE_OPTIONS = {
  list: { type: "boolean", short: "l" },
  iso8601: { type: "boolean", short: "i" },
  lastday: { type: "string", short: "d" },
  mindays: { type: "string", short: "m" },
  maxdays: { type: "string", short: "M" },
  warndays: { type: "string", short: "W" },
  inactive: { type: "string", short: "I" },
  expiredate: { type: "string", short: "E" },
} as const;

const CHAGE_HELP = `Usage: shadowctl chage [options] LOGIN
       shadowctl chage -l [-i] LOGIN

Show or change an account's password aging, like chage(1). Dates are YYYY-MM-DD or day
numbers since 1970-01-01; -1 clears a field (leaves it empty).

Options:
  -l, --list                  show the aging information, exactly as chage -l prints it
  -i, --iso8601               with -l: print dates as YYYY-MM-DD
  -d, --lastday LAST_DAY      date of the last password change (0: must change at next login)
  -m, --mindays MIN_DAYS      minimum days between password changes
  -M, --maxdays MAX_DAYS      maximum days a password stays valid
  -W, --warndays WARN_DAYS    days of warning before the password expires
  -I, --inactive INACTIVE     days after expiry until the account is inactive
  -E, --expiredate EXPIRE     date the account expires (unusable from that day on)
  -h, --help                  show this help

Examples:
  shadowctl chage -l alice
  shadowctl chage -d 0 alice                  # force a password change at next login
  shadowctl chage -M 90 -W 14 -I 30 alice
  shadowctl chage -E 2026-06-30 bob
  shadowctl chage -E -1 bob                   # never expires
`;

/** Parse `chage` arguments. */
export function parseChageArgs(args: readonly string[]): ParseOutcome<ChageCommand> {
  const line = parseCommandLine(args, CHAGE_OPTIONS);
  if (line.kind !== "ok") return line;
  const values = line.value;
  const operands = expectOperands(values, ["LOGIN"]);
  const setters = ["lastday", "mindays", "maxdays", "warndays", "inactive", "expiredate"].filter(
    (name) => stringOption(values, name) !== undefined,
  );
  if (flagOption(values, "list")) {
    if (setters.length > 0) return { kind: "usage", message: 'do not include "l" with other flags' };
    if (operands.kind !== "ok") return operands;
    return { kind: "ok", value: { action: "list", name: operands.value[0] ?? "", iso: flagOption(values, "iso8601") } };
  }
  if (flagOption(values, "iso8601")) return { kind: "usage", message: "-i works only with -l" };
  if (setters.length === 0) {
    return { kind: "usage", message: "interactive mode is not supported: give -l, or one or more of -d -m -M -W -I -E" };
  }
  if (operands.kind !== "ok") return operands;
  const request: SetAgingRequest = { name: operands.value[0] ?? "" };
  const lastChange = parseOptional(stringOption(values, "lastday"), (text) => parseDate(text, "last change date"));
  if (lastChange.kind !== "ok") return lastChange;
  if (lastChange.value !== undefined) request.lastChange = lastChange.value;
  const minDays = parseOptional(stringOption(values, "mindays"), (text) => parseDayCount(text, "minimum days"));
  if (minDays.kind !== "ok") return minDays;
  if (minDays.value !== undefined) request.minDays = minDays.value;
  const maxDays = parseOptional(stringOption(values, "maxdays"), (text) => parseDayCount(text, "maximum days"));
  if (maxDays.kind !== "ok") return maxDays;
  if (maxDays.value !== undefined) request.maxDays = maxDays.value;
  const warnDays = parseOptional(stringOption(values, "warndays"), (text) => parseDayCount(text, "warning days"));
  if (warnDays.kind !== "ok") return warnDays;
  if (warnDays.value !== undefined) request.warnDays = warnDays.value;
  const inactive = parseOptional(stringOption(values, "inactive"), (text) => parseDayCount(text, "inactive days"));
  if (inactive.kind !== "ok") return inactive;
  if (inactive.value !== undefined) request.inactiveDays = inactive.value;
  const expire = parseOptional(stringOption(values, "expiredate"), (text) => parseDate(text, "expiry date"));
  if (expire.kind !== "ok") return expire;
  if (expire.value !== undefined) request.expireDate = expire.value;
  return { kind: "ok", value: { action: "set", request } };
}

/** `shadowctl chage`. */
export const CHAGE_COMMAND: Command = {
  name: "chage",
  summary: "show (-l) or change password aging (like chage)",
  help: CHAGE_HELP,
  run: (context, args) => runParsed(context, CHAGE_COMMAND, parseChageArgs(args), (command) => runChage(context, command)),
};

async function runChage(context: CommandContext, command: ChageCommand): Promise<number> {
  const admin = context.admin();
  if (command.action === "list") {
    const name = command.name;
    const outcome = await callMethod(admin, AdminService.getUser, { name }, context.callOptions());
    if (!outcome.ok) return reportChageFailure(context, outcome, name, `cannot read user '${name}'`);
    writeOut(context, formatChageList(accountFromProto(outcome.value).shadow, { iso: command.iso }));
    return EXIT_OK;
  }
  const request = command.request;
  const outcome = await callMethod(admin, AdminService.setAging, request, context.callOptions());
  if (!outcome.ok) return reportChageFailure(context, outcome, request.name, `cannot change the aging of '${request.name}'`);
  return EXIT_OK;
}

/** chage(1)'s own words for an unknown user; the shared error line for the rest. */
function reportChageFailure(
  context: CommandContext,
  outcome: Extract<RpcOutcome<unknown>, { ok: false }>,
  name: string,
  action: string,
): number {
  if (outcome.error.code === status.NOT_FOUND) {
    context.io.stderr.write(`chage: user '${name}' does not exist in /etc/passwd\n`);
    return EXIT_FAILURE;
  }
  return reportRpcFailure(context.io.stderr, outcome.error, { action, socket: context.endpoints.adminSocket, user: name });
}
