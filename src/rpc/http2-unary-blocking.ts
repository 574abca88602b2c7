// Owns the blocking driver of the one-shot gRPC unary call (protocol in http2-unary.ts), for
// the pam_exec shim: a process per login, one call, then exit. The socket comes from a small
// Node-API addon (src/native/unix-socket.c) as a blocking descriptor with timeouts; node:fs
// writes and reads it. No event loop, no node:net, no streams: a fresh process saves ~5 ms.
// Never call it where an event loop must keep running (a server, or a test's own server in
// the same thread): it blocks the thread until the answer, an error or the deadline.
import { closeSync, readSync, writeSync } from "node:fs";
import * as path from "node:path";
import { DEFAULT_MAX_RESPONSE_BYTES, createUnaryResponseReader, encodeConnectionPreface, encodeUnaryRequest, type UnaryCallOptions, type UnaryOutcome } from "./http2-unary";

/** What dist/native/unix-socket.node exports. */
export interface UnixSocketAddon {
  /** A blocking, close-on-exec descriptor connected to socketPath; throws an Error with an errno `code`. */
  connect(socketPath: string, timeoutMs: number): number;
  /** Bound the next blocking reads and writes on fd (SO_RCVTIMEO, SO_SNDTIMEO): EAGAIN after timeoutMs. */
  setTimeouts(fd: number, timeoutMs: number): void;
}

/** Where `make build` puts the addon: dist/native/, beside dist/src/. */
export const UNIX_SOCKET_ADDON_PATH = path.join(__dirname, "../../native/unix-socket.node");

/**
 * The addon, or null when it is missing or does not load (the caller then uses node:net).
 * process.dlopen() rather than require(): the shim's first require() of a path costs a fresh
 * process ~1.4 ms of module resolution, the dlopen itself ~0.15 ms. Loading twice is harmless
 * (the dynamic loader keeps one copy; a Node-API module initialises per exports object).
 */
export function loadUnixSocketAddon(file = UNIX_SOCKET_ADDON_PATH): UnixSocketAddon | null {
  const module: { exports: Partial<UnixSocketAddon> } = { exports: {} };
  try {
    process.dlopen(module, file);
  } catch {
    return null;
  }
  const addon = module.exports;
  return typeof addon.connect === "function" && typeof addon.setTimeouts === "function" ? (addon as UnixSocketAddon) : null;
}

/**
 * A signal interrupted the read or write: the kernel does not restart those on a socket with
 * timeouts (a SIGSTOP/SIGCONT pair is enough); the loop tries again with the time left.
 */
const INTERRUPTED = "EINTR";

/**
 * Milliseconds on the monotonic clock: a wall-clock step must not stretch or cut a deadline.
 * process.hrtime, not performance.now(), whose first use costs a fresh process ~2.5 ms.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

function errnoOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
}

/** One unary call on a fresh connection, blocking the thread until it settles; the connection is closed. */
export function callUnaryBlocking(addon: UnixSocketAddon, options: UnaryCallOptions): UnaryOutcome {
  const { socketPath, timeoutMs } = options;
  const endsAt = monotonicMs() + timeoutMs;
  const timedOut: UnaryOutcome = { kind: "failed", reason: `no answer within ${timeoutMs} ms` };
  let fd: number;
  try {
    fd = addon.connect(socketPath, Math.max(1, timeoutMs));
  } catch (error) {
    // EAGAIN: the server's listen backlog stayed full for the whole timeout.
    return errnoOf(error) === "EAGAIN" ? timedOut : { kind: "failed", reason: `cannot connect to ${socketPath}: ${errnoOf(error)}` };
  }
  try {
    const reader = createUnaryResponseReader(options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
    /** Write all of bytes before the deadline; an outcome when that fails. */
    const writeAll = (bytes: Buffer): UnaryOutcome | null => {
      for (let offset = 0; offset < bytes.length; ) {
        const remaining = endsAt - monotonicMs();
        if (remaining <= 0) return timedOut;
        try {
          addon.setTimeouts(fd, remaining);
          offset += writeSync(fd, bytes, offset);
        } catch (error) {
          if (errnoOf(error) === INTERRUPTED) continue;
          return errnoOf(error) === "EAGAIN" ? timedOut : { kind: "failed", reason: `connection to ${socketPath} failed: ${errnoOf(error)}` };
        }
      }
      return null;
    };
    // HTTP/2 lets a client send its request right after the preface: one write, one round trip.
    const writeFailure = writeAll(Buffer.concat([encodeConnectionPreface(), encodeUnaryRequest(options.method, options.request, timeoutMs)]));
    if (writeFailure !== null) return writeFailure;
    for (;;) {
      const remaining = endsAt - monotonicMs();
      if (remaining <= 0) return timedOut;
      // A fresh buffer per read: the reader keeps unfinished frames without copying them.
      const chunk = Buffer.allocUnsafe(16_384);
      let bytesRead: number;
      try {
        addon.setTimeouts(fd, remaining);
        bytesRead = readSync(fd, chunk, 0, chunk.length, null);
      } catch (error) {
        if (errnoOf(error) === INTERRUPTED) continue;
        return errnoOf(error) === "EAGAIN" ? timedOut : { kind: "failed", reason: `connection to ${socketPath} failed: ${errnoOf(error)}` };
      }
      if (bytesRead === 0) return reader.end();
      const { reply, step } = reader.push(chunk.subarray(0, bytesRead));
      if (step.kind === "done") return step.outcome;
      // Acknowledgements are courtesy: when one cannot be written, the next read tells why.
      for (const frame of reply) if (writeAll(frame) === timedOut) return timedOut;
    }
  } finally {
    closeSync(fd);
  }
}
