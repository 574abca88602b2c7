// Owns the optional TCP listeners: parsing --listen-tcp / --tls-* / --admin-client-fingerprint,
// the start-up refusal of a non-loopback listener without TLS, and loading the TLS material
// into grpc-js server credentials.
import * as crypto from "node:crypto";
import * as dns from "node:dns";
import * as fs from "node:fs";
import * as net from "node:net";
import * as grpc from "@grpc/grpc-js";

/** One `--listen-tcp HOST:PORT` (port 0 picks a free port, which is logged). */
export interface TcpAddress {
  host: string;
  port: number;
}

/** The files of `--tls-cert`, `--tls-key` and `--tls-client-ca` (mTLS when set). */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
  clientCaFile: string | null;
}

/** Everything the configuration says about TCP. */
export interface ListenerConfig {
  tcp: TcpAddress[];
  tls: TlsFiles | null;
  /** SHA-256 fingerprints (64 lowercase hex digits) of client certificates allowed to call Admin over TCP. */
  adminClientFingerprints: string[];
}

/** The raw option values, from flags or SHADOWD_* variables. */
export interface ListenerOptionText {
  listenTcp: string[];
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  tlsClientCa: string | undefined;
  adminClientFingerprints: string[];
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** A TCP listener ready to bind: its grpc-js target and credentials. */
export interface TcpListenerPlan {
  address: TcpAddress;
  /** "host:port" or "[v6]:port", as grpc-js bindAsync wants it. */
  target: string;
  tls: boolean;
  loopback: boolean;
}

export interface PreparedTcp {
  listeners: TcpListenerPlan[];
  credentials: grpc.ServerCredentials;
  /** True when every TCP client must present a certificate signed by --tls-client-ca. */
  mutualTls: boolean;
  warnings: string[];
}

/** Splits a comma-separated environment value ("" and undefined are no values). */
export function splitListOption(text: string | undefined): string[] {
  if (text === undefined) return [];
  return text
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/** `HOST:PORT` or `[IPV6]:PORT`; the host must be given (0.0.0.0 or :: for every interface). */
export function parseTcpAddress(text: string): Parsed<TcpAddress> {
  const bracketed = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text);
  const plain = /^([^:[\]\s]+):(\d{1,5})$/.exec(text);
  const match = bracketed ?? plain;
  if (match === null) return { ok: false, reason: `--listen-tcp: "${text}" is not HOST:PORT (IPv6 as [ADDRESS]:PORT)` };
  const host = match[1] ?? "";
  const port = Number(match[2]);
  if (bracketed !== null && !net.isIPv6(host)) return { ok: false, reason: `--listen-tcp: "${host}" in brackets is not an IPv6 address` };
  if (port > 65535) return { ok: false, reason: `--listen-tcp: port ${port} is outside 0..65535` };
  return { ok: true, value: { host, port } };
}

/** A SHA-256 fingerprint as openssl prints it (AB:CD:…) or plain hex, normalised to lowercase hex. */
export function normaliseFingerprint(text: string): Parsed<string> {
  const hex = text.trim().replace(/^sha256 fingerprint=/i, "").replace(/:/g, "").toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    return { ok: false, reason: `--admin-client-fingerprint: "${text}" is not a SHA-256 fingerprint (64 hex digits, colons allowed; see 'openssl x509 -noout -fingerprint -sha256')` };
  }
  return { ok: true, value: hex };
}

/** Validates the TCP options together (files are read at start-up, not here). */
export function parseListenerOptions(text: ListenerOptionText): Parsed<ListenerConfig> {
  const tcp: TcpAddress[] = [];
  for (const item of text.listenTcp) {
    const parsed = parseTcpAddress(item);
    if (!parsed.ok) return parsed;
    tcp.push(parsed.value);
  }
  const fingerprints: string[] = [];
  for (const item of text.adminClientFingerprints) {
    const parsed = normaliseFingerprint(item);
    if (!parsed.ok) return parsed;
    if (!fingerprints.includes(parsed.value)) fingerprints.push(parsed.value);
  }
  const { tlsCert, tlsKey, tlsClientCa } = text;
  if ((tlsCert === undefined) !== (tlsKey === undefined)) return { ok: false, reason: "--tls-cert and --tls-key go together: give both or neither" };
  if (tlsCert === undefined && tlsClientCa !== undefined) return { ok: false, reason: "--tls-client-ca needs --tls-cert and --tls-key (the server's own certificate)" };
  if (tcp.length === 0 && (tlsCert !== undefined || fingerprints.length > 0)) {
    return { ok: false, reason: "--tls-cert, --tls-key, --tls-client-ca and --admin-client-fingerprint only apply to a --listen-tcp listener; none is given" };
  }
  if (fingerprints.length > 0 && tlsClientCa === undefined) {
    return { ok: false, reason: "--admin-client-fingerprint needs --tls-client-ca: Admin over TCP is only for clients with a verified client certificate" };
  }
  const tls = tlsCert !== undefined && tlsKey !== undefined ? { certFile: tlsCert, keyFile: tlsKey, clientCaFile: tlsClientCa ?? null } : null;
  return { ok: true, value: { tcp, tls, adminClientFingerprints: fingerprints } };
}

const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/** Whether an IP address is on the loopback interface (127.0.0.0/8, ::1, ::ffff:127.x.y.z). */
export function isLoopbackIp(ip: string): boolean {
  const family = net.isIP(ip);
  if (family === 0) return false;
  return LOOPBACK.check(ip, family === 4 ? "ipv4" : "ipv6");
}

/** Whether every address `host` resolves to is loopback (a literal IP is not looked up). */
async function resolvesToLoopbackOnly(host: string): Promise<boolean> {
  if (net.isIP(host) !== 0) return isLoopbackIp(host);
  let addresses: dns.LookupAddress[];
  try {
    addresses = await dns.promises.lookup(host, { all: true });
  } catch (error) {
    throw new Error(`--listen-tcp: cannot resolve "${host}": ${error instanceof Error ? error.message : String(error)}`);
  }
  return addresses.length > 0 && addresses.every((address) => isLoopbackIp(address.address));
}

function readFile(flag: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw new Error(`${flag}: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function loadCredentials(tls: TlsFiles, warnings: string[]): grpc.ServerCredentials {
  const cert = readFile("--tls-cert", tls.certFile);
  const key = readFile("--tls-key", tls.keyFile);
  let certificate: crypto.X509Certificate;
  try {
    certificate = new crypto.X509Certificate(cert);
  } catch (error) {
    throw new Error(`--tls-cert: ${tls.certFile} is not a PEM certificate: ${error instanceof Error ? error.message : String(error)}`);
  }
  let privateKey: crypto.KeyObject;
  try {
    privateKey = crypto.createPrivateKey(key);
  } catch (error) {
    throw new Error(`--tls-key: ${tls.keyFile} is not an unencrypted PEM private key: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!certificate.checkPrivateKey(privateKey)) throw new Error(`--tls-key: ${tls.keyFile} is not the private key of the certificate in ${tls.certFile}`);
  if (Date.parse(certificate.validTo) < Date.now()) warnings.push(`--tls-cert: the certificate in ${tls.certFile} expired on ${certificate.validTo}`);
  if ((fs.statSync(tls.keyFile).mode & 0o077) !== 0) warnings.push(`--tls-key: ${tls.keyFile} is readable by group or others; chmod 600 it`);
  let clientCa: Buffer | null = null;
  if (tls.clientCaFile !== null) {
    clientCa = readFile("--tls-client-ca", tls.clientCaFile);
    try {
      new crypto.X509Certificate(clientCa);
    } catch (error) {
      throw new Error(`--tls-client-ca: ${tls.clientCaFile} is not a PEM certificate: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return grpc.ServerCredentials.createSsl(clientCa, [{ cert_chain: cert, private_key: key }], clientCa !== null);
}

/**
 * Checks the TCP listeners before anything is bound or opened: a host that is not loopback
 * (after resolving names) without TLS is refused; TLS files must be readable, parse, and the
 * key must match the certificate. Throws an Error with the operator-facing message.
 */
export async function prepareTcpListeners(config: ListenerConfig): Promise<PreparedTcp> {
  const warnings: string[] = [];
  const listeners: TcpListenerPlan[] = [];
  for (const address of config.tcp) {
    const loopback = await resolvesToLoopbackOnly(address.host);
    if (!loopback && config.tls === null) {
      throw new Error(
        `--listen-tcp ${formatTcpAddress(address)}: refusing a TCP listener on a non-loopback address without TLS ` +
          "(passwords would cross the network in clear); give --tls-cert and --tls-key, or listen on 127.0.0.1",
      );
    }
    if (config.tls === null) warnings.push(`--listen-tcp ${formatTcpAddress(address)}: plain TCP without TLS (loopback only)`);
    listeners.push({ address, target: formatTcpAddress(address), tls: config.tls !== null, loopback });
  }
  const credentials = config.tls === null ? grpc.ServerCredentials.createInsecure() : loadCredentials(config.tls, warnings);
  return { listeners, credentials, mutualTls: (config.tls?.clientCaFile ?? null) !== null, warnings };
}

/** "host:port", with an IPv6 host in brackets. */
export function formatTcpAddress(address: TcpAddress): string {
  return net.isIPv6(address.host) ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/** Binds `server` on one planned listener; resolves the port actually bound. */
export function bindTcpListener(server: grpc.Server, plan: TcpListenerPlan, credentials: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(plan.target, credentials, (error, port) => (error ? reject(new Error(`cannot listen on ${plan.target}: ${error.message}`)) : resolve(port)));
  });
}
