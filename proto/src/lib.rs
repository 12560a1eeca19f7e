//! The wire between hub and agents and clients, and what every end of it shares: the
//! gRPC API `treiter.hub.v1`, generated from `proto/treiter/hub/v1/*.proto`; the TLS
//! profile, the mTLS connection and the certificate profile every end speaks; the check
//! on private key files; the covenant's calendar; and the checking and escaping of text
//! from outside.
//!
//! The `.proto` files document every message and field; [`v1`] re-exports what
//! `build.rs` generated from them. The transparency log (`treiter-translog`, folder
//! `translog/`) and the keyed pseudonym of a subject (`treiter-pseudonym`, folder
//! `pseudonym/`) are crates of their own.
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
//! - [`limits`]: message size limits both ends of a connection agree on.
//! - [`signal`]: the stop signal (Ctrl-C, SIGTERM) the hub and the agent obey.
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
pub mod limits;
pub mod signal;
pub mod text;
pub mod tls;

/// `treiter.hub.v1`: the agent link, the coordinator API, the privacy-officer API and
/// hub status.
pub mod v1 {
    #![expect(
        clippy::large_enum_variant,
        reason = "generated code: prost sizes oneof enums by their largest message; boxing \
                  them would make every hand-written match clumsier for no gain on messages \
                  this small"
    )]
    tonic::include_proto!("treiter.hub.v1");
}
