// Owns the SQLite backend of RelayStore: the relay_grants table (migration 0004) on the
// connection every SQLite store shares (openSqliteDatabase). Grants exist only for existing
// accounts (foreign key, cascading); a grant for an unknown user is skipped.
import type Database from "better-sqlite3";
import { describeUnstorableGrant, type RelayGrant, type RelayStore } from "../relay-store";

interface GrantRow {
  address: string;
  username: string;
  service: string;
  granted_at_ms: number;
  expires_at_ms: number;
}

/** RelayStore on a configured, migrated better-sqlite3 connection (openSqliteDatabase). */
export class SqliteRelayStore implements RelayStore {
  readonly #select: Database.Statement<[string], GrantRow>;
  readonly #putTx: Database.Transaction<(grant: RelayGrant) => boolean>;
  readonly #purgeTx: Database.Transaction<(nowMs: number) => number>;

  constructor(db: Database.Database) {
    this.#select = db.prepare("SELECT address, username, service, granted_at_ms, expires_at_ms FROM relay_grants WHERE address = ?");
    // INSERT ... SELECT ... WHERE EXISTS: a user deleted meanwhile gets no grant (no FK error).
    const upsert = db.prepare<[string, string, string, number, number, string]>(
      "INSERT INTO relay_grants (address, username, service, granted_at_ms, expires_at_ms) " +
        "SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM accounts WHERE name = ?) " +
        "ON CONFLICT (address) DO UPDATE SET username = excluded.username, service = excluded.service, " +
        "granted_at_ms = excluded.granted_at_ms, expires_at_ms = excluded.expires_at_ms",
    );
    const purge = db.prepare<[number]>("DELETE FROM relay_grants WHERE expires_at_ms <= ?");
    this.#putTx = db.transaction(
      (grant: RelayGrant): boolean =>
        upsert.run(grant.address, grant.username, grant.service, grant.grantedAtMs, grant.expiresAtMs, grant.username).changes > 0,
    );
    this.#purgeTx = db.transaction((nowMs: number): number => purge.run(nowMs).changes);
  }

  async putRelayGrant(grant: RelayGrant): Promise<boolean> {
    const reason = describeUnstorableGrant(grant);
    if (reason !== null) throw new RangeError(reason);
    return this.#putTx.immediate(grant);
  }

  async getRelayGrant(address: string): Promise<RelayGrant | null> {
    const row = this.#select.get(address);
    return row === undefined ? null : toGrant(row);
  }

  async purgeRelayGrants(nowMs: number): Promise<number> {
    return this.#purgeTx.immediate(Math.trunc(nowMs));
  }
}

function toGrant(row: GrantRow): RelayGrant {
  return { address: row.address, username: row.username, service: row.service, grantedAtMs: row.granted_at_ms, expiresAtMs: row.expires_at_ms };
}
