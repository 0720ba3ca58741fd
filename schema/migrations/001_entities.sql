-- One row per entity: the Automerge document's bytes beside its materialised JSON, so reads
-- never load a document. Every key starts with user_id so the tables can be distributed by user.
CREATE TABLE IF NOT EXISTS entities (
  user_id      text        NOT NULL,
  entity_id    text        NOT NULL,
  entity_type  text        NOT NULL,
  version      integer     NOT NULL,
  -- The user's change counter when this version was stored; pulls read "cursor > $last".
  cursor       bigint      NOT NULL,
  doc          bytea       NOT NULL,
  data         jsonb       NOT NULL,
  deleted      boolean     NOT NULL DEFAULT false,
  device_id    text        NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, entity_id)
);

CREATE INDEX IF NOT EXISTS entities_user_cursor ON entities (user_id, cursor);

-- A per-user counter taken under its row lock inside the write transaction: commits of one
-- user are ordered by their cursor, so a puller reading "cursor > $last" never skips a change
-- (a global sequence can commit out of order).
CREATE TABLE IF NOT EXISTS user_cursors (
  user_id text   PRIMARY KEY,
  cursor  bigint NOT NULL
);
