//! Who is calling, as far as the hub accepts it.
//!
//! The certificate profile (OIN in `serialNumber`, person id in `UID`) is read by
//! [`treiter_proto::identity`]; this module adds what only the hub knows: whether the
//! OIN is a party of the covenant in force ([`crate::parties`]), whether the person is
//! in the hub's registry ([`crate::persons`]), and whether the kind of certificate fits
//! the call. Nothing a client sends in a message can change who it is.

pub use treiter_proto::identity::{CertIdentity, CertProfileError, Oin, identity_from_der};

/// Why a caller was refused. Each variant is audited and counted, so each says what was
/// wrong and what the certificate's owner should do.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// The connection carried no client certificate (cannot happen behind the hub's
    /// TLS listener, which requires one; kept so a misconfigured listener fails closed).
    #[error("no client certificate was presented; the hub requires mutual TLS (article 12.1)")]
    NoCertificate,
    /// The certificate does not follow the profile.
    #[error(transparent)]
    Certificate(#[from] CertProfileError),
    /// The OIN is well-formed but no party of the covenant has it.
    #[error("OIN {oin} is not a party to the covenant in force (article 2.3)")]
    NotAParty { oin: Oin },
    /// The OIN was a party, and a version that no longer lists it took effect.
    #[error(
        "OIN {oin} ({name}) is no longer a party to the covenant: version {version} no longer lists it (article 2.3); its certificate is refused from then on"
    )]
    FormerParty {
        oin: Oin,
        name: String,
        version: u32,
    },
    /// A person certificate was used where the party's organisation certificate is
    /// required (the agent link).
    #[error(
        "the agent link requires the party's organisation certificate; this is a person certificate (person {person})"
    )]
    PersonCertificateOnAgentLink { person: String },
    /// An organisation certificate was used where a person must be identified.
    #[error(
        "this call requires a person certificate (with a UID); an organisation certificate of {oin} was presented"
    )]
    OrganisationCertificateForPerson { oin: Oin },
    /// A person certificate names a person the hub's registry does not know.
    #[error(
        "person {person} is not in the hub's person registry; ask the hub's administrator to register them"
    )]
    UnknownPerson { person: String },
    /// The registry places the person at a different party than the certificate does.
    #[error(
        "person {person} is registered for party {registered}, but the certificate is of party {presented}"
    )]
    PartyMismatch {
        person: String,
        registered: Oin,
        presented: Oin,
    },
}
