// Owns the staging file of one import file: its bytes cut into lines, each line judged by
// the domain's classifier (glibc's rules plus import policy), the accepted lines and the
// problems written in bulk to a throw-away SQLite file that import-merge.ts attaches.
import { createHash } from "node:crypto";
import Database from "better-sqlite3";
import { classifyPasswdLine, classifyShadowLine, createLineSplitter, formatPasswdLine, formatShadowLine, nameForProblem } from "../../domain/shadow-format";
import type { AccountFile } from "../storage";

/**
 * The staging schema. `entry` (the rowid) numbers the accepted lines from 1 in file order,
 * so the two files' tables line up row for row when the files list the same names in the
 * same order (import-merge.ts then joins them by rowid); `line` is the 1-based line number;
 * `text` is the line as read when it differs from the line its fields format to.
 * Problems: kind "invalid" (reason set), "duplicate" (first_line is the line used) or
 * "orphan" (a shadow line without a passwd line: found by the merge, never stored).
 */
export const STAGING_SCHEMA: Readonly<Record<AccountFile, string>> = {
  passwd:
    "CREATE TABLE passwd_lines (entry INTEGER PRIMARY KEY, line INTEGER NOT NULL, name TEXT NOT NULL, passwd_password TEXT NOT NULL, uid INTEGER NOT NULL, " +
    "gid INTEGER NOT NULL, gecos TEXT NOT NULL, home TEXT NOT NULL, shell TEXT NOT NULL, text TEXT)",
  shadow:
    "CREATE TABLE shadow_lines (entry INTEGER PRIMARY KEY, line INTEGER NOT NULL, name TEXT NOT NULL, hash TEXT NOT NULL, last_change INTEGER, min_days INTEGER, " +
    "max_days INTEGER, warn_days INTEGER, inactive_days INTEGER, expire_date INTEGER, flag TEXT NOT NULL, text TEXT)",
};
const PROBLEMS_SCHEMA = "CREATE TABLE problems (line INTEGER NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, reason TEXT, first_line INTEGER)";
const COLUMN_COUNT: Readonly<Record<AccountFile, number>> = { passwd: 10, shadow: 12 };
const TABLE: Readonly<Record<AccountFile, string>> = { passwd: "passwd_lines", shadow: "shadow_lines" };

/** Rows bound per INSERT: one statement for many rows costs measurably less per row. */
const ROWS_PER_INSERT = 32;

/** What staging found in one file. */
export interface StagingSummary {
  lines: number;
  /** Accepted lines (duplicates included). */
  entries: number;
  /** Refused lines (duplicates not included: index() finds those). */
  problems: number;
  /**
   * SHA-256 of the accepted lines' names in file order: two files with the same digest and
   * entry count list the same names in the same order, so their rows pair up by entry.
   */
  namesDigest: string;
}

/** Writes one file's lines into its staging file; see createStagingWriter. */
export interface StagingWriter {
  /** The next bytes of the file (cut anywhere). */
  push(bytes: Uint8Array): void;
  /** The end of the file: the last line, and everything committed. */
  end(): StagingSummary;
  /**
   * Index the names (after end()), turn every later line of a name into a "duplicate"
   * problem, and close. Returns how many duplicates there were.
   */
  index(): number;
  /** Close (without indexing; the caller may delete the file). */
  close(): void;
}

/**
 * A staging writer for `file` into a new SQLite database at `path` (an empty or missing file).
 * The file has no journal and is never synced: it is thrown away after the import, and an
 * interrupted import leaves only garbage for the next start to delete.
 */
export function createStagingWriter(path: string, file: AccountFile): StagingWriter {
  const db = new Database(path);
  try {
    db.pragma("journal_mode = OFF");
    db.pragma("synchronous = OFF");
    db.pragma("cache_size = -8000");
    db.exec(STAGING_SCHEMA[file]);
    db.exec(PROBLEMS_SCHEMA);
    db.exec("BEGIN");
  } catch (error) {
    db.close();
    throw error;
  }
  const table = TABLE[file];
  const width = COLUMN_COUNT[file];
  const oneRow = `(${Array.from({ length: width }, () => "?").join(", ")})`;
  const insertMany = db.prepare(`INSERT INTO ${table} VALUES ${Array.from({ length: ROWS_PER_INSERT }, () => oneRow).join(", ")}`);
  const insertOne = db.prepare(`INSERT INTO ${table} VALUES ${oneRow}`);
  const insertProblem = db.prepare<[number, string, string]>("INSERT INTO problems (line, name, kind, reason) VALUES (?, ?, 'invalid', ?)");
  const splitter = createLineSplitter();
  const params: Array<string | number | null> = new Array<string | number | null>(width * ROWS_PER_INSERT);
  let filled = 0;
  let line = 0;
  let entries = 0;
  let problems = 0;
  const digest = createHash("sha256");
  let names = "";

  const flush = (): void => {
    for (let start = 0; start < filled; start += width) insertOne.run(params.slice(start, start + width));
    filled = 0;
  };
  const stageLine = file === "passwd"
    ? (text: string): void => {
        const verdict = classifyPasswdLine(text);
        if ("skip" in verdict) return;
        if (!verdict.ok) {
          problems++;
          insertProblem.run(line, nameForProblem(text), verdict.reason);
          return;
        }
        const entry = verdict.entry;
        params[filled++] = ++entries;
        params[filled++] = line;
        params[filled++] = entry.name;
        names += `${entry.name}\n`;
        params[filled++] = entry.passwdPassword;
        params[filled++] = entry.uid;
        params[filled++] = entry.gid;
        params[filled++] = entry.gecos;
        params[filled++] = entry.home;
        params[filled++] = entry.shell;
        params[filled++] = formatPasswdLine(entry) === text ? null : text;
        if (filled === params.length) {
          insertMany.run(params);
          filled = 0;
        }
      }
    : (text: string): void => {
        const verdict = classifyShadowLine(text);
        if ("skip" in verdict) return;
        if (!verdict.ok) {
          problems++;
          insertProblem.run(line, nameForProblem(text), verdict.reason);
          return;
        }
        const { name, fields } = verdict.entry;
        params[filled++] = ++entries;
        params[filled++] = line;
        params[filled++] = name;
        names += `${name}\n`;
        params[filled++] = fields.hash;
        params[filled++] = fields.lastChange;
        params[filled++] = fields.minDays;
        params[filled++] = fields.maxDays;
        params[filled++] = fields.warnDays;
        params[filled++] = fields.inactiveDays;
        params[filled++] = fields.expireDate;
        params[filled++] = fields.flag;
        params[filled++] = formatShadowLine(name, fields) === text ? null : text;
        if (filled === params.length) {
          insertMany.run(params);
          filled = 0;
        }
      };
  const take = (lines: string[]): void => {
    for (const text of lines) {
      line++;
      stageLine(text);
    }
    digest.update(names);
    names = "";
  };

  return {
    push: (bytes) => take(splitter.push(bytes)),
    end: () => {
      try {
        take(splitter.end());
        flush();
        db.exec("COMMIT");
        return { lines: line, entries, problems, namesDigest: digest.digest("hex") };
      } catch (error) {
        db.close();
        throw error;
      }
    },
    index: () => {
      try {
        db.pragma("threads = 2");
        // Names are usually unique: a UNIQUE index proves it while it is built; only when it
        // cannot be built are duplicates looked for (first wins, as getpwnam()/getspnam():
        // every later line of a name is a problem).
        let duplicates = 0;
        try {
          db.exec(`CREATE UNIQUE INDEX ${table}_name ON ${table} (name)`);
        } catch (error) {
          if (!(error instanceof Database.SqliteError && error.code === "SQLITE_CONSTRAINT_UNIQUE")) throw error;
          db.exec(`CREATE INDEX ${table}_name ON ${table} (name)`);
          duplicates = db
            .prepare(
              `INSERT INTO problems (line, name, kind, first_line) SELECT l.line, l.name, 'duplicate', d.first FROM ` +
                `(SELECT name, min(line) AS first FROM ${table} GROUP BY name HAVING count(*) > 1) AS d ` +
                `JOIN ${table} AS l ON l.name = d.name AND l.line > d.first`,
            )
            .run().changes;
          db.exec(`DELETE FROM ${table} WHERE line IN (SELECT line FROM problems WHERE kind = 'duplicate')`);
        }
        db.exec("CREATE INDEX problems_name ON problems (name)");
        return duplicates;
      } finally {
        db.close();
      }
    },
    close: () => {
      if (db.open) db.close();
    },
  };
}
