// Integration: the daemon's life on a real state directory — graceful SIGTERM with calls in
// flight, restart after kill -9 (stale sockets, intact database), start-up refusals, and a
// plain client that only loads proto/ (no generated code).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import Database from "better-sqlite3";
import { startTestDaemon, runCommand, REPO_ROOT } from "../helpers/daemon";
import { AuthResult } from "../../src/gen/shadowd/v1/shadowd";

const TODAY = Math.floor(Date.now() / 86_400_000);

test("SIGTERM lets in-flight Authenticate calls finish, then exits 0 with the database closed cleanly", async () => {
  const daemon = await startTestDaemon();
  await daemon.adminp.addUser({ name: "carol", gecos: "", home: "", shell: "", password: Buffer.from("pw-carol-1") });
  const inFlight = Array.from({ length: 6 }, () =>
    daemon.authp.authenticate({ username: "carol", password: Buffer.from("pw-carol-1"), service: "imap", remoteAddress: "" }),
  );
  await new Promise((r) => setTimeout(r, 5));
  daemon.process.kill("SIGTERM");
  const results = await Promise.all(inFlight);
  for (const result of results) assert.equal(result.result, AuthResult.AUTH_RESULT_OK);
  assert.equal(await daemon.stop(), 0);
  assert.ok(!fs.existsSync(daemon.authSocket), "the auth socket is removed");
  assert.ok(!fs.existsSync(path.join(daemon.stateDir, "shadowd.db-wal")) || fs.statSync(path.join(daemon.stateDir, "shadowd.db-wal")).size === 0, "the WAL is checkpointed");
  const db = new Database(path.join(daemon.stateDir, "shadowd.db"), { readonly: true });
  assert.equal(db.pragma("integrity_check", { simple: true }), "ok");
  db.close();
  assert.match(daemon.log(), /shadowd stopped; database closed/);
});

test("after kill -9 the daemon restarts over its stale sockets with every account intact", async () => {
  const first = await startTestDaemon();
  await first.adminp.addUser({ name: "dave", gecos: "Dave", home: "", shell: "", password: Buffer.from("pw-dave-1") });
  await first.kill();
  assert.ok(fs.existsSync(first.authSocket), "kill -9 leaves the socket file behind");
  const second = await startTestDaemon({ stateDir: first.stateDir });
  const dave = await second.adminp.getUser({ name: "dave" });
  assert.equal(dave.gecos, "Dave");
  assert.equal(dave.shadow?.lastChange, TODAY);
  const result = await second.authp.authenticate({ username: "dave", password: Buffer.from("pw-dave-1"), service: "pop3", remoteAddress: "" });
  assert.equal(result.result, AuthResult.AUTH_RESULT_OK);
  assert.equal(await second.stop(), 0);
});

test("a second daemon on the same state directory refuses to start with a clear message", async () => {
  const first = await startTestDaemon();
  const second = await runCommand(path.join(REPO_ROOT, "bin/shadowd"), ["--state-dir", first.stateDir]);
  assert.equal(second.code, 1);
  assert.match(second.stderr, /another process is serving .*shadowd(-admin)?\.sock/);
  assert.equal(await first.stop(), 0);
});

const usageCases: { name: string; args: string[]; code: number; stream: "stdout" | "stderr"; pattern: RegExp }[] = [
  { name: "--help explains the options", args: ["--help"], code: 0, stream: "stdout", pattern: /--state-dir DIR[\s\S]*--nullok[\s\S]*--min-uid/ },
  { name: "an unknown flag is a usage error", args: ["--frobnicate"], code: 2, stream: "stderr", pattern: /Unknown option '--frobnicate'[\s\S]*shadowd --help/ },
  { name: "a bad number names the flag", args: ["--min-uid", "abc"], code: 2, stream: "stderr", pattern: /--min-uid: "abc" is not a whole number/ },
  { name: "bad aging rules are refused", args: ["--aging-rules", "pam-2"], code: 2, stream: "stderr", pattern: /--aging-rules/ },
];

for (const c of usageCases) {
  test(`shadowd: ${c.name}`, async () => {
    const result = await runCommand(path.join(REPO_ROOT, "bin/shadowd"), c.args);
    assert.equal(result.code, c.code);
    assert.match(result[c.stream], c.pattern);
  });
}

test("a plain gRPC client that loads only proto/ gets pam_unix's results", async () => {
  const daemon = await startTestDaemon();
  await daemon.importText(
    "erin:x:1200:1200::/home/erin:/bin/sh\n",
    `erin:$6$gtSaltSHA512abcd$rNc43TYrZFhYzZcsslEwaZmY6yI9GbmENTqTajY6StsdoErqbLarFamFEYEyFQBC74YBflrXfuqITHY/4SOjY0:${TODAY - 28}:0:30:7:::\n`,
  );
  const definition = protoLoader.loadSync(path.join(REPO_ROOT, "proto/shadowd/v1/shadowd.proto"), { keepCase: true, enums: String, longs: Number, defaults: true });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as { shadowd: { v1: { Auth: new (address: string, credentials: grpc.ChannelCredentials) => grpc.Client } } };
  const client = new loaded.shadowd.v1.Auth(`unix:${daemon.authSocket}`, grpc.credentials.createInsecure()) as grpc.Client & {
    Authenticate(request: object, callback: (error: grpc.ServiceError | null, response: { result: string; days_left: number; message: string }) => void): void;
  };
  const response = await new Promise<{ result: string; days_left: number; message: string }>((resolve, reject) =>
    client.Authenticate({ username: "erin", password: Buffer.from("Secret123"), service: "smtp", remote_address: "" }, (e, r) => (e ? reject(e) : resolve(r))),
  );
  assert.equal(response.result, "AUTH_RESULT_OK");
  assert.equal(response.days_left, 2);
  assert.equal(response.message, "Warning: your password will expire in 2 days.");
  client.close();
  assert.equal(await daemon.stop(), 0);
});
