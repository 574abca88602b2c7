// Owns the per-address failure delay (Dovecot's auth penalty) as LoginHooks: in memory, per
// client address (IPv6 by /48), 2 s doubling to 15 s, decaying, reset by a success, bounded
// in size, trusted networks exempt. Only computes delays: authenticate.ts waits on a timer.
import * as net from "node:net";
import type { LoginEvent, LoginHooks } from "./ports";

export interface AddressPenaltySettings {
  /** The delay after the first failure; it doubles with each further one. */
  baseMs: number;
  /** The largest delay; 0 disables the penalty entirely. */
  maxMs: number;
  /** CIDR networks (or single addresses) never delayed, e.g. a webmail proxy. */
  trustedNetworks: readonly string[];
  /** A quiet period this long (no failure) lowers an address's level by one. */
  decayStepMs?: number;
  /** Addresses remembered at most; the least recently failing are forgotten first. */
  maxTrackedAddresses?: number;
}

/** Dovecot's figures: 2 s, doubling, at most 15 s. */
export const DEFAULT_PENALTY_BASE_MS = 2000;
export const DEFAULT_PENALTY_MAX_MS = 15_000;
/** One level is forgiven per minute without a failure (15 s back to none in 4 minutes). */
export const DEFAULT_PENALTY_DECAY_STEP_MS = 60_000;
/** About 100 bytes each: some megabytes at most, whatever the number of attacking addresses. */
export const DEFAULT_MAX_TRACKED_ADDRESSES = 65_536;

/** The address penalty's hooks plus introspection for status and tests. */
export interface AddressPenalty extends LoginHooks {
  /** The delay an answer to `remoteAddress` would get at `nowMs` (0 = none). */
  delayFor(remoteAddress: string, nowMs: number): number;
  /** Addresses (or /48 networks) currently remembered. */
  trackedAddresses(): number;
}

/** The delay at penalty `level`: 0 at level 0, then base·2^(level−1), capped at `maxMs`. */
export function penaltyDelayMs(level: number, baseMs: number, maxMs: number): number {
  if (level <= 0 || maxMs <= 0) return 0;
  return Math.min(baseMs * 2 ** Math.min(level - 1, 30), maxMs);
}

/** The first level whose delay is the cap: failures beyond it add nothing. */
export function maxPenaltyLevel(baseMs: number, maxMs: number): number {
  let level = 1;
  while (penaltyDelayMs(level, baseMs, maxMs) < maxMs && level < 31) level += 1;
  return level;
}

/** An address in canonical form: IPv4 dotted quad, or IPv6 as 8 groups. */
type ParsedAddress = { family: "ipv4"; text: string } | { family: "ipv6"; groups: number[] };

/** Expand an IPv6 address (no zone, no brackets) into its 8 16-bit groups, or null. */
function expandIpv6(text: string): number[] | null {
  if (!net.isIPv6(text)) return null;
  let body = text.toLowerCase();
  const tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  if (v4?.[1] !== undefined) {
    const octets = v4[1].split(".").map(Number);
    tail.push(((octets[0] ?? 0) << 8) | (octets[1] ?? 0), ((octets[2] ?? 0) << 8) | (octets[3] ?? 0));
    body = body.slice(0, -v4[1].length);
    if (body.endsWith(":") && !body.endsWith("::")) body = body.slice(0, -1);
  }
  const [head = "", rest] = body.split("::");
  const parse = (part: string): number[] => (part === "" ? [] : part.split(":").map((group) => parseInt(group, 16)));
  const left = parse(head);
  const right = [...(rest === undefined ? [] : parse(rest)), ...tail];
  const middle = rest === undefined ? [] : new Array<number>(8 - left.length - right.length).fill(0);
  const groups = rest === undefined ? [...left, ...tail] : [...left, ...middle, ...right];
  return groups.length === 8 ? groups : null;
}

/**
 * Read a client address as frontends send it: a bare IPv4 or IPv6 address, also with
 * brackets, a port (`1.2.3.4:993`, `[::1]:993`) or an IPv6 zone (`fe80::1%eth0`).
 * IPv4-mapped IPv6 (`::ffff:1.2.3.4`) is IPv4. Null when it is no IP address.
 */
export function parseClientAddress(remoteAddress: string): ParsedAddress | null {
  let text = remoteAddress.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed?.[1] !== undefined) text = bracketed[1];
  const withPort = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(text);
  if (withPort?.[1] !== undefined) text = withPort[1];
  text = text.replace(/%.*$/, "");
  if (net.isIPv4(text)) return { family: "ipv4", text };
  const groups = expandIpv6(text);
  if (groups === null) return null;
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    const [high = 0, low = 0] = groups.slice(6);
    return { family: "ipv4", text: `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}` };
  }
  return { family: "ipv6", groups };
}

function ipv6Text(groups: readonly number[]): string {
  return groups.map((group) => group.toString(16)).join(":");
}

/**
 * The key an address is penalised under: the IPv4 address, the IPv6 /48 network (one
 * site, as Dovecot does), or the text itself when it is no IP address. Null for "" (local
 * callers such as `shadowctl auth-test`): never delayed.
 */
export function penaltyKeyOf(remoteAddress: string): string | null {
  if (remoteAddress.trim() === "") return null;
  return keyOfParsed(remoteAddress, parseClientAddress(remoteAddress));
}

function keyOfParsed(remoteAddress: string, parsed: ParsedAddress | null): string {
  if (parsed === null) return `name:${remoteAddress.trim().toLowerCase()}`;
  if (parsed.family === "ipv4") return parsed.text;
  return `${ipv6Text([...parsed.groups.slice(0, 3), 0, 0, 0, 0, 0])}/48`;
}

/** One CIDR network, validated. */
export interface Network {
  family: "ipv4" | "ipv6";
  address: string;
  prefix: number;
}

/** Parse `ADDRESS[/PREFIX]` (IPv4 or IPv6); null when malformed. */
export function parseNetwork(text: string): Network | null {
  const [address = "", prefixText, extra] = text.trim().split("/");
  if (extra !== undefined) return null;
  const family = net.isIPv4(address) ? "ipv4" : net.isIPv6(address) ? "ipv6" : null;
  if (family === null) return null;
  const bits = family === "ipv4" ? 32 : 128;
  if (prefixText === undefined) return { family, address, prefix: bits };
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) return null;
  return { family, address, prefix: Number(prefixText) };
}

/**
 * Parse a comma-separated list of networks (`10.0.0.0/8, ::1`); blanks are ignored.
 * Returns the networks, or the first malformed entry.
 */
export function parseNetworkList(text: string): { ok: true; networks: Network[] } | { ok: false; bad: string } {
  const networks: Network[] = [];
  for (const entry of text.split(",")) {
    if (entry.trim() === "") continue;
    const network = parseNetwork(entry);
    if (network === null) return { ok: false, bad: entry.trim() };
    networks.push(network);
  }
  return { ok: true, networks };
}

interface Entry {
  level: number;
  lastFailureMs: number;
}

/**
 * Create the per-address penalty. An address's level rises by one with each DENIED
 * answer, falls by one per `decayStepMs` without failures, and drops to zero with an OK
 * login. Every answer to an address at level n ≥ 1 is held penaltyDelayMs(n) (by
 * authenticate.ts, on a timer: the event loop and other callers never wait). Addresses in
 * `trustedNetworks`, the empty address and `maxMs` 0 are never delayed.
 *
 * @throws RangeError for a malformed trusted network (config.ts validates first).
 */
export function createAddressPenalty(settings: AddressPenaltySettings): AddressPenalty {
  const { baseMs, maxMs } = settings;
  const decayStepMs = settings.decayStepMs ?? DEFAULT_PENALTY_DECAY_STEP_MS;
  const capacity = settings.maxTrackedAddresses ?? DEFAULT_MAX_TRACKED_ADDRESSES;
  const topLevel = maxPenaltyLevel(baseMs, maxMs);
  const trusted = new net.BlockList();
  for (const text of settings.trustedNetworks) {
    const network = parseNetwork(text);
    if (network === null) throw new RangeError(`not a network: '${text}'`);
    trusted.addSubnet(network.address, network.prefix, network.family);
  }
  /** Insertion order = least recently failing first (an update re-inserts). */
  const entries = new Map<string, Entry>();

  const keyOf = (remoteAddress: string): string | null => {
    if (maxMs <= 0 || remoteAddress.trim() === "") return null;
    const parsed = parseClientAddress(remoteAddress);
    if (parsed !== null && trusted.check(parsed.family === "ipv4" ? parsed.text : ipv6Text(parsed.groups), parsed.family)) return null;
    return keyOfParsed(remoteAddress, parsed);
  };

  const levelAt = (entry: Entry, nowMs: number): number => {
    const quiet = Math.max(0, nowMs - entry.lastFailureMs);
    return Math.max(0, entry.level - Math.floor(quiet / decayStepMs));
  };

  const delayFor = (remoteAddress: string, nowMs: number): number => {
    const key = keyOf(remoteAddress);
    if (key === null) return 0;
    const entry = entries.get(key);
    if (entry === undefined) return 0;
    const level = levelAt(entry, nowMs);
    if (level === 0) entries.delete(key);
    return penaltyDelayMs(level, baseMs, maxMs);
  };

  return {
    answerDelayMs(event: LoginEvent): number {
      return delayFor(event.remoteAddress, event.atMs);
    },
    async onFailure(event: LoginEvent): Promise<void> {
      const key = keyOf(event.remoteAddress);
      if (key === null) return;
      const entry = entries.get(key);
      const level = Math.min((entry === undefined ? 0 : levelAt(entry, event.atMs)) + 1, topLevel);
      entries.delete(key);
      entries.set(key, { level, lastFailureMs: event.atMs });
      while (entries.size > capacity) {
        const oldest = entries.keys().next();
        if (oldest.done === true) break;
        entries.delete(oldest.value);
      }
    },
    async onSuccess(event: LoginEvent): Promise<void> {
      const key = keyOf(event.remoteAddress);
      if (key !== null) entries.delete(key);
    },
    delayFor,
    trackedAddresses: () => entries.size,
  };
}
