// Owns POP-before-SMTP: a LoginHooks.onSuccess that grants relay to the client address of
// a successful POP3/IMAP login for the relay TTL, Auth.CheckRelay's answer, and the purge
// of expired grants. Grants live in a RelayStore, so they survive a restart.
import { parseClientAddress } from "./address-penalty";
import type { AppLogger, Clock, LoginEvent, LoginHooks } from "./ports";
import type { RelayStore } from "../storage/relay-store";

/** --relay-ttl's default: 10 minutes, as SEMANTICS.md says. */
export const DEFAULT_RELAY_TTL_SECONDS = 600;
/** How often the daemon purges expired grants. */
export const RELAY_PURGE_INTERVAL_MS = 60_000;

/**
 * The services whose logins grant relay, compared in lower case: the names mail-reading
 * frontends pass (Dovecot: pop3, imap, also over TLS; Cyrus: pop, imap; Courier: pop3,
 * imap; some setups name the TLS ports pop3s/imaps or say imap4). Submission, smtp, sieve
 * and anything else never grant relay: POP-before-SMTP is for clients that read mail.
 */
export const RELAY_GRANTING_SERVICES: ReadonlySet<string> = new Set(["pop", "pop3", "pop3s", "imap", "imaps", "imap4"]);

export interface RelayDeps {
  relays: RelayStore;
  clock: Clock;
  logger: AppLogger;
  /** How long a grant lasts, ms; 0 disables POP-before-SMTP (no grants, CheckRelay always no). */
  ttlMs: number;
}

/** CheckRelay's answer. */
export interface RelayAnswer {
  allowed: boolean;
  /** The user whose login granted it ("" when not allowed). */
  username: string;
  /** When the grant ends, ms since the epoch (0 when not allowed). */
  expiresAtMs: number;
}

/** POP-before-SMTP as login hooks, plus what CheckRelay and the daemon's purge timer use. */
export interface Relay extends LoginHooks {
  /** May `remoteAddress` relay now? */
  checkRelay(remoteAddress: string): Promise<RelayAnswer>;
  /** Delete expired grants; resolves to how many (0 on a storage error, which is logged). */
  purgeExpired(): Promise<number>;
}

/** Whether a login to `service` grants relay (RELAY_GRANTING_SERVICES). */
export function grantsRelay(service: string): boolean {
  return RELAY_GRANTING_SERVICES.has(service.trim().toLowerCase());
}

/**
 * The key a client address is granted and checked under, so a POP3 login seen as
 * `::ffff:192.0.2.7` (a dual-stack socket) matches the SMTP client `192.0.2.7`: an IP
 * address loses brackets, port and zone, IPv4-mapped IPv6 becomes IPv4, IPv6 becomes its 8
 * hex groups; any other text is compared trimmed and in lower case. Null for "" (local
 * callers, which never get a grant).
 */
export function relayAddressKey(remoteAddress: string): string | null {
  const text = remoteAddress.trim();
  if (text === "") return null;
  const parsed = parseClientAddress(text);
  if (parsed === null) return text.toLowerCase();
  return parsed.family === "ipv4" ? parsed.text : parsed.groups.map((group) => group.toString(16)).join(":");
}

const NOT_ALLOWED: RelayAnswer = { allowed: false, username: "", expiresAtMs: 0 };

/**
 * POP-before-SMTP. onSuccess runs for every OK Authenticate (the min-uid and root rules have
 * already refused system accounts); it grants relay when the service reads mail and the
 * frontend gave a client address, and it stores the grant before the login's answer leaves,
 * so a client that sends mail right after reading it is already allowed. A later login from
 * the same address replaces the grant (its user, a new expiry). A storage error is logged
 * and never fails the login.
 */
export function createRelay(deps: RelayDeps): Relay {
  const { relays, clock, logger, ttlMs } = deps;
  const enabled = ttlMs > 0;
  return {
    async onSuccess(event: LoginEvent): Promise<void> {
      if (!enabled || !grantsRelay(event.service)) return;
      const address = relayAddressKey(event.remoteAddress);
      if (address === null) return;
      const grantedAtMs = Math.trunc(event.atMs);
      try {
        const stored = await relays.putRelayGrant({ address, username: event.username, service: event.service, grantedAtMs, expiresAtMs: grantedAtMs + ttlMs });
        if (stored) logger.debug({ user: event.username, rhost: address, service: event.service, ttlMs }, "relay granted (POP-before-SMTP)");
      } catch (error) {
        logger.warn({ user: event.username, rhost: address, err: error instanceof Error ? error.message : String(error) }, "cannot store the relay grant; this login grants no relay");
      }
    },
    async checkRelay(remoteAddress: string): Promise<RelayAnswer> {
      if (!enabled) return NOT_ALLOWED;
      const address = relayAddressKey(remoteAddress);
      if (address === null) return NOT_ALLOWED;
      const grant = await relays.getRelayGrant(address);
      if (grant === null || grant.expiresAtMs <= clock.nowMs()) return NOT_ALLOWED;
      return { allowed: true, username: grant.username, expiresAtMs: grant.expiresAtMs };
    },
    async purgeExpired(): Promise<number> {
      try {
        const purged = await relays.purgeRelayGrants(clock.nowMs());
        if (purged > 0) logger.debug({ purged }, "purged expired relay grants");
        return purged;
      } catch (error) {
        logger.warn({ err: error instanceof Error ? error.message : String(error) }, "cannot purge expired relay grants");
        return 0;
      }
    },
  };
}
