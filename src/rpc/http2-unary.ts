// Owns the protocol of a minimal one-shot gRPC unary call over HTTP/2 (RFC 9113), without
// I/O: the bytes a client sends (preface, SETTINGS, HEADERS, one DATA frame) and a reader that
// turns the server's bytes into an outcome. Two drivers move the bytes: a blocking one for the
// pam_exec shim (http2-unary-blocking.ts) and one on node's event loop (http2-unary-client.ts).
// One stream, the initial flow-control windows (requests and answers are small), outcomes as
// values. gRPC framing: 1 byte compressed flag, 4 bytes big-endian length, the message.
import { STATIC_INDEX, createHpackDecoder, encodeIndexed, encodeLiteral, type HeaderList } from "./hpack";

export interface UnaryCallOptions {
  /** Path of the server's UNIX socket. */
  socketPath: string;
  /** Full method path, e.g. "/shadowd.v1.Auth/Authenticate". */
  method: string;
  /** The encoded request message. */
  request: Uint8Array;
  /** Whole-call deadline in milliseconds (connect included); also sent as grpc-timeout. */
  timeoutMs: number;
  /**
   * Largest response message accepted (default 16 KiB, far above any Auth answer and below
   * the 64 KiB flow-control window this client never widens, so a larger one fails at once).
   */
  maxResponseBytes?: number;
}

/**
 * `ok`: grpc-status 0 and exactly one message. `status`: the server answered with a non-zero
 * grpc-status. `failed`: no usable answer (cannot connect, timeout, protocol violation).
 */
export type UnaryOutcome =
  | { kind: "ok"; response: Buffer }
  | { kind: "status"; code: number; details: string }
  | { kind: "failed"; reason: string };

/** gRPC status code names, for messages. */
export const GRPC_STATUS_NAMES: readonly string[] = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
];

/** Prefix a message with gRPC's 5-byte length header (uncompressed). */
export function frameGrpcMessage(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(5 + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

export type UnframeOutcome = { ok: true; message: Buffer } | { ok: false; reason: string };

/** The single message of a unary response body. */
export function unframeGrpcMessage(body: Buffer): UnframeOutcome {
  if (body.length < 5) return { ok: false, reason: body.length === 0 ? "no response message" : "truncated gRPC frame header" };
  if (body[0] !== 0) return { ok: false, reason: `unsupported compressed flag ${body[0]}` };
  const length = body.readUInt32BE(1);
  if (body.length < 5 + length) return { ok: false, reason: "truncated gRPC message" };
  if (body.length > 5 + length) return { ok: false, reason: "more than one message in a unary response" };
  return { ok: true, message: body.subarray(5) };
}

// --- HTTP/2 framing (RFC 9113 section 4 and 6) ----------------------------------------------
const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PUSH_PROMISE: 5, PING: 6, GOAWAY: 7, CONTINUATION: 9 } as const;
const FLAG = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 } as const;
const SETTINGS_ENABLE_PUSH = 0x2;
/** SETTINGS_MAX_FRAME_SIZE's default, which this client never raises. */
const MAX_FRAME_SIZE = 16_384;
const STREAM_ID = 1;
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024;

/** One HTTP/2 frame. */
export function encodeFrame(type: number, flags: number, streamId: number, payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(9 + payload.length);
  frame.writeUIntBE(payload.length, 0, 3);
  frame[3] = type;
  frame[4] = flags;
  frame.writeUInt32BE(streamId & 0x7fffffff, 5);
  frame.set(payload, 9);
  return frame;
}

/** What opens the connection: the client preface and a SETTINGS frame (push disabled). */
export function encodeConnectionPreface(): Buffer {
  const settings = Buffer.alloc(6);
  settings.writeUInt16BE(SETTINGS_ENABLE_PUSH, 0);
  settings.writeUInt32BE(0, 2);
  return Buffer.concat([PREFACE, encodeFrame(FRAME.SETTINGS, 0, 0, settings)]);
}

/** The call on stream 1: HEADERS, then the message in one DATA frame that ends the stream. */
export function encodeUnaryRequest(method: string, request: Uint8Array, timeoutMs: number): Buffer {
  const headerBlock = Buffer.concat([
    encodeIndexed(STATIC_INDEX.methodPost),
    encodeIndexed(STATIC_INDEX.schemeHttp),
    encodeLiteral(STATIC_INDEX.path, method),
    encodeLiteral(STATIC_INDEX.authority, "localhost"),
    encodeLiteral(STATIC_INDEX.contentType, "application/grpc"),
    encodeLiteral("te", "trailers"),
    encodeLiteral("grpc-timeout", `${Math.max(1, Math.min(99_999_999, Math.ceil(timeoutMs)))}m`),
  ]);
  const body = frameGrpcMessage(request);
  if (headerBlock.length > MAX_FRAME_SIZE || body.length > MAX_FRAME_SIZE) throw new RangeError("request larger than one HTTP/2 frame");
  return Buffer.concat([encodeFrame(FRAME.HEADERS, FLAG.END_HEADERS, STREAM_ID, headerBlock), encodeFrame(FRAME.DATA, FLAG.END_STREAM, STREAM_ID, body)]);
}

type StepOutcome = { kind: "continue" } | { kind: "done"; outcome: UnaryOutcome };

function failed(reason: string): StepOutcome {
  return { kind: "done", outcome: { kind: "failed", reason } };
}

function headerValue(headers: HeaderList, name: string): string | undefined {
  return headers.find(([n]) => n === name)?.[1];
}

function decodeGrpcMessage(text: string | undefined): string {
  if (text === undefined) return "";
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The response side of one unary call: feed it the bytes the server sends; it answers what to
 * write back (SETTINGS and PING acknowledgements) and, at the end of the stream, the outcome.
 * A chunk is kept (not copied) until its frames are complete: never hand it a buffer that is
 * filled again afterwards.
 */
export function createUnaryResponseReader(maxResponseBytes: number): { push(chunk: Buffer): { reply: Buffer[]; step: StepOutcome }; end(): UnaryOutcome } {
  const hpack = createHpackDecoder();
  let pending: Buffer = Buffer.alloc(0);
  let headerFragments: Buffer[] | null = null;
  let headerEndsStream = false;
  let responseHeaders: HeaderList | null = null;
  let trailers: HeaderList | null = null;
  const body: Buffer[] = [];
  let bodyBytes = 0;
  let goawayLastStream: number | null = null;

  const finishStream = (): StepOutcome => {
    if (responseHeaders === null) return failed("stream ended without response headers");
    const status = headerValue(responseHeaders, ":status");
    if (status !== "200") return failed(`HTTP status ${status ?? "missing"}`);
    const contentType = headerValue(responseHeaders, "content-type") ?? "";
    if (!contentType.startsWith("application/grpc")) return failed(`content-type "${contentType}" is not gRPC`);
    // Trailers-only responses carry the status in the headers.
    const source = trailers ?? responseHeaders;
    const statusText = headerValue(source, "grpc-status");
    if (statusText === undefined) return failed("stream ended without grpc-status");
    if (!/^\d+$/.test(statusText)) return failed(`malformed grpc-status "${statusText}"`);
    const code = Number(statusText);
    if (code !== 0) return { kind: "done", outcome: { kind: "status", code, details: decodeGrpcMessage(headerValue(source, "grpc-message")) } };
    const unframed = unframeGrpcMessage(Buffer.concat(body));
    return { kind: "done", outcome: unframed.ok ? { kind: "ok", response: unframed.message } : { kind: "failed", reason: unframed.reason } };
  };

  const headerBlockDone = (): StepOutcome => {
    const decoded = hpack.decode(Buffer.concat(headerFragments ?? []));
    headerFragments = null;
    if (!decoded.ok) return failed(`HPACK: ${decoded.reason}`);
    if (responseHeaders === null) responseHeaders = decoded.headers;
    else if (trailers === null) trailers = decoded.headers;
    else return failed("a third header block on the stream");
    if (headerEndsStream) return finishStream();
    if (trailers !== null) return failed("trailers without END_STREAM");
    return { kind: "continue" };
  };

  /** The payload without padding (and without the priority fields of HEADERS). */
  const unpad = (flags: number, payload: Buffer, priority: boolean): Buffer | null => {
    let start = 0;
    let end = payload.length;
    if (flags & FLAG.PADDED) {
      if (payload.length < 1) return null;
      end -= payload[0]!;
      start = 1;
    }
    if (priority) start += 5;
    return start <= end ? payload.subarray(start, end) : null;
  };

  const handleFrame = (type: number, flags: number, streamId: number, payload: Buffer, reply: Buffer[]): StepOutcome => {
    if (headerFragments !== null && type !== FRAME.CONTINUATION) return failed("a frame interrupted a header block");
    switch (type) {
      case FRAME.SETTINGS:
        if (streamId !== 0 || payload.length % 6 !== 0) return failed("malformed SETTINGS");
        if (!(flags & FLAG.ACK)) reply.push(encodeFrame(FRAME.SETTINGS, FLAG.ACK, 0, Buffer.alloc(0)));
        return { kind: "continue" };
      case FRAME.PING:
        if (payload.length !== 8) return failed("malformed PING");
        if (!(flags & FLAG.ACK)) reply.push(encodeFrame(FRAME.PING, FLAG.ACK, 0, payload));
        return { kind: "continue" };
      case FRAME.GOAWAY: {
        if (payload.length < 8) return failed("malformed GOAWAY");
        goawayLastStream = payload.readUInt32BE(0) & 0x7fffffff;
        const code = payload.readUInt32BE(4);
        if (goawayLastStream < STREAM_ID) return failed(`the server refused the call (GOAWAY, code ${code})`);
        return { kind: "continue" };
      }
      case FRAME.RST_STREAM:
        if (streamId !== STREAM_ID) return { kind: "continue" };
        return failed(`the server reset the stream (code ${payload.length >= 4 ? payload.readUInt32BE(0) : "?"})`);
      case FRAME.PUSH_PROMISE:
        return failed("PUSH_PROMISE although push is disabled");
      case FRAME.HEADERS: {
        if (streamId !== STREAM_ID) return failed(`HEADERS on stream ${streamId}`);
        const fragment = unpad(flags, payload, (flags & FLAG.PRIORITY) !== 0);
        if (fragment === null) return failed("malformed HEADERS padding");
        headerFragments = [fragment];
        headerEndsStream = (flags & FLAG.END_STREAM) !== 0;
        return flags & FLAG.END_HEADERS ? headerBlockDone() : { kind: "continue" };
      }
      case FRAME.CONTINUATION:
        if (headerFragments === null || streamId !== STREAM_ID) return failed("CONTINUATION outside a header block");
        headerFragments.push(payload);
        return flags & FLAG.END_HEADERS ? headerBlockDone() : { kind: "continue" };
      case FRAME.DATA: {
        if (streamId !== STREAM_ID) return failed(`DATA on stream ${streamId}`);
        if (responseHeaders === null || trailers !== null) return failed("DATA outside the response body");
        const data = unpad(flags, payload, false);
        if (data === null) return failed("malformed DATA padding");
        bodyBytes += data.length;
        if (bodyBytes > maxResponseBytes + 5) return failed(`response larger than ${maxResponseBytes} bytes`);
        body.push(data);
        return flags & FLAG.END_STREAM ? finishStream() : { kind: "continue" };
      }
      default:
        // PRIORITY, WINDOW_UPDATE and unknown types need nothing from a one-shot client.
        return { kind: "continue" };
    }
  };

  return {
    push(chunk: Buffer): { reply: Buffer[]; step: StepOutcome } {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      const reply: Buffer[] = [];
      while (pending.length >= 9) {
        const length = pending.readUIntBE(0, 3);
        if (length > MAX_FRAME_SIZE) return { reply, step: failed(`a ${length}-byte frame exceeds SETTINGS_MAX_FRAME_SIZE`) };
        if (pending.length < 9 + length) break;
        const type = pending[3]!;
        const flags = pending[4]!;
        const streamId = pending.readUInt32BE(5) & 0x7fffffff;
        const payload = pending.subarray(9, 9 + length);
        pending = pending.subarray(9 + length);
        const step = handleFrame(type, flags, streamId, payload, reply);
        if (step.kind === "done") return { reply, step };
      }
      return { reply, step: { kind: "continue" } };
    },
    /** The server closed the connection: never an answer, whatever came before. */
    end(): UnaryOutcome {
      return { kind: "failed", reason: goawayLastStream === null ? "the server closed the connection before answering" : "the server went away (GOAWAY) before answering" };
    },
  };
}
