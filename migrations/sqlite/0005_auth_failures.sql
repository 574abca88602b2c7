-- Owns the faillock tally: one row per recorded authentication failure of an existing
-- account (pam_faillock's records, kept in SQLite so a restart keeps them). Rows belong to
-- their account: deleting the account deletes them, renaming it carries them along.

CREATE TABLE auth_failures (
  id             INTEGER PRIMARY KEY,
  name           TEXT    NOT NULL REFERENCES accounts (name) ON DELETE CASCADE ON UPDATE CASCADE,
  -- When the failure was answered, ms since the epoch.
  at_ms          INTEGER NOT NULL,
  -- The source pam_faillock records (RHOST, else the service): client address and service.
  remote_address TEXT    NOT NULL,
  service        TEXT    NOT NULL
) STRICT;

-- A name's records in time order (every check and write), and the purge of old records.
CREATE INDEX auth_failures_by_name ON auth_failures (name, at_ms);
CREATE INDEX auth_failures_by_time ON auth_failures (at_ms);

-- Every DENIED login since the database was created, known name or not. Each write of
-- failures also adds to it, so that write costs the same commit whether or not the name is
-- an account (or is locked): its timing cannot tell them apart.
CREATE TABLE auth_failure_totals (
  id       INTEGER PRIMARY KEY CHECK (id = 1),
  failures INTEGER NOT NULL
) STRICT;
INSERT INTO auth_failure_totals (id, failures) VALUES (1, 0);
