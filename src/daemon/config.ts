// Owns the daemon's configuration: command-line flags and SHADOWD_* environment variables,
// validated into one Config with documented defaults, and the --help text.
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";

export interface Config {
  stateDir: string;
  socketDir: string;
  databasePath: string;
  authSocketPath: string;
  adminSocketPath: string;
  /** Group given to the auth socket (mode 0660), or null to keep the daemon's group. */
  socketGroup: string | null;
  nullok: boolean;
  minUid: number;
  agingRules: "pam-1.5.2" | "pam-1.6.1";
  argon2: { memoryCost: number; timeCost: number; parallelism: number };
  hashConcurrency: number;
  hashQueue: number;
  maxImportBytes: number;
  logLevel: "trace" | "debug" | "info" | "warn" | "error" | "fatal";
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export const HELP_TEXT = `Usage: shadowd [OPTIONS]

shadowd keeps UNIX accounts (/etc/passwd + /etc/shadow fields) in SQLite and answers
Authenticate, CheckAccount and GetAging over gRPC on UNIX sockets, with pam_unix 1.5.2's
exact semantics. Administer it with shadowctl.

Storage and sockets:
  --state-dir DIR        database DIR/shadowd.db and, unless --socket-dir is given, the
                         sockets [env SHADOWD_STATE_DIR; default /var/lib/shadowd]
  --socket-dir DIR       where shadowd.sock (auth, 0660) and shadowd-admin.sock (admin,
                         0600) are created [env SHADOWD_SOCKET_DIR; default: the state dir]
  --socket-group GROUP   group owning the auth socket, e.g. dovecot or mail
                         [env SHADOWD_SOCKET_GROUP]

Authentication policy:
  --nullok               an empty password hash authenticates (pam_unix nullok); off by
                         default: an empty hash then never authenticates [SHADOWD_NULLOK=1]
  --min-uid N            accounts with a smaller uid (and root) get NOT_PERMITTED even with
                         the right password [env SHADOWD_MIN_UID; default 1000]
  --aging-rules RULES    pam-1.5.2 (Debian 12, default) or pam-1.6.1 day boundaries
                         [env SHADOWD_AGING_RULES]

Password hashing (argon2id for new and re-hashed passwords):
  --argon2-memory KIB    memory cost in KiB [env SHADOWD_ARGON2_MEMORY; default 19456]
  --argon2-time N        iterations [env SHADOWD_ARGON2_TIME; default 2]
  --argon2-parallelism N lanes [env SHADOWD_ARGON2_PARALLELISM; default 1]
  --hash-concurrency N   hashes computed at once [env SHADOWD_HASH_CONCURRENCY; default:
                         the CPU count]
  --hash-queue N         hashes allowed to wait; past that, RESOURCE_EXHAUSTED at once
                         [env SHADOWD_HASH_QUEUE; default 64]

Other:
  --max-import-mb N      largest import (passwd + shadow) in MiB [default 1024]
  --log-level LEVEL      trace, debug, info, warn, error [env SHADOWD_LOG_LEVEL; default info]
  -h, --help             this text
  -V, --version          print the version

Logs are JSON lines on standard error. No password, hash or password length is ever logged.
SIGTERM or SIGINT: stop accepting calls, finish those in flight, close the database.
`;

function integer(name: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim())) throw new ConfigError(`${name}: "${text}" is not a whole number`);
  const value = Number(text.trim());
  if (value < min || value > max) throw new ConfigError(`${name}: ${value} is outside ${min}..${max}`);
  return value;
}

export type ParsedCommand = { kind: "help" } | { kind: "version" } | { kind: "run"; config: Config };

/** Parse argv (without node and script) and the environment. Throws ConfigError. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): ParsedCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        "state-dir": { type: "string" },
        "socket-dir": { type: "string" },
        "socket-group": { type: "string" },
        nullok: { type: "boolean" },
        "min-uid": { type: "string" },
        "aging-rules": { type: "string" },
        "argon2-memory": { type: "string" },
        "argon2-time": { type: "string" },
        "argon2-parallelism": { type: "string" },
        "hash-concurrency": { type: "string" },
        "hash-queue": { type: "string" },
        "max-import-mb": { type: "string" },
        "log-level": { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "V" },
      },
    });
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : String(error));
  }
  const v = parsed.values;
  if (v.help) return { kind: "help" };
  if (v.version) return { kind: "version" };
  const pick = (flag: string | undefined, envName: string): string | undefined => flag ?? (env[envName] === "" ? undefined : env[envName]);

  const stateDir = path.resolve(pick(v["state-dir"], "SHADOWD_STATE_DIR") ?? "/var/lib/shadowd");
  const socketDir = path.resolve(pick(v["socket-dir"], "SHADOWD_SOCKET_DIR") ?? stateDir);
  const agingRules = pick(v["aging-rules"], "SHADOWD_AGING_RULES") ?? "pam-1.5.2";
  if (agingRules !== "pam-1.5.2" && agingRules !== "pam-1.6.1") throw new ConfigError(`--aging-rules: "${agingRules}" is neither pam-1.5.2 nor pam-1.6.1`);
  const logLevel = pick(v["log-level"], "SHADOWD_LOG_LEVEL") ?? "info";
  if (!["trace", "debug", "info", "warn", "error", "fatal"].includes(logLevel)) throw new ConfigError(`--log-level: "${logLevel}" is not one of trace, debug, info, warn, error`);
  const num = (flag: string | undefined, envName: string, label: string, fallback: number, min: number, max: number): number => {
    const text = pick(flag, envName);
    return text === undefined ? fallback : integer(label, text, min, max);
  };
  const envNullok = env.SHADOWD_NULLOK;
  const config: Config = {
    stateDir,
    socketDir,
    databasePath: path.join(stateDir, "shadowd.db"),
    authSocketPath: path.join(socketDir, "shadowd.sock"),
    adminSocketPath: path.join(socketDir, "shadowd-admin.sock"),
    socketGroup: pick(v["socket-group"], "SHADOWD_SOCKET_GROUP") ?? null,
    nullok: v.nullok === true || envNullok === "1" || envNullok === "true" || envNullok === "yes",
    minUid: num(v["min-uid"], "SHADOWD_MIN_UID", "--min-uid", 1000, 0, 4294967294),
    agingRules,
    argon2: {
      memoryCost: num(v["argon2-memory"], "SHADOWD_ARGON2_MEMORY", "--argon2-memory", 19456, 8, 4194304),
      timeCost: num(v["argon2-time"], "SHADOWD_ARGON2_TIME", "--argon2-time", 2, 1, 100),
      parallelism: num(v["argon2-parallelism"], "SHADOWD_ARGON2_PARALLELISM", "--argon2-parallelism", 1, 1, 64),
    },
    hashConcurrency: num(v["hash-concurrency"], "SHADOWD_HASH_CONCURRENCY", "--hash-concurrency", os.availableParallelism(), 1, 256),
    hashQueue: num(v["hash-queue"], "SHADOWD_HASH_QUEUE", "--hash-queue", 64, 0, 100000),
    maxImportBytes: num(v["max-import-mb"], "SHADOWD_MAX_IMPORT_MB", "--max-import-mb", 1024, 1, 65536) * 1024 * 1024,
    logLevel: logLevel as Config["logLevel"],
  };
  if (Buffer.byteLength(config.authSocketPath) > 107 || Buffer.byteLength(config.adminSocketPath) > 107) {
    throw new ConfigError(`socket path ${config.adminSocketPath} is longer than the 107 bytes a UNIX socket address allows; use a shorter --socket-dir`);
  }
  return { kind: "run", config };
}
