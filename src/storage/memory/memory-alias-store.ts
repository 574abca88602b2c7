// Owns the in-memory AliasStore for unit tests: an array in file order and a map by name,
// copied in and out so callers cannot change stored state by mutating what they passed or got.
import { describeUnstorableAliases, type AliasStore, type StoredAlias } from "../alias-store";

export class MemoryAliasStore implements AliasStore {
  #aliases: StoredAlias[] = [];
  #byName = new Map<string, StoredAlias>();

  async replaceAliases(aliases: readonly StoredAlias[]): Promise<void> {
    const reason = describeUnstorableAliases(aliases);
    if (reason !== null) throw new RangeError(reason);
    this.#aliases = aliases.map(copyAlias);
    this.#byName = new Map(this.#aliases.map((alias) => [alias.name, alias]));
  }

  async getAlias(name: string): Promise<StoredAlias | null> {
    const alias = this.#byName.get(name);
    return alias === undefined ? null : copyAlias(alias);
  }

  async *listAliases(): AsyncGenerator<StoredAlias, void, undefined> {
    for (const alias of this.#aliases) yield copyAlias(alias);
  }

  async countAliases(): Promise<number> {
    return this.#aliases.length;
  }
}

function copyAlias(alias: StoredAlias): StoredAlias {
  return { name: alias.name, line: alias.line, targets: alias.targets.map((target) => ({ ...target })) };
}
