// Owns recipient resolution: a local part followed through the aliases table to local
// accounts, with the other targets listed, loops and runaway nesting reported. Pure rules
// over two lookup functions (the caller's storage); no I/O of its own.
import { describeAliasTarget, foldAliasName, type AliasTarget } from "./aliases-format";

/** How many aliases deep resolution follows (the first alias is depth 1). */
export const MAX_ALIAS_DEPTH = 20;

/** What resolution asks of storage. */
export interface RecipientLookups {
  /** The targets of the alias stored under `foldedName`, or null when there is none. */
  aliasTargets(foldedName: string): Promise<readonly AliasTarget[] | null>;
  /** Whether an account with exactly this name exists. */
  accountExists(name: string): Promise<boolean>;
}

/**
 * Why a local target led nowhere: `unknown` (neither an alias nor an account), `loop` (an
 * alias that is already being expanded further up), `too-deep` (past MAX_ALIAS_DEPTH).
 */
export type UnresolvedReason = "unknown" | "loop" | "too-deep";

/** A local target that resolved to no account, as written (`name` or `\name`). */
export interface UnresolvedTarget {
  target: string;
  reason: UnresolvedReason;
}

/** Where mail for a local part goes. Every list is in first-seen order, without repeats. */
export interface RecipientResolution {
  /** The local part names an alias or an account. */
  found: boolean;
  /** Local accounts, by their stored names. */
  accounts: string[];
  /** Commands, files, :include: files and remote addresses (describeAliasTarget), not followed. */
  otherTargets: string[];
  unresolved: UnresolvedTarget[];
}

/**
 * Resolve `localPart` the way Postfix's local(8) (and sendmail) expand aliases:
 * - alias names are looked up folded to lower case; an alias wins over an account of the
 *   same name, except for `\name` targets, which go to the account without alias lookup;
 * - a local name that is no alias is an account when one exists under exactly that name,
 *   else under its lower-case form (Postfix folds every local part; this keeps accounts
 *   with capitals reachable by their exact spelling);
 * - an alias that lists its own name delivers to the account of that name (sendmail's and
 *   Postfix's "found in its own expansion" rule); any other return to an alias that is
 *   still being expanded is a loop, reported as unresolved and not followed;
 * - nesting deeper than `maxDepth` aliases is reported as unresolved (`too-deep`);
 * - an alias reached a second time by another path is not expanded again (its accounts are
 *   listed already), unless it is now reached at a shallower depth;
 * - commands, files, :include: files (never read) and remote addresses are listed as other
 *   targets.
 *
 * @example
 *   // daemon: root; root: alice; alice is an account
 *   await expandRecipient("daemon", lookups) // { found: true, accounts: ["alice"], ... }
 */
export async function expandRecipient(localPart: string, lookups: RecipientLookups, maxDepth: number = MAX_ALIAS_DEPTH): Promise<RecipientResolution> {
  const accounts = new Set<string>();
  const otherTargets = new Set<string>();
  const unresolved = new Map<string, UnresolvedTarget>();
  const shallowestExpansion = new Map<string, number>();
  const onPath = new Set<string>();

  const findAccount = async (name: string): Promise<string | null> => {
    if (await lookups.accountExists(name)) return name;
    const folded = foldAliasName(name);
    if (folded !== name && (await lookups.accountExists(folded))) return folded;
    return null;
  };
  const noteUnresolved = (target: AliasTarget, reason: UnresolvedReason): void => {
    const text = describeAliasTarget(target);
    const key = `${reason}\u0000${text}`;
    if (!unresolved.has(key)) unresolved.set(key, { target: text, reason });
  };
  const deliverToAccount = async (target: AliasTarget & { kind: "local" }, otherwise: UnresolvedReason): Promise<void> => {
    const account = await findAccount(target.name);
    if (account === null) noteUnresolved(target, otherwise);
    else accounts.add(account);
  };

  const expand = async (aliasName: string, targets: readonly AliasTarget[], depth: number): Promise<void> => {
    shallowestExpansion.set(aliasName, depth);
    onPath.add(aliasName);
    for (const target of targets) {
      if (target.kind !== "local") {
        otherTargets.add(describeAliasTarget(target));
        continue;
      }
      if (target.noAlias) {
        await deliverToAccount(target, "unknown");
        continue;
      }
      const key = foldAliasName(target.name);
      if (key === aliasName) {
        await deliverToAccount(target, "loop");
        continue;
      }
      if (onPath.has(key)) {
        noteUnresolved(target, "loop");
        continue;
      }
      const nested = await lookups.aliasTargets(key);
      if (nested === null) {
        await deliverToAccount(target, "unknown");
        continue;
      }
      if (depth + 1 > maxDepth) {
        noteUnresolved(target, "too-deep");
        continue;
      }
      const before = shallowestExpansion.get(key);
      if (before !== undefined && before <= depth + 1) continue;
      await expand(key, nested, depth + 1);
    }
    onPath.delete(aliasName);
  };

  const key = foldAliasName(localPart);
  const topTargets = await lookups.aliasTargets(key);
  if (topTargets === null) {
    const account = await findAccount(localPart);
    return { found: account !== null, accounts: account === null ? [] : [account], otherTargets: [], unresolved: [] };
  }
  await expand(key, topTargets, 1);
  return { found: true, accounts: [...accounts], otherTargets: [...otherTargets], unresolved: [...unresolved.values()] };
}
