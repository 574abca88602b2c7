// Owns the daemon's life: state directory, database, sockets (modes, stale files), serving
// status, and a graceful stop (stop accepting, finish in-flight calls, close the database).
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import * as grpc from "@grpc/grpc-js";
import type pino from "pino";
import type { Config } from "./config";
import { systemClock } from "./clock";
import { openSqliteDatabase, SqliteStorage } from "../storage/sqlite/sqlite-storage";
import { createSqliteAccountImporter } from "../storage/sqlite/sqlite-import";
import { createPasswordHasher } from "../crypto/pam-password-hasher";
import { SqliteFailureStore } from "../storage/sqlite/sqlite-failure-store";
import { createFaillock } from "../app/faillock";
import { createAddressPenalty } from "../app/address-penalty";
import { SqliteAliasStore } from "../storage/sqlite/sqlite-alias-store";
import { SqliteRelayStore } from "../storage/sqlite/sqlite-relay-store";
import { createRelay, RELAY_PURGE_INTERVAL_MS } from "../app/relay";
import { createRpcServers } from "../rpc/server";
import { packageRoot, packageVersion } from "./package-info";
import { bindTcpListener, formatTcpAddress, prepareTcpListeners } from "./listeners";
import { prepareDatabaseFiles, prepareStateDirectory } from "./file-modes";

export interface RunningDaemon {
  /** Stop gracefully; resolves when the database is closed. */
  stop(reason: string): Promise<void>;
  /** Resolves once the daemon has stopped. */
  stopped: Promise<void>;
}

/** Refuse to start over a live daemon; remove a stale socket file left by a crash. */
async function clearStaleSocket(socketPath: string): Promise<void> {
  if (!fs.existsSync(socketPath)) return;
  const alive = await new Promise<boolean>((resolve) => {
    const probe = net.connect(socketPath);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
  if (alive) throw new Error(`another process is serving ${socketPath}; stop it first (or use another --state-dir/--socket-dir)`);
  fs.unlinkSync(socketPath);
}

function bind(server: grpc.Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`unix:${socketPath}`, grpc.ServerCredentials.createInsecure(), (error) => (error ? reject(new Error(`cannot listen on ${socketPath}: ${error.message}`)) : resolve()));
  });
}

function groupId(group: string): number {
  if (/^\d+$/.test(group)) return Number(group);
  try {
    return Number(execFileSync("getent", ["group", group], { encoding: "utf8" }).split(":")[2]);
  } catch {
    throw new Error(`--socket-group: no group named '${group}'`);
  }
}

function shutdownServer(server: grpc.Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export interface StartOptions {
  /** Called before the sockets are bound (benchmarks add a bare echo service here). */
  beforeBind?: (servers: { auth: grpc.Server; admin: grpc.Server }) => void;
}

export async function startDaemon(config: Config, logger: pino.Logger, options: StartOptions = {}): Promise<RunningDaemon> {
  // Refusals first, before anything is created, opened or bound.
  const tcp = await prepareTcpListeners(config.listeners);
  prepareStateDirectory(config.stateDir);
  prepareDatabaseFiles(config.databasePath);
  fs.mkdirSync(config.socketDir, { recursive: true, mode: 0o755 });
  if (config.socketGroup !== null && config.socketDir === config.stateDir) {
    logger.warn({ socketDir: config.socketDir }, "--socket-group: the auth socket is inside the 0700 state directory, where that group cannot reach it; give a --socket-dir");
  }
  for (const warning of tcp.warnings) logger.warn({}, warning);
  // One connection, shared by every SQLite-backed store; SqliteStorage.close() closes it.
  const db = openSqliteDatabase(config.databasePath);
  const storage = new SqliteStorage(db);
  fs.chmodSync(config.databasePath, 0o600);
  const hasher = createPasswordHasher({ argon2: config.argon2, scheme: config.hashScheme, maxConcurrent: config.hashConcurrency, maxQueued: config.hashQueue });
  const background = new Set<Promise<unknown>>();
  const trackBackgroundWork = (work: Promise<unknown>): void => {
    background.add(work);
    void work.finally(() => background.delete(work));
  };
  const policy = { nullok: config.nullok, minUid: config.minUid, agingRules: config.agingRules };
  // Login failure policy beyond pam_unix: faillock (in the database) and the per-address delay.
  const faillockSettings = { deny: config.faillock.deny, failIntervalMs: config.faillock.failIntervalSeconds * 1000, unlockTimeMs: config.faillock.unlockTimeSeconds * 1000 };
  const faillock = createFaillock({ failures: new SqliteFailureStore(db), clock: systemClock, logger, settings: faillockSettings, trackBackgroundWork });
  const penalty = createAddressPenalty(config.penalty);
  // POP-before-SMTP grants and the aliases table, on the same connection.
  const relay = createRelay({ relays: new SqliteRelayStore(db), clock: systemClock, logger, ttlMs: config.relayTtlSeconds * 1000 });
  const aliases = new SqliteAliasStore(db);
  const servers = createRpcServers(
    {
      storage,
      hasher,
      clock: systemClock,
      logger,
      policy,
      trackBackgroundWork,
      loginHooks: [faillock, penalty, relay],
      faillock,
      relay,
      aliases,
      // Imports stage in worker threads on their own connections; a killed daemon's staging
      // files are deleted here.
      importer: createSqliteAccountImporter({ databasePath: config.databasePath, stagingDir: path.join(config.stateDir, "import-staging") }),
      minUid: config.minUid,
      version: packageVersion(),
      startedAtMs: Date.now(),
      databasePath: config.databasePath,
      maxImportBytes: config.maxImportBytes,
    },
    path.join(packageRoot(), "proto"),
    tcp.listeners.length > 0 ? { adminClientFingerprints: new Set(config.listeners.adminClientFingerprints) } : null,
  );

  options.beforeBind?.(servers);
  await clearStaleSocket(config.authSocketPath);
  await clearStaleSocket(config.adminSocketPath);
  const tcpBound: string[] = [];
  const tcpServer = servers.tcp;
  if (tcpServer !== null) {
    for (const listener of tcp.listeners) {
      const port = await bindTcpListener(tcpServer, listener, tcp.credentials);
      tcpBound.push(formatTcpAddress({ host: listener.address.host, port }));
    }
  }
  // Create sockets with no access for others, then open them up to exactly their modes.
  const oldUmask = process.umask(0o177);
  try {
    await bind(servers.admin, config.adminSocketPath);
    await bind(servers.auth, config.authSocketPath);
  } finally {
    process.umask(oldUmask);
  }
  fs.chmodSync(config.adminSocketPath, 0o600);
  if (config.socketGroup !== null) fs.chownSync(config.authSocketPath, process.getuid?.() ?? 0, groupId(config.socketGroup));
  fs.chmodSync(config.authSocketPath, 0o660);
  servers.setServing("SERVING");
  logger.info(
    { database: config.databasePath, authSocket: config.authSocketPath, adminSocket: config.adminSocketPath, tcp: tcpBound, tls: config.listeners.tls !== null, mutualTls: tcp.mutualTls, adminClients: config.listeners.adminClientFingerprints.length, nullok: config.nullok, minUid: config.minUid, agingRules: config.agingRules, argon2: config.argon2, hashScheme: config.hashScheme, hashConcurrency: config.hashConcurrency },
    "shadowd serving",
  );
  logger.info({ faillock: config.faillock, penalty: config.penalty }, "login failure policy");
  logger.info({ relayTtlSeconds: config.relayTtlSeconds }, config.relayTtlSeconds > 0 ? "POP-before-SMTP relay grants enabled" : "POP-before-SMTP disabled (--relay-ttl 0)");
  // Expired grants already answer "no"; the purge only keeps the table small.
  void relay.purgeExpired();
  const relayPurge = setInterval(() => void relay.purgeExpired(), RELAY_PURGE_INTERVAL_MS);
  relayPurge.unref();

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  let stopping: Promise<void> | null = null;
  const stop = (reason: string): Promise<void> => {
    if (stopping !== null) return stopping;
    stopping = (async () => {
      logger.info({ reason }, "shadowd stopping: no new calls, finishing calls in flight");
      servers.setServing("NOT_SERVING");
      servers.endHealthWatches();
      clearInterval(relayPurge);
      await Promise.all([shutdownServer(servers.auth, 10_000), shutdownServer(servers.admin, 10_000), ...(servers.tcp === null ? [] : [shutdownServer(servers.tcp, 10_000)])]);
      await Promise.allSettled([...background]);
      await faillock.flush();
      await storage.close();
      for (const socketPath of [config.authSocketPath, config.adminSocketPath]) fs.rmSync(socketPath, { force: true });
      logger.info({}, "shadowd stopped; database closed");
      resolveStopped();
    })();
    return stopping;
  };
  return { stop, stopped };
}
