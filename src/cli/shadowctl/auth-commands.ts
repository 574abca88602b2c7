// Owns `shadowctl auth-test` and `check-account`: one Auth.Authenticate / CheckAccount call
// on the auth socket, printed like `doveadm auth test`; exit 0 only for OK.
import {
  AuthResult,
  AuthService,
  type AuthenticateRequest,
  type AuthenticateResponse,
  type CheckAccountRequest,
  type CheckAccountResponse,
} from "../../gen/shadowd/v1/shadowd";
import { authResultName } from "../../rpc/convert";
import { expectOperands, parseCommandLine, type ParseOutcome, stringOption } from "./args";
import { type Command, type CommandContext, EXIT_FAILURE, EXIT_OK, runParsed, writeOut } from "./context";
import { isInteractive, promptSecret, readSecretFromStdin } from "./prompt";
import { callMethod, reportRpcFailure } from "./rpc-call";

/** The service name sent when none is given: not a mail service, so no relay is granted. */
export const DEFAULT_SERVICE = "shadowctl";

/** A parsed `auth-test` command line; without `password` it is read from stdin or prompted. */
export interface AuthTestCommand {
  username: string;
  password?: Buffer;
  service: string;
  remoteAddress: string;
}

const SERVICE_OPTIONS = {
  service: { type: "string", short: "s" },
  remote: { type: "string", short: "r" },
} as const;

const AUTH_TEST_HELP = `Usage: shadowctl auth-test [--service SERVICE] [--remote ADDRESS] USER [PASSWORD]

Try a login through shadowd's Auth service on the auth socket, as a mail frontend would
(pam_authenticate + pam_acct_mgmt), and print the result like 'doveadm auth test'.
Without PASSWORD it is read from standard input (one trailing newline stripped) or, on a
terminal, prompted for without echo. A PASSWORD argument is visible to other local users.

Options:
  -s, --service SERVICE       the PAM service to act as (default: ${DEFAULT_SERVICE}); logins as
                              pop3 or imap may grant POP-before-SMTP relay to --remote
  -r, --remote ADDRESS        the client address to report (PAM_RHOST)
  -h, --help                  show this help

Output: "auth-test: user 'NAME': RESULT", RESULT one of OK, DENIED, LOCKED,
ACCOUNT_EXPIRED, PASSWORD_CHANGE_REQUIRED, PASSWORD_EXPIRED, TEMPORARILY_LOCKED,
NOT_PERMITTED, then uid/gid/home (OK only), days_left and message when set.
Exit status: 0 OK, 1 anything else.

Examples:
  shadowctl auth-test alice                           # prompts for the password
  printf '%s\\n' "$PASSWORD" | shadowctl auth-test --service imap --remote 192.0.2.7 alice
`;

const CHECK_ACCOUNT_HELP = `Usage: shadowctl check-account [--service SERVICE] [--remote ADDRESS] USER

Run the account phase alone (pam_acct_mgmt: expiry and password aging, no password)
through shadowd's Auth service on the auth socket.

Options:
  -s, --service SERVICE       the PAM service to act as (default: ${DEFAULT_SERVICE})
  -r, --remote ADDRESS        the client address to report (PAM_RHOST)
  -h, --help                  show this help

Output: "check-account: user 'NAME': RESULT" (OK, ACCOUNT_EXPIRED,
PASSWORD_CHANGE_REQUIRED, PASSWORD_EXPIRED, DENIED, USER_UNKNOWN), then days_left and
message when set. Exit status: 0 OK, 1 anything else.

Example:
  shadowctl check-account alice
`;

/** Parse `auth-test` arguments. */
export function parseAuthTestArgs(args: readonly string[]): ParseOutcome<AuthTestCommand> {
  const line = parseCommandLine(args, SERVICE_OPTIONS);
  if (line.kind !== "ok") return line;
  const positionals = line.value.positionals;
  const operands = expectOperands(line.value, positionals.length >= 2 ? ["USER", "PASSWORD"] : ["USER"]);
  if (operands.kind !== "ok") return operands;
  const [username = "", password] = operands.value;
  const command: AuthTestCommand = {
    username,
    service: stringOption(line.value, "service") ?? DEFAULT_SERVICE,
    remoteAddress: stringOption(line.value, "remote") ?? "",
  };
  if (password !== undefined) command.password = Buffer.from(password, "utf8");
  return { kind: "ok", value: command };
}

/** Parse `check-account` arguments. */
export function parseCheckAccountArgs(args: readonly string[]): ParseOutcome<CheckAccountRequest> {
  const line = parseCommandLine(args, SERVICE_OPTIONS);
  if (line.kind !== "ok") return line;
  const operands = expectOperands(line.value, ["USER"]);
  if (operands.kind !== "ok") return operands;
  return {
    kind: "ok",
    value: {
      username: operands.value[0] ?? "",
      service: stringOption(line.value, "service") ?? DEFAULT_SERVICE,
      remoteAddress: stringOption(line.value, "remote") ?? "",
    },
  };
}

/** The lines `auth-test` prints for a response (never the password). */
export function formatAuthResponse(tool: string, username: string, response: AuthenticateResponse | CheckAccountResponse): string {
  const lines = [`${tool}: user '${username}': ${authResultName(response.result)}`];
  if ("account" in response && response.account !== undefined) {
    lines.push(`  uid=${response.account.uid}`, `  gid=${response.account.gid}`, `  home=${response.account.home}`);
  }
  if (response.daysLeft !== undefined) lines.push(`  days_left=${response.daysLeft}`);
  if (response.message !== "") lines.push(`  message=${response.message}`);
  return `${lines.join("\n")}\n`;
}

/** `shadowctl auth-test`. */
export const AUTH_TEST_COMMAND: Command = {
  name: "auth-test",
  summary: "try a login through the Auth service (like doveadm auth test)",
  help: AUTH_TEST_HELP,
  run: (context, args) =>
    runParsed(context, AUTH_TEST_COMMAND, parseAuthTestArgs(args), (command) => runAuthTest(context, command)),
};

/** `shadowctl check-account`. */
export const CHECK_ACCOUNT_COMMAND: Command = {
  name: "check-account",
  summary: "check expiry and aging without a password (pam_acct_mgmt)",
  help: CHECK_ACCOUNT_HELP,
  run: (context, args) =>
    runParsed(context, CHECK_ACCOUNT_COMMAND, parseCheckAccountArgs(args), (request) => runCheckAccount(context, request)),
};

async function runAuthTest(context: CommandContext, command: AuthTestCommand): Promise<number> {
  let password = command.password;
  if (password === undefined) {
    const secret = isInteractive(context.io.stdin)
      ? await promptSecret(context.io.stdin, context.io.stderr, "Password: ")
      : await readSecretFromStdin(context.io.stdin);
    if (secret.kind !== "ok") {
      context.io.stderr.write(
        secret.kind === "too-long" ? "shadowctl: auth-test: standard input is too long for a password\n" : "auth-test: cancelled\n",
      );
      return EXIT_FAILURE;
    }
    password = secret.secret;
  }
  const request: AuthenticateRequest = {
    username: command.username,
    password,
    service: command.service,
    remoteAddress: command.remoteAddress,
  };
  const auth = context.auth();
  const outcome = await callMethod(auth, AuthService.authenticate, request, context.callOptions());
  if (!outcome.ok) {
    return reportRpcFailure(context.io.stderr, outcome.error, {
      action: `cannot authenticate '${command.username}'`,
      socket: context.endpoints.authSocket,
    });
  }
  writeOut(context, formatAuthResponse("auth-test", command.username, outcome.value));
  return outcome.value.result === AuthResult.AUTH_RESULT_OK ? EXIT_OK : EXIT_FAILURE;
}

async function runCheckAccount(context: CommandContext, request: CheckAccountRequest): Promise<number> {
  const auth = context.auth();
  const outcome = await callMethod(auth, AuthService.checkAccount, request, context.callOptions());
  if (!outcome.ok) {
    return reportRpcFailure(context.io.stderr, outcome.error, {
      action: `cannot check '${request.username}'`,
      socket: context.endpoints.authSocket,
    });
  }
  writeOut(context, formatAuthResponse("check-account", request.username, outcome.value));
  return outcome.value.result === AuthResult.AUTH_RESULT_OK ? EXIT_OK : EXIT_FAILURE;
}
