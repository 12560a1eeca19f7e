//! The weak RSA key of the `weak-rsa` test certificate: 1024 bits, under the hub's
//! 2048-bit minimum on purpose.
//!
//! ring (rcgen's backend here) cannot generate RSA keys, and cannot sign with one under
//! 2048 bits, so the key was generated once with
//! `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024` and is embedded as a
//! fixture: a synthetic, test-only key that protects nothing. Only its public half goes
//! into a certificate, which the (ECDSA) root signs; the private half is written next
//! to it so that other TLS tools can present the certificate too.

use rcgen::{PublicKeyData, SignatureAlgorithm};
use x509_parser::prelude::FromDer as _;
use x509_parser::x509::SubjectPublicKeyInfo;

/// The private key (PKCS#8 PEM), written as `test/weak-rsa.key`.
pub(crate) const PRIVATE_KEY_PEM: &str = include_str!("fixtures/weak-rsa-1024.key");

/// Its public key (SubjectPublicKeyInfo PEM).
const PUBLIC_KEY_PEM: &str = include_str!("fixtures/weak-rsa-1024.pub.pem");

/// The public key as rcgen signs it into a certificate.
pub(crate) struct WeakRsaKey {
    /// The DER of the RSAPublicKey (the SubjectPublicKeyInfo's bit string).
    public_key: Vec<u8>,
}

impl WeakRsaKey {
    /// Reads the embedded public key.
    pub(crate) fn load() -> Result<WeakRsaKey, rcgen::Error> {
        let (_, pem) = x509_parser::pem::parse_x509_pem(PUBLIC_KEY_PEM.as_bytes())
            .map_err(|_| rcgen::Error::CouldNotParseKeyPair)?;
        let (_, spki) = SubjectPublicKeyInfo::from_der(&pem.contents)
            .map_err(|_| rcgen::Error::CouldNotParseKeyPair)?;
        Ok(WeakRsaKey {
            public_key: spki.subject_public_key.data.to_vec(),
        })
    }
}

impl PublicKeyData for WeakRsaKey {
    fn der_bytes(&self) -> &[u8] {
        &self.public_key
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &rcgen::PKCS_RSA_SHA256
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixture_is_a_1024_bit_rsa_key() {
        let key = WeakRsaKey::load().expect("fixture");
        let spki = key.subject_public_key_info();
        let (_, parsed) = SubjectPublicKeyInfo::from_der(&spki).expect("spki");
        match parsed.parsed().expect("rsa") {
            x509_parser::public_key::PublicKey::RSA(rsa) => assert_eq!(rsa.key_size(), 1024),
            other => panic!("not RSA: {other:?}"),
        }
        assert!(PRIVATE_KEY_PEM.starts_with("-----BEGIN PRIVATE KEY-----"));
    }
}
