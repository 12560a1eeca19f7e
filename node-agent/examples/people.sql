-- SYNTHETIC people shared by every example database. None of them exists; the
-- names, dates and addresses are made up for the demo and the tests. Every example
-- database starts with this table, so the parties' pseudonyms of one person agree.
CREATE TABLE personen (
    persoon_id    INTEGER PRIMARY KEY,
    naam          TEXT NOT NULL,
    geboortedatum TEXT NOT NULL,
    postcode      TEXT NOT NULL,
    huisnummer    TEXT NOT NULL,
    bsn           TEXT               -- never mapped: stays in the partner's database
);
INSERT INTO personen VALUES
    (1, 'Tobias Testdader',          '1980-01-01', '1091 AB', '12',    '000000012'),
    (2, 'Sanne Slachtoffer',         '1975-05-05', '1091 AB', '14-2',  '000000024'),
    (3, 'Mila van der Melder',       '1990-09-09', '1091 AC', '3',     '000000036'),
    (4, 'Jan de Vries-Testpersoon',  '1962-12-24', '1102 CD', '101A',  '000000048'),
    (5, 'Onleesbaar R3cord',         '1970-01-01', '1091 AB', '1',     NULL);
