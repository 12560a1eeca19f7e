-- GGD Amsterdam, SYNTHETIC: care involvement. The table also holds a diagnosis,
-- which the covenant never lets leave (art. 7.1): it is not mapped, so it is never
-- read out of the database.
CREATE TABLE trajecten (
    trajectnummer  TEXT PRIMARY KEY,
    persoon_id     INTEGER NOT NULL REFERENCES personen(persoon_id),
    gestart        TEXT NOT NULL,
    betrokken      TEXT NOT NULL,
    contact        TEXT,
    diagnose       TEXT      -- art. 7.1: never mapped
);
INSERT INTO trajecten VALUES
    ('GGD-T-0005', 1, '2026-09-15', 'ja', 'team Oost', 'synthetische diagnose');
