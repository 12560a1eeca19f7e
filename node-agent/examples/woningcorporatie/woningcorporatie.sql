-- Woonstichting De Gracht, SYNTHETIC: tenancies and nuisance reports.
CREATE TABLE huurcontracten (
    contractnummer   TEXT PRIMARY KEY,
    persoon_id       INTEGER NOT NULL REFERENCES personen(persoon_id),
    bijgewerkt       TEXT NOT NULL,
    ingangsdatum     TEXT NOT NULL,
    status           TEXT NOT NULL,
    overlastdossier  TEXT NOT NULL,
    achterstand_eur  INTEGER,
    iban             TEXT     -- payment data: never mapped
);
INSERT INTO huurcontracten VALUES
    ('DG-HC-0012', 1, '2026-11-01T09:00:00Z', '2015-04-01', 'actief', 'ja', 450, 'NL00TEST0000000000'),
    ('DG-HC-0014', 2, '2026-11-01T09:00:00Z', '2009-09-01', 'actief', 'nee', 0, 'NL00TEST0000000001');
CREATE TABLE meldingen (
    meldingnummer    TEXT PRIMARY KEY,
    over_persoon     INTEGER NOT NULL REFERENCES personen(persoon_id),
    ontvangen        INTEGER NOT NULL,   -- Unix seconds
    datum            TEXT NOT NULL,
    aard             TEXT NOT NULL,
    locatie          TEXT,
    omschrijving     TEXT,
    melder           TEXT
);
INSERT INTO meldingen VALUES
    ('DG-M-0003', 1, 1790000000, '2026-10-01', 'geluid', 'Oost', 'synthetische melding', 'buurvrouw (synthetisch)');
