-- Owns the aliases table (newaliases' database): one row per alias, its targets in order in
-- alias_targets. An import replaces both tables whole in one transaction. The table is
-- independent of accounts: a target naming no account is stored as written.

-- id gives file order (listing is ORDER BY id).
CREATE TABLE aliases (
  id   INTEGER PRIMARY KEY,
  -- Folded to lower case (Postfix's and sendmail's case-insensitive alias names). SQLite's
  -- lower() folds ASCII only, so the check holds for every Unicode-folded name.
  name TEXT    NOT NULL UNIQUE,
  -- The line of the imported file that defined the alias.
  line INTEGER NOT NULL,
  CONSTRAINT alias_name_folded CHECK (name <> '' AND name = lower(name)),
  CONSTRAINT alias_line_positive CHECK (line >= 1)
) STRICT;

-- kind: local (a name, followed through the aliases), local-no-alias (sendmail's \name),
-- address (user@domain), command (|command, without the |), file (/path), include
-- (:include:/path, the path).
CREATE TABLE alias_targets (
  alias_id INTEGER NOT NULL REFERENCES aliases (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  kind     TEXT    NOT NULL,
  value    TEXT    NOT NULL,
  PRIMARY KEY (alias_id, position),
  CONSTRAINT alias_target_kind CHECK (kind IN ('local', 'local-no-alias', 'address', 'command', 'file', 'include')),
  CONSTRAINT alias_target_value CHECK (value <> '')
) STRICT, WITHOUT ROWID;
