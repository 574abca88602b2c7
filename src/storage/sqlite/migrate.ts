// Owns schema migrations for the SQLite backend: forward-only `NNNN_name.sql` files applied
// in order, one transaction each, recorded in schema_migrations. Imports no domain code.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type Database from "better-sqlite3";

/** A migration file name: four digits, an underscore, a snake_case name, `.sql`. */
const MIGRATION_FILE_PATTERN = /^(\d{4})_([a-z0-9]+(?:_[a-z0-9]+)*)\.sql$/;

/** One migration file found on disk. */
export interface MigrationFile {
  version: number;
  /** The file name without its extension, e.g. "0001_initial". */
  name: string;
  path: string;
}

/** What migrate() did. */
export interface MigrateReport {
  /** Versions applied by this call, in order (empty when the schema was current). */
  applied: number[];
  /** The schema version after this call. */
  version: number;
}

/**
 * The folder of SQLite migrations shipped with shadowd: `migrations/sqlite` under the package
 * root, found by walking up from this file (src/storage/sqlite when run from sources,
 * dist/src/storage/sqlite when compiled).
 */
export function findMigrationsDir(startDir: string = __dirname): string {
  let dir = startDir;
  for (;;) {
    const candidate = join(dir, "migrations", "sqlite");
    if (existsSync(join(dir, "package.json")) && existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`no migrations/sqlite folder next to a package.json above ${startDir}`);
    }
    dir = parent;
  }
}

/**
 * The migration files in `dir`, in version order. Throws on a `.sql` file whose name is not
 * `NNNN_name.sql`, on two files with one version, and on versions that do not run 1, 2, 3…
 * without a gap. Files not ending in `.sql` (a README) are ignored.
 */
export function readMigrationFiles(dir: string): MigrationFile[] {
  const files: MigrationFile[] = [];
  for (const fileName of readdirSync(dir)) {
    if (!fileName.endsWith(".sql")) continue;
    const match = MIGRATION_FILE_PATTERN.exec(fileName);
    if (match === null || match[1] === undefined) {
      throw new Error(
        `malformed migration file name '${fileName}' in ${dir}: expected NNNN_snake_case_name.sql`,
      );
    }
    files.push({
      version: Number(match[1]),
      name: fileName.slice(0, -".sql".length),
      path: join(dir, fileName),
    });
  }
  files.sort((a, b) => a.version - b.version);
  files.forEach((file, index) => {
    if (file.version !== index + 1) {
      const previous = files[index - 1];
      throw new Error(
        previous !== undefined && previous.version === file.version
          ? `two migration files for version ${file.version} in ${dir}: ${previous.name}, ${file.name}`
          : `migration versions in ${dir} must run 1, 2, 3… without gaps; found ${file.name} at position ${index + 1}`,
      );
    }
  });
  return files;
}

/**
 * Bring the database schema up to date with the migration files in `dir`.
 *
 * Each pending file runs in its own IMMEDIATE transaction together with its
 * schema_migrations row, so a failing file leaves the schema at the previous version and a
 * second process migrating at the same time waits (busy_timeout) and then skips it.
 * Refuses, changing nothing, when the database records a version the files do not have (a
 * newer shadowd migrated it: downgrades are not supported) or a version whose file name
 * differs (a released migration was renamed).
 *
 * @example
 *   const report = migrate(db, findMigrationsDir());
 */
export function migrate(db: Database.Database, dir: string): MigrateReport {
  const files = readMigrationFiles(dir);
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const selectApplied = db.prepare<[], { version: number; name: string }>(
    "SELECT version, name FROM schema_migrations ORDER BY version",
  );
  const selectOne = db.prepare<[number], { version: number }>(
    "SELECT version FROM schema_migrations WHERE version = ?",
  );
  const insertApplied = db.prepare<[number, string]>(
    "INSERT INTO schema_migrations (version, name, applied_at) " +
      "VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
  );

  const known = new Map(files.map((file) => [file.version, file]));
  const appliedRows = selectApplied.all();
  const appliedVersions = new Set(appliedRows.map((row) => row.version));
  for (const row of appliedRows) {
    const file = known.get(row.version);
    if (file === undefined) {
      const newest = files.at(-1)?.version ?? 0;
      throw new Error(
        `database schema version ${row.version} (${row.name}) is newer than this shadowd knows ` +
          `(latest ${newest}); refusing to downgrade`,
      );
    }
    if (file.name !== row.name) {
      throw new Error(
        `database records migration ${row.version} as '${row.name}' but the file is '${file.name}'`,
      );
    }
  }

  const applyOne = db.transaction((file: MigrationFile): boolean => {
    if (selectOne.get(file.version) !== undefined) return false;
    db.exec(readFileSync(file.path, "utf8"));
    insertApplied.run(file.version, file.name);
    return true;
  });
  const applied: number[] = [];
  for (const file of files) {
    // Take the write lock only for files not yet recorded; applyOne checks again under it.
    if (appliedVersions.has(file.version)) continue;
    if (applyOne.immediate(file)) applied.push(file.version);
  }
  return { applied, version: files.at(-1)?.version ?? 0 };
}
