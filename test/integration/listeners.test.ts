// Integration: the optional TCP listener on a real daemon — TLS, mTLS, the Admin guard by
// client-certificate fingerprint, plain TCP on loopback only, and the start-up refusals
// (non-loopback without TLS refused before anything is opened or bound).
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { protoPath as healthProtoPath } from "grpc-health-check";
import { startTestDaemon, runCommand, REPO_ROOT, type TestDaemon } from "../helpers/daemon";
import { createTestPki, opensslAvailable, type TestPki, type KeyPair } from "../helpers/certs";
import { AuthClient, AdminClient, AuthService, AdminService, AuthResult } from "../../src/gen/shadowd/v1/shadowd";
import { promiseClient } from "../../src/rpc/promise-client";

const SHADOWD = path.join(REPO_ROOT, "bin/shadowd");
const HAVE_OPENSSL = opensslAvailable();
if (!HAVE_OPENSSL) process.stderr.write("listeners.test: SKIPPING the TLS tests: no openssl command on this machine\n");
const tlsTest = HAVE_OPENSSL ? test : test.skip;

/** The TCP addresses the daemon logged in its "shadowd serving" line (waits for the line). */
async function tcpAddresses(daemon: TestDaemon): Promise<string[]> {
  for (let i = 0; i < 200; i++) {
    for (const line of daemon.log().split("\n")) {
      if (!line.includes('"shadowd serving"')) continue;
      const entry = JSON.parse(line) as { tcp?: string[] };
      return entry.tcp ?? [];
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no "shadowd serving" line in the log:\n${daemon.log()}`);
}

async function firstTcpAddress(daemon: TestDaemon): Promise<string> {
  const [address] = await tcpAddresses(daemon);
  assert.ok(address !== undefined, "the daemon logs the TCP address it bound");
  return address;
}

function tlsCredentials(pki: TestPki, client: KeyPair | null): grpc.ChannelCredentials {
  return client === null ? grpc.credentials.createSsl(pki.ca) : grpc.credentials.createSsl(pki.ca, client.key, client.cert);
}

function clients(address: string, credentials: grpc.ChannelCredentials): { auth: ReturnType<typeof promiseClient<typeof AuthService>>; admin: ReturnType<typeof promiseClient<typeof AdminService>>; close(): void } {
  const auth = new AuthClient(address, credentials);
  const admin = new AdminClient(address, credentials);
  return {
    auth: promiseClient(auth, AuthService),
    admin: promiseClient(admin, AdminService),
    close: () => {
      auth.close();
      admin.close();
    },
  };
}

const deadline = (): grpc.CallOptions => ({ deadline: Date.now() + 5000 });
const isCode = (code: grpc.status) => (error: grpc.ServiceError): boolean => error.code === code;

function authenticateAlice(c: ReturnType<typeof clients>): Promise<AuthResult> {
  return c.auth.authenticate({ username: "alice", password: Buffer.from("alice-pw-1"), service: "imap", remoteAddress: "" }, deadline()).then((r) => r.result);
}

function healthCheck(address: string, credentials: grpc.ChannelCredentials): Promise<string> {
  type HealthStub = grpc.Client & { check(req: { service: string }, options: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: { status: string }) => void): void };
  const loaded = grpc.loadPackageDefinition(protoLoader.loadSync(healthProtoPath, { keepCase: true, enums: String })) as unknown as {
    grpc: { health: { v1: { Health: new (address: string, credentials: grpc.ChannelCredentials) => HealthStub } } };
  };
  const stub = new loaded.grpc.health.v1.Health(address, credentials);
  return new Promise<string>((resolve, reject) => stub.check({ service: "shadowd.v1.Auth" }, deadline(), (e, r) => (e ? reject(e) : resolve(r.status)))).finally(() => stub.close());
}

describe("TLS on TCP without client certificates", { skip: !HAVE_OPENSSL }, () => {
  let pki: TestPki;
  let daemon: TestDaemon;
  let address: string;
  before(async () => {
    pki = createTestPki();
    daemon = await startTestDaemon({ extraArgs: ["--listen-tcp", "127.0.0.1:0", "--tls-cert", pki.server.certFile, "--tls-key", pki.server.keyFile] });
    await daemon.adminp.addUser({ name: "alice", gecos: "", home: "", shell: "", password: Buffer.from("alice-pw-1") });
    address = await firstTcpAddress(daemon);
  });
  after(async () => {
    await daemon.stop();
    fs.rmSync(daemon.stateDir, { recursive: true, force: true });
    fs.rmSync(pki.dir, { recursive: true, force: true });
  });

  test("Authenticate works over TLS, and health answers SERVING", async () => {
    const c = clients(address, tlsCredentials(pki, null));
    assert.equal(await authenticateAlice(c), AuthResult.AUTH_RESULT_OK);
    assert.equal(await healthCheck(address, tlsCredentials(pki, null)), "SERVING");
    c.close();
  });

  test("Admin over TCP without a client certificate answers PERMISSION_DENIED and changes nothing", async () => {
    const c = clients(address, tlsCredentials(pki, null));
    await assert.rejects(c.admin.getStatus({}, deadline()), isCode(grpc.status.PERMISSION_DENIED));
    await assert.rejects(c.admin.deleteUser({ name: "alice" }, deadline()), isCode(grpc.status.PERMISSION_DENIED));
    assert.equal((await daemon.adminp.getUser({ name: "alice" })).name, "alice");
    c.close();
    assert.match(daemon.log(), /admin call refused over TCP: the connection has no client certificate/);
  });

  test("a plain-text client cannot talk to the TLS listener", async () => {
    const c = clients(address, grpc.credentials.createInsecure());
    await assert.rejects(authenticateAlice(c), isCode(grpc.status.UNAVAILABLE));
    c.close();
  });

  test("the daemon is still serving the auth socket", async () => {
    const result = await daemon.authp.authenticate({ username: "alice", password: Buffer.from("alice-pw-1"), service: "imap", remoteAddress: "" });
    assert.equal(result.result, AuthResult.AUTH_RESULT_OK);
  });
});

describe("mTLS with an admin list", { skip: !HAVE_OPENSSL }, () => {
  let pki: TestPki;
  let daemon: TestDaemon;
  let address: string;
  before(async () => {
    pki = createTestPki();
    daemon = await startTestDaemon({
      extraArgs: [
        "--listen-tcp", "localhost:0",
        "--tls-cert", pki.server.certFile,
        "--tls-key", pki.server.keyFile,
        "--tls-client-ca", pki.caFile,
        "--admin-client-fingerprint", pki.adminClient.fingerprint,
      ],
    });
    await daemon.adminp.addUser({ name: "alice", gecos: "", home: "", shell: "", password: Buffer.from("alice-pw-1") });
    address = (await firstTcpAddress(daemon)).replace(/^localhost:/, "127.0.0.1:");
  });
  after(async () => {
    await daemon.stop();
    fs.rmSync(daemon.stateDir, { recursive: true, force: true });
    fs.rmSync(pki.dir, { recursive: true, force: true });
  });

  test("a listed client certificate may call Admin and Auth", async () => {
    const c = clients(address, tlsCredentials(pki, pki.adminClient));
    const added = await c.admin.addUser({ name: "remote1", gecos: "added over TCP", home: "", shell: "", password: Buffer.from("remote-pw-1") }, deadline());
    assert.equal(added.gecos, "added over TCP");
    assert.equal((await c.admin.getStatus({}, deadline())).accounts, 2);
    assert.equal(await authenticateAlice(c), AuthResult.AUTH_RESULT_OK);
    c.close();
  });

  test("a CA-signed client certificate that is not listed gets PERMISSION_DENIED on Admin but may authenticate", async () => {
    const c = clients(address, tlsCredentials(pki, pki.otherClient));
    await assert.rejects(c.admin.getUser({ name: "alice" }, deadline()), isCode(grpc.status.PERMISSION_DENIED));
    await assert.rejects(c.admin.setPassword({ name: "alice", password: Buffer.from("stolen"), expire: false, delete: false, lock: false, unlock: false }, deadline()), isCode(grpc.status.PERMISSION_DENIED));
    assert.equal(await authenticateAlice(c), AuthResult.AUTH_RESULT_OK);
    c.close();
    assert.match(daemon.log(), /admin call refused over TCP: the client certificate is not on the admin list/);
  });

  const refusedClients: { name: string; client: (pki: TestPki) => KeyPair | null }[] = [
    { name: "a client without a certificate", client: () => null },
    { name: "a client whose certificate comes from another CA", client: (p) => p.strangerClient },
  ];
  for (const c of refusedClients) {
    test(`${c.name} cannot connect at all`, async () => {
      const conn = clients(address, tlsCredentials(pki, c.client(pki)));
      await assert.rejects(authenticateAlice(conn), isCode(grpc.status.UNAVAILABLE));
      conn.close();
    });
  }
});

describe("plain TCP on loopback", () => {
  let daemon: TestDaemon;
  let address: string;
  before(async () => {
    daemon = await startTestDaemon({ extraArgs: ["--listen-tcp", "127.0.0.1:0"] });
    await daemon.adminp.addUser({ name: "alice", gecos: "", home: "", shell: "", password: Buffer.from("alice-pw-1") });
    address = await firstTcpAddress(daemon);
  });
  after(async () => {
    await daemon.stop();
    fs.rmSync(daemon.stateDir, { recursive: true, force: true });
  });

  test("is allowed with a warning in the log, and serves Auth", async () => {
    assert.match(daemon.log(), /"level":40[^\n]*plain TCP without TLS \(loopback only\)/);
    const c = clients(address, grpc.credentials.createInsecure());
    assert.equal(await authenticateAlice(c), AuthResult.AUTH_RESULT_OK);
    c.close();
  });

  test("never serves Admin: PERMISSION_DENIED", async () => {
    const c = clients(address, grpc.credentials.createInsecure());
    await assert.rejects(c.admin.getStatus({}, deadline()), isCode(grpc.status.PERMISSION_DENIED));
    c.close();
  });
});

/** A non-loopback address of this machine (never listened on: the daemon refuses first). */
function machineAddress(): string | null {
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const address of addresses ?? []) if (!address.internal && address.family === "IPv4") return address.address;
  }
  return null;
}

describe("start-up refusals", () => {
  const refusals: { name: string; args: string[]; pattern: RegExp }[] = [
    { name: "0.0.0.0 without TLS", args: ["--listen-tcp", "0.0.0.0:8443"], pattern: /--listen-tcp 0\.0\.0\.0:8443: refusing a TCP listener on a non-loopback address without TLS/ },
    { name: "[::] without TLS", args: ["--listen-tcp", "[::]:8443"], pattern: /--listen-tcp \[::\]:8443: refusing .* without TLS/ },
    { name: "a loopback and a non-loopback listener without TLS", args: ["--listen-tcp", "127.0.0.1:0", "--listen-tcp", "0.0.0.0:0"], pattern: /0\.0\.0\.0:0: refusing/ },
  ];
  const own = machineAddress();
  if (own !== null) refusals.push({ name: `this machine's address ${own} without TLS`, args: ["--listen-tcp", `${own}:8443`], pattern: /refusing a TCP listener on a non-loopback address without TLS/ });
  for (const c of refusals) {
    test(`${c.name} is refused (exit 1) before the database or any socket exists`, async () => {
      const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "shd-refuse-"));
      const result = await runCommand(SHADOWD, ["--state-dir", stateDir, ...c.args]);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, c.pattern);
      assert.match(result.stderr, /--tls-cert and --tls-key/);
      assert.deepEqual(fs.readdirSync(stateDir), [], "nothing was created");
      fs.rmSync(stateDir, { recursive: true, force: true });
    });
  }

  const usage: { name: string; args: string[]; pattern: RegExp }[] = [
    { name: "a listener without a port", args: ["--listen-tcp", "127.0.0.1"], pattern: /--listen-tcp: "127\.0\.0\.1" is not HOST:PORT/ },
    { name: "a port above 65535", args: ["--listen-tcp", "127.0.0.1:70000"], pattern: /port 70000 is outside 0\.\.65535/ },
    { name: "--tls-cert without --tls-key", args: ["--listen-tcp", "127.0.0.1:0", "--tls-cert", "/nonexistent.pem"], pattern: /--tls-cert and --tls-key go together/ },
    { name: "TLS without a TCP listener", args: ["--tls-cert", "/a.pem", "--tls-key", "/a.key"], pattern: /only apply to a --listen-tcp listener/ },
    { name: "an admin list without --tls-client-ca", args: ["--listen-tcp", "127.0.0.1:0", "--tls-cert", "/a.pem", "--tls-key", "/a.key", "--admin-client-fingerprint", "ab".repeat(32)], pattern: /--admin-client-fingerprint needs --tls-client-ca/ },
    { name: "a fingerprint that is not SHA-256", args: ["--listen-tcp", "127.0.0.1:0", "--admin-client-fingerprint", "AB:CD"], pattern: /"AB:CD" is not a SHA-256 fingerprint/ },
  ];
  for (const c of usage) {
    test(`${c.name} is a usage error (exit 2)`, async () => {
      const result = await runCommand(SHADOWD, ["--state-dir", path.join(os.tmpdir(), "shd-never-created"), ...c.args]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, c.pattern);
    });
  }

  tlsTest("a key that does not belong to the certificate is refused (exit 1)", async () => {
    const pki = createTestPki();
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "shd-refuse-"));
    const result = await runCommand(SHADOWD, ["--state-dir", stateDir, "--listen-tcp", "127.0.0.1:0", "--tls-cert", pki.server.certFile, "--tls-key", pki.adminClient.keyFile]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /--tls-key: .*admin-client\.key is not the private key of the certificate in .*server\.pem/);
    assert.deepEqual(fs.readdirSync(stateDir), []);
    fs.rmSync(stateDir, { recursive: true, force: true });
    fs.rmSync(pki.dir, { recursive: true, force: true });
  });

  tlsTest("an unreadable certificate file is named in the refusal", async () => {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "shd-refuse-"));
    const result = await runCommand(SHADOWD, ["--state-dir", stateDir, "--listen-tcp", "127.0.0.1:0", "--tls-cert", "/nonexistent/server.pem", "--tls-key", "/nonexistent/server.key"]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /--tls-cert: cannot read \/nonexistent\/server\.pem/);
    fs.rmSync(stateDir, { recursive: true, force: true });
  });
});
