// Owns `shadowctl status`: Admin.GetStatus plus the standard grpc.health.v1 check on the
// admin socket, printed for people (or as JSON).
import { type ServiceError, status as grpcStatus } from "@grpc/grpc-js";
import { formatIsoDay } from "../../domain/days";
import { AdminService, type GetStatusResponse } from "../../gen/shadowd/v1/shadowd";
import { expectOperands, flagOption, parseCommandLine, type ParseOutcome } from "./args";
import { type Command, type CommandContext, EXIT_FAILURE, EXIT_OK, runParsed, writeOut } from "./context";
import { callMethod, reportRpcFailure } from "./rpc-call";

/** What the health check said: a serving status, or "unknown" when it could not be asked. */
export type HealthState = "SERVING" | "NOT_SERVING" | "SERVICE_UNKNOWN" | "UNKNOWN";

const STATUS_HELP = `Usage: shadowctl status [--json]

Show whether shadowd answers on the admin socket: version, health (grpc.health.v1),
uptime, number of accounts, database path and shadowd's current day number.

Options:
      --json                  print the status as JSON
  -h, --help                  show this help

Exit status: 0 serving, 1 unreachable or not serving.

Example:
  shadowctl --state-dir /var/lib/shadowd status
`;

/** Parse `status` arguments. */
export function parseStatusArgs(args: readonly string[]): ParseOutcome<{ json: boolean }> {
  const line = parseCommandLine(args, { json: { type: "boolean" } });
  if (line.kind !== "ok") return line;
  const none = expectOperands(line.value, []);
  if (none.kind !== "ok") return none;
  return { kind: "ok", value: { json: flagOption(line.value, "json") } };
}

/** Seconds as "2d 3h 4m 5s" (leading zero units left out). */
export function formatUptime(totalSeconds: number): string {
  const units: Array<[string, number]> = [
    ["d", 86400],
    ["h", 3600],
    ["m", 60],
  ];
  let rest = Math.max(0, Math.floor(totalSeconds));
  const parts: string[] = [];
  for (const [unit, size] of units) {
    const value = Math.floor(rest / size);
    rest -= value * size;
    if (value > 0 || parts.length > 0) parts.push(`${value}${unit}`);
  }
  parts.push(`${rest}s`);
  return parts.join(" ");
}

/** The human-readable status. */
export function formatStatus(response: GetStatusResponse, health: HealthState, adminSocket: string): string {
  return [
    `shadowd ${response.version}`,
    `admin socket: ${adminSocket}`,
    `health:       ${health}`,
    `uptime:       ${formatUptime(response.uptimeSeconds)}`,
    `accounts:     ${response.accounts}`,
    `database:     ${response.database}`,
    `today:        ${response.today} (${formatIsoDay(response.today)})`,
    "",
  ].join("\n");
}

/** `shadowctl status`. */
export const STATUS_COMMAND: Command = {
  name: "status",
  summary: "show the daemon's version, health, uptime and account count",
  help: STATUS_HELP,
  run: (context, args) => runParsed(context, STATUS_COMMAND, parseStatusArgs(args), ({ json }) => runStatus(context, json)),
};

async function runStatus(context: CommandContext, json: boolean): Promise<number> {
  const admin = context.admin();
  const outcome = await callMethod(admin, AdminService.getStatus, {}, context.callOptions());
  if (!outcome.ok) {
    return reportRpcFailure(context.io.stderr, outcome.error, {
      action: "cannot read shadowd's status",
      socket: context.endpoints.adminSocket,
    });
  }
  const health = await checkHealth(context);
  const response = outcome.value;
  if (json) {
    const document = {
      version: response.version,
      adminSocket: context.endpoints.adminSocket,
      health,
      uptimeSeconds: response.uptimeSeconds,
      accounts: response.accounts,
      database: response.database,
      today: response.today,
    };
    writeOut(context, `${JSON.stringify(document, null, 2)}\n`);
  } else {
    writeOut(context, formatStatus(response, health, context.endpoints.adminSocket));
  }
  return health === "NOT_SERVING" ? EXIT_FAILURE : EXIT_OK;
}

/** grpc.health.v1.Health/Check for the whole server (service ""), over the admin channel. */
async function checkHealth(context: CommandContext): Promise<HealthState> {
  const { service } = await import("grpc-health-check");
  const check = service["Check"];
  if (check === undefined) return "UNKNOWN";
  const admin = context.admin();
  return new Promise((resolve) => {
    admin.makeUnaryRequest(
      check.path,
      check.requestSerialize,
      check.responseDeserialize,
      { service: "" },
      context.callOptions(),
      (error: ServiceError | null, response?: object) => {
        if (error !== null) {
          resolve(error.code === grpcStatus.NOT_FOUND ? "SERVICE_UNKNOWN" : "UNKNOWN");
          return;
        }
        const value = (response as { status?: unknown } | undefined)?.status;
        if (value === "SERVING" || value === 1) resolve("SERVING");
        else if (value === "NOT_SERVING" || value === 2) resolve("NOT_SERVING");
        else resolve("UNKNOWN");
      },
    );
  });
}
