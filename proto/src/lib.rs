//! The wire between hub and agents and clients: the gRPC API `treiter.hub.v1`,
//! generated from `proto/treiter/hub/v1/*.proto`, and the TLS profile every end speaks.
//!
//! The `.proto` files document every message and field; this crate re-exports what
//! `build.rs` generated from them and holds no protocol logic.
//!
//! # Layout
//! - [`v1`]: messages, the `*Client` stubs and the `*Server` traits of every service.
//! - [`calendar`]: the covenant's calendar, Europe/Amsterdam (EU DST rule): today's date,
//!   local times, working days, months and weeks for every date check and deadline.
//! - [`decision`]: the covenant engine's decision on one share in wire form, the one
//!   conversion hub and agents share.
//! - [`client`]: one mTLS HTTP/2 connection to the hub for any generated client, with
//!   the alert tap that tells why the hub refused a certificate.
//! - [`identity`]: the certificate profile: the OIN in `serialNumber`, the person id in
//!   `UID`.
//! - [`keyfile`]: the one check every private key file gets before it is read: owner
//!   only (`chmod 600`), symlinks judged by their target, a regular file of key size.
//! - [`pseudonym`]: the keyed pseudonym of a subject (article 8.4): the normalisation
//!   of name, date of birth, postcode and house number, and HMAC-SHA-256 under the
//!   covenant-wide key.
//! - [`translog`]: the transparency log's hashing, Merkle tree, inclusion and
//!   consistency proofs and signed checkpoints (RFC 9162, C2SP signed notes): the hub
//!   builds and signs with it, agents and hubctl verify with it.
//! - [`text`]: text from outside, checked where it comes in (length, no control or
//!   invisible characters) and escaped where it goes out; an error and its causes as
//!   one line.
//! - [`tls`]: the TLS profile (TLS 1.3 only, ring, ALPN `h2`) and PEM loading with
//!   errors that name the file.
#![forbid(unsafe_code)]

pub mod calendar;
pub mod client;
pub mod decision;
pub mod identity;
pub mod keyfile;
pub mod pseudonym;
pub mod text;
pub mod tls;
pub mod translog;

/// `treiter.hub.v1`: the agent link, the coordinator API, the privacy-officer API and
/// hub status.
pub mod v1 {
    // Generated code: prost sizes oneof enums by their largest message, which clippy
    // flags; boxing them would make every hand-written match clumsier for no gain on
    // messages this small.
    #![allow(missing_docs, clippy::large_enum_variant)]
    tonic::include_proto!("treiter.hub.v1");
}
