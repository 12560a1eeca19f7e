//! The demo parties (covenant Annex A) and the synthetic persons who work for them.
//!
//! These tables are the single source for the development certificates and for the
//! hub's demo person registry (`persons.toml`), so a certificate and the registry can
//! never disagree about who belongs to which party.

/// A party of the development covenant (Annex A), as its organisation certificate names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DevParty {
    /// Short name used in file names (`parties/<slug>.pem`) and person ids.
    pub slug: &'static str,
    /// The OIN: 20 ASCII digits, carried in the certificate subject's `serialNumber`.
    pub oin: &'static str,
    /// The party's name as Annex A lists it; also the certificate's `O`.
    pub name: &'static str,
    /// The covenant's `party kind` (article 2.1).
    pub kind: &'static str,
}

/// The seven parties of Annex A, in the order the annex lists them.
pub const PARTIES: &[DevParty] = &[
    DevParty {
        slug: "gemeente",
        oin: "00000001000000000001",
        name: "Gemeente Amsterdam",
        kind: "gemeente",
    },
    DevParty {
        slug: "politie",
        oin: "00000002000000000002",
        name: "Politie Eenheid Amsterdam",
        kind: "politie",
    },
    DevParty {
        slug: "om",
        oin: "00000003000000000003",
        name: "Openbaar Ministerie, Arrondissementsparket Amsterdam",
        kind: "om",
    },
    DevParty {
        slug: "degracht",
        oin: "00000004000000000004",
        name: "Woonstichting De Gracht",
        kind: "woningcorporatie",
    },
    DevParty {
        slug: "lieflijkwonen",
        oin: "00000004000000000005",
        name: "Stichting Lieflijk Wonen",
        kind: "woningcorporatie",
    },
    DevParty {
        slug: "ggd",
        oin: "00000005000000000006",
        name: "GGD Amsterdam",
        kind: "zorgpartner",
    },
    DevParty {
        slug: "amstel",
        oin: "00000005000000000007",
        name: "Zorgcollectief Amstel",
        kind: "zorgpartner",
    },
];

/// A well-formed OIN that belongs to no party: the hub must refuse it itself, because
/// it passes TLS (the `unknown-oin` test certificate carries it).
pub const UNKNOWN_OIN: &str = "00000009000000000009";

/// A synthetic person with a person certificate and an entry in the hub's registry.
///
/// The certificate says only who the person is (UID) and for which party (OIN); the
/// roles and stadsdeel live in the hub's registry alone (covenant art. 5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DevPerson {
    /// `p-<party slug>-<nnn>`; the certificate's UID.
    pub id: &'static str,
    /// An obviously fictional name; the certificate's CN.
    pub name: &'static str,
    /// The slug of the party in [`PARTIES`] this person works for.
    pub party_slug: &'static str,
    /// Recipient roles of covenant art. 5.2.
    pub roles: &'static [&'static str],
    /// The stadsdeel (art. 1.5) an informatiemakelaar or stadsdeelregisseur works in.
    pub stadsdeel: Option<&'static str>,
}

impl DevPerson {
    /// The party this person works for, or `None` if `party_slug` names no party
    /// (a bug in [`PERSONS`]; a unit test guards against it).
    pub fn party(&self) -> Option<&'static DevParty> {
        party_by_slug(self.party_slug)
    }
}

/// Looks up a party of [`PARTIES`] by its slug.
pub fn party_by_slug(slug: &str) -> Option<&'static DevParty> {
    PARTIES.iter().find(|p| p.slug == slug)
}

const fn person(
    id: &'static str,
    name: &'static str,
    party_slug: &'static str,
    roles: &'static [&'static str],
    stadsdeel: Option<&'static str>,
) -> DevPerson {
    DevPerson {
        id,
        name,
        party_slug,
        roles,
        stadsdeel,
    }
}

const INFORMATIEMAKELAAR: &[&str] = &["informatiemakelaar"];
const STADSDEELREGISSEUR: &[&str] = &["stadsdeelregisseur"];
const STEDELIJK_REGISSEUR: &[&str] = &["stedelijk-regisseur"];
const PARTNERCONTACT: &[&str] = &["partnercontact"];
const PRIVACY_OFFICER: &[&str] = &["privacy-officer"];
const AUDITOR: &[&str] = &["auditor"];

/// The demo persons. All names are invented and meant to look it.
///
/// Two informatiemakelaars and two stadsdeelregisseurs in different stadsdelen let tests
/// exercise art. 5.3; the politie partnercontact is `-017` rather than `-010` so that
/// nothing can assume the numbering is uniform across parties.
pub const PERSONS: &[DevPerson] = &[
    // Gemeente recipients of art. 5.2, in two stadsdelen.
    person(
        "p-gemeente-001",
        "Anna Testpersoon",
        "gemeente",
        INFORMATIEMAKELAAR,
        Some("oost"),
    ),
    person(
        "p-gemeente-002",
        "Bram Voorbeeld",
        "gemeente",
        INFORMATIEMAKELAAR,
        Some("west"),
    ),
    person(
        "p-gemeente-003",
        "Carla Proefpersoon",
        "gemeente",
        STADSDEELREGISSEUR,
        Some("west"),
    ),
    person(
        "p-gemeente-004",
        "Daan Demonaam",
        "gemeente",
        STADSDEELREGISSEUR,
        Some("oost"),
    ),
    person(
        "p-gemeente-005",
        "Eva Fictief",
        "gemeente",
        STEDELIJK_REGISSEUR,
        None,
    ),
    // One partnercontact per party.
    person(
        "p-gemeente-010",
        "Frank Verzonnen",
        "gemeente",
        PARTNERCONTACT,
        None,
    ),
    person(
        "p-politie-017",
        "Gerda Nepnaam",
        "politie",
        PARTNERCONTACT,
        None,
    ),
    person("p-om-010", "Hugo Oefendossier", "om", PARTNERCONTACT, None),
    person(
        "p-degracht-010",
        "Ilse Proefhuurder",
        "degracht",
        PARTNERCONTACT,
        None,
    ),
    person(
        "p-lieflijkwonen-010",
        "Joost Testwoning",
        "lieflijkwonen",
        PARTNERCONTACT,
        None,
    ),
    person("p-ggd-010", "Karin Demozorg", "ggd", PARTNERCONTACT, None),
    person(
        "p-amstel-010",
        "Lars Voorbeeldzorg",
        "amstel",
        PARTNERCONTACT,
        None,
    ),
    // One privacy-officer per party (receives no case data, art. 5.2).
    person(
        "p-gemeente-090",
        "Mila Privacytest",
        "gemeente",
        PRIVACY_OFFICER,
        None,
    ),
    person(
        "p-politie-090",
        "Niels Privacytest",
        "politie",
        PRIVACY_OFFICER,
        None,
    ),
    person("p-om-090", "Olga Privacytest", "om", PRIVACY_OFFICER, None),
    person(
        "p-degracht-090",
        "Piet Privacytest",
        "degracht",
        PRIVACY_OFFICER,
        None,
    ),
    person(
        "p-lieflijkwonen-090",
        "Quinta Privacytest",
        "lieflijkwonen",
        PRIVACY_OFFICER,
        None,
    ),
    person(
        "p-ggd-090",
        "Ruben Privacytest",
        "ggd",
        PRIVACY_OFFICER,
        None,
    ),
    person(
        "p-amstel-090",
        "Sanne Privacytest",
        "amstel",
        PRIVACY_OFFICER,
        None,
    ),
    // The auditor (art. 5.5 of covenant version 2): of the gemeente, holding no other
    // role; reads every party's log metadata once a covenant with 5.5 is in force.
    person("p-gemeente-095", "Tess Auditest", "gemeente", AUDITOR, None),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn oins_are_twenty_ascii_digits_and_unique() {
        let mut seen = HashSet::new();
        for p in PARTIES.iter().map(|p| p.oin).chain([UNKNOWN_OIN]) {
            assert_eq!(p.len(), 20, "{p}");
            assert!(p.bytes().all(|b| b.is_ascii_digit()), "{p}");
            assert!(seen.insert(p), "duplicate OIN {p}");
        }
    }

    #[test]
    fn every_person_belongs_to_a_party_and_follows_the_id_scheme() {
        let mut ids = HashSet::new();
        for person in PERSONS {
            assert!(person.party().is_some(), "{}: unknown party", person.id);
            let prefix = format!("p-{}-", person.party_slug);
            let number = person.id.strip_prefix(&prefix).unwrap_or("");
            assert_eq!(number.len(), 3, "{}", person.id);
            assert!(number.bytes().all(|b| b.is_ascii_digit()), "{}", person.id);
            assert!(ids.insert(person.id), "duplicate person id {}", person.id);
        }
    }

    #[test]
    fn every_party_has_a_partnercontact_and_a_privacy_officer() {
        for party in PARTIES {
            for role in ["partnercontact", "privacy-officer"] {
                assert!(
                    PERSONS
                        .iter()
                        .any(|p| p.party_slug == party.slug && p.roles.contains(&role)),
                    "{} has no {role}",
                    party.slug
                );
            }
        }
    }

    #[test]
    fn gemeente_only_roles_stay_with_the_gemeente() {
        // Art. 5.2: these roles belong to parties of kind `gemeente` only.
        for person in PERSONS {
            let gemeente_role = person.roles.iter().any(|r| {
                matches!(
                    *r,
                    "informatiemakelaar" | "stadsdeelregisseur" | "stedelijk-regisseur"
                )
            });
            if gemeente_role {
                assert_eq!(
                    person.party().map(|p| p.kind),
                    Some("gemeente"),
                    "{}",
                    person.id
                );
            }
        }
    }
}
