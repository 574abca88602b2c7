// Owns the in-memory RelayStore for unit tests: a map from address to grant, copied in and
// out. Unlike SQLite it knows no accounts, so every well-formed grant is stored.
import { describeUnstorableGrant, type RelayGrant, type RelayStore } from "../relay-store";

export class MemoryRelayStore implements RelayStore {
  readonly #grants = new Map<string, RelayGrant>();

  async putRelayGrant(grant: RelayGrant): Promise<boolean> {
    const reason = describeUnstorableGrant(grant);
    if (reason !== null) throw new RangeError(reason);
    this.#grants.set(grant.address, { ...grant });
    return true;
  }

  async getRelayGrant(address: string): Promise<RelayGrant | null> {
    const grant = this.#grants.get(address);
    return grant === undefined ? null : { ...grant };
  }

  async purgeRelayGrants(nowMs: number): Promise<number> {
    let purged = 0;
    for (const [address, grant] of this.#grants) {
      if (grant.expiresAtMs <= nowMs) {
        this.#grants.delete(address);
        purged++;
      }
    }
    return purged;
  }
}
