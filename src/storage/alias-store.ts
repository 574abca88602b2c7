// Owns the contract for the aliases table (newaliases' database): replaced whole and
// atomically by an import, read by name and listed. SQLite and memory backends implement it.
import type { AliasTarget } from "../domain/aliases-format";

/** One stored alias: its folded name, its targets in order, and the line it came from. */
export interface StoredAlias {
  /** Lower case (domain/aliases-format foldAliasName); never empty. */
  name: string;
  /** At least one. */
  targets: AliasTarget[];
  /** The line of the imported file that defined it (1-based). */
  line: number;
}

/**
 * Every backend refuses, with a RangeError and without writing, an alias table it cannot
 * hold: an empty or unfolded name, one name twice, an alias without targets, an empty target
 * text, a line below 1.
 */
export interface AliasStore {
  /** Replace the whole table with `aliases`, in one transaction: all of them or nothing. */
  replaceAliases(aliases: readonly StoredAlias[]): Promise<void>;
  /** The alias stored under `name` (already folded), or null. */
  getAlias(name: string): Promise<StoredAlias | null>;
  /**
   * Every alias in the order of the import (file order). Other calls may run while the
   * caller consumes it; an import meanwhile may or may not be reflected.
   */
  listAliases(): AsyncIterable<StoredAlias>;
  /** Number of aliases. */
  countAliases(): Promise<number>;
}

/** Why `aliases` cannot be stored, or null (the checks every backend makes before writing). */
export function describeUnstorableAliases(aliases: readonly StoredAlias[]): string | null {
  const names = new Set<string>();
  for (const alias of aliases) {
    if (alias.name === "") return "an alias name is empty";
    if (alias.name !== alias.name.toLowerCase()) return `alias name '${alias.name}' is not folded to lower case`;
    if (names.has(alias.name)) return `alias '${alias.name}' is given twice`;
    names.add(alias.name);
    if (!Number.isSafeInteger(alias.line) || alias.line < 1) return `alias '${alias.name}' has line ${alias.line}`;
    if (alias.targets.length === 0) return `alias '${alias.name}' has no targets`;
    for (const target of alias.targets) {
      if (targetText(target) === "") return `alias '${alias.name}' has an empty ${target.kind} target`;
    }
  }
  return null;
}

/** The text a target carries (its name, address, command or path). */
export function targetText(target: AliasTarget): string {
  switch (target.kind) {
    case "local":
      return target.name;
    case "address":
      return target.address;
    case "command":
      return target.command;
    case "file":
    case "include":
      return target.path;
    default: {
      const unreachable: never = target;
      return unreachable;
    }
  }
}
