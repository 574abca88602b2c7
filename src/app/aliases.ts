// Owns Admin.ImportAliases (aliases(5) bytes in, a report out; the table is replaced whole,
// or not at all) and Auth.ResolveRecipient (domain/resolve-recipient over the alias store
// and the accounts).
import { createAliasesReader, type AliasEntry, type AliasReadResult } from "../domain/aliases-format";
import { expandRecipient, type RecipientResolution } from "../domain/resolve-recipient";
import { createLineSplitter } from "../domain/shadow-format";
import type { AliasStore } from "../storage/alias-store";
import type { ImportProblem } from "./import-accounts";
import type { Storage } from "./ports";

export interface AliasDeps {
  storage: Pick<Storage, "getAccount">;
  aliases: AliasStore;
}

/** What ImportAliases reports. */
export interface AliasImportReport {
  /** Aliases stored: every alias read when committed, else 0. */
  aliases: number;
  /** The first REPORTED_ALIAS_PROBLEMS problems, by line; `file` is always ALIASES_FILE_LABEL. */
  problems: ImportProblem[];
  /** True when the table was replaced. */
  committed: boolean;
  /** How many problems the file had. */
  problemCount: number;
}

/** How many problems a report lists (a broken file must not make a report too large to send). */
export const REPORTED_ALIAS_PROBLEMS = 1000;

/** The `file` of every alias import problem (the client knows which file it sent). */
export const ALIASES_FILE_LABEL = "aliases";

/**
 * Import an aliases(5) file, like newaliases: parsed as its chunks arrive (chunks may be cut
 * anywhere, even inside a UTF-8 sequence), then, only if there was no problem at all, the
 * whole table is replaced in one transaction. Any problem leaves the old table as it was.
 * A failing `chunks` iterator (a cancelled stream) rejects and writes nothing.
 */
export async function importAliases(deps: AliasDeps, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<AliasImportReport> {
  const splitter = createLineSplitter();
  const reader = createAliasesReader();
  const aliases: AliasEntry[] = [];
  const problems: ImportProblem[] = [];
  let problemCount = 0;
  const take = (results: AliasReadResult[]): void => {
    for (const result of results) {
      if (result.kind === "alias") aliases.push(result.alias);
      else if (++problemCount <= REPORTED_ALIAS_PROBLEMS) problems.push({ file: ALIASES_FILE_LABEL, ...result.problem });
    }
  };
  for await (const chunk of chunks) {
    for (const line of splitter.push(chunk)) take(reader.push(line));
  }
  for (const line of splitter.end()) take(reader.push(line));
  take(reader.end());
  if (problemCount > 0) return { aliases: 0, problems, committed: false, problemCount };
  await deps.aliases.replaceAliases(aliases);
  return { aliases: aliases.length, problems, committed: true, problemCount };
}

/**
 * Where mail for `localPart` goes: through the aliases to local accounts, other targets
 * listed (see expandRecipient for the rules).
 */
export async function resolveRecipient(deps: AliasDeps, localPart: string): Promise<RecipientResolution> {
  return expandRecipient(localPart, {
    aliasTargets: async (name) => (await deps.aliases.getAlias(name))?.targets ?? null,
    accountExists: async (name) => (await deps.storage.getAccount(name)) !== null,
  });
}
