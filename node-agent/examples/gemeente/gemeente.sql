-- Gemeente Amsterdam, SYNTHETIC: municipal enforcement and victim support.
CREATE TABLE handhaving (
    zaaknummer   TEXT PRIMARY KEY,
    persoon_id   INTEGER NOT NULL REFERENCES personen(persoon_id),
    vastgelegd   TEXT NOT NULL,
    maatregel    TEXT NOT NULL,
    datum        TEXT NOT NULL,
    status       TEXT NOT NULL,
    behandelaar  TEXT     -- internal: never mapped
);
INSERT INTO handhaving VALUES
    ('GEM-H-0007', 1, '2026-11-10 10:00:00', 'gele-kaart', '2026-11-10', 'opgelegd', 'synthetisch');
CREATE TABLE slachtofferhulp (
    dossier          TEXT PRIMARY KEY,
    persoon_id       INTEGER NOT NULL REFERENCES personen(persoon_id),
    vastgelegd       TEXT NOT NULL,
    impact           TEXT,
    behoeften        TEXT,
    veiligheidsrisico TEXT,
    gespreksverslag  TEXT     -- free text: never mapped
);
INSERT INTO slachtofferhulp VALUES
    ('GEM-S-0009', 2, '2026-11-03', 'hoog', 'rust', 'middel', 'synthetisch verslag');
