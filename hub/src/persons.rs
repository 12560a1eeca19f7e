//! The hub's own person registry: which person holds which roles, for which party and
//! stadsdeel. It is the only source of roles and stadsdelen: a client never asserts
//! them (article 5.2, design card "identity").
//!
//! The file is TOML, one `[[person]]` table per person:
//! ```toml
//! [[person]]
//! id = "p-gemeente-004"          # the UID in the person's certificate
//! name = "..."                   # display name: shown to callers who see the person; never logged
//! party = "00000001000000000001" # the party's OIN
//! roles = ["stadsdeelregisseur"]
//! stadsdeel = "oost"             # for informatiemakelaar and stadsdeelregisseur
//! ```
//!
//! Role `auditor` (article 5.5 of covenant version 2) is held alone, by a person of a
//! party of kind `gemeente`; it takes effect only while the covenant in force declares
//! it ([`crate::state::Auditor`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use treiter_policies::vocab::{PartyKind, Role, Stadsdeel};

use crate::identity::{IdentityError, Oin};
use crate::parties::PartyDirectory;

/// Roles that only a party of kind `gemeente` can hold (article 5.2). The decision
/// engine enforces this for every share; the registry refuses such a person up front so
/// that a mistake in the registry shows at start-up, not as puzzling refusals later.
const GEMEENTE_ROLES: &[Role] = &[
    Role::Informatiemakelaar,
    Role::Stadsdeelregisseur,
    Role::StedelijkRegisseur,
];

/// Roles bound to one stadsdeel (article 5.3).
const STADSDEEL_ROLES: &[Role] = &[Role::Informatiemakelaar, Role::Stadsdeelregisseur];

/// One registered person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub id: String,
    /// The display name the registry gives, shown to callers who see this person (so
    /// that people appear by name, not by id); never logged.
    pub name: Option<String>,
    pub party: Oin,
    pub roles: Vec<Role>,
    pub stadsdeel: Option<Stadsdeel>,
}

impl Person {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// The registry, by person id.
#[derive(Clone, Debug, Default)]
pub struct PersonRegistry {
    by_id: BTreeMap<String, Person>,
}

/// The registry file could not be used. Messages name the file and the person id (a
/// pseudonymous identifier, not personal data), never names.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("cannot read the person registry {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the person registry {path} is not valid: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("the person registry {path}, person {id}: {problem}")]
    Person {
        path: PathBuf,
        id: String,
        problem: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    #[serde(default)]
    person: Vec<PersonEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PersonEntry {
    id: String,
    #[serde(default)]
    name: Option<String>,
    party: String,
    roles: Vec<String>,
    stadsdeel: Option<String>,
}

impl PersonRegistry {
    /// Loads and checks the registry against the parties of the covenant: every person
    /// belongs to a listed party, holds known roles that its party kind may hold, and
    /// has a stadsdeel exactly when a role needs one.
    pub fn load(path: &Path, parties: &PartyDirectory) -> Result<Self, RegistryError> {
        let text = std::fs::read_to_string(path).map_err(|source| RegistryError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(path, &text, parties)
    }

    /// Parses registry text; `path` is used in messages only.
    pub fn parse(path: &Path, text: &str, parties: &PartyDirectory) -> Result<Self, RegistryError> {
        let file: RegistryFile = toml::from_str(text).map_err(|e| RegistryError::Syntax {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let mut by_id = BTreeMap::new();
        for entry in file.person {
            let problem = |problem: String| RegistryError::Person {
                path: path.to_path_buf(),
                id: entry.id.clone(),
                problem,
            };
            let oin = Oin::parse(&entry.party).map_err(|e| problem(e.to_string()))?;
            let party = parties.get(&oin).map_err(|e| problem(e.to_string()))?;
            if entry.roles.is_empty() {
                return Err(problem(
                    "has no roles; give at least one of article 5.2".into(),
                ));
            }
            let roles = entry
                .roles
                .iter()
                .map(|r| r.parse::<Role>().map_err(|e| problem(e.to_string())))
                .collect::<Result<Vec<_>, _>>()?;
            if let Some(role) = roles.iter().find(|r| GEMEENTE_ROLES.contains(r))
                && party.kind != PartyKind::Gemeente
            {
                return Err(problem(format!(
                    "role '{role}' belongs to a party of kind gemeente, but {} is of kind {} (article 5.2)",
                    party.name, party.kind
                )));
            }
            if roles.contains(&Role::Auditor) {
                // The auditor (art. 5.5 of covenant version 2) reads every party's log
                // entries: one organisation holds that view, the gemeente that runs the
                // approach, and the person holds no other role, so that who verifies
                // the log never acts in a case or on a covenant version.
                if roles.len() > 1 {
                    return Err(problem(
                        "role 'auditor' is held alone: an auditor reads and verifies and holds no role that acts (article 5.5)".into(),
                    ));
                }
                if party.kind != PartyKind::Gemeente {
                    return Err(problem(format!(
                        "role 'auditor' belongs to a party of kind gemeente, but {} is of kind {} (article 5.5)",
                        party.name, party.kind
                    )));
                }
            }
            let stadsdeel = entry
                .stadsdeel
                .as_deref()
                .map(|s| s.parse::<Stadsdeel>().map_err(|e| problem(e.to_string())))
                .transpose()?;
            if stadsdeel.is_none() && roles.iter().any(|r| STADSDEEL_ROLES.contains(r)) {
                return Err(problem(
                    "an informatiemakelaar or stadsdeelregisseur needs a stadsdeel (article 5.3)"
                        .into(),
                ));
            }
            let person = Person {
                id: entry.id.clone(),
                name: entry
                    .name
                    .as_deref()
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(str::to_owned),
                party: oin,
                roles,
                stadsdeel,
            };
            if by_id.insert(entry.id.clone(), person).is_some() {
                return Err(problem("is listed twice".into()));
            }
        }
        Ok(PersonRegistry { by_id })
    }

    /// The person a certificate names, checked against the party it names.
    pub fn resolve(&self, person: &str, presented: &Oin) -> Result<&Person, IdentityError> {
        let found = self
            .by_id
            .get(person)
            .ok_or_else(|| IdentityError::UnknownPerson {
                person: person.to_owned(),
            })?;
        if &found.party != presented {
            return Err(IdentityError::PartyMismatch {
                person: person.to_owned(),
                registered: found.party.clone(),
                presented: presented.clone(),
            });
        }
        Ok(found)
    }

    /// The registered display name of person `id`, or `""` when the registry has none
    /// (or no such person): for replies, never for logs.
    pub fn name_of(&self, id: &str) -> &str {
        self.by_id
            .get(id)
            .and_then(|p| p.name.as_deref())
            .unwrap_or("")
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

/// The person registry in use, replaced when a version that adds a party takes effect
/// (the file is read again then, so that the joined party's persons, registered
/// beforehand, can act without a restart).
#[derive(Debug)]
pub struct PersonsInForce(std::sync::RwLock<std::sync::Arc<PersonRegistry>>);

impl PersonsInForce {
    pub fn new(registry: PersonRegistry) -> Self {
        PersonsInForce(std::sync::RwLock::new(std::sync::Arc::new(registry)))
    }

    /// The registry in use now.
    pub fn current(&self) -> std::sync::Arc<PersonRegistry> {
        // A poisoned lock still holds a whole Arc: a panic cannot leave half a swap.
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// [`PersonRegistry::resolve`] in the registry in use.
    pub fn resolve(&self, person: &str, presented: &Oin) -> Result<Person, IdentityError> {
        self.current().resolve(person, presented).cloned()
    }

    /// [`PersonRegistry::name_of`] in the registry in use.
    pub fn name_of(&self, id: &str) -> String {
        self.current().name_of(id).to_owned()
    }

    pub fn len(&self) -> usize {
        self.current().len()
    }

    pub fn is_empty(&self) -> bool {
        self.current().is_empty()
    }

    /// Puts `registry` in use.
    pub fn replace(&self, registry: PersonRegistry) {
        *self
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = std::sync::Arc::new(registry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parties::Party;

    fn parties() -> PartyDirectory {
        PartyDirectory::new([
            Party {
                oin: Oin::parse("00000001000000000001").unwrap(),
                name: "Gemeente".into(),
                kind: PartyKind::Gemeente,
            },
            Party {
                oin: Oin::parse("00000002000000000002").unwrap(),
                name: "Politie".into(),
                kind: PartyKind::Politie,
            },
        ])
    }

    fn parse(text: &str) -> Result<PersonRegistry, RegistryError> {
        PersonRegistry::parse(Path::new("persons.toml"), text, &parties())
    }

    #[test]
    fn gives_the_registered_name_for_replies() {
        let reg = parse(
            "[[person]]\nid = \"p-1\"\nname = \" Anna Testpersoon \"\nparty = \"00000001000000000001\"\nroles = [\"stadsdeelregisseur\"]\nstadsdeel = \"oost\"\n\n[[person]]\nid = \"p-2\"\nparty = \"00000001000000000001\"\nroles = [\"partnercontact\"]\n",
        )
        .unwrap();
        assert_eq!(reg.name_of("p-1"), "Anna Testpersoon");
        assert_eq!(reg.name_of("p-2"), "");
        assert_eq!(reg.name_of("p-9"), "");
    }

    #[test]
    fn resolves_a_registered_person_for_its_own_party_only() {
        let reg = parse(
            "[[person]]\nid = \"p-1\"\nparty = \"00000001000000000001\"\nroles = [\"stadsdeelregisseur\"]\nstadsdeel = \"oost\"\n",
        )
        .unwrap();
        let gemeente = Oin::parse("00000001000000000001").unwrap();
        let politie = Oin::parse("00000002000000000002").unwrap();
        let p = reg.resolve("p-1", &gemeente).unwrap();
        assert!(p.has_role(Role::Stadsdeelregisseur));
        assert_eq!(p.stadsdeel, Some(Stadsdeel::Oost));
        assert!(matches!(
            reg.resolve("p-1", &politie),
            Err(IdentityError::PartyMismatch { .. })
        ));
        assert!(matches!(
            reg.resolve("p-2", &gemeente),
            Err(IdentityError::UnknownPerson { .. })
        ));
    }

    #[test]
    fn refuses_gemeente_roles_at_other_parties_and_missing_stadsdeel() {
        let err = parse(
            "[[person]]\nid = \"p-1\"\nparty = \"00000002000000000002\"\nroles = [\"informatiemakelaar\"]\nstadsdeel = \"oost\"\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("article 5.2"), "{err}");
        let err = parse(
            "[[person]]\nid = \"p-1\"\nparty = \"00000001000000000001\"\nroles = [\"informatiemakelaar\"]\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("article 5.3"), "{err}");
    }

    #[test]
    fn an_auditor_is_of_a_gemeente_and_holds_no_other_role() {
        let reg = parse(
            "[[person]]\nid = \"p-a\"\nparty = \"00000001000000000001\"\nroles = [\"auditor\"]\n",
        )
        .unwrap();
        let gemeente = Oin::parse("00000001000000000001").unwrap();
        assert!(
            reg.resolve("p-a", &gemeente)
                .unwrap()
                .has_role(Role::Auditor)
        );
        let err = parse(
            "[[person]]\nid = \"p-a\"\nparty = \"00000002000000000002\"\nroles = [\"auditor\"]\n",
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("kind gemeente") && err.to_string().contains("article 5.5"),
            "{err}"
        );
        let err = parse(
            "[[person]]\nid = \"p-a\"\nparty = \"00000001000000000001\"\nroles = [\"auditor\", \"privacy-officer\"]\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("held alone"), "{err}");
    }

    #[test]
    fn refuses_unknown_keys_roles_stadsdelen_and_parties() {
        for (text, needle) in [
            (
                "[[person]]\nid = \"p\"\nparty = \"00000001000000000001\"\nroles = [\"partnercontact\"]\nrole = 1\n",
                "unknown field",
            ),
            (
                "[[person]]\nid = \"p\"\nparty = \"00000001000000000001\"\nroles = [\"baas\"]\n",
                "unknown role 'baas'",
            ),
            (
                "[[person]]\nid = \"p\"\nparty = \"00000001000000000001\"\nroles = [\"partnercontact\"]\nstadsdeel = \"utrecht\"\n",
                "unknown stadsdeel 'utrecht'",
            ),
            (
                "[[person]]\nid = \"p\"\nparty = \"00000009000000000009\"\nroles = [\"partnercontact\"]\n",
                "not a party",
            ),
        ] {
            let err = parse(text).unwrap_err();
            assert!(
                err.to_string().contains(needle),
                "{err} should mention {needle}"
            );
        }
    }
}
