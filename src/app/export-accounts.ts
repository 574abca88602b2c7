// Owns Admin.ExportAccounts: every account written back as an /etc/passwd and an /etc/shadow
// file, streamed as chunks (passwd first). Imported lines come back byte for byte while their
// fields are unchanged (the storage keeps that rule); other lines are formatted.
import { formatPasswdLine, formatShadowLine } from "../domain/shadow-format";
import type { AccountFile, ExportRecord, Storage } from "../storage/storage";

/** About how many bytes one chunk carries (a chunk always ends with a whole line). */
export const EXPORT_CHUNK_BYTES = 64 * 1024;

export interface ExportDeps {
  storage: Pick<Storage, "exportAccounts">;
}

/** The next bytes of one file. */
export interface ExportChunk {
  file: AccountFile;
  bytes: Buffer;
}

/** What an export wrote. */
export interface ExportCounts {
  passwdLines: number;
  shadowLines: number;
}

/**
 * The passwd file's chunks, then the shadow file's, each line ending in "\n". Order: the
 * lines of imported files in their files' order, then accounts created since, in creation
 * order (see Storage.exportAccounts). Memory stays constant: pages in, chunks out.
 * `counts`, when given, is filled in as lines are produced.
 */
export async function* exportAccounts(deps: ExportDeps, counts: ExportCounts = { passwdLines: 0, shadowLines: 0 }): AsyncGenerator<ExportChunk, void, undefined> {
  let file: AccountFile = "passwd";
  let text = "";
  for await (const page of deps.storage.exportAccounts()) {
    if (page.file !== file && text !== "") {
      yield { file, bytes: Buffer.from(text, "utf8") };
      text = "";
    }
    file = page.file;
    for (const record of page.records) {
      const line = formatExportLine(page.file, record);
      if (line === null) continue;
      text += `${line}\n`;
      if (file === "passwd") counts.passwdLines++;
      else counts.shadowLines++;
      if (text.length >= EXPORT_CHUNK_BYTES) {
        yield { file, bytes: Buffer.from(text, "utf8") };
        text = "";
      }
    }
  }
  if (text !== "") yield { file, bytes: Buffer.from(text, "utf8") };
}

/** The line of one record: its imported text, or its fields formatted (null: no shadow entry). */
export function formatExportLine(file: AccountFile, record: ExportRecord): string | null {
  if (record.text !== null) return record.text;
  const { account } = record;
  if (file === "passwd") return formatPasswdLine(account);
  return account.shadow === null ? null : formatShadowLine(account.name, account.shadow);
}
