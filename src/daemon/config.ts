// Owns the daemon's configuration: command-line flags and SHADOWD_* environment variables,
// validated into one Config with documented defaults, and the --help text.
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { parseNetworkList } from "../app/address-penalty";
import { parseListenerOptions, splitListOption, type ListenerConfig } from "./listeners";

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
  /** POP-before-SMTP: seconds a pop3/imap login lets its client address relay; 0 disables. */
  relayTtlSeconds: number;
  argon2: { memoryCost: number; timeCost: number; parallelism: number };
  /** What new and re-hashed passwords are hashed with (yescrypt/sha512crypt: pam_unix can read them). */
  hashScheme: "argon2id" | "yescrypt" | "sha512crypt";
  hashConcurrency: number;
  hashQueue: number;
  maxImportBytes: number;
  /** pam_faillock's deny (0 disables), fail_interval and unlock_time (0 = until reset). */
  faillock: { deny: number; failIntervalSeconds: number; unlockTimeSeconds: number };
  /** Per-address failure delay (Dovecot's auth penalty); maxMs 0 disables it. */
  penalty: { baseMs: number; maxMs: number; trustedNetworks: string[] };
  /** Optional TCP listeners, TLS and the admin client list (listeners.ts). */
  listeners: ListenerConfig;
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
  --relay-ttl SECONDS    POP-before-SMTP: an OK pop3 or imap login from an address lets
                         that address relay (Auth.CheckRelay) for this long; 0 disables
                         [env SHADOWD_RELAY_TTL; default 600, at most 604800]

Login failures (see docs/security.md):
  --faillock-deny N      failures within --faillock-interval that lock an account
                         (TEMPORARILY_LOCKED even with the right password); 0 disables
                         [env SHADOWD_FAILLOCK_DENY; default 5]
  --faillock-interval SECONDS
                         failures further apart from the latest one do not count
                         [env SHADOWD_FAILLOCK_INTERVAL; default 900, at most 604800]
  --faillock-unlock-time SECONDS
                         how long a lock lasts after the latest failure; 0 or never: until
                         'shadowctl faillock --reset' [env SHADOWD_FAILLOCK_UNLOCK_TIME;
                         default 600, at most 604800]
  --penalty-base-ms MS   after a DENIED answer, answers to that client address wait this
                         long, doubling with each further failure [env
                         SHADOWD_PENALTY_BASE_MS; default 2000]
  --penalty-max-ms MS    the longest such wait; 0 disables the per-address delay
                         [env SHADOWD_PENALTY_MAX_MS; default 15000]
  --trusted-networks CIDR,CIDR
                         client addresses never delayed, e.g. 127.0.0.0/8,::1 for a local
                         webmail [env SHADOWD_TRUSTED_NETWORKS; default none]

Password hashing (new passwords, and legacy hashes re-hashed at login):
  --hash-scheme SCHEME   argon2id (default), or yescrypt or sha512crypt through the
                         system's libxcrypt, for accounts whose exported files must stay
                         usable by pam_unix, which cannot read argon2id
                         [env SHADOWD_HASH_SCHEME]
  --argon2-memory KIB    memory cost in KiB [env SHADOWD_ARGON2_MEMORY; default 19456]
  --argon2-time N        iterations [env SHADOWD_ARGON2_TIME; default 2]
  --argon2-parallelism N lanes [env SHADOWD_ARGON2_PARALLELISM; default 1]
  --hash-concurrency N   hashes computed at once [env SHADOWD_HASH_CONCURRENCY; default:
                         the CPU count]
  --hash-queue N         hashes allowed to wait; past that, RESOURCE_EXHAUSTED at once
                         [env SHADOWD_HASH_QUEUE; default 64]

TCP (optional, for remote frontends; see docs/security.md):
  --listen-tcp HOST:PORT also serve Auth and health on TCP (repeatable; IPv6 as
                         [ADDR]:PORT) [env SHADOWD_LISTEN_TCP, comma-separated]; a host
                         that is not loopback is refused without --tls-cert
  --tls-cert FILE        PEM certificate (chain) of the TCP listener
                         [env SHADOWD_TLS_CERT]
  --tls-key FILE         its PEM private key [env SHADOWD_TLS_KEY]
  --tls-client-ca FILE   require client certificates signed by this CA (mTLS)
                         [env SHADOWD_TLS_CLIENT_CA]
  --admin-client-fingerprint SHA256
                         a client certificate allowed to call Admin over TCP, as printed
                         by 'openssl x509 -noout -fingerprint -sha256' (repeatable; needs
                         --tls-client-ca) [env SHADOWD_ADMIN_CLIENT_FINGERPRINTS, comma-
                         separated]; every other TCP client gets PERMISSION_DENIED on Admin

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
        "relay-ttl": { type: "string" },
        "argon2-memory": { type: "string" },
        "hash-scheme": { type: "string" },
        "argon2-time": { type: "string" },
        "argon2-parallelism": { type: "string" },
        "hash-concurrency": { type: "string" },
        "hash-queue": { type: "string" },
        "max-import-mb": { type: "string" },
        "faillock-deny": { type: "string" },
        "faillock-interval": { type: "string" },
        "faillock-unlock-time": { type: "string" },
        "penalty-base-ms": { type: "string" },
        "penalty-max-ms": { type: "string" },
        "trusted-networks": { type: "string" },
        "log-level": { type: "string" },
        "listen-tcp": { type: "string", multiple: true },
        "tls-cert": { type: "string" },
        "tls-key": { type: "string" },
        "tls-client-ca": { type: "string" },
        "admin-client-fingerprint": { type: "string", multiple: true },
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
  const hashScheme = pick(v["hash-scheme"], "SHADOWD_HASH_SCHEME") ?? "argon2id";
  if (hashScheme !== "argon2id" && hashScheme !== "yescrypt" && hashScheme !== "sha512crypt") {
    throw new ConfigError(`--hash-scheme: "${hashScheme}" is not one of argon2id, yescrypt, sha512crypt`);
  }
  if (!["trace", "debug", "info", "warn", "error", "fatal"].includes(logLevel)) throw new ConfigError(`--log-level: "${logLevel}" is not one of trace, debug, info, warn, error`);
  const num = (flag: string | undefined, envName: string, label: string, fallback: number, min: number, max: number): number => {
    const text = pick(flag, envName);
    return text === undefined ? fallback : integer(label, text, min, max);
  };
  const envNullok = env.SHADOWD_NULLOK;
  const unlockText = pick(v["faillock-unlock-time"], "SHADOWD_FAILLOCK_UNLOCK_TIME");
  const trustedNetworks = parseNetworkList(pick(v["trusted-networks"], "SHADOWD_TRUSTED_NETWORKS") ?? "");
  if (!trustedNetworks.ok) throw new ConfigError(`--trusted-networks: "${trustedNetworks.bad}" is not an address or ADDRESS/PREFIX network`);
  const listeners = parseListenerOptions({
    listenTcp: v["listen-tcp"] ?? splitListOption(env.SHADOWD_LISTEN_TCP),
    tlsCert: pick(v["tls-cert"], "SHADOWD_TLS_CERT"),
    tlsKey: pick(v["tls-key"], "SHADOWD_TLS_KEY"),
    tlsClientCa: pick(v["tls-client-ca"], "SHADOWD_TLS_CLIENT_CA"),
    adminClientFingerprints: v["admin-client-fingerprint"] ?? splitListOption(env.SHADOWD_ADMIN_CLIENT_FINGERPRINTS),
  });
  if (!listeners.ok) throw new ConfigError(listeners.reason);
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
    relayTtlSeconds: num(v["relay-ttl"], "SHADOWD_RELAY_TTL", "--relay-ttl", 600, 0, 604800),
    argon2: {
      memoryCost: num(v["argon2-memory"], "SHADOWD_ARGON2_MEMORY", "--argon2-memory", 19456, 8, 4194304),
      timeCost: num(v["argon2-time"], "SHADOWD_ARGON2_TIME", "--argon2-time", 2, 1, 100),
      parallelism: num(v["argon2-parallelism"], "SHADOWD_ARGON2_PARALLELISM", "--argon2-parallelism", 1, 1, 64),
    },
    hashScheme,
    hashConcurrency: num(v["hash-concurrency"], "SHADOWD_HASH_CONCURRENCY", "--hash-concurrency", os.availableParallelism(), 1, 256),
    hashQueue: num(v["hash-queue"], "SHADOWD_HASH_QUEUE", "--hash-queue", 64, 0, 100000),
    maxImportBytes: num(v["max-import-mb"], "SHADOWD_MAX_IMPORT_MB", "--max-import-mb", 1024, 1, 65536) * 1024 * 1024,
    faillock: {
      deny: num(v["faillock-deny"], "SHADOWD_FAILLOCK_DENY", "--faillock-deny", 5, 0, 100000),
      failIntervalSeconds: num(v["faillock-interval"], "SHADOWD_FAILLOCK_INTERVAL", "--faillock-interval", 900, 1, 604800),
      unlockTimeSeconds: unlockText === undefined ? 600 : unlockText.trim() === "never" ? 0 : integer("--faillock-unlock-time", unlockText, 0, 604800),
    },
    penalty: {
      baseMs: num(v["penalty-base-ms"], "SHADOWD_PENALTY_BASE_MS", "--penalty-base-ms", 2000, 1, 600000),
      maxMs: num(v["penalty-max-ms"], "SHADOWD_PENALTY_MAX_MS", "--penalty-max-ms", 15000, 0, 600000),
      trustedNetworks: trustedNetworks.networks.map((network) => `${network.address}/${network.prefix}`),
    },
    logLevel: logLevel as Config["logLevel"],
    listeners: listeners.value,
  };
  if (Buffer.byteLength(config.authSocketPath) > 107 || Buffer.byteLength(config.adminSocketPath) > 107) {
    throw new ConfigError(`socket path ${config.adminSocketPath} is longer than the 107 bytes a UNIX socket address allows; use a shorter --socket-dir`);
  }
  return { kind: "run", config };
}
