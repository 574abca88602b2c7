// Owns the set-based half of an import: both staging files attached to a connection of the
// accounts database, the plan's counts and first names computed by SELECTs, then (unless a
// dry run) deletes, updates and inserts as INSERT … SELECT / UPDATE … FROM statements in one
// IMMEDIATE transaction, so the per-row work runs inside SQLite, not in JavaScript; and the
// orphan count, which another thread computes meanwhile.
import Database from "better-sqlite3";
import { quoteForMessage } from "../../domain/names";
import {
  REPORTED_NAMES,
  REPORTED_PROBLEMS,
  type ImportLineProblem,
  type ImportOutcome,
  type ImportPlan,
} from "../account-import";
import type { AccountFile } from "../storage";
import { openSqliteDatabase } from "./sqlite-storage";
import { ACCOUNT_COLUMNS } from "./rows";

/** Where the two staging files are (written by import-staging.ts). */
export interface StagingFiles {
  passwd: string;
  shadow: string;
}

const NOW_SQL = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
const P = "passwd_stage.passwd_lines";
const S = "shadow_stage.shadow_lines";
/** An account the plan does not skip as a system account. */
const KEPT = "(@includeSystem = 1 OR p.uid >= @minUid)";
const IS_NEW = "NOT EXISTS (SELECT 1 FROM main.accounts AS a WHERE a.name = p.name)";
/** An account the passwd file does not name, not even on a line with a problem (replace). */
const ABSENT =
  `NOT EXISTS (SELECT 1 FROM ${P} AS p WHERE p.name = a.name) AND ` +
  "NOT EXISTS (SELECT 1 FROM passwd_stage.problems AS q WHERE q.name = a.name)";
/** Existing accounts an import re-places: in the files, not skipped, and not create-only. */
const TOUCHED = `@touchExisting = 1 AND EXISTS (SELECT 1 FROM ${P} AS p WHERE p.name = a.name AND ${KEPT})`;
/** Every account column but the name (the key the merge joins on). */
const FIELDS = ACCOUNT_COLUMNS.filter((column) => column !== "name");
/** The account row a passwd line (p) and its shadow line (s, maybe none) make. */
const JOINED_VALUES =
  "p.passwd_password, p.uid, p.gid, p.gecos, p.home, p.shell, s.line IS NOT NULL, s.hash, s.last_change, s.min_days, " +
  "s.max_days, s.warn_days, s.inactive_days, s.expire_date, s.flag";
const DIFFERS = `(${FIELDS.map((f) => `a.${f}`).join(", ")}) IS NOT (${FIELDS.map((f) => `j.${f}`).join(", ")})`;
const BOOKKEEPING = "@passwdBase + j.pline, j.ptext, @shadowBase + j.sline, j.stext";
const SOURCE_COLUMNS = "passwd_seq, passwd_line, shadow_seq, shadow_line";

/**
 * How a passwd line finds its shadow line: by name, or by entry number when both files
 * list the same names in the same order (the usual case) — one rowid lookup instead of an
 * index search and a row fetch, and then no shadow line can lack its passwd line.
 */
export type Pairing = "name" | "entry";

/** The statements of a merge, for one way of pairing passwd lines with shadow lines. */
function buildStatements(pairing: Pairing) {
  const JOINED = `${P} AS p LEFT JOIN ${S} AS s ON ${pairing === "entry" ? "s.entry = p.entry" : "s.name = p.name"}`;
  /** The staged rows as one relation, for UPDATE … FROM. */
  const JOINED_ROWS =
    `(SELECT p.name AS name, ${JOINED_VALUES.split(", ").map((value, index) => `${value} AS ${FIELDS[index]}`).join(", ")}, ` +
    `p.line AS pline, p.text AS ptext, s.line AS sline, s.text AS stext FROM ${JOINED} WHERE ${KEPT}) AS j`;
  return {
    passwdProblemCount: "SELECT count(*) FROM passwd_stage.problems",
    shadowProblemCount: "SELECT count(*) FROM shadow_stage.problems",
    invalidPasswdNames: "SELECT name FROM passwd_stage.problems WHERE name <> '' ORDER BY line LIMIT @limit",
    systemCount: `SELECT count(*) FROM ${P} AS p WHERE NOT ${KEPT}`,
    systemNames: `SELECT p.name FROM ${P} AS p WHERE NOT ${KEPT} ORDER BY p.entry LIMIT @limit`,
    entryCount: `SELECT count(*) FROM ${P}`,
    anyAccount: "SELECT EXISTS (SELECT 1 FROM main.accounts)",
    createdCount: `SELECT count(*) FROM ${P} AS p WHERE ${KEPT} AND ${IS_NEW}`,
    createdNames: `SELECT p.name FROM ${P} AS p WHERE ${KEPT} AND ${IS_NEW} ORDER BY p.entry LIMIT @limit`,
    updatedCount: `SELECT count(*) FROM ${JOINED_ROWS} JOIN main.accounts AS a ON a.name = j.name WHERE ${DIFFERS}`,
    updatedNames: `SELECT j.name FROM ${JOINED_ROWS} JOIN main.accounts AS a ON a.name = j.name WHERE ${DIFFERS} ORDER BY j.pline LIMIT @limit`,
    deletedCount: `SELECT count(*) FROM main.accounts AS a WHERE ${ABSENT}`,
    deletedNames: `SELECT a.name FROM main.accounts AS a WHERE ${ABSENT} ORDER BY a.id LIMIT @limit`,
    delete: `DELETE FROM main.accounts AS a WHERE ${ABSENT}`,
    passwdBase: `SELECT coalesce(max(a.passwd_seq), 0) FROM main.accounts AS a WHERE a.passwd_seq IS NOT NULL AND NOT (${TOUCHED})`,
    shadowBase: `SELECT coalesce(max(a.shadow_seq), 0) FROM main.accounts AS a WHERE a.shadow_seq IS NOT NULL AND NOT (${TOUCHED})`,
    update:
      `UPDATE main.accounts AS a SET ${FIELDS.map((f) => `${f} = j.${f}`).join(", ")}, (${SOURCE_COLUMNS}) = (${BOOKKEEPING}), ` +
      `updated_at = ${NOW_SQL} FROM ${JOINED_ROWS} WHERE a.name = j.name AND ${DIFFERS}`,
    updateSources:
      `UPDATE main.accounts AS a SET (${SOURCE_COLUMNS}) = (${BOOKKEEPING}) FROM ${JOINED_ROWS} ` +
      `WHERE a.name = j.name AND (${SOURCE_COLUMNS}) IS NOT (${BOOKKEEPING})`,
    insert:
      `INSERT INTO main.accounts (name, ${FIELDS.join(", ")}, ${SOURCE_COLUMNS}) ` +
      `SELECT p.name, ${JOINED_VALUES}, @passwdBase + p.line, p.text, @shadowBase + s.line, s.text FROM ${JOINED} ` +
      `WHERE ${KEPT} AND ${IS_NEW} ORDER BY p.entry`,
  } as const;
}

const STATEMENTS = { name: buildStatements("name"), entry: buildStatements("entry") } as const;
const PROBLEMS_SQL = (file: AccountFile): string => `SELECT line, name, kind, reason, first_line FROM ${file}_stage.problems ORDER BY line LIMIT @limit`;

interface PlanParams {
  minUid: number;
  includeSystem: 0 | 1;
  touchExisting: 0 | 1;
}

interface ProblemRow {
  line: number;
  name: string;
  kind: "invalid" | "duplicate" | "orphan";
  reason: string | null;
  first_line: number | null;
}

/** Shadow lines without a passwd line: how many, and the first REPORTED_PROBLEMS by line. */
export interface OrphanSummary {
  count: number;
  first: Array<{ line: number; name: string }>;
}

/**
 * Count the shadow lines whose name no passwd line has, reading both staging files (run by
 * the shadow worker while the passwd worker merges: it only reads).
 */
export function findOrphans(staging: StagingFiles): OrphanSummary {
  const db = new Database(staging.shadow, { readonly: true, fileMustExist: true });
  try {
    db.prepare("ATTACH DATABASE ? AS passwd_stage").run(staging.passwd);
    const orphan = `FROM main.shadow_lines AS s WHERE NOT EXISTS (SELECT 1 FROM passwd_stage.passwd_lines AS p WHERE p.name = s.name)`;
    const first = db.prepare<[number], { line: number; name: string }>(`SELECT s.line AS line, s.name AS name ${orphan} ORDER BY s.line LIMIT ?`).all(REPORTED_PROBLEMS);
    const count = first.length < REPORTED_PROBLEMS ? first.length : (db.prepare(`SELECT count(*) ${orphan}`).pluck().get() as number);
    return { count, first };
  } finally {
    db.close();
  }
}

/** What a merge gives back: its outcome, and the WAL checkpoint still to run. */
export interface MergeResult {
  outcome: ImportOutcome;
  /**
   * Copy the merge's pages from the WAL into the database file (PASSIVE: it never waits
   * for, nor holds up, other connections), then close the connection. The outcome is
   * durable before this runs; until it has, the WAL holds the pages.
   */
  checkpoint(): void;
}

/** A merge whose writes are done, waiting for the orphan count to commit or roll back. */
export interface PreparedMerge {
  /** Commit (or, when the files have problems and the plan does not skip them, roll back). */
  decide(orphans: OrphanSummary): MergeResult;
  /** Roll back and close (harmless after decide()). */
  close(): void;
}

/**
 * Attach the staging files to a new connection of the accounts database at `databasePath`
 * and carry out `plan` (see ImportPlan) up to its commit: counts and first names come from
 * the same predicates the writes use, so a dry run reports exactly what the real run does on
 * the same accounts. The real run is one BEGIN IMMEDIATE … COMMIT (all or nothing), left
 * open until decide() brings the orphan count (computed meanwhile by findOrphans; none
 * when the files pair up by entry): any problem without skipInvalid rolls it back. The
 * checkpoint a large commit calls for is left to the caller, to run after answering.
 */
export function prepareStagedMerge(databasePath: string, staging: StagingFiles, plan: ImportPlan, pairing: Pairing): PreparedMerge {
  const db = openSqliteDatabase(databasePath);
  try {
    db.pragma("wal_autocheckpoint = 0");
    const attach = db.prepare("ATTACH DATABASE ? AS ?");
    attach.run(staging.passwd, "passwd_stage");
    attach.run(staging.shadow, "shadow_stage");
    // Staging tables are read mostly in order: a small cache each keeps the daemon's memory down.
    db.pragma("passwd_stage.cache_size = -2000");
    db.pragma("shadow_stage.cache_size = -2000");
    const pending = runPlan(db, plan, pairing);
    const close = (): void => {
      if (!db.open) return;
      if (db.inTransaction) db.exec("ROLLBACK");
      db.close();
    };
    return {
      close,
      decide: (orphans) => {
        try {
          const outcome = pending.decide(orphans);
          if (db.inTransaction) db.exec(outcome.committed ? "COMMIT" : "ROLLBACK");
          db.exec("DETACH DATABASE passwd_stage; DETACH DATABASE shadow_stage");
          return {
            outcome,
            checkpoint: () => {
              try {
                if (outcome.committed) db.pragma("wal_checkpoint(PASSIVE)");
              } finally {
                db.close();
              }
            },
          };
        } catch (error) {
          close();
          throw error;
        }
      },
    };
  } catch (error) {
    if (db.inTransaction) db.exec("ROLLBACK");
    db.close();
    throw error;
  }
}

/** The plan carried out inside an open transaction (none when problems settle it already). */
interface PendingPlan {
  decide(orphans: OrphanSummary): ImportOutcome;
}

function runPlan(db: Database.Database, plan: ImportPlan, pairing: Pairing): PendingPlan {
  const params: PlanParams = {
    minUid: plan.minUid,
    includeSystem: plan.includeSystem ? 1 : 0,
    touchExisting: plan.mode === "create-only" ? 0 : 1,
  };
  const count = (sql: string, extra: object = {}): number => db.prepare(sql).pluck().get({ ...params, ...extra }) as number;
  const names = (sql: string, limit: number = REPORTED_NAMES): string[] =>
    limit <= 0 ? [] : (db.prepare(sql).pluck().all({ ...params, limit }) as string[]);

  const SQL = STATEMENTS[pairing];
  const passwdProblems = count(SQL.passwdProblemCount);
  const stagedProblems = passwdProblems + count(SQL.shadowProblemCount);
  const empty = (orphans: OrphanSummary): ImportOutcome => ({
    created: 0,
    updated: 0,
    unchanged: 0,
    skipped: 0,
    deleted: 0,
    createdNames: [],
    updatedNames: [],
    deletedNames: [],
    skippedNames: [],
    problems: readProblems(db, orphans),
    problemCount: stagedProblems + orphans.count,
    committed: false,
  });
  if (stagedProblems > 0 && !plan.skipInvalid) return { decide: empty };

  const outcome: ImportOutcome = empty({ count: 0, first: [] });
  const invalidNames = names(SQL.invalidPasswdNames);
  const system = count(SQL.systemCount);
  outcome.skipped = passwdProblems + system;
  outcome.skippedNames = [...invalidNames, ...names(SQL.systemNames, REPORTED_NAMES - invalidNames.length)];

  // Dry run: one read transaction, so every count sees the same accounts.
  db.exec(plan.dryRun ? "BEGIN DEFERRED" : "BEGIN IMMEDIATE");
  const existing = count(SQL.anyAccount) === 1;
  if (plan.mode === "replace" && existing) {
    outcome.deletedNames = names(SQL.deletedNames);
    outcome.deleted = plan.dryRun ? count(SQL.deletedCount) : db.prepare(SQL.delete).run(params).changes;
  }
  const kept = count(SQL.entryCount) - system;
  outcome.createdNames = names(SQL.createdNames);
  if (plan.mode !== "create-only" && existing) {
    outcome.updatedNames = names(SQL.updatedNames);
    if (plan.dryRun) outcome.updated = count(SQL.updatedCount);
  }
  if (plan.dryRun) {
    outcome.created = existing ? count(SQL.createdCount) : kept;
  } else {
    const bases = existing ? { passwdBase: count(SQL.passwdBase), shadowBase: count(SQL.shadowBase) } : { passwdBase: 0, shadowBase: 0 };
    if (plan.mode !== "create-only" && existing) {
      outcome.updated = db.prepare(SQL.update).run({ ...params, ...bases }).changes;
      db.prepare(SQL.updateSources).run({ ...params, ...bases });
    }
    outcome.created = db.prepare(SQL.insert).run({ ...params, ...bases }).changes;
  }
  outcome.unchanged = kept - outcome.created - outcome.updated;
  return {
    decide: (orphans) => {
      if (orphans.count > 0 && !plan.skipInvalid) return empty(orphans);
      return { ...outcome, problems: readProblems(db, orphans), problemCount: stagedProblems + orphans.count, committed: !plan.dryRun };
    },
  };
}

/**
 * The first REPORTED_PROBLEMS problems, passwd then shadow, by line, with their reasons: the
 * staged ones and the orphans, merged by line.
 */
function readProblems(db: Database.Database, orphans: OrphanSummary): ImportLineProblem[] {
  const problems: ImportLineProblem[] = [];
  for (const file of ["passwd", "shadow"] as const) {
    const limit = REPORTED_PROBLEMS - problems.length;
    if (limit <= 0) break;
    const rows = db.prepare<[{ limit: number }], ProblemRow>(PROBLEMS_SQL(file)).all({ limit });
    if (file === "shadow") {
      rows.push(...orphans.first.map((orphan): ProblemRow => ({ line: orphan.line, name: orphan.name, kind: "orphan", reason: null, first_line: null })));
      rows.sort((a, b) => a.line - b.line);
    }
    for (const row of rows.slice(0, limit)) problems.push({ file, line: row.line, name: row.name, reason: describeProblem(file, row) });
  }
  return problems;
}

function describeProblem(file: AccountFile, row: ProblemRow): string {
  switch (row.kind) {
    case "duplicate":
      return `duplicate ${file} entry for ${quoteForMessage(row.name)}: line ${row.first_line ?? 0} is the one used`;
    case "orphan":
      return `no matching passwd entry for ${quoteForMessage(row.name)}`;
    default:
      return row.reason ?? "invalid line";
  }
}
