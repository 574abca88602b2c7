// Owns a dependency-free protobuf codec for the three Auth calls the pam_exec shim makes
// (src/gen loads @grpc/grpc-js at import time, which costs the shim its start-up budget).
// A unit test holds it byte-equal to the generated ts-proto codecs.

/** AuthResult values (proto enum shadowd.v1.AuthResult). */
export const AUTH_RESULT = {
  UNSPECIFIED: 0,
  OK: 1,
  DENIED: 2,
  LOCKED: 3,
  ACCOUNT_EXPIRED: 4,
  PASSWORD_CHANGE_REQUIRED: 5,
  PASSWORD_EXPIRED: 6,
  TEMPORARILY_LOCKED: 7,
  NOT_PERMITTED: 8,
  USER_UNKNOWN: 9,
} as const;

/** ChangeResult values (proto enum shadowd.v1.ChangeResult). */
export const CHANGE_RESULT = {
  UNSPECIFIED: 0,
  OK: 1,
  DENIED: 2,
  TOO_SOON: 3,
  NOT_ALLOWED: 4,
  REJECTED: 5,
} as const;

/** gRPC method paths of the Auth service the shim calls. */
export const AUTH_METHODS = {
  authenticate: "/shadowd.v1.Auth/Authenticate",
  checkAccount: "/shadowd.v1.Auth/CheckAccount",
  changePassword: "/shadowd.v1.Auth/ChangePassword",
} as const;

/** A decoded Authenticate, CheckAccount or ChangePassword response (fields the shim uses). */
export interface WireAuthReply {
  /** The enum value (AuthResult or ChangeResult, by call). */
  result: number;
  /** days_left when the server set it. */
  daysLeft: number | undefined;
  message: string;
}

export type DecodeOutcome = { ok: true; reply: WireAuthReply } | { ok: false; reason: string };

type FieldValue = string | Uint8Array;

function pushVarint(out: number[], value: number): void {
  let v = value >>> 0;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
}

/** Length-delimited fields in field-number order; empty values are left out (proto3). */
function encodeLengthDelimited(fields: Array<[number, FieldValue]>): Buffer {
  const parts: Buffer[] = [];
  for (const [number, value] of fields) {
    const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    if (bytes.length === 0) continue;
    const head: number[] = [];
    pushVarint(head, (number << 3) | 2);
    pushVarint(head, bytes.length);
    parts.push(Buffer.from(head), bytes);
  }
  return Buffer.concat(parts);
}

/** AuthenticateRequest{username=1, password=2, service=3, remote_address=4}. */
export function encodeAuthenticateRequest(request: { username: string; password: Uint8Array; service: string; remoteAddress: string }): Buffer {
  return encodeLengthDelimited([
    [1, request.username],
    [2, request.password],
    [3, request.service],
    [4, request.remoteAddress],
  ]);
}

/** CheckAccountRequest{username=1, service=2, remote_address=3}. */
export function encodeCheckAccountRequest(request: { username: string; service: string; remoteAddress: string }): Buffer {
  return encodeLengthDelimited([
    [1, request.username],
    [2, request.service],
    [3, request.remoteAddress],
  ]);
}

/** ChangePasswordRequest{username=1, old_password=2, new_password=3, service=4, remote_address=5}. */
export function encodeChangePasswordRequest(request: { username: string; oldPassword: Uint8Array; newPassword: Uint8Array; service: string; remoteAddress: string }): Buffer {
  return encodeLengthDelimited([
    [1, request.username],
    [2, request.oldPassword],
    [3, request.newPassword],
    [4, request.service],
    [5, request.remoteAddress],
  ]);
}

/** Where each reply field lives in one response message. */
interface ReplyLayout {
  result: number;
  daysLeft: number | null;
  message: number;
}

const AUTHENTICATE_RESPONSE: ReplyLayout = { result: 1, daysLeft: 2, message: 3 };
const CHECK_ACCOUNT_RESPONSE: ReplyLayout = { result: 1, daysLeft: 2, message: 3 };
const CHANGE_PASSWORD_RESPONSE: ReplyLayout = { result: 1, daysLeft: null, message: 2 };

/** A varint's low 32 bits as a signed int32 (what int32 and enum fields hold), or null when truncated. */
function readVarint(bytes: Uint8Array, at: { pos: number }): number | null {
  let low = 0;
  for (let i = 0; i < 10; i++) {
    if (at.pos >= bytes.length) return null;
    const byte = bytes[at.pos++]!;
    if (i < 5) low |= (byte & 0x7f) << (7 * i);
    if ((byte & 0x80) === 0) return low;
  }
  return null;
}

function decodeReply(bytes: Uint8Array, layout: ReplyLayout): DecodeOutcome {
  const reply: WireAuthReply = { result: 0, daysLeft: undefined, message: "" };
  const at = { pos: 0 };
  while (at.pos < bytes.length) {
    const tag = readVarint(bytes, at);
    if (tag === null) return { ok: false, reason: "truncated tag" };
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (field === 0) return { ok: false, reason: "field number 0" };
    if (wireType === 0) {
      const value = readVarint(bytes, at);
      if (value === null) return { ok: false, reason: `truncated varint in field ${field}` };
      if (field === layout.result) reply.result = value;
      else if (field === layout.daysLeft) reply.daysLeft = value;
    } else if (wireType === 2) {
      const length = readVarint(bytes, at);
      if (length === null || length < 0 || at.pos + length > bytes.length) return { ok: false, reason: `truncated field ${field}` };
      if (field === layout.message) reply.message = Buffer.from(bytes.buffer, bytes.byteOffset + at.pos, length).toString("utf8");
      at.pos += length;
    } else if (wireType === 1 || wireType === 5) {
      at.pos += wireType === 1 ? 8 : 4;
      if (at.pos > bytes.length) return { ok: false, reason: `truncated field ${field}` };
    } else {
      return { ok: false, reason: `unsupported wire type ${wireType} in field ${field}` };
    }
  }
  return { ok: true, reply };
}

export function decodeAuthenticateResponse(bytes: Uint8Array): DecodeOutcome {
  return decodeReply(bytes, AUTHENTICATE_RESPONSE);
}

export function decodeCheckAccountResponse(bytes: Uint8Array): DecodeOutcome {
  return decodeReply(bytes, CHECK_ACCOUNT_RESPONSE);
}

export function decodeChangePasswordResponse(bytes: Uint8Array): DecodeOutcome {
  return decodeReply(bytes, CHANGE_PASSWORD_RESPONSE);
}
