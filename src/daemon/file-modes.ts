// Owns the file permissions the daemon insists on before it opens anything: the state
// directory 0700, the database and its -wal/-shm files 0600 (created that way, refused when
// group or others may read or write them).
import * as fs from "node:fs";

/** The files SQLite keeps for the database at `databasePath` (WAL mode). */
export function databaseFiles(databasePath: string): string[] {
  return [databasePath, `${databasePath}-wal`, `${databasePath}-shm`];
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, "0");
}

/**
 * Creates the state directory with mode 0700 (and missing parents), or checks an existing
 * one: it must be a directory and give group and others no access at all; otherwise this
 * throws with the chmod to run. An existing directory is never changed (it may be shared by
 * mistake, such as /tmp).
 */
export function prepareStateDirectory(stateDir: string): void {
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const stat = fs.statSync(stateDir);
  if (!stat.isDirectory()) throw new Error(`state directory ${stateDir} is not a directory`);
  if ((stat.mode & 0o077) !== 0) {
    throw new Error(
      `state directory ${stateDir} has mode ${octal(stat.mode)}, but it holds the password database and must be 0700 ` +
        `(no access for group or others): run 'chmod 700 ${stateDir}' or choose another --state-dir`,
    );
  }
}

/**
 * Refuses a database whose file, -wal or -shm may be read or written by group or others
 * (password hashes would be exposed, or could be replaced), and creates a missing database
 * file empty with mode 0600 so that SQLite gives the -wal and -shm files the same mode.
 */
export function prepareDatabaseFiles(databasePath: string): void {
  for (const file of databaseFiles(databasePath)) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw error;
    }
    if (!stat.isFile()) throw new Error(`${file} is not a regular file; refusing to open the database`);
    if ((stat.mode & 0o077) !== 0) {
      throw new Error(
        `${file} has mode ${octal(stat.mode)}: group or others may read or write it, and it holds password hashes; ` +
          `run 'chmod 600 ${databaseFiles(databasePath).filter((f) => fs.existsSync(f)).join(" ")}' (after checking who may have copied it) and start again`,
      );
    }
  }
  fs.closeSync(fs.openSync(databasePath, fs.constants.O_CREAT | fs.constants.O_WRONLY, 0o600));
}
