// Tests app/relay.ts: which services grant relay, how client addresses are compared, and
// createRelay's hooks over the memory RelayStore: grant, check, expiry, replacement, the TTL
// of 0, storage failures that never fail a login, and the purge.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createRelay, grantsRelay, relayAddressKey, type Relay } from "../../../src/app/relay";
import type { AppLogger, Clock, LoginEvent } from "../../../src/app/ports";
import { MemoryRelayStore } from "../../../src/storage/memory/memory-relay-store";
import type { RelayStore } from "../../../src/storage/relay-store";

class FakeClock implements Clock {
  constructor(public ms: number) {}
  nowMs(): number {
    return this.ms;
  }
  today(): number {
    return Math.floor(this.ms / 86_400_000);
  }
}

function recordingLogger(lines: string[]): AppLogger {
  const at = (level: string) => (_obj: object, msg?: string): void => void lines.push(`${level}: ${msg ?? ""}`);
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

const T0 = 1_700_000_000_000;
const TTL_MS = 600_000;

function login(overrides: Partial<LoginEvent> = {}): LoginEvent {
  return { username: "alice", service: "pop3", remoteAddress: "192.0.2.7", atMs: T0, ...overrides };
}

function setup(ttlMs = TTL_MS, relays: RelayStore = new MemoryRelayStore()): { relay: Relay; clock: FakeClock; relays: RelayStore; log: string[] } {
  const clock = new FakeClock(T0);
  const log: string[] = [];
  return { relay: createRelay({ relays, clock, logger: recordingLogger(log), ttlMs }), clock, relays, log };
}

describe("grantsRelay", () => {
  const cases: Array<[string, boolean]> = [
    ["pop3", true],
    ["imap", true],
    ["POP3", true],
    [" imap ", true],
    ["pop", true],
    ["pop3s", true],
    ["imaps", true],
    ["imap4", true],
    ["smtp", false],
    ["submission", false],
    ["sieve", false],
    ["dovecot", false],
    ["", false],
  ];
  for (const [service, grants] of cases) {
    it(`a login to ${JSON.stringify(service)} ${grants ? "grants" : "does not grant"} relay`, () => assert.equal(grantsRelay(service), grants));
  }
});

describe("relayAddressKey", () => {
  const cases: Array<[string, string | null]> = [
    ["192.0.2.7", "192.0.2.7"],
    [" 192.0.2.7 ", "192.0.2.7"],
    ["::ffff:192.0.2.7", "192.0.2.7"],
    ["192.0.2.7:1234", "192.0.2.7"],
    ["2001:DB8::1", "2001:db8:0:0:0:0:0:1"],
    ["[2001:db8::1]", "2001:db8:0:0:0:0:0:1"],
    ["[2001:db8::1]:993", "2001:db8:0:0:0:0:0:1"],
    ["2001:db8:0:0:0:0:0:1", "2001:db8:0:0:0:0:0:1"],
    ["Mail.Example.ORG", "mail.example.org"],
    ["", null],
    ["   ", null],
  ];
  for (const [address, key] of cases) {
    it(`${JSON.stringify(address)} is kept under ${JSON.stringify(key)}`, () => assert.equal(relayAddressKey(address), key));
  }
});

describe("createRelay", () => {
  it("an OK pop3 login with an address lets that address relay until the TTL has passed", async () => {
    const { relay, clock } = setup();
    await relay.onSuccess?.(login());
    assert.deepEqual(await relay.checkRelay("192.0.2.7"), { allowed: true, username: "alice", expiresAtMs: T0 + TTL_MS });
    clock.ms = T0 + TTL_MS - 1;
    assert.equal((await relay.checkRelay("192.0.2.7")).allowed, true);
    clock.ms = T0 + TTL_MS;
    assert.deepEqual(await relay.checkRelay("192.0.2.7"), { allowed: false, username: "", expiresAtMs: 0 });
  });

  it("an imap login seen on a dual-stack socket grants the plain IPv4 address", async () => {
    const { relay } = setup();
    await relay.onSuccess?.(login({ service: "imap", remoteAddress: "::ffff:192.0.2.9" }));
    assert.equal((await relay.checkRelay("192.0.2.9")).allowed, true);
  });

  const noGrant: Array<[string, Partial<LoginEvent>]> = [
    ["an smtp login", { service: "smtp" }],
    ["a submission login", { service: "submission" }],
    ["a login without an address", { remoteAddress: "" }],
  ];
  for (const [label, overrides] of noGrant) {
    it(`${label} grants nothing`, async () => {
      const { relay } = setup();
      await relay.onSuccess?.(login(overrides));
      assert.equal((await relay.checkRelay("192.0.2.7")).allowed, false);
    });
  }

  it("another address is not allowed", async () => {
    const { relay } = setup();
    await relay.onSuccess?.(login());
    assert.equal((await relay.checkRelay("192.0.2.8")).allowed, false);
  });

  it("a later login from the same address replaces the grant (user and expiry)", async () => {
    const { relay } = setup();
    await relay.onSuccess?.(login());
    await relay.onSuccess?.(login({ username: "bob", service: "imap", atMs: T0 + 5000 }));
    assert.deepEqual(await relay.checkRelay("192.0.2.7"), { allowed: true, username: "bob", expiresAtMs: T0 + 5000 + TTL_MS });
  });

  it("a TTL of 0 grants nothing and allows nothing, even a grant already stored", async () => {
    const relays = new MemoryRelayStore();
    await relays.putRelayGrant({ address: "192.0.2.7", username: "alice", service: "pop3", grantedAtMs: T0, expiresAtMs: T0 + TTL_MS });
    const { relay } = setup(0, relays);
    await relay.onSuccess?.(login({ remoteAddress: "192.0.2.8" }));
    assert.equal(await relays.getRelayGrant("192.0.2.8"), null);
    assert.equal((await relay.checkRelay("192.0.2.7")).allowed, false);
  });

  it("a storage failure is logged and does not fail the login", async () => {
    const failing: RelayStore = {
      putRelayGrant: async () => {
        throw new Error("disk full");
      },
      getRelayGrant: async () => null,
      purgeRelayGrants: async () => {
        throw new Error("disk full");
      },
    };
    const { relay, log } = setup(TTL_MS, failing);
    await relay.onSuccess?.(login());
    assert.equal(await relay.purgeExpired(), 0);
    assert.deepEqual(log, ["warn: cannot store the relay grant; this login grants no relay", "warn: cannot purge expired relay grants"]);
  });

  it("purgeExpired deletes the grants that have expired", async () => {
    const { relay, relays, clock } = setup();
    await relay.onSuccess?.(login({ remoteAddress: "192.0.2.1" }));
    await relay.onSuccess?.(login({ remoteAddress: "192.0.2.2", atMs: T0 + 1000 }));
    clock.ms = T0 + TTL_MS;
    assert.equal(await relay.purgeExpired(), 1);
    assert.equal(await relays.getRelayGrant("192.0.2.1"), null);
    assert.notEqual(await relays.getRelayGrant("192.0.2.2"), null);
  });
});
