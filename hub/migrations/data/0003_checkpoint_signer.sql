-- Which hub replica signed each checkpoint (issue 21): the replica id of the signing
-- process (16 hex digits, random per process start; each replica logs it at start as
-- `replica` and names itself by it in the agent links and the relay), written when the
-- checkpoint is published and never changed (merging cosignatures keeps it). An
-- operator follows leader changes with it (`hub log verify` counts the checkpoints per
-- signer). NULL for checkpoints published before this migration, and by a log opened
-- outside a hub replica (tests, tools).
ALTER TABLE hub_log_checkpoints ADD COLUMN signed_by text;
