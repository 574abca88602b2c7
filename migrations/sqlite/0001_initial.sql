-- Owns the initial SQLite schema: one row per UNIX account (its passwd fields and, when
-- has_shadow = 1, its shadow fields). NULL in a numeric shadow column is an empty field in
-- the file; it is never folded into -1 or 0. schema_migrations is created by migrate.ts.

-- id is the rowid: it gives creation order (listing is ORDER BY id) and survives renames.
-- Without AUTOINCREMENT the id of the newest row may be reused after it is deleted; that
-- keeps creation order among live rows, which is all listing needs.
CREATE TABLE accounts (
  id              INTEGER PRIMARY KEY,
  name            TEXT    NOT NULL UNIQUE,
  passwd_password TEXT    NOT NULL,
  uid             INTEGER NOT NULL,
  gid             INTEGER NOT NULL,
  gecos           TEXT    NOT NULL,
  home            TEXT    NOT NULL,
  shell           TEXT    NOT NULL,
  has_shadow      INTEGER NOT NULL,
  hash            TEXT,
  last_change     INTEGER,
  min_days        INTEGER,
  max_days        INTEGER,
  warn_days       INTEGER,
  inactive_days   INTEGER,
  expire_date     INTEGER,
  flag            TEXT,
  created_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),

  -- A name is never empty, and no stored text may break a passwd or shadow line. The shell
  -- is the rest of the passwd line (glibc reads it up to the newline): it may hold ':'.
  CONSTRAINT name_nonempty CHECK (name <> ''),
  CONSTRAINT text_no_separator CHECK (
    instr(name, ':') = 0 AND instr(name, char(10)) = 0 AND
    instr(passwd_password, ':') = 0 AND instr(passwd_password, char(10)) = 0 AND
    instr(gecos, ':') = 0 AND instr(gecos, char(10)) = 0 AND
    instr(home, ':') = 0 AND instr(home, char(10)) = 0 AND
    instr(shell, char(10)) = 0 AND
    (hash IS NULL OR (instr(hash, ':') = 0 AND instr(hash, char(10)) = 0)) AND
    (flag IS NULL OR (instr(flag, ':') = 0 AND instr(flag, char(10)) = 0))
  ),
  -- uid_t and gid_t are unsigned 32-bit.
  CONSTRAINT uid_range CHECK (uid BETWEEN 0 AND 4294967295),
  CONSTRAINT gid_range CHECK (gid BETWEEN 0 AND 4294967295),
  -- Shadow numbers are what glibc's parser yields: 32-bit signed (2^31..2^32-1 wrapped).
  CONSTRAINT shadow_numbers_range CHECK (
    (last_change   IS NULL OR last_change   BETWEEN -2147483648 AND 2147483647) AND
    (min_days      IS NULL OR min_days      BETWEEN -2147483648 AND 2147483647) AND
    (max_days      IS NULL OR max_days      BETWEEN -2147483648 AND 2147483647) AND
    (warn_days     IS NULL OR warn_days     BETWEEN -2147483648 AND 2147483647) AND
    (inactive_days IS NULL OR inactive_days BETWEEN -2147483648 AND 2147483647) AND
    (expire_date   IS NULL OR expire_date   BETWEEN -2147483648 AND 2147483647)
  ),
  -- Without a shadow entry every shadow column is NULL; with one, hash and flag are set.
  CONSTRAINT shadow_presence CHECK (
    (has_shadow = 1 AND hash IS NOT NULL AND flag IS NOT NULL) OR
    (has_shadow = 0 AND hash IS NULL AND flag IS NULL AND
     last_change IS NULL AND min_days IS NULL AND max_days IS NULL AND
     warn_days IS NULL AND inactive_days IS NULL AND expire_date IS NULL)
  )
) STRICT;
