//! Writes a DEVELOPMENT public-key infrastructure for the Treiteraanpak hub: a root CA,
//! an organisation certificate per demo party, a person certificate per demo person, the
//! hub's server certificate, the root's CRL, the hub's demo person registry and, on
//! request, deliberately broken certificates for the refusal tests.
//!
//! Identity in the hub comes only from mTLS certificates (covenant art. 2.2): a party is
//! the OIN in its organisation certificate's subject `serialNumber`; a person
//! certificate adds the person's id as `UID`. This crate produces certificates that
//! follow those conventions, for development and tests only. Its keys are unprotected
//! files and its CA is trusted by nobody else; never use it for a real deployment.
//!
//! # Layout
//! - [`parties`]: the demo parties of covenant Annex A and the synthetic persons.
//! - [`layout`]: where each file of the PKI lives ([`Layout`], [`TestCert`]).
//! - `ca`: the root CA, the "other" CA for the wrong-CA test, and the CRL.
//! - `issue`: organisation, person, hub and test leaf certificates, and serials.
//! - `registry`: renders `persons.toml`, the hub's demo person registry.
//! - `weak_rsa`: the embedded 1024-bit RSA key of the `weak-rsa` test certificate.
//! - `files`: writes keys as 0600 and certificates as 0644, never overwriting.
//! - `generate`: [`generate()`] builds the PKI in memory, then writes it.
//! - [`inspect`]: reads a PKI back for `certs-dev list`.
//! - `error`: the library's [`Error`].
#![forbid(unsafe_code)]

mod ca;
mod error;
mod files;
mod generate;
pub mod inspect;
mod issue;
pub mod layout;
pub mod parties;
mod registry;
mod weak_rsa;

pub use ca::{OTHER_CA_NAME, ROOT_CA_NAME};
pub use error::Error;
pub use generate::{MALFORMED_OIN, Options, generate, generate_with_parties};
pub use issue::HUB_NAME;
pub use layout::{Layout, TestCert};
pub use parties::{DevParty, DevPerson, PARTIES, PERSONS, UNKNOWN_OIN};
