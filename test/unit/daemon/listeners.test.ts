// Unit: the TCP listener options — HOST:PORT parsing, fingerprints, which combinations are
// usage errors, loopback detection, the start-up refusal, and the SHADOWD_* variables.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { isLoopbackIp, normaliseFingerprint, parseListenerOptions, parseTcpAddress, prepareTcpListeners, type ListenerOptionText } from "../../../src/daemon/listeners";
import { loadConfig } from "../../../src/daemon/config";

describe("parseTcpAddress", () => {
  const good: { text: string; host: string; port: number }[] = [
    { text: "127.0.0.1:8443", host: "127.0.0.1", port: 8443 },
    { text: "localhost:0", host: "localhost", port: 0 },
    { text: "[::1]:65535", host: "::1", port: 65535 },
    { text: "0.0.0.0:1", host: "0.0.0.0", port: 1 },
    { text: "mail.example.org:8443", host: "mail.example.org", port: 8443 },
  ];
  for (const c of good) it(`reads ${c.text}`, () => assert.deepEqual(parseTcpAddress(c.text), { ok: true, value: { host: c.host, port: c.port } }));

  const bad: { text: string; reason: RegExp }[] = [
    { text: "8443", reason: /is not HOST:PORT/ },
    { text: ":8443", reason: /is not HOST:PORT/ },
    { text: "::1:8443", reason: /is not HOST:PORT/ },
    { text: "[localhost]:8443", reason: /in brackets is not an IPv6 address/ },
    { text: "127.0.0.1:65536", reason: /port 65536 is outside 0\.\.65535/ },
    { text: "127.0.0.1:http", reason: /is not HOST:PORT/ },
    { text: "127.0.0.1:-1", reason: /is not HOST:PORT/ },
  ];
  for (const c of bad) {
    it(`refuses ${JSON.stringify(c.text)}`, () => {
      const parsed = parseTcpAddress(c.text);
      assert.equal(parsed.ok, false);
      if (!parsed.ok) assert.match(parsed.reason, c.reason);
    });
  }
});

describe("normaliseFingerprint", () => {
  const hex = "a1".repeat(32);
  const cases: { name: string; text: string; expected: string | null }[] = [
    { name: "openssl's colon form", text: "A1:".repeat(31) + "A1", expected: hex },
    { name: "openssl's whole output line", text: `sha256 Fingerprint=${"A1:".repeat(31)}A1`, expected: hex },
    { name: "plain lowercase hex", text: hex, expected: hex },
    { name: "a SHA-1 fingerprint (too short)", text: "A1:".repeat(19) + "A1", expected: null },
    { name: "non-hex digits", text: "g1".repeat(32), expected: null },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.expected === null ? "refused" : "lowercase hex"}`, () => {
      const parsed = normaliseFingerprint(c.text);
      if (c.expected === null) assert.equal(parsed.ok, false);
      else assert.deepEqual(parsed, { ok: true, value: c.expected });
    });
  }
});

describe("parseListenerOptions", () => {
  const none: ListenerOptionText = { listenTcp: [], tlsCert: undefined, tlsKey: undefined, tlsClientCa: undefined, adminClientFingerprints: [] };
  const fp = "ab".repeat(32);
  const cases: { name: string; options: Partial<ListenerOptionText>; reason: RegExp | null }[] = [
    { name: "nothing is valid (no TCP)", options: {}, reason: null },
    { name: "plain TCP alone is valid here (loopback is checked at start)", options: { listenTcp: ["0.0.0.0:1"] }, reason: null },
    { name: "TLS with a client CA and an admin list is valid", options: { listenTcp: ["0.0.0.0:1"], tlsCert: "c", tlsKey: "k", tlsClientCa: "ca", adminClientFingerprints: [fp, fp.toUpperCase()] }, reason: null },
    { name: "a key without a certificate", options: { listenTcp: ["127.0.0.1:1"], tlsKey: "k" }, reason: /go together/ },
    { name: "a client CA without a certificate", options: { listenTcp: ["127.0.0.1:1"], tlsClientCa: "ca" }, reason: /needs --tls-cert/ },
    { name: "TLS without a listener", options: { tlsCert: "c", tlsKey: "k" }, reason: /only apply to a --listen-tcp listener/ },
    { name: "an admin list without a listener", options: { adminClientFingerprints: [fp] }, reason: /only apply to a --listen-tcp listener/ },
    { name: "an admin list without a client CA", options: { listenTcp: ["127.0.0.1:1"], tlsCert: "c", tlsKey: "k", adminClientFingerprints: [fp] }, reason: /needs --tls-client-ca/ },
  ];
  for (const c of cases) {
    it(`${c.name}`, () => {
      const parsed = parseListenerOptions({ ...none, ...c.options });
      if (c.reason === null) assert.equal(parsed.ok, true, parsed.ok ? "" : parsed.reason);
      else {
        assert.equal(parsed.ok, false);
        if (!parsed.ok) assert.match(parsed.reason, c.reason);
      }
    });
  }

  it("keeps one copy of a fingerprint given twice in two spellings", () => {
    const parsed = parseListenerOptions({ ...none, listenTcp: ["127.0.0.1:1"], tlsCert: "c", tlsKey: "k", tlsClientCa: "ca", adminClientFingerprints: [fp, fp.toUpperCase()] });
    assert.deepEqual(parsed.ok && parsed.value.adminClientFingerprints, [fp]);
  });
});

describe("isLoopbackIp", () => {
  const cases: [string, boolean][] = [
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["::1", true],
    ["0:0:0:0:0:0:0:1", true],
    ["::ffff:127.0.0.1", true],
    ["0.0.0.0", false],
    ["::", false],
    ["10.0.0.1", false],
    ["192.168.1.1", false],
    ["::ffff:10.0.0.1", false],
    ["fe80::1", false],
    ["localhost", false],
  ];
  for (const [ip, loopback] of cases) it(`${ip} is ${loopback ? "" : "not "}loopback`, () => assert.equal(isLoopbackIp(ip), loopback));
});

describe("prepareTcpListeners without TLS", () => {
  const cases: { host: string; refused: boolean }[] = [
    { host: "127.0.0.1", refused: false },
    { host: "::1", refused: false },
    { host: "localhost", refused: false },
    { host: "0.0.0.0", refused: true },
    { host: "::", refused: true },
    { host: "192.0.2.1", refused: true },
  ];
  for (const c of cases) {
    it(`${c.host}: ${c.refused ? "refused" : "allowed with a warning"}`, async () => {
      const config = { tcp: [{ host: c.host, port: 1 }], tls: null, adminClientFingerprints: [] };
      if (c.refused) {
        await assert.rejects(prepareTcpListeners(config), /refusing a TCP listener on a non-loopback address without TLS/);
      } else {
        const prepared = await prepareTcpListeners(config);
        assert.equal(prepared.listeners[0]?.loopback, true);
        assert.match(prepared.warnings.join("\n"), /plain TCP without TLS \(loopback only\)/);
      }
    });
  }
});

describe("loadConfig and the TCP options", () => {
  it("reads repeated --listen-tcp flags", () => {
    const command = loadConfig(["--state-dir", "/tmp/x", "--listen-tcp", "127.0.0.1:1", "--listen-tcp", "[::1]:2"], {});
    assert.equal(command.kind, "run");
    if (command.kind === "run") assert.deepEqual(command.config.listeners.tcp, [{ host: "127.0.0.1", port: 1 }, { host: "::1", port: 2 }]);
  });

  it("reads the SHADOWD_* variables, lists comma-separated", () => {
    const fp = "cd".repeat(32);
    const command = loadConfig(["--state-dir", "/tmp/x"], {
      SHADOWD_LISTEN_TCP: "127.0.0.1:1, 127.0.0.2:2",
      SHADOWD_TLS_CERT: "/c.pem",
      SHADOWD_TLS_KEY: "/k.pem",
      SHADOWD_TLS_CLIENT_CA: "/ca.pem",
      SHADOWD_ADMIN_CLIENT_FINGERPRINTS: `${fp},${"ef".repeat(32)}`,
    });
    assert.equal(command.kind, "run");
    if (command.kind === "run") {
      assert.deepEqual(command.config.listeners, {
        tcp: [{ host: "127.0.0.1", port: 1 }, { host: "127.0.0.2", port: 2 }],
        tls: { certFile: "/c.pem", keyFile: "/k.pem", clientCaFile: "/ca.pem" },
        adminClientFingerprints: [fp, "ef".repeat(32)],
      });
    }
  });

  it("without any TCP option there is no TCP listener", () => {
    const command = loadConfig(["--state-dir", "/tmp/x"], {});
    assert.ok(command.kind === "run" && command.config.listeners.tcp.length === 0 && command.config.listeners.tls === null);
  });
});
