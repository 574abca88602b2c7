// Integration fuzz: every Auth and Admin RPC on a real daemon, on both sockets, with hostile
// requests generated from the proto (random strings, bytes and numbers in every field,
// damaged and random protobuf). Each call ends with a response or a clear status — never
// INTERNAL, never a hang — and the daemon stays up; plus the message size limits and the
// import size bound.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as fc from "fast-check";
import * as grpc from "@grpc/grpc-js";
import { startTestDaemon, type TestDaemon } from "../helpers/daemon";
import { FUZZ_METHODS, INVALID_PROTOBUF, requestBytes, type FuzzMethod } from "../helpers/proto-fuzz";
import { fuzzNote, fuzzParameters } from "../helpers/fuzz";
import { HealthClient } from "./health-client";
import type { ImportAccountsRequest } from "../../src/gen/shadowd/v1/shadowd";
import { ImportAccountsRequest as ImportMessage } from "../../src/gen/shadowd/v1/shadowd";

/** Statuses a hostile request may get: results and refusals, never a bug or a hang. */
const ACCEPTABLE = new Set([
  grpc.status.OK,
  grpc.status.INVALID_ARGUMENT,
  grpc.status.NOT_FOUND,
  grpc.status.ALREADY_EXISTS,
  grpc.status.FAILED_PRECONDITION,
  grpc.status.OUT_OF_RANGE,
  grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.PERMISSION_DENIED,
  grpc.status.UNIMPLEMENTED,
]);
const CALL_DEADLINE_MS = 15_000;
const MAX_IMPORT_MB = 1;
const identity = (b: Buffer): Buffer => b;

interface Outcome {
  code: grpc.status;
  details: string;
}

/** One call with raw request bytes (a list of messages for client streams); resolves its final status. */
function callRaw(client: grpc.Client, method: FuzzMethod, messages: Uint8Array[]): Promise<Outcome> {
  const options = { deadline: Date.now() + CALL_DEADLINE_MS };
  const outcome = (error: grpc.ServiceError | null): Outcome => (error === null ? { code: grpc.status.OK, details: "" } : { code: error.code, details: error.details });
  return new Promise((resolve) => {
    if (method.requestStream) {
      const call = client.makeClientStreamRequest(method.path, identity, identity, options, (error) => resolve(outcome(error)));
      call.on("error", () => undefined);
      for (const message of messages) call.write(Buffer.from(message));
      call.end();
    } else if (method.responseStream) {
      const call = client.makeServerStreamRequest(method.path, identity, identity, Buffer.from(messages[0] ?? new Uint8Array(0)), options);
      call.on("data", () => undefined);
      call.on("error", () => undefined);
      call.on("status", (status: grpc.StatusObject) => resolve({ code: status.code, details: status.details }));
    } else {
      client.makeUnaryRequest(method.path, identity, identity, Buffer.from(messages[0] ?? new Uint8Array(0)), options, (error) => resolve(outcome(error)));
    }
  });
}

function assertAcceptable(outcome: Outcome, where: string): void {
  assert.ok(ACCEPTABLE.has(outcome.code), `${where}: status ${grpc.status[outcome.code]} "${outcome.details}"`);
  if (outcome.code !== grpc.status.OK) assert.ok(outcome.details.length > 0, `${where}: ${grpc.status[outcome.code]} without a message`);
}

let daemon: TestDaemon;
let onAuthSocket: grpc.Client;
let onAdminSocket: grpc.Client;

before(async () => {
  daemon = await startTestDaemon({
    extraArgs: ["--max-import-mb", String(MAX_IMPORT_MB), "--argon2-memory", "64", "--argon2-time", "1", "--penalty-max-ms", "0", "--faillock-deny", "0"],
  });
  for (const name of ["alice", "bob"]) await daemon.adminp.addUser({ name, gecos: "", home: "", shell: "", password: Buffer.from("alice-pw-1") });
  onAuthSocket = new grpc.Client(`unix:${daemon.authSocket}`, grpc.credentials.createInsecure());
  onAdminSocket = new grpc.Client(`unix:${daemon.adminSocket}`, grpc.credentials.createInsecure());
});

after(async () => {
  onAuthSocket.close();
  onAdminSocket.close();
  await daemon.stop();
  fs.rmSync(daemon.stateDir, { recursive: true, force: true });
});

/** The daemon still answers on both sockets and logged no internal error. */
async function assertDaemonHealthy(): Promise<void> {
  assert.equal(daemon.process.exitCode, null, "the daemon is still running");
  for (const socket of [daemon.authSocket, daemon.adminSocket]) {
    const health = new HealthClient(socket);
    assert.equal(await health.check(""), "SERVING");
    health.close();
  }
  const internal = daemon.log().split("\n").filter((line) => line.includes('"internal error"'));
  assert.deepEqual(internal, [], "no request reached the internal-error path");
}

describe("every RPC with hostile requests", () => {
  for (const method of FUZZ_METHODS) {
    it(`${method.path}: a response or a clear status on both sockets, within the deadline`, async (t) => {
      t.diagnostic(fuzzNote(40));
      const message = requestBytes(method.requestType);
      const messages = method.requestStream ? fc.array(message, { maxLength: 6 }) : message.map((m) => [m]);
      const seen = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(messages, fc.boolean(), async (requests, adminSocket) => {
          const outcome = await callRaw(adminSocket ? onAdminSocket : onAuthSocket, method, requests);
          const key = `${adminSocket ? "admin" : "auth"}:${grpc.status[outcome.code]}`;
          seen.set(key, (seen.get(key) ?? 0) + 1);
          assertAcceptable(outcome, `${method.path} on the ${adminSocket ? "admin" : "auth"} socket`);
          if (!adminSocket && method.service === "Admin") assert.equal(outcome.code, grpc.status.UNIMPLEMENTED, "Admin is never served on the auth socket");
        }),
        fuzzParameters(40),
      );
      t.diagnostic(`outcomes: ${[...seen].map(([k, n]) => `${k} ${n}`).sort().join(", ")}`);
      await assertDaemonHealthy();
    });
  }
});

describe("undecodable request bytes", () => {
  const unary = FUZZ_METHODS.filter((m) => !m.requestStream && !(m.service === "Admin"));
  for (const c of INVALID_PROTOBUF) {
    it(`${c.name} is INVALID_ARGUMENT, not INTERNAL, on every Auth method`, async () => {
      for (const method of unary) {
        const outcome = await callRaw(onAuthSocket, method, [c.bytes]);
        assert.equal(outcome.code, grpc.status.INVALID_ARGUMENT, `${method.path}: ${grpc.status[outcome.code]} ${outcome.details}`);
        assert.match(outcome.details, /not a valid protobuf message/);
      }
    });
  }

  it("as an import stream message, it is INVALID_ARGUMENT and nothing is written", async () => {
    const importMethod = FUZZ_METHODS.find((m) => m.path === "/shadowd.v1.Admin/ImportAccounts");
    assert.ok(importMethod !== undefined);
    const before = (await daemon.adminp.getStatus({})).accounts;
    const options = ImportMessage.encode({ part: { $case: "options", value: { dryRun: false, mode: 1, skipInvalid: true, includeSystem: true, passwdFileName: "", shadowFileName: "" } } }).finish();
    const passwd = ImportMessage.encode({ part: { $case: "passwdChunk", value: Buffer.from("zed:x:5000:5000::/home/zed:/bin/sh\n") } }).finish();
    const outcome = await callRaw(onAdminSocket, importMethod, [options, passwd, Uint8Array.of(0x0a, 0x7f, 0x61)]);
    assert.equal(outcome.code, grpc.status.INVALID_ARGUMENT, outcome.details);
    assert.equal((await daemon.adminp.getStatus({})).accounts, before);
  });
});

describe("message size limits", () => {
  const authenticate = FUZZ_METHODS.find((m) => m.path === "/shadowd.v1.Auth/Authenticate");
  const addUser = FUZZ_METHODS.find((m) => m.path === "/shadowd.v1.Admin/AddUser");

  it("a 100 KiB Authenticate on the auth socket (limit 64 KiB) is RESOURCE_EXHAUSTED, and the daemon serves on", async () => {
    assert.ok(authenticate !== undefined);
    // username "alice" (field 1), then a 100 KiB password (field 2).
    const body = Uint8Array.from([0x0a, 0x05, ...Buffer.from("alice"), 0x12, ...encodeLength(100 * 1024), ...Buffer.alloc(100 * 1024, 0x61)]);
    const outcome = await callRaw(onAuthSocket, authenticate, [body]);
    assert.equal(outcome.code, grpc.status.RESOURCE_EXHAUSTED, outcome.details);
    await assertDaemonHealthy();
  });

  it("a 5 MiB AddUser on the admin socket (limit 4 MiB) is RESOURCE_EXHAUSTED, and nothing is added", async () => {
    assert.ok(addUser !== undefined);
    const gecos = Buffer.alloc(5 * 1024 * 1024, 0x61);
    const body = Uint8Array.from([0x0a, 0x04, ...Buffer.from("huge"), 0x22, ...encodeLength(gecos.length), ...gecos]);
    const outcome = await callRaw(onAdminSocket, addUser, [body]);
    assert.equal(outcome.code, grpc.status.RESOURCE_EXHAUSTED, outcome.details);
    await assert.rejects(daemon.adminp.getUser({ name: "huge" }), (e: grpc.ServiceError) => e.code === grpc.status.NOT_FOUND);
    await assertDaemonHealthy();
  });
});

function encodeLength(n: number): number[] {
  const bytes: number[] = [];
  let v = n;
  while (v >= 0x80) {
    bytes.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
  return bytes;
}

/** Streams an import of `passwdText` in 64 KiB chunks through the typed client. */
function importInChunks(passwdText: Buffer): Promise<{ code: grpc.status; details: string; created: number }> {
  return new Promise((resolve) => {
    const call = daemon.admin.importAccounts({ deadline: Date.now() + 30_000 }, (error, report) =>
      resolve(error ? { code: error.code, details: error.details, created: 0 } : { code: grpc.status.OK, details: "", created: report.created }),
    );
    call.on("error", () => undefined);
    const send = (message: ImportAccountsRequest): void => void call.write(message);
    send({ part: { $case: "options", value: { dryRun: false, mode: 1, skipInvalid: true, includeSystem: true, passwdFileName: "passwd", shadowFileName: "shadow" } } });
    for (let offset = 0; offset < passwdText.length; offset += 64 * 1024) send({ part: { $case: "passwdChunk", value: passwdText.subarray(offset, offset + 64 * 1024) } });
    call.end();
  });
}

function passwdLines(prefix: string, bytes: number): Buffer {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `${prefix}${i}:x:${10000 + i}:100:${"g".repeat(40)}:/home/${prefix}${i}:/bin/sh\n`;
    if (size + line.length > bytes) break;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join(""));
}

describe(`the import size bound (--max-import-mb ${MAX_IMPORT_MB})`, () => {
  it("an import just under the bound is applied", async () => {
    const text = passwdLines("under", MAX_IMPORT_MB * 1024 * 1024 - 200);
    const result = await importInChunks(text);
    assert.equal(result.code, grpc.status.OK, result.details);
    assert.equal(result.created, text.toString().split("\n").length - 1);
  });

  it("an import over the bound is RESOURCE_EXHAUSTED with nothing written, and the daemon serves on", async () => {
    const before = (await daemon.adminp.getStatus({})).accounts;
    const result = await importInChunks(passwdLines("over", MAX_IMPORT_MB * 1024 * 1024 + 64 * 1024));
    assert.equal(result.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(result.details, /import larger than 1048576 bytes; nothing was written/);
    assert.equal((await daemon.adminp.getStatus({})).accounts, before);
    await assertDaemonHealthy();
  });
});
