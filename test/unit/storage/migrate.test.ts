// Tests migrate(): order, idempotence, refusal of downgrades and malformed file names, one
// transaction per file, and finding the shipped migrations folder.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { findMigrationsDir, migrate, readMigrationFiles } from "../../../src/storage/sqlite/migrate";

const scratch = mkdtempSync(join(tmpdir(), "shadowd-migrate-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

let dirCount = 0;
/** A fresh folder holding `files` (name → SQL). */
function makeDir(files: Record<string, string>): string {
  const dir = join(scratch, `m${dirCount++}`);
  mkdirSync(dir);
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return dir;
}

const THREE = {
  "0001_first.sql": "CREATE TABLE t (a INTEGER);",
  "0002_second.sql": "ALTER TABLE t ADD COLUMN b TEXT; INSERT INTO t VALUES (1, 'one');",
  "0003_third.sql": "CREATE TABLE u AS SELECT a, b FROM t;",
};

function appliedVersions(db: Database.Database): { version: number; name: string }[] {
  return db.prepare<[], { version: number; name: string }>(
    "SELECT version, name FROM schema_migrations ORDER BY version",
  ).all();
}

function tableNames(db: Database.Database): string[] {
  return db
    .prepare<[], string>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
    .pluck()
    .all();
}

describe("migrate", () => {
  it("gives a fresh database every migration, in numeric order, each recorded", () => {
    const db = new Database(":memory:");
    const report = migrate(db, makeDir(THREE));
    assert.deepEqual(report, { applied: [1, 2, 3], version: 3 });
    assert.deepEqual(appliedVersions(db), [
      { version: 1, name: "0001_first" },
      { version: 2, name: "0002_second" },
      { version: 3, name: "0003_third" },
    ]);
    assert.deepEqual(db.prepare("SELECT a, b FROM u").all(), [{ a: 1, b: "one" }]);
    const appliedAt = db.prepare<[], string>("SELECT applied_at FROM schema_migrations").pluck().all();
    for (const at of appliedAt) assert.match(at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("gives a fresh database the shipped schema", () => {
    const db = new Database(":memory:");
    const shipped = readMigrationFiles(findMigrationsDir());
    const report = migrate(db, findMigrationsDir());
    assert.deepEqual(report.applied, shipped.map((file) => file.version));
    assert.ok(tableNames(db).includes("accounts") && tableNames(db).includes("schema_migrations"));
    assert.deepEqual(appliedVersions(db), shipped.map((file) => ({ version: file.version, name: file.name })));
    assert.deepEqual(appliedVersions(db)[0], { version: 1, name: "0001_initial" });
  });

  it("does nothing when run again", () => {
    const db = new Database(":memory:");
    const dir = makeDir(THREE);
    migrate(db, dir);
    const before = db.prepare("SELECT * FROM schema_migrations").all();
    assert.deepEqual(migrate(db, dir), { applied: [], version: 3 });
    assert.deepEqual(db.prepare("SELECT * FROM schema_migrations").all(), before);
    assert.equal(db.prepare("SELECT count(*) FROM t").pluck().get(), 1, "0002's insert ran once");
  });

  it("needs no write lock when the schema is current", () => {
    const path = join(scratch, "current.db");
    const dir = makeDir(THREE);
    const first = new Database(path);
    first.pragma("journal_mode = WAL");
    migrate(first, dir);
    const second = new Database(path, { timeout: 0 });
    first.prepare("BEGIN IMMEDIATE").run();
    assert.deepEqual(migrate(second, dir), { applied: [], version: 3 });
    first.prepare("ROLLBACK").run();
    second.close();
    first.close();
  });

  it("applies only the files added since the last run", () => {
    const db = new Database(":memory:");
    const dir = makeDir({ "0001_first.sql": THREE["0001_first.sql"], "0002_second.sql": THREE["0002_second.sql"] });
    assert.deepEqual(migrate(db, dir).applied, [1, 2]);
    writeFileSync(join(dir, "0003_third.sql"), THREE["0003_third.sql"]);
    assert.deepEqual(migrate(db, dir), { applied: [3], version: 3 });
  });

  it("refuses a database with a version newer than the files, changing nothing", () => {
    const db = new Database(":memory:");
    migrate(db, makeDir(THREE));
    const older = makeDir({ "0001_first.sql": THREE["0001_first.sql"], "0002_second.sql": THREE["0002_second.sql"] });
    const before = tableNames(db);
    assert.throws(() => migrate(db, older), /schema version 3 \(0003_third\) is newer than this shadowd knows \(latest 2\)/);
    assert.deepEqual(tableNames(db), before);
    assert.equal(appliedVersions(db).length, 3);
  });

  it("refuses a database that records another name for a known version", () => {
    const db = new Database(":memory:");
    migrate(db, makeDir(THREE));
    const { "0002_second.sql": second, ...others } = THREE;
    const renamed = makeDir({ ...others, "0002_renamed.sql": second });
    assert.throws(() => migrate(db, renamed), /records migration 2 as '0002_second' but the file is '0002_renamed'/);
  });

  const malformed = [
    "1_first.sql",
    "001_first.sql",
    "00001_first.sql",
    "0001-first.sql",
    "0001_First.sql",
    "0001_.sql",
    "0001_first_.sql",
    "0001_first name.sql",
    "abcd_first.sql",
    "0001first.sql",
  ];
  for (const fileName of malformed) {
    it(`refuses the malformed file name '${fileName}' before touching the database`, () => {
      const db = new Database(":memory:");
      const dir = makeDir({ "0001_first.sql": THREE["0001_first.sql"], [fileName]: "CREATE TABLE x (a);" });
      assert.throws(() => migrate(db, dir), new RegExp(`malformed migration file name '${escapeRegExp(fileName)}'`));
      assert.deepEqual(tableNames(db), []);
    });
  }

  const badSequences: { why: string; files: string[]; message: RegExp }[] = [
    { why: "two files for one version", files: ["0001_a.sql", "0002_b.sql", "0002_c.sql"], message: /two migration files for version 2/ },
    { why: "a gap", files: ["0001_a.sql", "0003_c.sql"], message: /without gaps; found 0003_c/ },
    { why: "a first version other than 1", files: ["0002_b.sql"], message: /without gaps; found 0002_b/ },
    { why: "a version 0", files: ["0000_zero.sql", "0001_a.sql"], message: /without gaps; found 0000_zero/ },
  ];
  for (const { why, files, message } of badSequences) {
    it(`refuses ${why}`, () => {
      const dir = makeDir(Object.fromEntries(files.map((file) => [file, "SELECT 1;"])));
      assert.throws(() => readMigrationFiles(dir), message);
      assert.throws(() => migrate(new Database(":memory:"), dir), message);
    });
  }

  it("ignores files that are not .sql", () => {
    const dir = makeDir({ ...THREE, "README.md": "# notes", "0004_draft.sql.orig": "garbage" });
    assert.deepEqual(
      readMigrationFiles(dir).map((file) => file.name),
      ["0001_first", "0002_second", "0003_third"],
    );
  });

  it("rolls back a failing file entirely and keeps the earlier versions", () => {
    const db = new Database(":memory:");
    const dir = makeDir({
      "0001_first.sql": THREE["0001_first.sql"],
      "0002_broken.sql": "CREATE TABLE half (a INTEGER); INSERT INTO missing VALUES (1);",
      "0003_third.sql": "CREATE TABLE never (a INTEGER);",
    });
    assert.throws(() => migrate(db, dir), /no such table: missing/);
    assert.deepEqual(appliedVersions(db), [{ version: 1, name: "0001_first" }]);
    assert.deepEqual(tableNames(db), ["schema_migrations", "t"]);
  });
});

describe("findMigrationsDir", () => {
  it("finds the shipped migrations/sqlite folder from this compiled file's folder", () => {
    const dir = findMigrationsDir(__dirname);
    assert.match(dir, /[/\\]migrations[/\\]sqlite$/);
    assert.ok(readdirSync(dir).includes("0001_initial.sql"));
    assert.equal(findMigrationsDir(), dir, "the default start is the migrate module's folder");
  });

  it("fails clearly when no package root with migrations is above the start", () => {
    const lonely = makeDir({ "package.json": "{}" });
    assert.ok(existsSync(join(lonely, "package.json")));
    assert.throws(() => findMigrationsDir(lonely), /no migrations\/sqlite folder next to a package\.json above/);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
