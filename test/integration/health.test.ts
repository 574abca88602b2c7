// Integration: grpc.health.v1 follows the daemon's life — no answer (no socket) while the
// database is still being opened and migrated, SERVING once it is, NOT_SERVING the moment
// a stop begins while calls in flight still finish.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn } from "node:child_process";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import Database from "better-sqlite3";
import { protoPath } from "grpc-health-check";
import { startTestDaemon, REPO_ROOT } from "../helpers/daemon";
import { AuthResult } from "../../src/gen/shadowd/v1/shadowd";
import { HealthClient } from "./health-client";

type WatchStub = grpc.Client & { watch(request: { service: string }): grpc.ClientReadableStream<{ status: string }> };
const definition = grpc.loadPackageDefinition(protoLoader.loadSync(protoPath, { keepCase: true, enums: String }));
const HealthStub = (definition as unknown as { grpc: { health: { v1: { Health: new (address: string, credentials: grpc.ChannelCredentials) => WatchStub } } } }).grpc.health.v1.Health;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test("while another process holds the database locked the daemon serves nothing; SERVING comes only once it is open and migrated", async () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "shd-health-"));
  const databasePath = path.join(stateDir, "shadowd.db");
  fs.closeSync(fs.openSync(databasePath, "w", 0o600));
  const holder = new Database(databasePath);
  holder.exec("BEGIN EXCLUSIVE");
  const child = spawn(path.join(REPO_ROOT, "bin/shadowd"), ["--state-dir", stateDir, "--log-level", "debug"], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr.on("data", (chunk: Buffer) => (log += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const authSocket = path.join(stateDir, "shadowd.sock");
  try {
    const lockedUntil = Date.now() + 1500;
    while (Date.now() < lockedUntil) {
      assert.equal(fs.existsSync(authSocket), false, "no socket (so no health answer) before the database is open");
      assert.equal(child.exitCode, null, `the daemon waits for the lock instead of failing:\n${log}`);
      await sleep(50);
    }
    holder.exec("COMMIT");
    holder.close();
    while (!fs.existsSync(authSocket)) {
      assert.equal(child.exitCode, null, `the daemon started:\n${log}`);
      await sleep(25);
    }
    const health = new HealthClient(authSocket);
    let status = "";
    for (let i = 0; i < 100 && status !== "SERVING"; i++) {
      status = await health.check("").catch(() => "no answer");
      if (status !== "SERVING") await sleep(20);
    }
    health.close();
    assert.equal(status, "SERVING");
    const reader = new Database(databasePath, { readonly: true });
    const versions = reader.prepare<[], { version: number }>("SELECT version FROM schema_migrations ORDER BY version").all().map((row) => row.version);
    reader.close();
    const shipped = fs.readdirSync(path.join(REPO_ROOT, "migrations/sqlite")).filter((file) => file.endsWith(".sql")).length;
    assert.deepEqual(versions, Array.from({ length: shipped }, (_, i) => i + 1), "every migration was applied before SERVING");
  } finally {
    if (holder.open) holder.close();
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
  }
});

test("a stop turns health NOT_SERVING at once while a slow call in flight still finishes, then the daemon exits 0", async () => {
  // A 3 s per-address delay makes a call that stays in flight long enough to watch the stop.
  const daemon = await startTestDaemon({ extraArgs: ["--penalty-base-ms", "3000", "--penalty-max-ms", "3000"] });
  await daemon.adminp.addUser({ name: "carol", gecos: "", home: "", shell: "", password: Buffer.from("Health-pw-1") });
  await daemon.authp.authenticate({ username: "carol", password: Buffer.from("wrong"), service: "imap", remoteAddress: "192.0.2.30" });

  const watcher = new HealthStub(`unix:${daemon.authSocket}`, grpc.credentials.createInsecure());
  const statuses: { status: string; atMs: number }[] = [];
  const started = performance.now();
  const watch = watcher.watch({ service: "" });
  const notServing = new Promise<void>((resolve) => {
    watch.on("data", (message: { status: string }) => {
      statuses.push({ status: message.status, atMs: performance.now() - started });
      if (message.status === "NOT_SERVING") {
        // What a watching frontend does: stop using this daemon and let go of the stream.
        watch.cancel();
        resolve();
      }
    });
  });
  watch.on("error", () => undefined);
  while (statuses.length === 0) await sleep(10);

  let answeredAtMs = 0;
  const inFlight = daemon.authp.authenticate({ username: "carol", password: Buffer.from("Health-pw-1"), service: "imap", remoteAddress: "192.0.2.30" }).then((response) => {
    answeredAtMs = performance.now() - started;
    return response;
  });
  await sleep(300);
  const stopAtMs = performance.now() - started;
  daemon.process.kill("SIGTERM");
  await notServing;
  const late = new HealthClient(daemon.authSocket);
  const lateStatus = await late.check("").catch((error: grpc.ServiceError) => `error ${error.code}`);
  late.close();
  const response = await inFlight;
  const exitCode = await daemon.stop();
  const exitedAtMs = performance.now() - started;
  watcher.close();

  assert.deepEqual(statuses.map((entry) => entry.status), ["SERVING", "NOT_SERVING"]);
  assert.ok(statuses[1]!.atMs - stopAtMs < 1000, `NOT_SERVING ${(statuses[1]!.atMs - stopAtMs).toFixed(0)} ms after SIGTERM`);
  assert.ok(statuses[1]!.atMs < answeredAtMs, "NOT_SERVING came while the call was still in flight");
  assert.notEqual(lateStatus, "SERVING", "a new health check during the stop never answers SERVING");
  assert.equal(response.result, AuthResult.AUTH_RESULT_OK, "the call in flight finished normally");
  assert.ok(answeredAtMs >= 3000, `it was the delayed call (${answeredAtMs.toFixed(0)} ms)`);
  assert.equal(exitCode, 0);
  assert.ok(exitedAtMs - answeredAtMs < 3000, `the daemon exited ${(exitedAtMs - answeredAtMs).toFixed(0)} ms after the last call`);
});

test("a Watch stream left open gets NOT_SERVING and then its end at a stop, and holds nothing up", async () => {
  const daemon = await startTestDaemon();
  const watcher = new HealthStub(`unix:${daemon.authSocket}`, grpc.credentials.createInsecure());
  const statuses: string[] = [];
  const watch = watcher.watch({ service: "shadowd.v1.Auth" });
  watch.on("data", (message: { status: string }) => statuses.push(message.status));
  // The client never cancels: it waits for the server to end the stream.
  const ended = new Promise<grpc.StatusObject>((resolve) => watch.on("status", resolve));
  watch.on("error", () => undefined);
  while (statuses.length === 0) await sleep(10);

  const stopStarted = performance.now();
  daemon.process.kill("SIGTERM");
  const status = await ended;
  const exitCode = await daemon.stop();
  const stopMs = performance.now() - stopStarted;
  watcher.close();

  assert.deepEqual(statuses, ["SERVING", "NOT_SERVING"]);
  assert.equal(status.code, grpc.status.OK, `the stream ended normally: ${status.details}`);
  assert.equal(exitCode, 0);
  // Before, the open stream held the stop until the forced shutdown after 10 s.
  assert.ok(stopMs < 3000, `the daemon stopped ${stopMs.toFixed(0)} ms after SIGTERM`);
});
