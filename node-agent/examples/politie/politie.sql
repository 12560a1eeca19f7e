-- Politie Eenheid Amsterdam, SYNTHETIC: incidents (art. 20 Wpg) per person.
CREATE TABLE incidenten (
    registratienummer TEXT PRIMARY KEY,
    persoon_id        INTEGER NOT NULL REFERENCES personen(persoon_id),
    geregistreerd_op  TEXT NOT NULL,
    datum             TEXT NOT NULL,
    soort             TEXT NOT NULL,
    rol               TEXT NOT NULL,
    locatie           TEXT,
    samenvatting      TEXT,
    opsporing_notitie TEXT   -- investigation information (art. 7.2): never mapped
);
INSERT INTO incidenten VALUES
    ('BVH-2026-0001', 1, '2026-10-30 21:15:00', '2026-10-30', 'bedreiging', 'verdachte', 'Oost', 'synthetische samenvatting', 'synthetisch: loopt'),
    ('BVH-2026-0002', 1, '2026-11-02 08:00:00', '2026-11-01', 'vernieling', 'verdachte', 'Oost', NULL, NULL),
    ('BVH-2026-0003', 2, '2026-10-30 21:20:00', '2026-10-30', 'bedreiging', 'aangever', 'Oost', 'synthetisch', NULL),
    -- Person 5's name holds a digit: the agent cannot pseudonymise it and leaves it out.
    ('BVH-2026-0004', 5, '2026-11-04 12:00:00', '2026-11-04', 'overlast', 'betrokkene', 'Oost', NULL, NULL);
