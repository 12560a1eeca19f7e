-- The case keys (article 9, crypto-shredding), apart from the data they open so that
-- the two are backed up apart: each case's key wrapped under the hub's master key, the
-- key store's check and id, and the tombstones of shredded cases. Deleting a case's row
-- here deletes the case for every replica and every backup of the data database.
CREATE TABLE hub_case_keys (
    name text PRIMARY KEY,
    value bytea NOT NULL
);
