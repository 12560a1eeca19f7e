-- The hub's state (issue 21): every keyspace of the `Store` trait in one table, so that a
-- batch spanning keyspaces is one transaction. `space` is the keyspace's name as the hub
-- prints it (cases, outbox, ...); `key` and `value` are the bytes the hub's tables
-- write. Sealed keyspaces hold AES-256-GCM ciphertext only: the case keys that open them
-- live in the separate keys database.
CREATE TABLE hub_records (
    space text NOT NULL,
    key bytea NOT NULL,
    value bytea NOT NULL,
    PRIMARY KEY (space, key)
);
