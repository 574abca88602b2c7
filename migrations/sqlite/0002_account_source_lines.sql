-- Owns what export needs to give imported files back as they were: where each account's
-- passwd and shadow lines stood in the files of the import that last listed it, and the
-- exact text of a line whenever it differs from the line its fields format to.

-- passwd_seq / shadow_seq: the export order key (the line's place in its file, offset so a
-- later import's lines follow the accounts it did not list). NULL for accounts no import
-- listed: export writes them after the others, in creation order (id).
-- passwd_line / shadow_line: the imported text when it is not what formatting the stored
-- fields gives (leading white space, "+5", an old 5-field shadow line, ...); NULL means
-- "the formatted fields", which is the imported text for every other line.
ALTER TABLE accounts ADD COLUMN passwd_seq INTEGER;
ALTER TABLE accounts ADD COLUMN passwd_line TEXT CHECK (passwd_line IS NULL OR instr(passwd_line, char(10)) = 0);
ALTER TABLE accounts ADD COLUMN shadow_seq INTEGER;
ALTER TABLE accounts ADD COLUMN shadow_line TEXT CHECK (shadow_line IS NULL OR instr(shadow_line, char(10)) = 0);

-- The storage rule, kept by the database so no write path can forget it: a stored line is
-- dropped as soon as a field read from it changes (any UPDATE that does not set the line
-- itself: usermod, passwd, chage, the login re-hash, an import's own replacement). The
-- account keeps its place (seq); export formats its fields from then on.
CREATE TRIGGER accounts_passwd_line_outdated
AFTER UPDATE OF name, passwd_password, uid, gid, gecos, home, shell ON accounts
FOR EACH ROW
WHEN NEW.passwd_line IS NOT NULL AND NEW.passwd_line IS OLD.passwd_line
  AND (NEW.name, NEW.passwd_password, NEW.uid, NEW.gid, NEW.gecos, NEW.home, NEW.shell)
      IS NOT (OLD.name, OLD.passwd_password, OLD.uid, OLD.gid, OLD.gecos, OLD.home, OLD.shell)
BEGIN
  UPDATE accounts SET passwd_line = NULL WHERE id = NEW.id;
END;

CREATE TRIGGER accounts_shadow_line_outdated
AFTER UPDATE OF name, has_shadow, hash, last_change, min_days, max_days, warn_days, inactive_days, expire_date, flag ON accounts
FOR EACH ROW
WHEN NEW.shadow_line IS NOT NULL AND NEW.shadow_line IS OLD.shadow_line
  AND (NEW.name, NEW.has_shadow, NEW.hash, NEW.last_change, NEW.min_days, NEW.max_days,
       NEW.warn_days, NEW.inactive_days, NEW.expire_date, NEW.flag)
      IS NOT (OLD.name, OLD.has_shadow, OLD.hash, OLD.last_change, OLD.min_days, OLD.max_days,
              OLD.warn_days, OLD.inactive_days, OLD.expire_date, OLD.flag)
BEGIN
  UPDATE accounts SET shadow_line = NULL WHERE id = NEW.id;
END;
