//! AES-256-GCM with random 96-bit nonces (ring). A key seals at most a few thousand
//! records over a case's life, far below the 2^32 messages where random nonces
//! start to risk a collision.

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

/// The length of a key in bytes.
pub const KEY_LEN: usize = 32;
/// The length of the authentication tag.
pub const TAG_LEN: usize = 16;

/// Sealing or opening failed. Deliberately without detail: a failed open means the
/// wrong key, a damaged or moved ciphertext, or tampering, and ring cannot tell which.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AeadError {
    #[error("the ciphertext does not open under this key (wrong key, damaged, or moved)")]
    Open,
    #[error("the system random generator failed")]
    Random,
    #[error("the plaintext is too long to seal")]
    TooLong,
}

/// A 256-bit AES-GCM key.
pub struct Key {
    key: LessSafeKey,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(..)")
    }
}

impl Key {
    pub fn new(bytes: &[u8; KEY_LEN]) -> Key {
        // AES-256 accepts every 32-byte key, so this cannot fail for our length.
        let unbound = match UnboundKey::new(&AES_256_GCM, bytes) {
            Ok(k) => k,
            Err(_) => unreachable!("AES-256-GCM takes 32-byte keys"),
        };
        Key {
            key: LessSafeKey::new(unbound),
        }
    }

    /// `nonce | ciphertext | tag` of `plaintext`, bound to `aad`.
    pub fn seal(
        &self,
        rng: &SystemRandom,
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, AeadError> {
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill(&mut nonce).map_err(|_| AeadError::Random)?;
        let mut out = Vec::with_capacity(NONCE_LEN + plaintext.len() + TAG_LEN);
        out.extend_from_slice(&nonce);
        let mut body = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut body,
            )
            .map_err(|_| AeadError::TooLong)?;
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// The plaintext of `nonce | ciphertext | tag`, if it opens under this key and `aad`.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, AeadError> {
        let (nonce, body) = sealed.split_at_checked(NONCE_LEN).ok_or(AeadError::Open)?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| AeadError::Open)?;
        let mut body = body.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(aad), &mut body)
            .map_err(|_| AeadError::Open)?;
        Ok(plain.to_vec())
    }
}

/// A fresh random key.
pub fn random_key(rng: &SystemRandom) -> Result<[u8; KEY_LEN], AeadError> {
    let mut bytes = [0u8; KEY_LEN];
    rng.fill(&mut bytes).map_err(|_| AeadError::Random)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_and_refuses_other_aad_or_key() {
        let rng = SystemRandom::new();
        let key = Key::new(&random_key(&rng).unwrap());
        let sealed = key.seal(&rng, b"a", b"synthetic").unwrap();
        assert_eq!(key.open(b"a", &sealed).unwrap(), b"synthetic");
        assert_eq!(key.open(b"b", &sealed), Err(AeadError::Open));
        let other = Key::new(&random_key(&rng).unwrap());
        assert_eq!(other.open(b"a", &sealed), Err(AeadError::Open));
        assert_eq!(key.open(b"a", &sealed[..5]), Err(AeadError::Open));
    }
}
