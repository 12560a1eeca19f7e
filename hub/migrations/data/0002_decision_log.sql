-- The decision log in the data database (issue 21), shared by every hub replica.
--
-- `hub_log_head` is the sequencer and the published tree head in one row: a replica
-- appends entries, or signs a checkpoint, only while it holds this row's lock
-- (SELECT ... FOR UPDATE), so entries get consecutive indices across replicas and one
-- replica at a time signs. `signed` moves only by compare-and-swap on its old value.
-- `origin` and `verifier` are the log's name and public key: a hub with another key is
-- refused.
CREATE TABLE hub_log_head (
    id smallint PRIMARY KEY CHECK (id = 1),
    origin text NOT NULL,
    verifier text NOT NULL,
    appended bigint NOT NULL CHECK (appended >= 0),
    signed bigint NOT NULL CHECK (signed >= 0 AND signed <= appended)
);

-- One row per entry: its canonical bytes (with their salt; article 10.1: no personal
-- data) and the record tag (HMAC-SHA-256 under the record key derived from the log key,
-- as in a segment file), so that `hub log verify` names the first changed entry.
CREATE TABLE hub_log_entries (
    idx bigint PRIMARY KEY CHECK (idx >= 0),
    body bytea NOT NULL,
    tag bytea NOT NULL
);

-- Every signed checkpoint (a C2SP signed note), with the witnesses' cosignatures merged
-- in as they arrive. `changed` grows with every insert and update, so a replica reads
-- only what changed since it last looked.
CREATE SEQUENCE hub_log_checkpoint_changes;
CREATE TABLE hub_log_checkpoints (
    tree_size bigint PRIMARY KEY CHECK (tree_size >= 0),
    note bytea NOT NULL,
    changed bigint NOT NULL DEFAULT nextval('hub_log_checkpoint_changes')
);
CREATE INDEX hub_log_checkpoints_changed ON hub_log_checkpoints (changed);
