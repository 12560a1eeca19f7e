//! The parties the hub accepts: exactly those listed in the covenant in force
//! (article 2.3), looked up by OIN.
//!
//! A party joins or leaves when a version that lists it, or no longer does, takes effect
//! (article 13.1): [`PartiesInForce`] is replaced with the covenant in force, so the
//! next call of a joined party's agent or person is accepted and that of a party that
//! left is refused (`not a party`), without a restart.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use treiter_policies::vocab::PartyKind;

use crate::identity::{CertProfileError, IdentityError, Oin};

/// A party to the covenant as the hub knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Party {
    pub oin: Oin,
    pub name: String,
    /// The party kind (article 2.1).
    pub kind: PartyKind,
}

impl Party {
    /// The wire form.
    pub fn to_proto(&self) -> treiter_proto::v1::Party {
        treiter_proto::v1::Party {
            oin: self.oin.to_string(),
            name: self.name.clone(),
            kind: self.kind.as_str().to_owned(),
        }
    }
}

/// A party that an earlier version listed and the version in force no longer does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormerParty {
    pub party: Party,
    /// The first version in force that no longer listed it.
    pub left_with: u32,
}

/// The parties of the covenant in force, by OIN, and those that left it (so that their
/// refusal can say so).
#[derive(Clone, Debug, Default)]
pub struct PartyDirectory {
    by_oin: BTreeMap<Oin, Party>,
    former: BTreeMap<Oin, FormerParty>,
}

impl PartyDirectory {
    /// A directory of these parties. A later duplicate OIN replaces an earlier one; the
    /// covenant's validator refuses duplicates before this is ever reached.
    pub fn new(parties: impl IntoIterator<Item = Party>) -> Self {
        PartyDirectory {
            by_oin: parties.into_iter().map(|p| (p.oin.clone(), p)).collect(),
            former: BTreeMap::new(),
        }
    }

    /// This directory, knowing that `former` parties left (a party listed again is a
    /// party, not a former one).
    pub fn with_former(mut self, former: impl IntoIterator<Item = FormerParty>) -> Self {
        for f in former {
            if !self.by_oin.contains_key(&f.party.oin) {
                self.former.insert(f.party.oin.clone(), f);
            }
        }
        self
    }

    /// The parties that left, in OIN order.
    pub fn former(&self) -> impl Iterator<Item = &FormerParty> {
        self.former.values()
    }

    /// The parties of an encoded covenant.
    pub fn from_covenant(covenant: &treiter_policies::Covenant) -> Result<Self, CertProfileError> {
        let parties = covenant
            .parties()
            .iter()
            .map(|p| {
                Ok(Party {
                    oin: Oin::parse(&p.oin)?,
                    name: p.name.clone(),
                    kind: p.kind,
                })
            })
            .collect::<Result<Vec<_>, CertProfileError>>()?;
        Ok(Self::new(parties))
    }

    /// The party with this OIN, or the article 2.3 refusal (saying so when it left).
    pub fn get(&self, oin: &Oin) -> Result<&Party, IdentityError> {
        self.by_oin
            .get(oin)
            .ok_or_else(|| match self.former.get(oin) {
                Some(f) => IdentityError::FormerParty {
                    oin: oin.clone(),
                    name: f.party.name.clone(),
                    version: f.left_with,
                },
                None => IdentityError::NotAParty { oin: oin.clone() },
            })
    }

    /// The party with this OIN, listed or former: for showing who took part in what the
    /// log or a case holds.
    pub fn named(&self, oin: &Oin) -> Option<&Party> {
        self.by_oin
            .get(oin)
            .or_else(|| self.former.get(oin).map(|f| &f.party))
    }

    /// Every party, in OIN order.
    pub fn iter(&self) -> impl Iterator<Item = &Party> {
        self.by_oin.values()
    }

    pub fn len(&self) -> usize {
        self.by_oin.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_oin.is_empty()
    }
}

/// The party directory of the covenant in force, replaced atomically when a version
/// that changes Annex A takes effect. Readers get a snapshot or an owned [`Party`], so a
/// switch never mixes two directories within one lookup.
#[derive(Debug)]
pub struct PartiesInForce(RwLock<Arc<PartyDirectory>>);

impl PartiesInForce {
    pub fn new(directory: PartyDirectory) -> Self {
        PartiesInForce(RwLock::new(Arc::new(directory)))
    }

    /// A snapshot of the directory in force.
    pub fn current(&self) -> Arc<PartyDirectory> {
        // A poisoned lock still holds a whole Arc: a panic cannot leave half a swap.
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The party with this OIN in the directory in force, or the article 2.3 refusal.
    pub fn get(&self, oin: &Oin) -> Result<Party, IdentityError> {
        self.current().get(oin).cloned()
    }

    /// How many parties the covenant in force lists.
    pub fn len(&self) -> usize {
        self.current().len()
    }

    pub fn is_empty(&self) -> bool {
        self.current().is_empty()
    }

    /// Puts `directory` in force, returning the one it replaces.
    pub fn replace(&self, directory: PartyDirectory) -> Arc<PartyDirectory> {
        let mut slot = self
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        std::mem::replace(&mut *slot, Arc::new(directory))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn party(oin: &str, name: &str) -> Party {
        Party {
            oin: Oin::parse(oin).unwrap(),
            name: name.into(),
            kind: PartyKind::Woningcorporatie,
        }
    }

    #[test]
    fn a_replaced_directory_accepts_the_joined_and_refuses_the_left_party() {
        let old = party("00000004000000000004", "De Gracht");
        let new = party("00000004000000000008", "Nieuw Wonen");
        let parties = PartiesInForce::new(PartyDirectory::new([old.clone()]));
        let snapshot = parties.current();
        parties.get(&new.oin).unwrap_err();
        parties.replace(
            PartyDirectory::new([new.clone()]).with_former([FormerParty {
                party: old.clone(),
                left_with: 3,
            }]),
        );
        assert_eq!(parties.get(&new.oin).unwrap(), new);
        let refused = parties.get(&old.oin).unwrap_err();
        assert!(
            matches!(refused, IdentityError::FormerParty { version: 3, .. }),
            "{refused:?}"
        );
        assert!(
            refused.to_string().contains("no longer a party"),
            "{refused}"
        );
        // A snapshot taken before the switch stays whole.
        assert_eq!(snapshot.get(&old.oin).unwrap(), &old);
        assert_eq!(parties.len(), 1);
    }
}
