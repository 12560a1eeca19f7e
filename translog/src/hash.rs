//! RFC 6962 / RFC 9162 hashing with SHA-256 (ring).
//!
//! Leaves and interior nodes are hashed with different one-byte prefixes, so that a leaf
//! can never be passed off as an interior node (a second-preimage attack on the tree):
//! - leaf hash: `SHA-256(0x00 || entry)` (RFC 9162 §2.1.1, RFC 6962 §2.1);
//! - node hash: `SHA-256(0x01 || left || right)` (same sections);
//! - the root of the empty tree is `SHA-256("")`.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::digest;

/// Length of a SHA-256 hash in bytes.
pub const HASH_LEN: usize = 32;

/// Prefix of a leaf hash (RFC 6962 §2.1).
const LEAF_PREFIX: u8 = 0x00;
/// Prefix of an interior node hash (RFC 6962 §2.1).
const NODE_PREFIX: u8 = 0x01;

/// A SHA-256 hash of a leaf, a node or a tree. Hashes in this log are public data (they
/// are published in checkpoints and proofs), so comparing them needs no constant time.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash(pub [u8; HASH_LEN]);

impl Hash {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8; HASH_LEN] {
        &self.0
    }

    /// Lowercase hex, as in test vectors and `hub log` output.
    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(2 * HASH_LEN);
        for b in self.0 {
            // Both nibbles are below 16, so from_digit always has a digit.
            s.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
            s.push(char::from_digit(u32::from(b & 0x0f), 16).unwrap_or('0'));
        }
        s
    }

    /// Parses 64 hex digits (either case).
    pub fn from_hex(text: &str) -> Option<Hash> {
        let bytes = text.as_bytes();
        if bytes.len() != 2 * HASH_LEN {
            return None;
        }
        let mut out = [0u8; HASH_LEN];
        for (o, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
            let [hi, lo] = pair else { return None };
            *o = (hex_value(*hi)? << 4) | hex_value(*lo)?;
        }
        Some(Hash(out))
    }

    /// Standard base64 (RFC 4648 §4), as in checkpoints.
    pub fn to_base64(&self) -> String {
        BASE64.encode(self.0)
    }

    /// Parses standard base64 of exactly 32 bytes.
    pub fn from_base64(text: &str) -> Option<Hash> {
        let bytes = BASE64.decode(text).ok()?;
        Some(Hash(bytes.try_into().ok()?))
    }

    /// Takes a hash from a slice of exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Hash> {
        Some(Hash(bytes.try_into().ok()?))
    }
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

fn finish(ctx: digest::Context) -> Hash {
    let d = ctx.finish();
    let mut out = [0u8; HASH_LEN];
    out.copy_from_slice(d.as_ref());
    Hash(out)
}

/// The leaf hash of an entry: `SHA-256(0x00 || entry)` (RFC 6962 §2.1).
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(&[LEAF_PREFIX]);
    ctx.update(entry);
    finish(ctx)
}

/// The hash of an interior node: `SHA-256(0x01 || left || right)` (RFC 6962 §2.1).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(&[NODE_PREFIX]);
    ctx.update(&left.0);
    ctx.update(&right.0);
    finish(ctx)
}

/// The root hash of the empty tree: `SHA-256("")` (RFC 9162 §2.1.1).
pub fn empty_root() -> Hash {
    finish(digest::Context::new(&digest::SHA256))
}

/// Plain SHA-256 of some bytes (key ids, covenant text hashes).
pub fn sha256(bytes: &[u8]) -> Hash {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(bytes);
    finish(ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(hex: &str) -> Hash {
        Hash::from_hex(hex).unwrap()
    }

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        assert_eq!(
            empty_root(),
            h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
    }

    #[test]
    fn leaf_hash_prefixes_zero() {
        // RFC 6962 reference leaves "" and 0x00 (transparency-dev/merkle testonly).
        assert_eq!(
            leaf_hash(b""),
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
        );
        assert_eq!(
            leaf_hash(&[0x00]),
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7")
        );
        // Not plain SHA-256: the prefix is what tells a leaf from a node.
        assert_ne!(leaf_hash(b""), empty_root());
    }

    #[test]
    fn node_hash_prefixes_one() {
        let a = leaf_hash(b"");
        let b = leaf_hash(&[0x00]);
        assert_eq!(
            node_hash(&a, &b),
            h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")
        );
        let mut manual = vec![0x01];
        manual.extend_from_slice(&a.0);
        manual.extend_from_slice(&b.0);
        assert_eq!(node_hash(&a, &b), sha256(&manual));
        assert_ne!(node_hash(&a, &b), node_hash(&b, &a));
    }

    #[test]
    fn hex_and_base64_round_trip() {
        let x = leaf_hash(b"x");
        assert_eq!(Hash::from_hex(&x.to_hex()), Some(x));
        assert_eq!(Hash::from_hex(&x.to_hex().to_uppercase()), Some(x));
        assert_eq!(Hash::from_base64(&x.to_base64()), Some(x));
        assert_eq!(Hash::from_hex("abc"), None);
        assert_eq!(Hash::from_hex(&"g".repeat(64)), None);
        assert_eq!(Hash::from_base64("AAAA"), None);
        assert_eq!(Hash::from_base64("not base64!"), None);
        assert_eq!(format!("{x:?}"), format!("Hash({})", x.to_hex()));
    }
}
