// The shim's own HTTP/2 client (src/rpc/http2-unary.ts), through both of its drivers (the
// blocking socket addon, in a worker thread, and node:net), against node's HTTP/2 server
// (nghttp2: Huffman, dynamic table, padding, CONTINUATION) answering like a gRPC server, and
// against raw sockets that break the protocol. Every failure is an outcome, never a throw;
// both drivers give the same outcome for every case.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http2 from "node:http2";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { encodeFrame, frameGrpcMessage, type UnaryCallOptions, type UnaryOutcome } from "../../../src/rpc/http2-unary";
import { callUnary } from "../../../src/rpc/http2-unary-client";
import { UNIX_SOCKET_ADDON_PATH, loadUnixSocketAddon } from "../../../src/rpc/http2-unary-blocking";
import { startBlockingCaller } from "../../helpers/blocking-call";

type Handler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, body: Buffer) => void;

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "shd-h2-"));
const closers: Array<() => void> = [];
const blocking = startBlockingCaller();
after(async () => {
  for (const close of closers) close();
  await blocking.close();
  fs.rmSync(scratch, { recursive: true, force: true });
});

const DRIVERS: Array<{ name: string; call(options: UnaryCallOptions): Promise<UnaryOutcome> }> = [
  { name: "blocking addon", call: (options) => blocking.call(options) },
  { name: "node:net", call: callUnary },
];

let counter = 0;
/** A node:http2 server on a UNIX socket; `handler` answers each request once its body arrived. */
function h2Server(handler: Handler, options: http2.ServerOptions = {}): Promise<string> {
  const socketPath = path.join(scratch, `h2-${counter++}.sock`);
  const server = http2.createServer(options);
  // Resets and destroyed sessions are what some cases are about: no unhandled errors.
  server.on("session", (session) => session.on("error", () => undefined));
  server.on("stream", (stream, headers) => {
    stream.on("error", () => undefined);
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => handler(stream, headers, Buffer.concat(chunks)));
  });
  closers.push(() => server.close());
  return new Promise((resolve) => server.listen(socketPath, () => resolve(socketPath)));
}

/** A raw socket server for protocol violations. */
function rawServer(onConnection: (socket: net.Socket) => void): Promise<string> {
  const socketPath = path.join(scratch, `raw-${counter++}.sock`);
  const server = net.createServer(onConnection);
  closers.push(() => server.close());
  return new Promise((resolve) => server.listen(socketPath, () => resolve(socketPath)));
}

const REQUEST = Buffer.from([0x0a, 0x05, ...Buffer.from("alice")]);
const callWith =
  (driver: (typeof DRIVERS)[number]) =>
  (socketPath: string, extra: { timeoutMs?: number; maxResponseBytes?: number } = {}): Promise<UnaryOutcome> =>
    driver.call({ socketPath, method: "/shadowd.v1.Auth/CheckAccount", request: REQUEST, timeoutMs: extra.timeoutMs ?? 3000, ...(extra.maxResponseBytes === undefined ? {} : { maxResponseBytes: extra.maxResponseBytes }) });

function answer(stream: http2.ServerHttp2Stream, message: Buffer, trailers: Record<string, string> = { "grpc-status": "0" }, headers: http2.OutgoingHttpHeaders = {}): void {
  stream.respond({ ":status": 200, "content-type": "application/grpc+proto", "grpc-accept-encoding": "identity,deflate,gzip", ...headers }, { waitForTrailers: true });
  stream.on("wantTrailers", () => stream.sendTrailers(trailers));
  stream.end(frameGrpcMessage(message));
}

describe("the blocking driver's addon", () => {
  it("is built (make build) and loads", () => {
    assert.ok(fs.existsSync(UNIX_SOCKET_ADDON_PATH), `${UNIX_SOCKET_ADDON_PATH} exists`);
    assert.notEqual(loadUnixSocketAddon(), null);
  });

  it("is reported missing, not thrown, when the file is not there", () => {
    assert.equal(loadUnixSocketAddon(path.join(scratch, "nothing.node")), null);
  });
});

for (const driver of DRIVERS) {
  const call = callWith(driver);
  describe(`${driver.name}: a unary call against node's HTTP/2 server`, () => {
    let seen: { headers: http2.IncomingHttpHeaders; body: Buffer } | undefined;
    let plain = "";
    before(async () => {
      plain = await h2Server((stream, headers, body) => {
        seen = { headers, body };
        answer(stream, Buffer.from("reply"));
      });
    });

    it("sends a well-formed gRPC request", async () => {
      assert.deepEqual(await call(plain), { kind: "ok", response: Buffer.from("reply") });
      assert.equal(seen?.headers[":method"], "POST");
      assert.equal(seen?.headers[":scheme"], "http");
      assert.equal(seen?.headers[":path"], "/shadowd.v1.Auth/CheckAccount");
      assert.equal(seen?.headers[":authority"], "localhost");
      assert.equal(seen?.headers["content-type"], "application/grpc");
      assert.equal(seen?.headers.te, "trailers");
      assert.equal(seen?.headers["grpc-timeout"], "3000m");
      assert.deepEqual(seen?.body, frameGrpcMessage(REQUEST));
    });

    const cases: Array<{ name: string; handler: Handler; options?: http2.ServerOptions; expected: UnaryOutcome | RegExp; maxResponseBytes?: number }> = [
      {
        name: "a trailers-only error answer gives its status and decoded message",
        handler: (stream) => stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "3", "grpc-message": "username%20contains%20':'" }, { endStream: true }),
        expected: { kind: "status", code: 3, details: "username contains ':'" },
      },
      {
        name: "an error status in the trailers after headers",
        handler: (stream) => {
          stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
          stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "8", "grpc-message": "hash queue full" }));
          stream.end();
        },
        expected: { kind: "status", code: 8, details: "hash queue full" },
      },
      {
        name: "headers repeated in the trailers (dynamic table references) decode",
        handler: (stream) => answer(stream, Buffer.from("ok"), { "grpc-status": "0", "x-repeat": "same value", "grpc-message": "" }, { "x-repeat": "same value" }),
        expected: { kind: "ok", response: Buffer.from("ok") },
      },
      {
        name: "padded frames (the server pads everything) decode",
        handler: (stream) => answer(stream, Buffer.from("padded")),
        options: { paddingStrategy: http2.constants.PADDING_STRATEGY_MAX },
        expected: { kind: "ok", response: Buffer.from("padded") },
      },
      {
        name: "a 40 KB header block arrives as HEADERS + CONTINUATION and decodes",
        handler: (stream) => answer(stream, Buffer.from("big"), { "grpc-status": "0" }, { "x-big": "b".repeat(40_000) }),
        expected: { kind: "ok", response: Buffer.from("big") },
      },
      {
        name: "an empty message (all fields at their defaults) is a valid answer",
        handler: (stream) => answer(stream, Buffer.alloc(0)),
        expected: { kind: "ok", response: Buffer.alloc(0) },
      },
      {
        name: "an HTTP error status fails",
        handler: (stream) => stream.respond({ ":status": 503, "content-type": "application/grpc" }, { endStream: true }),
        expected: /HTTP status 503/,
      },
      {
        name: "a non-gRPC content type fails",
        handler: (stream) => {
          stream.respond({ ":status": 200, "content-type": "text/html" });
          stream.end("<html>");
        },
        expected: /content-type "text\/html" is not gRPC/,
      },
      {
        name: "an answer without grpc-status fails",
        handler: (stream) => {
          stream.respond({ ":status": 200, "content-type": "application/grpc" });
          stream.end(frameGrpcMessage(Buffer.from("x")));
        },
        expected: /stream ended without grpc-status/,
      },
      {
        name: "a malformed grpc-status fails",
        handler: (stream) => answer(stream, Buffer.from("x"), { "grpc-status": "zero" }),
        expected: /malformed grpc-status "zero"/,
      },
      {
        name: "a reset stream fails",
        handler: (stream) => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR),
        expected: /the server reset the stream \(code 2\)/,
      },
      {
        name: "a compressed message fails (none was asked for)",
        handler: (stream) => {
          stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
          stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
          stream.end(Buffer.from([1, 0, 0, 0, 1, 0x78]));
        },
        expected: /unsupported compressed flag 1/,
      },
      {
        name: "an answer above the size limit fails",
        handler: (stream) => answer(stream, Buffer.alloc(2000)),
        maxResponseBytes: 1000,
        expected: /response larger than 1000 bytes/,
      },
      {
        name: "a session destroyed before answering fails",
        handler: (stream) => stream.session?.destroy(),
        expected: /the server (closed the connection|went away \(GOAWAY\)) before answering|connection to .* failed: ECONNRESET/,
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const socketPath = await h2Server(c.handler, c.options);
        const outcome = await call(socketPath, c.maxResponseBytes === undefined ? {} : { maxResponseBytes: c.maxResponseBytes });
        if (c.expected instanceof RegExp) {
          assert.equal(outcome.kind, "failed", JSON.stringify(outcome));
          if (outcome.kind === "failed") assert.match(outcome.reason, c.expected);
        } else {
          assert.deepEqual(outcome, c.expected);
        }
      });
    }

    it("gives up after the timeout when no answer comes", async () => {
      const socketPath = await h2Server(() => undefined);
      const started = Date.now();
      const outcome = await call(socketPath, { timeoutMs: 300 });
      assert.deepEqual(outcome, { kind: "failed", reason: "no answer within 300 ms" });
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 290 && elapsed < 2000, `gave up after ${elapsed} ms`);
    });
  });

  describe(`${driver.name}: protocol violations from a raw socket`, () => {
    const settings = encodeFrame(4, 0, 0, Buffer.alloc(0));
    const cases: Array<{ name: string; send: Buffer; reason: RegExp }> = [
      { name: "HTTP/1.1 instead of HTTP/2", send: Buffer.from("HTTP/1.1 400 Bad Request\r\n\r\n"), reason: /exceeds SETTINGS_MAX_FRAME_SIZE|the server closed the connection/ },
      { name: "a frame larger than SETTINGS_MAX_FRAME_SIZE", send: Buffer.concat([settings, Buffer.from([0x01, 0x00, 0x00, 0, 0, 0, 0, 0, 1])]), reason: /a 65536-byte frame exceeds SETTINGS_MAX_FRAME_SIZE/ },
      { name: "DATA before any headers", send: Buffer.concat([settings, encodeFrame(0, 1, 1, Buffer.from([0, 0, 0, 0, 0]))]), reason: /DATA outside the response body/ },
      { name: "HEADERS on another stream", send: Buffer.concat([settings, encodeFrame(1, 4, 3, Buffer.from([0x88]))]), reason: /HEADERS on stream 3/ },
      { name: "a broken header block", send: Buffer.concat([settings, encodeFrame(1, 5, 1, Buffer.from([0x80]))]), reason: /HPACK: header index 0/ },
      { name: "a GOAWAY that refuses stream 1", send: Buffer.concat([settings, encodeFrame(7, 0, 0, Buffer.from([0, 0, 0, 0, 0, 0, 0, 11]))]), reason: /refused the call \(GOAWAY, code 11\)/ },
      { name: "a PUSH_PROMISE although push is off", send: Buffer.concat([settings, encodeFrame(5, 4, 1, Buffer.from([0, 0, 0, 2, 0x82]))]), reason: /PUSH_PROMISE although push is disabled/ },
      { name: "a frame between HEADERS and its CONTINUATION", send: Buffer.concat([settings, encodeFrame(1, 0, 1, Buffer.from([0x88])), encodeFrame(6, 0, 0, Buffer.alloc(8))]), reason: /a frame interrupted a header block/ },
      { name: "a connection closed after the headers", send: Buffer.concat([settings, encodeFrame(1, 4, 1, Buffer.from([0x88, 0x5f, 0x10, ...Buffer.from("application/grpc")]))]), reason: /the server closed the connection before answering/ },
    ];
    for (const c of cases) {
      it(`fails on ${c.name}`, async () => {
        const socketPath = await rawServer((socket) => {
          socket.once("data", () => socket.end(c.send));
          socket.on("error", () => undefined);
        });
        const outcome = await call(socketPath);
        assert.equal(outcome.kind, "failed", JSON.stringify(outcome));
        if (outcome.kind === "failed") assert.match(outcome.reason, c.reason);
      });
    }

    it("answers the server's SETTINGS and PING before its answer", async () => {
      const received: Buffer[] = [];
      const socketPath = await rawServer((socket) => {
        socket.on("data", (chunk: Buffer) => received.push(chunk));
        socket.write(Buffer.concat([settings, encodeFrame(6, 0, 0, Buffer.from("pingpong"))]));
        setTimeout(() => socket.end(), 200);
        socket.on("error", () => undefined);
      });
      await call(socketPath);
      const all = Buffer.concat(received);
      assert.ok(all.includes(encodeFrame(4, 1, 0, Buffer.alloc(0))), "a SETTINGS ACK");
      assert.ok(all.includes(encodeFrame(6, 1, 0, Buffer.from("pingpong"))), "a PING ACK with the same payload");
    });

    it("fails at once when nothing listens", async () => {
      const outcome = await call(path.join(scratch, "nobody.sock"));
      assert.deepEqual(outcome, { kind: "failed", reason: `cannot connect to ${path.join(scratch, "nobody.sock")}: ENOENT` });
    });
  });
}
