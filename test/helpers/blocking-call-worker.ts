// A worker thread that makes blocking unary calls (src/rpc/http2-unary-blocking.ts) for tests
// whose servers run on the main thread's event loop: a blocking call there would deadlock.
// Messages in: { id, options }; out: { id, outcome } (a Buffer arrives as a Uint8Array).
import { parentPort } from "node:worker_threads";
import { callUnaryBlocking, loadUnixSocketAddon } from "../../src/rpc/http2-unary-blocking";
import type { UnaryCallOptions } from "../../src/rpc/http2-unary";

const addon = loadUnixSocketAddon();
parentPort?.on("message", ({ id, options }: { id: number; options: UnaryCallOptions }) => {
  const outcome = addon === null ? { kind: "failed", reason: "dist/native/unix-socket.node did not load (make build)" } : callUnaryBlocking(addon, options);
  parentPort?.postMessage({ id, outcome });
});
