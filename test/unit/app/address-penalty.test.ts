// Tests the per-address failure delay: the 2-4-8-15 s schedule, address keys (IPv4, IPv6
// /48, mapped, ports, zones), trusted networks, decay, reset by a success, the size bound.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createAddressPenalty,
  maxPenaltyLevel,
  parseNetwork,
  parseNetworkList,
  penaltyDelayMs,
  penaltyKeyOf,
  type AddressPenaltySettings,
} from "../../../src/app/address-penalty";
import type { LoginEvent } from "../../../src/app/ports";

const DOVECOT: AddressPenaltySettings = { baseMs: 2000, maxMs: 15_000, trustedNetworks: [] };

function event(remoteAddress: string, atMs: number): LoginEvent {
  return { username: "alice", service: "imap", remoteAddress, atMs };
}

describe("penaltyDelayMs", () => {
  const cases: { name: string; level: number; base: number; max: number; expected: number }[] = [
    { name: "level 0 is no delay", level: 0, base: 2000, max: 15_000, expected: 0 },
    { name: "the first failure costs the base, 2 s", level: 1, base: 2000, max: 15_000, expected: 2000 },
    { name: "the second doubles it to 4 s", level: 2, base: 2000, max: 15_000, expected: 4000 },
    { name: "the third to 8 s", level: 3, base: 2000, max: 15_000, expected: 8000 },
    { name: "the fourth is capped at 15 s", level: 4, base: 2000, max: 15_000, expected: 15_000 },
    { name: "and it stays at the cap", level: 30, base: 2000, max: 15_000, expected: 15_000 },
    { name: "a smaller base doubles the same way", level: 3, base: 500, max: 15_000, expected: 2000 },
    { name: "a base above the cap is cut to the cap", level: 1, base: 20_000, max: 15_000, expected: 15_000 },
    { name: "a cap of 0 disables the delay", level: 3, base: 2000, max: 0, expected: 0 },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(penaltyDelayMs(c.level, c.base, c.max), c.expected));
  }

  it("the top level is the first one at the cap", () => {
    assert.equal(maxPenaltyLevel(2000, 15_000), 4);
    assert.equal(maxPenaltyLevel(1000, 1000), 1);
    assert.equal(maxPenaltyLevel(1, 600_000), 21);
  });
});

describe("penaltyKeyOf", () => {
  const cases: { name: string; address: string; expected: string | null }[] = [
    { name: "an empty address (a local caller) has no key", address: "", expected: null },
    { name: "blanks count as empty", address: "  ", expected: null },
    { name: "IPv4 is its own key", address: "192.0.2.1", expected: "192.0.2.1" },
    { name: "an IPv4 port is ignored", address: "192.0.2.1:993", expected: "192.0.2.1" },
    { name: "IPv4-mapped IPv6 is the IPv4 address", address: "::ffff:192.0.2.1", expected: "192.0.2.1" },
    { name: "IPv6 is masked to its /48", address: "2001:db8:1:2::5", expected: "2001:db8:1:0:0:0:0:0/48" },
    { name: "another host of the same /48 has the same key", address: "2001:DB8:1:ffff:1:2:3:4", expected: "2001:db8:1:0:0:0:0:0/48" },
    { name: "brackets and a port are ignored", address: "[2001:db8:1::1]:993", expected: "2001:db8:1:0:0:0:0:0/48" },
    { name: "a zone is ignored", address: "fe80::1%eth0", expected: "fe80:0:0:0:0:0:0:0/48" },
    { name: "IPv6 loopback", address: "::1", expected: "0:0:0:0:0:0:0:0/48" },
    { name: "IPv6 with an embedded IPv4 tail", address: "64:ff9b::192.0.2.1", expected: "64:ff9b:0:0:0:0:0:0/48" },
    { name: "anything else is keyed by its text, lower-cased", address: "Mail.Example", expected: "name:mail.example" },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(penaltyKeyOf(c.address), c.expected));
  }
});

describe("parseNetwork and parseNetworkList", () => {
  const cases: { name: string; text: string; expected: ReturnType<typeof parseNetwork> }[] = [
    { name: "an IPv4 network", text: "10.0.0.0/8", expected: { family: "ipv4", address: "10.0.0.0", prefix: 8 } },
    { name: "an IPv4 address is a /32", text: "192.0.2.7", expected: { family: "ipv4", address: "192.0.2.7", prefix: 32 } },
    { name: "an IPv6 address is a /128", text: "::1", expected: { family: "ipv6", address: "::1", prefix: 128 } },
    { name: "an IPv6 network", text: " 2001:db8::/32 ", expected: { family: "ipv6", address: "2001:db8::", prefix: 32 } },
    { name: "a prefix beyond the address size is refused", text: "10.0.0.0/33", expected: null },
    { name: "a non-numeric prefix is refused", text: "10.0.0.0/x", expected: null },
    { name: "a host name is refused", text: "localhost", expected: null },
    { name: "two slashes are refused", text: "10.0.0.0/8/9", expected: null },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(parseNetwork(c.text), c.expected));
  }

  it("a list skips blanks and names the first bad entry", () => {
    assert.deepEqual(parseNetworkList(""), { ok: true, networks: [] });
    assert.deepEqual(parseNetworkList("127.0.0.0/8, ,::1"), {
      ok: true,
      networks: [
        { family: "ipv4", address: "127.0.0.0", prefix: 8 },
        { family: "ipv6", address: "::1", prefix: 128 },
      ],
    });
    assert.deepEqual(parseNetworkList("127.0.0.0/8,nope,::1"), { ok: false, bad: "nope" });
  });
});

describe("createAddressPenalty", () => {
  it("delays an address 2, 4, 8, 15, 15 s after consecutive failures", async () => {
    const penalty = createAddressPenalty(DOVECOT);
    const delays: number[] = [];
    let now = 1_000_000;
    for (let i = 0; i < 6; i++) {
      delays.push(penalty.answerDelayMs?.(event("192.0.2.1", now)) ?? -1);
      await penalty.onFailure?.(event("192.0.2.1", now));
      now += 100;
    }
    assert.deepEqual(delays, [0, 2000, 4000, 8000, 15_000, 15_000]);
  });

  it("a success resets the address at once", async () => {
    const penalty = createAddressPenalty(DOVECOT);
    await penalty.onFailure?.(event("192.0.2.1", 0));
    await penalty.onFailure?.(event("192.0.2.1", 1));
    assert.equal(penalty.delayFor("192.0.2.1", 2), 4000);
    await penalty.onSuccess?.(event("192.0.2.1", 3));
    assert.equal(penalty.delayFor("192.0.2.1", 4), 0);
    assert.equal(penalty.trackedAddresses(), 0);
  });

  it("decays one level per quiet minute, and the next failure starts from the decayed level", async () => {
    const penalty = createAddressPenalty(DOVECOT);
    for (let i = 0; i < 4; i++) await penalty.onFailure?.(event("192.0.2.1", 0));
    const at = (ms: number): number => penalty.delayFor("192.0.2.1", ms);
    assert.deepEqual([at(0), at(59_999), at(60_000), at(120_000), at(180_000), at(240_000)], [15_000, 15_000, 8000, 4000, 2000, 0]);
    const fresh = createAddressPenalty(DOVECOT);
    for (let i = 0; i < 4; i++) await fresh.onFailure?.(event("192.0.2.1", 0));
    await fresh.onFailure?.(event("192.0.2.1", 120_000));
    assert.equal(fresh.delayFor("192.0.2.1", 120_000), 8000, "level 4 decayed to 2, plus one failure");
  });

  it("penalises IPv6 clients by /48 and other addresses separately", async () => {
    const penalty = createAddressPenalty(DOVECOT);
    await penalty.onFailure?.(event("2001:db8:1:2::5", 0));
    assert.equal(penalty.delayFor("2001:db8:1:99::1", 1), 2000, "same /48");
    assert.equal(penalty.delayFor("2001:db8:2::1", 1), 0, "another /48");
    assert.equal(penalty.delayFor("192.0.2.1", 1), 0, "another address");
  });

  const exempt: { name: string; settings: AddressPenaltySettings; address: string }[] = [
    { name: "an empty address (local callers)", settings: DOVECOT, address: "" },
    { name: "an address in a trusted IPv4 network", settings: { ...DOVECOT, trustedNetworks: ["10.0.0.0/8"] }, address: "10.1.2.3" },
    { name: "an IPv4-mapped address in a trusted IPv4 network", settings: { ...DOVECOT, trustedNetworks: ["10.0.0.0/8"] }, address: "::ffff:10.1.2.3" },
    { name: "an address in a trusted IPv6 network", settings: { ...DOVECOT, trustedNetworks: ["2001:db8::/32"] }, address: "2001:db8:5::1" },
    { name: "any address when the cap is 0", settings: { ...DOVECOT, maxMs: 0 }, address: "192.0.2.1" },
  ];
  for (const c of exempt) {
    it(`never delays ${c.name}`, async () => {
      const penalty = createAddressPenalty(c.settings);
      for (let i = 0; i < 5; i++) await penalty.onFailure?.(event(c.address, i));
      assert.equal(penalty.answerDelayMs?.(event(c.address, 10)), 0);
      assert.equal(penalty.trackedAddresses(), 0);
    });
  }

  it("an untrusted neighbour of a trusted network is still delayed", async () => {
    const penalty = createAddressPenalty({ ...DOVECOT, trustedNetworks: ["10.0.0.0/8"] });
    await penalty.onFailure?.(event("11.0.0.1", 0));
    assert.equal(penalty.delayFor("11.0.0.1", 1), 2000);
  });

  it("remembers at most maxTrackedAddresses, forgetting the least recently failing first", async () => {
    const penalty = createAddressPenalty({ ...DOVECOT, maxTrackedAddresses: 3 });
    for (const address of ["192.0.2.1", "192.0.2.2", "192.0.2.3"]) await penalty.onFailure?.(event(address, 0));
    await penalty.onFailure?.(event("192.0.2.1", 1));
    await penalty.onFailure?.(event("192.0.2.4", 2));
    assert.equal(penalty.trackedAddresses(), 3);
    assert.equal(penalty.delayFor("192.0.2.2", 3), 0, "the least recently failing one was forgotten");
    assert.equal(penalty.delayFor("192.0.2.1", 3), 4000);
    assert.equal(penalty.delayFor("192.0.2.3", 3), 2000);
    assert.equal(penalty.delayFor("192.0.2.4", 3), 2000);
  });

  it("a flood of distinct addresses stays within the bound", async () => {
    const penalty = createAddressPenalty({ ...DOVECOT, maxTrackedAddresses: 1000 });
    for (let i = 0; i < 20_000; i++) await penalty.onFailure?.(event(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, i));
    assert.equal(penalty.trackedAddresses(), 1000);
  });

  it("refuses a malformed trusted network", () => {
    assert.throws(() => createAddressPenalty({ ...DOVECOT, trustedNetworks: ["10.0.0.0/40"] }), /not a network: '10.0.0.0\/40'/);
  });
});
