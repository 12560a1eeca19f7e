//! The node agent a partner runs next to its own systems.
//!
//! It dials out to the hub over mutually authenticated TLS 1.3 with the party's
//! organisation certificate, keeps one long-lived stream open, answers the hub's
//! questions, and reconnects by itself, with backoff and jitter, when the hub or the
//! network goes away.
//!
//! # Layout
//! - [`config`]: the one TOML configuration file, validated, paths relative to it.
//! - [`tls`]: the TLS client config, the connector, and the alert tap that tells why
//!   the hub refused the certificate.
//! - [`backoff`]: exponential backoff with full jitter.
//! - [`link`]: the link: Hello, heartbeats, questions, reconnects.
#![forbid(unsafe_code)]

pub mod backoff;
pub mod config;
pub mod link;
pub mod tls;
