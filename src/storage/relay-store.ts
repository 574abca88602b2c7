// Owns the contract for POP-before-SMTP relay grants: one grant per client address (the
// latest login from it), read by address and purged once expired. SQLite and memory
// backends implement it.

/** Relay granted to a client address by a successful POP3/IMAP login. */
export interface RelayGrant {
  /** The client address, canonical (app/relay.ts relayAddressKey); never empty. */
  address: string;
  /** The user whose login granted it. */
  username: string;
  /** The service of that login (pop3, imap, ...). */
  service: string;
  /** When the login was answered, ms since the epoch. */
  grantedAtMs: number;
  /** When the grant ends, ms since the epoch; after grantedAtMs. */
  expiresAtMs: number;
}

/**
 * Every backend refuses, with a RangeError and without writing, a grant with an empty
 * address or username, non-integer times, or an expiry not after the grant.
 */
export interface RelayStore {
  /**
   * Store the grant, replacing any grant of the same address. Resolves to false when the
   * backend keeps grants only for existing accounts (SQLite) and the user does not exist.
   */
  putRelayGrant(grant: RelayGrant): Promise<boolean>;
  /** The grant of `address`, expired or not, or null. */
  getRelayGrant(address: string): Promise<RelayGrant | null>;
  /** Delete every grant with expiresAtMs <= nowMs; resolves to how many were deleted. */
  purgeRelayGrants(nowMs: number): Promise<number>;
}

/** Why `grant` cannot be stored, or null (the checks every backend makes before writing). */
export function describeUnstorableGrant(grant: RelayGrant): string | null {
  if (grant.address === "") return "the relay grant's address is empty";
  if (grant.username === "") return "the relay grant's username is empty";
  if (!Number.isSafeInteger(grant.grantedAtMs) || !Number.isSafeInteger(grant.expiresAtMs)) return "relay grant times must be whole milliseconds";
  if (grant.expiresAtMs <= grant.grantedAtMs) return "a relay grant must expire after it is granted";
  return null;
}
