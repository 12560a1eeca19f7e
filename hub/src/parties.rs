//! The parties the hub accepts: exactly those listed in the covenant in force
//! (article 2.3), looked up by OIN.

use std::collections::BTreeMap;

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

/// The parties of the covenant in force, by OIN.
#[derive(Clone, Debug, Default)]
pub struct PartyDirectory {
    by_oin: BTreeMap<Oin, Party>,
}

impl PartyDirectory {
    /// A directory of these parties. A later duplicate OIN replaces an earlier one; the
    /// covenant's validator refuses duplicates before this is ever reached.
    pub fn new(parties: impl IntoIterator<Item = Party>) -> Self {
        PartyDirectory {
            by_oin: parties.into_iter().map(|p| (p.oin.clone(), p)).collect(),
        }
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

    /// The party with this OIN, or the article 2.3 refusal.
    pub fn get(&self, oin: &Oin) -> Result<&Party, IdentityError> {
        self.by_oin
            .get(oin)
            .ok_or_else(|| IdentityError::NotAParty { oin: oin.clone() })
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
