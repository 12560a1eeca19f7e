//! Encryption at rest (article 12.2) with per-case keys, so that deleting a case's key
//! deletes the case (crypto-shredding, article 9).
//!
//! Every case gets a random 256-bit data key. What the hub stores about a case that may
//! hold personal data is sealed with AES-256-GCM under that key, with the keyspace and
//! the record's key as associated data, so a ciphertext copied to another record does
//! not open. The case keys are kept wrapped under the hub's master key in a separate key
//! store ([`keystore`]), not in the data directory: a backup of the data directory made
//! before a retention deletion cannot be read once the key is gone, because the key
//! store is where deletion happens. Operators back the two up separately.
//!
//! # Layout
//! - [`master`]: the master key: from a 0600 file outside the data directory or from
//!   the environment; generating one.
//! - [`aead`]: AES-256-GCM sealing with random nonces, the one place that calls ring.
//! - [`keystore`]: case keys wrapped under the master key, one file per case, written
//!   and deleted durably.
//! - [`sealed_store`]: a [`Store`](crate::store::Store) wrapper that seals and opens the
//!   records of the keyspaces that hold personal data, and finds a case's records.

pub mod aead;
pub mod key_place;
pub mod keystore;
pub mod master;
pub mod sealed_store;

pub use keystore::{KeyStore, KeyStoreError, KeyStoreState};
pub use master::{MASTER_KEY_ENV, MasterKey, MasterKeyError};
pub use sealed_store::SealedStore;
