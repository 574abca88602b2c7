// Test hook: a throwaway PKI made with the openssl command at test time — a CA, a server
// certificate for 127.0.0.1/localhost, client certificates signed by that CA, and one from a
// stranger CA — with their SHA-256 fingerprints as --admin-client-fingerprint wants them.
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync, spawnSync } from "node:child_process";

export interface KeyPair {
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
  /** SHA-256 of the DER certificate, as openssl prints it (AB:CD:…). */
  fingerprint: string;
}

export interface TestPki {
  dir: string;
  caFile: string;
  ca: Buffer;
  server: KeyPair;
  /** Signed by the CA; the tests put it on the admin list. */
  adminClient: KeyPair;
  /** Signed by the CA; not on the admin list. */
  otherClient: KeyPair;
  /** Signed by another CA the server does not trust. */
  strangerClient: KeyPair;
}

/** False when there is no openssl command (the callers then skip, saying so). */
export function opensslAvailable(): boolean {
  return spawnSync("openssl", ["version"], { stdio: "ignore" }).status === 0;
}

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

function makeCa(dir: string, name: string): void {
  openssl(dir, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.pem`, "-days", "2", "-subj", `/CN=${name}`]);
}

function makeLeaf(dir: string, ca: string, name: string, extensions: string): KeyPair {
  openssl(dir, ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`]);
  fs.writeFileSync(path.join(dir, `${name}.ext`), extensions);
  openssl(dir, ["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-out", `${name}.pem`, "-days", "2", "-extfile", `${name}.ext`]);
  const certFile = path.join(dir, `${name}.pem`);
  const keyFile = path.join(dir, `${name}.key`);
  fs.chmodSync(keyFile, 0o600);
  const cert = fs.readFileSync(certFile);
  return { certFile, keyFile, cert, key: fs.readFileSync(keyFile), fingerprint: new crypto.X509Certificate(cert).fingerprint256 };
}

/** Creates a fresh PKI in a temporary directory (about 0.2 s). */
export function createTestPki(): TestPki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shd-pki-"));
  makeCa(dir, "test-ca");
  makeCa(dir, "stranger-ca");
  const serverExt = "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nextendedKeyUsage=serverAuth\n";
  const clientExt = "extendedKeyUsage=clientAuth\n";
  const caFile = path.join(dir, "test-ca.pem");
  return {
    dir,
    caFile,
    ca: fs.readFileSync(caFile),
    server: makeLeaf(dir, "test-ca", "server", serverExt),
    adminClient: makeLeaf(dir, "test-ca", "admin-client", clientExt),
    otherClient: makeLeaf(dir, "test-ca", "other-client", clientExt),
    strangerClient: makeLeaf(dir, "stranger-ca", "stranger-client", clientExt),
  };
}
