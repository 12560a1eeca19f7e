//! The parties as the stored versions list them (articles 2.3 and 13): who is a party
//! of the version in force, who left with a later version, and who any version names.
//!
//! - The directory in force is Annex A of the version in force, plus the parties an
//!   earlier version in force listed and a later one no longer does ("former"), so the
//!   refusal of a party that left says when it left.
//! - The person registry may name persons of any party a stored version lists: of a
//!   party that joins with a proposed version (registered before it takes effect), and
//!   of a party that left (so the registry file need not change on the day it leaves).
//!   Their certificates are refused as long as their party is not in force, because
//!   the party is checked before the person.

use std::collections::BTreeMap;

use treiter_policies::Covenant;

use super::record::{VersionRecord, VersionStatus};
use crate::identity::{CertProfileError, Oin};
use crate::parties::{FormerParty, Party, PartyDirectory};

/// The parties of one covenant, in Annex A order.
pub fn listed(covenant: &Covenant) -> Result<Vec<Party>, CertProfileError> {
    covenant
        .parties()
        .iter()
        .map(|p| {
            Ok(Party {
                oin: Oin::parse(&p.oin)?,
                name: p.name.clone(),
                kind: p.kind,
            })
        })
        .collect()
}

/// What changes for the parties when `new` replaces `old` in force.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PartyChanges {
    /// Listed by `new`, not by `old`.
    pub joined: Vec<Party>,
    /// Listed by `old`, not by `new`.
    pub left: Vec<Party>,
}

impl PartyChanges {
    pub fn between(old: &Covenant, new: &Covenant) -> Result<Self, CertProfileError> {
        let old = listed(old)?;
        let new = listed(new)?;
        let in_old = |p: &Party| old.iter().any(|o| o.oin == p.oin);
        let in_new = |p: &Party| new.iter().any(|n| n.oin == p.oin);
        Ok(PartyChanges {
            joined: new.iter().filter(|p| !in_old(p)).cloned().collect(),
            left: old.iter().filter(|p| !in_new(p)).cloned().collect(),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.joined.is_empty() && self.left.is_empty()
    }
}

/// The stored versions that parse, in increasing order, with whether they were ever in
/// force. A stored text that does not parse is skipped with an error in the log: the
/// hub refuses to start on the one in force elsewhere ([`super::startup`]).
fn parsed(versions: &[VersionRecord]) -> Vec<(bool, Covenant)> {
    versions
        .iter()
        .filter_map(|v| {
            let was_in_force = v.status == VersionStatus::InForce || v.in_force_from_ms.is_some();
            match v.covenant() {
                Ok(c) => Some((was_in_force, c)),
                Err(_) => {
                    tracing::error!(
                        version = v.version,
                        "a stored covenant version does not parse"
                    );
                    None
                }
            }
        })
        .collect()
}

/// The directory in force (module doc): `in_force`'s parties, and those that an earlier
/// version in force listed and `in_force` does not, with the first version in force
/// after they were last listed.
pub fn directory_in_force(
    in_force: &Covenant,
    versions: &[VersionRecord],
) -> Result<PartyDirectory, CertProfileError> {
    let mut last_listed: BTreeMap<Oin, (Party, u32)> = BTreeMap::new();
    let mut was_in_force = Vec::new();
    for (ever, covenant) in parsed(versions) {
        if !ever || covenant.version() > in_force.version() {
            continue;
        }
        was_in_force.push(covenant.version());
        for party in listed(&covenant)? {
            last_listed.insert(party.oin.clone(), (party, covenant.version()));
        }
    }
    let former = last_listed.into_values().filter_map(|(party, last)| {
        was_in_force
            .iter()
            .copied()
            .find(|v| *v > last)
            .map(|left_with| FormerParty { party, left_with })
    });
    Ok(PartyDirectory::new(listed(in_force)?).with_former(former.collect::<Vec<_>>()))
}

/// Every party a stored version lists, or `in_force` does; where versions differ on a
/// party's name or kind, the version in force, or else the highest, has it.
pub fn every_listed(
    in_force: &Covenant,
    versions: &[VersionRecord],
) -> Result<PartyDirectory, CertProfileError> {
    let mut all: BTreeMap<Oin, Party> = BTreeMap::new();
    for (_, covenant) in parsed(versions) {
        for party in listed(&covenant)? {
            all.insert(party.oin.clone(), party);
        }
    }
    for party in listed(in_force)? {
        all.insert(party.oin.clone(), party);
    }
    Ok(PartyDirectory::new(all.into_values()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::IdentityError;
    use treiter_policies::TREITERAANPAK_COVENANT;

    const LIEFLIJK: &str = "00000004000000000005";

    fn lieflijk_line() -> &'static str {
        TREITERAANPAK_COVENANT
            .lines()
            .find(|l| l.contains(LIEFLIJK))
            .expect("the dev covenant lists Stichting Lieflijk Wonen")
    }

    fn version(n: u32, without_lieflijk: bool) -> Covenant {
        let mut text = TREITERAANPAK_COVENANT.replacen("version 1\n", &format!("version {n}\n"), 1);
        if without_lieflijk {
            text = text.replacen(&format!("{}\n", lieflijk_line()), "", 1);
        }
        Covenant::parse("test", &text).unwrap()
    }

    fn record(covenant: &Covenant, status: VersionStatus, was_in_force: bool) -> VersionRecord {
        VersionRecord {
            version: covenant.version(),
            status,
            text: covenant.source().to_owned(),
            sha256: String::new(),
            description: String::new(),
            proposed_at_ms: None,
            proposed_by: None,
            approvals: Vec::new(),
            in_force_from_ms: was_in_force.then_some(1),
            superseded_at_ms: None,
            superseded_by: 0,
        }
    }

    #[test]
    fn a_party_removed_by_a_version_in_force_is_a_former_party_of_that_version() {
        let (v1, v2, v3) = (version(1, false), version(2, false), version(3, true));
        let versions = [
            record(&v1, VersionStatus::Superseded, true),
            record(&v2, VersionStatus::Superseded, true),
            record(&v3, VersionStatus::InForce, true),
        ];
        let directory = directory_in_force(&v3, &versions).unwrap();
        let oin = Oin::parse(LIEFLIJK).unwrap();
        match directory.get(&oin) {
            Err(IdentityError::FormerParty { version, .. }) => assert_eq!(version, 3),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            PartyChanges::between(&v2, &v3).unwrap().left[0].oin,
            oin,
            "v3 removes it"
        );
        // The person registry may still name its persons.
        every_listed(&v3, &versions).unwrap().get(&oin).unwrap();
    }

    #[test]
    fn a_party_of_a_proposal_only_is_no_party_but_its_persons_may_be_registered() {
        let (v1, v2) = (version(1, true), version(2, false));
        let versions = [
            record(&v1, VersionStatus::InForce, true),
            record(&v2, VersionStatus::Proposed, false),
        ];
        let oin = Oin::parse(LIEFLIJK).unwrap();
        let directory = directory_in_force(&v1, &versions).unwrap();
        assert!(matches!(
            directory.get(&oin),
            Err(IdentityError::NotAParty { .. })
        ));
        every_listed(&v1, &versions).unwrap().get(&oin).unwrap();
        let changes = PartyChanges::between(&v1, &v2).unwrap();
        assert_eq!(changes.joined.len(), 1);
        assert!(changes.left.is_empty());
    }
}
