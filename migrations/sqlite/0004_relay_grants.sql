-- Owns POP-before-SMTP relay grants: one row per client address, written by a successful
-- POP3/IMAP login and read by CheckRelay. Rows belong to the account that logged in:
-- deleting the account revokes its grants, renaming it carries them along.

CREATE TABLE relay_grants (
  -- The client address, canonical (IPv4 dotted quad, IPv6 as 8 hex groups, else lower case).
  address       TEXT    PRIMARY KEY,
  username      TEXT    NOT NULL REFERENCES accounts (name) ON DELETE CASCADE ON UPDATE CASCADE,
  -- The service of the login (pop3, imap, ...).
  service       TEXT    NOT NULL,
  -- When the login was answered and when the grant ends, ms since the epoch.
  granted_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  CONSTRAINT relay_address_nonempty CHECK (address <> ''),
  CONSTRAINT relay_expiry_after_grant CHECK (expires_at_ms > granted_at_ms)
) STRICT;

-- The purge of expired grants, and the cascades from accounts.
CREATE INDEX relay_grants_by_expiry ON relay_grants (expires_at_ms);
CREATE INDEX relay_grants_by_username ON relay_grants (username);
