// Test hook: random request bytes for every RPC, generated from proto/'s own descriptors
// (through proto-loader), so new fields and methods are fuzzed without touching the tests:
// well-formed messages with hostile field values, and damaged or random bytes.
import * as path from "node:path";
import * as fc from "fast-check";
import * as protoLoader from "@grpc/proto-loader";
import { REPO_ROOT } from "./daemon";

interface FieldDescriptor {
  name: string;
  number: number;
  label: string;
  type: string;
  typeName: string;
}

interface MessageDescriptor {
  name: string;
  field: FieldDescriptor[];
}

/** One RPC as the fuzzer sees it. */
export interface FuzzMethod {
  path: string;
  service: "Auth" | "Admin";
  requestStream: boolean;
  responseStream: boolean;
  requestType: string;
}

const PACKAGE = "shadowd.v1";

function loadDescriptors(): { methods: FuzzMethod[]; messages: Map<string, MessageDescriptor> } {
  const definition = protoLoader.loadSync("shadowd/v1/shadowd.proto", { includeDirs: [path.join(REPO_ROOT, "proto")], keepCase: true });
  const messages = new Map<string, MessageDescriptor>();
  const methods: FuzzMethod[] = [];
  for (const [name, entry] of Object.entries(definition)) {
    const value = entry as unknown as Record<string, unknown>;
    if (value.format === "Protocol Buffer 3 DescriptorProto") {
      messages.set(name, value.type as MessageDescriptor);
      continue;
    }
    if (name === `${PACKAGE}.Auth` || name === `${PACKAGE}.Admin`) {
      for (const method of Object.values(entry as protoLoader.ServiceDefinition)) {
        const requestType = (method.requestType as unknown as { type: MessageDescriptor }).type.name;
        methods.push({ path: method.path, service: name.endsWith("Auth") ? "Auth" : "Admin", requestStream: method.requestStream, responseStream: method.responseStream, requestType });
      }
    }
  }
  return { methods, messages };
}

const descriptors = loadDescriptors();

/** Every RPC of Auth and Admin, from the proto. */
export const FUZZ_METHODS: readonly FuzzMethod[] = descriptors.methods;

function varint(value: bigint): number[] {
  const bytes: number[] = [];
  let v = BigInt.asUintN(64, value);
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    bytes.push(v === 0n ? low : low | 0x80);
  } while (v !== 0n);
  return bytes;
}

function tag(field: number, wireType: number): number[] {
  return varint(BigInt((field << 3) | wireType));
}

function lengthDelimited(field: number, payload: Uint8Array): number[] {
  return [...tag(field, 2), ...varint(BigInt(payload.length)), ...payload];
}

/** Names the fuzzer also uses, so that some calls reach existing accounts. */
export const KNOWN_NAMES = ["alice", "bob", "root", "daemon"];

const hostileText: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...KNOWN_NAMES, "", " ", "a:b", "-x", "+x", "x\n", "\0", "é", "\u{1F600}", "a".repeat(33), "../../etc/passwd", "$6$x$y", "!", "*", "pop3", "imap", "127.0.0.1", "::1").map((s) => Buffer.from(s)) },
  { weight: 3, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }).map((s) => Buffer.from(s)) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 300 }).map((s) => Buffer.from(s)) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  { weight: 1, arbitrary: fc.integer({ min: 250, max: 70_000 }).map((n) => Buffer.alloc(n, 0x61)) },
);

const hostileBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  { weight: 2, arbitrary: fc.constantFrom("alice-pw-1", "", "x".repeat(511), "x".repeat(512), "a\0b").map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 400, maxLength: 2000 }) },
);

const hostileVarint: fc.Arbitrary<bigint> = fc.oneof(
  fc.bigInt({ min: 0n, max: 40n }),
  fc.constantFrom(2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n, -1n, -(2n ** 31n), 20_000n, 99_999n),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
);

function fieldArbitrary(field: FieldDescriptor, depth: number): fc.Arbitrary<number[]> {
  switch (field.type) {
    case "TYPE_STRING":
      return hostileText.map((payload) => lengthDelimited(field.number, payload));
    case "TYPE_BYTES":
      return hostileBytes.map((payload) => lengthDelimited(field.number, payload));
    case "TYPE_MESSAGE":
      return messageBytes(`${PACKAGE}.${field.typeName.replace(/^\.?shadowd\.v1\./, "")}`, depth + 1).map((payload) => lengthDelimited(field.number, payload));
    case "TYPE_INT32":
    case "TYPE_INT64":
    case "TYPE_UINT32":
    case "TYPE_UINT64":
    case "TYPE_BOOL":
    case "TYPE_ENUM":
      return hostileVarint.map((value) => [...tag(field.number, 0), ...varint(value)]);
    default:
      throw new Error(`proto-fuzz: no generator for ${field.type} (${field.name}); add one`);
  }
}

/** A well-formed encoding of message `typeName` whose fields hold hostile values (some repeated, any order). */
export function messageBytes(typeName: string, depth = 0): fc.Arbitrary<Uint8Array> {
  const descriptor = descriptors.messages.get(typeName);
  if (descriptor === undefined) throw new Error(`proto-fuzz: unknown message ${typeName}`);
  if (descriptor.field.length === 0 || depth > 2) return fc.constant(new Uint8Array(0));
  const field = fc.constantFrom(...descriptor.field).chain((f) => fieldArbitrary(f, depth));
  return fc.array(field, { maxLength: Math.max(1, descriptor.field.length + 2) }).map((parts) => Uint8Array.from(parts.flat()));
}

/** Damage done to a well-formed encoding: none, cut, a flipped byte, junk appended, or random bytes instead. */
export function requestBytes(typeName: string): fc.Arbitrary<Uint8Array> {
  const good = messageBytes(`${PACKAGE}.${typeName}`);
  return fc.oneof(
    { weight: 6, arbitrary: good },
    { weight: 1, arbitrary: fc.tuple(good, fc.double({ min: 0, max: 1, noNaN: true })).map(([b, cut]) => b.subarray(0, Math.floor(b.length * cut))) },
    { weight: 1, arbitrary: fc.tuple(good, fc.nat(), fc.integer({ min: 1, max: 255 })).map(([b, at, x]) => { const c = Uint8Array.from(b); if (c.length > 0) c[at % c.length] = (c[at % c.length] ?? 0) ^ x; return c; }) },
    { weight: 1, arbitrary: fc.tuple(good, fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([b, junk]) => Uint8Array.from([...b, ...junk])) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
  );
}

/** Raw request bytes that do not decode as any message: wire-format errors. */
export const INVALID_PROTOBUF: readonly { name: string; bytes: Uint8Array }[] = [
  { name: "a lone 0xff", bytes: Uint8Array.of(0xff) },
  { name: "a varint that never ends", bytes: Uint8Array.of(0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff) },
  { name: "a length beyond the end", bytes: Uint8Array.of(0x0a, 0x7f, 0x61) },
  { name: "wire type 7", bytes: Uint8Array.of(0x0f, 0x01) },
  { name: "a 64-bit field cut short", bytes: Uint8Array.of(0x09, 0x01, 0x02, 0x03) },
  { name: "a 32-bit field cut short", bytes: Uint8Array.of(0x0d, 0x01) },
  { name: "an unknown field whose length is beyond the end", bytes: Uint8Array.of(0xfa, 0x01, 0x10, 0x61) },
];
