// The shim's dependency-free wire code (src/rpc/auth-wire.ts, the framing of
// src/rpc/http2-unary-client.ts) held to the generated ts-proto codecs, and to garbage.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import fc from "fast-check";
import {
  AUTH_METHODS,
  AUTH_RESULT,
  CHANGE_RESULT,
  decodeAuthenticateResponse,
  decodeChangePasswordResponse,
  decodeCheckAccountResponse,
  encodeAuthenticateRequest,
  encodeChangePasswordRequest,
  encodeCheckAccountRequest,
} from "../../../src/rpc/auth-wire";
import { frameGrpcMessage, unframeGrpcMessage } from "../../../src/rpc/http2-unary";
import {
  AuthResult,
  AuthService,
  AuthenticateRequest,
  AuthenticateResponse,
  ChangePasswordRequest,
  ChangePasswordResponse,
  ChangeResult,
  CheckAccountRequest,
  CheckAccountResponse,
} from "../../../src/gen/shadowd/v1/shadowd";
import { fuzzParameters } from "../../helpers/fuzz";

const text = fc.string({ unit: "binary", maxLength: 300 });
const bytes = fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b));
const enumValue = fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
const optionalInt32 = fc.option(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { nil: undefined });

describe("the shim's constants match the proto", () => {
  it("AUTH_RESULT has every AuthResult value under the same name", () => {
    for (const [name, value] of Object.entries(AUTH_RESULT)) assert.equal((AuthResult as unknown as Record<string, number>)[`AUTH_RESULT_${name}`], value, name);
    const generated = Object.values(AuthResult).filter((v) => typeof v === "number" && v >= 0);
    assert.deepEqual(new Set(Object.values(AUTH_RESULT)), new Set(generated));
  });

  it("CHANGE_RESULT has every ChangeResult value under the same name", () => {
    for (const [name, value] of Object.entries(CHANGE_RESULT)) assert.equal((ChangeResult as unknown as Record<string, number>)[`CHANGE_RESULT_${name}`], value, name);
    const generated = Object.values(ChangeResult).filter((v) => typeof v === "number" && v >= 0);
    assert.deepEqual(new Set(Object.values(CHANGE_RESULT)), new Set(generated));
  });

  it("the method paths are the generated service's", () => {
    assert.equal(AUTH_METHODS.authenticate, AuthService.authenticate.path);
    assert.equal(AUTH_METHODS.checkAccount, AuthService.checkAccount.path);
    assert.equal(AUTH_METHODS.changePassword, AuthService.changePassword.path);
  });
});

describe("requests are byte for byte what ts-proto writes", () => {
  it("AuthenticateRequest", () => {
    fc.assert(
      fc.property(text, bytes, text, text, (username, password, service, remoteAddress) => {
        const request = { username, password, service, remoteAddress };
        assert.deepEqual(encodeAuthenticateRequest(request), Buffer.from(AuthenticateRequest.encode(request).finish()));
      }),
      fuzzParameters(300),
    );
  });

  it("CheckAccountRequest", () => {
    fc.assert(
      fc.property(text, text, text, (username, service, remoteAddress) => {
        const request = { username, service, remoteAddress };
        assert.deepEqual(encodeCheckAccountRequest(request), Buffer.from(CheckAccountRequest.encode(request).finish()));
      }),
      fuzzParameters(300),
    );
  });

  it("ChangePasswordRequest", () => {
    fc.assert(
      fc.property(text, bytes, bytes, text, text, (username, oldPassword, newPassword, service, remoteAddress) => {
        const request = { username, oldPassword, newPassword, service, remoteAddress };
        assert.deepEqual(encodeChangePasswordRequest(request), Buffer.from(ChangePasswordRequest.encode(request).finish()));
      }),
      fuzzParameters(300),
    );
  });

  it("a 300-byte field takes a two-byte length varint (the generated codec agrees)", () => {
    const request = { username: "alice", password: Buffer.alloc(300, 0x61), service: "", remoteAddress: "" };
    const encoded = encodeAuthenticateRequest(request);
    assert.deepEqual(encoded.subarray(7, 10), Buffer.from([0x12, 0xac, 0x02]));
    assert.deepEqual(encoded, Buffer.from(AuthenticateRequest.encode(request).finish()));
  });
});

describe("responses decode as ts-proto writes them", () => {
  const utf8 = fc.string({ maxLength: 200 });
  it("AuthenticateResponse (with an account and negative days)", () => {
    const account = fc.option(fc.record({ name: utf8, uid: fc.nat(), gid: fc.nat(), home: utf8 }), { nil: undefined });
    fc.assert(
      fc.property(enumValue, optionalInt32, utf8, account, (result, daysLeft, message, summary) => {
        const wire = AuthenticateResponse.encode({ result, daysLeft, message, account: summary }).finish();
        assert.deepEqual(decodeAuthenticateResponse(wire), { ok: true, reply: { result, daysLeft, message } });
      }),
      fuzzParameters(300),
    );
  });

  it("CheckAccountResponse", () => {
    fc.assert(
      fc.property(enumValue, optionalInt32, utf8, (result, daysLeft, message) => {
        const wire = CheckAccountResponse.encode({ result, daysLeft, message }).finish();
        assert.deepEqual(decodeCheckAccountResponse(wire), { ok: true, reply: { result, daysLeft, message } });
      }),
      fuzzParameters(300),
    );
  });

  it("ChangePasswordResponse", () => {
    fc.assert(
      fc.property(enumValue, utf8, (result, message) => {
        const wire = ChangePasswordResponse.encode({ result, message }).finish();
        assert.deepEqual(decodeChangePasswordResponse(wire), { ok: true, reply: { result, daysLeft: undefined, message } });
      }),
      fuzzParameters(300),
    );
  });

  it("skips fields it does not know, of every wire type (fields may be added to the proto)", () => {
    // field 9 varint 1, field 10 fixed64, field 11 bytes "x", field 12 fixed32, then result = OK.
    const wire = Buffer.from([0x48, 0x01, 0x51, 1, 2, 3, 4, 5, 6, 7, 8, 0x5a, 0x01, 0x78, 0x65, 1, 2, 3, 4, 0x08, 0x01]);
    assert.deepEqual(decodeAuthenticateResponse(wire), { ok: true, reply: { result: 1, daysLeft: undefined, message: "" } });
  });

  it("never throws on garbage: truncated or malformed input is a refusal with a reason", () => {
    const cases: Array<{ name: string; wire: number[]; reason: RegExp }> = [
      { name: "a tag cut inside its varint", wire: [0x80], reason: /truncated tag/ },
      { name: "a value cut inside its varint", wire: [0x08, 0xff], reason: /truncated varint in field 1/ },
      { name: "a string longer than the rest", wire: [0x1a, 0x05, 0x61], reason: /truncated field 3/ },
      { name: "a fixed64 cut short", wire: [0x51, 1, 2], reason: /truncated field 10/ },
      { name: "field number 0", wire: [0x00, 0x01], reason: /field number 0/ },
      { name: "a group (wire type 3)", wire: [0x0b], reason: /unsupported wire type 3/ },
      { name: "a varint longer than 10 bytes", wire: [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], reason: /truncated varint/ },
    ];
    for (const c of cases) {
      const outcome = decodeAuthenticateResponse(Buffer.from(c.wire));
      assert.equal(outcome.ok, false, c.name);
      if (!outcome.ok) assert.match(outcome.reason, c.reason, c.name);
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (wire) => {
        const outcome = decodeAuthenticateResponse(wire);
        assert.equal(typeof outcome.ok, "boolean");
      }),
      fuzzParameters(1000),
    );
  });
});

describe("gRPC message framing", () => {
  it("prefixes an uncompressed flag and the big-endian length, and reverses", () => {
    const message = Buffer.from("hello");
    const frame = frameGrpcMessage(message);
    assert.deepEqual(frame, Buffer.from([0, 0, 0, 0, 5, ...message]));
    assert.deepEqual(unframeGrpcMessage(frame), { ok: true, message });
  });

  it("accepts an empty message (every field at its default)", () => {
    assert.deepEqual(unframeGrpcMessage(Buffer.from([0, 0, 0, 0, 0])), { ok: true, message: Buffer.alloc(0) });
  });

  const refusals: Array<{ name: string; body: number[]; reason: RegExp }> = [
    { name: "an empty body", body: [], reason: /no response message/ },
    { name: "a header cut short", body: [0, 0, 0], reason: /truncated gRPC frame header/ },
    { name: "a compressed message (the shim asks for none)", body: [1, 0, 0, 0, 0], reason: /unsupported compressed flag 1/ },
    { name: "a message shorter than its length", body: [0, 0, 0, 0, 9, 1], reason: /truncated gRPC message/ },
    { name: "two messages in a unary answer", body: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], reason: /more than one message/ },
  ];
  for (const c of refusals) {
    it(`refuses ${c.name}`, () => {
      const outcome = unframeGrpcMessage(Buffer.from(c.body));
      assert.equal(outcome.ok, false);
      if (!outcome.ok) assert.match(outcome.reason, c.reason);
    });
  }
});
