-- Openbaar Ministerie, SYNTHETIC: criminal cases per suspect.
CREATE TABLE zaken (
    parketnummer   TEXT PRIMARY KEY,
    persoon_id     INTEGER NOT NULL REFERENCES personen(persoon_id),
    ingeschreven   TEXT NOT NULL,
    lopend         TEXT NOT NULL,
    afdoening      TEXT,
    maatregelen    TEXT,
    officier       TEXT     -- internal: never mapped
);
INSERT INTO zaken VALUES
    ('13/123456-26', 1, '2026-11-05', 'ja', 'geen', 'contactverbod', 'mr. Synthetisch');
