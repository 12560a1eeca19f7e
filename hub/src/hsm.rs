//! Keys in a hardware token (PKCS#11): the decision log's signing key and the master
//! key can live in an HSM instead of in files. The key never leaves the token: the hub
//! asks the token to sign and to encrypt or decrypt, and keeps only handles.
//!
//! ```toml
//! [hsm]
//! module = "/usr/lib/softhsm/libsofthsm2.so" # the vendor's PKCS#11 library
//! token_label = "treiter-hub"       # or `slot = 0`: exactly one of the two
//! pin = "file:/etc/treiter-hub/hsm.pin" # or "env:NAME"; never the PIN itself
//! log_key_label = "treiter-hub-log" # the log key is the token's Ed25519 key pair of
//!                                   # this label (instead of the file `log_key`)
//! master_key_label = "treiter-hub-master" # the master key is the token's AES-256
//!                                   # key of this label (instead of `master_key_file`)
//! ```
//!
//! # What the token does
//! - **Log key**: an Ed25519 key pair (`CKK_EC_EDWARDS`, curve edwards25519), signing
//!   with `CKM_EDDSA` (pure Ed25519, RFC 8032). Its signatures are the same as those of
//!   a key file: the published verifier key (`hub check-config`, `hub init`) is the
//!   token's public key, and agents and `hubctl log verify` check checkpoints with it
//!   unchanged. At start the hub has the token sign a probe and checks it with the public
//!   key, so a label that names another key is refused before anything is signed. The
//!   record key that authenticates stored log records is derived from a signature as
//!   with a key file (see [`crate::log`]'s key module); it lives in memory, the signing
//!   key does not.
//! - **Master key**: an AES-256 secret key (`CKK_AES`, sensitive, not extractable).
//!   Every case key is wrapped with `CKM_AES_GCM` inside the token (96-bit random nonce
//!   from the hub, 128-bit tag, the same associated data and the same
//!   `nonce | ciphertext | tag` layout as a file master key), and unwrapped there too.
//!
//! # Making the keys
//! Keys are made inside the token, never imported: the log key pair is generated on the
//! hub's first start when no key of `log_key_label` exists (as a log key file is), and
//! the master key by `hub master-key generate --config FILE`. Both are token objects,
//! sensitive and not extractable; an existing key is never replaced. A vendor tool may
//! make them instead (e.g. `pkcs11-tool --keypairgen --key-type EC:edwards25519`,
//! `--keygen --key-type AES:32`), as long as the labels match.
//!
//! The PKCS#11 library is loaded once per process and never finalised: the library's
//! state is process-wide, and the log key and the master key share it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use treiter_proto::keyfile::PassphraseSource;

/// The DER of the object identifier of Ed25519 (1.3.101.112), as `CKA_EC_PARAMS`.
const ED25519_OID: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];
/// The length of a GCM nonce.
const GCM_NONCE_LEN: usize = 12;
/// The GCM tag, in bits.
const GCM_TAG_BITS: u64 = 128;

/// Which token: by its label, or by its slot number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenSelector {
    Label(String),
    Slot(u64),
}

impl std::fmt::Display for TokenSelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenSelector::Label(label) => write!(f, "token \"{}\"", escape(label)),
            TokenSelector::Slot(slot) => write!(f, "the token in slot {slot}"),
        }
    }
}

/// The `[hsm]` section of the configuration.
#[derive(Clone, Debug)]
pub struct HsmSettings {
    /// The PKCS#11 library.
    pub module: PathBuf,
    pub token: TokenSelector,
    /// Where the user PIN comes from (`file:` or `env:`; never the configuration).
    pub pin: PassphraseSource,
    /// The label of the log's Ed25519 key pair, when the log key lives in the token.
    pub log_key_label: Option<String>,
    /// The label of the AES-256 master key, when the master key lives in the token.
    pub master_key_label: Option<String>,
}

impl HsmSettings {
    /// Where a key of `label` lives, in words (check-config, errors).
    pub fn describe(&self, label: &str) -> String {
        format!(
            "PKCS#11 module {}, {}, key label \"{}\"",
            self.module.display(),
            self.token,
            escape(label)
        )
    }
}

/// A token cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum HsmError {
    #[error(
        "cannot load the PKCS#11 module {module}: {detail}; check `[hsm] module` (the vendor's PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so)"
    )]
    Module { module: PathBuf, detail: String },
    #[error(
        "the PKCS#11 module {module} has no {token}: check `[hsm] token_label` / `slot` (list the tokens with `pkcs11-tool --module {module} --list-slots`)"
    )]
    NoToken {
        module: PathBuf,
        token: TokenSelector,
    },
    #[error("the PIN of the hardware token cannot be had: {0}")]
    Pin(#[from] treiter_proto::keyfile::PassphraseError),
    #[error(
        "`[hsm] pin` is not configured: set it to \"file:PATH\" (a file holding the PIN, mode 600) or \"env:NAME\""
    )]
    NoPin,
    #[error("the hardware token ({token}) refused the PIN or the login: {detail}")]
    Login {
        token: TokenSelector,
        detail: String,
    },
    #[error("the hardware token ({token}) failed to {operation}: {detail}")]
    Token {
        token: TokenSelector,
        operation: &'static str,
        detail: String,
    },
    #[error("the hardware token ({token}) has no {what} labelled \"{label}\"{hint}")]
    NoKey {
        token: TokenSelector,
        what: &'static str,
        label: String,
        hint: &'static str,
    },
    #[error(
        "the hardware token ({token}) has {count} objects of kind {what} labelled \"{label}\": a label must name one key"
    )]
    Ambiguous {
        token: TokenSelector,
        what: &'static str,
        label: String,
        count: usize,
    },
    #[error("the key labelled \"{label}\" in the hardware token ({token}) is not usable: {why}")]
    WrongKey {
        token: TokenSelector,
        label: String,
        why: &'static str,
    },
    #[error(
        "the hardware token ({token}) already holds a key labelled \"{label}\"; a key is never replaced"
    )]
    Exists { token: TokenSelector, label: String },
}

/// Escapes a label for messages: it came from a configuration file or a token.
fn escape(text: &str) -> String {
    treiter_proto::text::escape_control(text).into_owned()
}

/// One PKCS#11 library per path, initialised once per process (module doc).
fn library(module: &Path) -> Result<Pkcs11, HsmError> {
    static LIBRARIES: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    let mut libraries = LIBRARIES
        .get_or_init(|| Mutex::new(HashMap::new()))
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(lib) = libraries.get(module) {
        return Ok(lib.clone());
    }
    let failed = |detail: String| HsmError::Module {
        module: module.to_path_buf(),
        detail,
    };
    let lib = Pkcs11::new(module).map_err(|e| failed(e.to_string()))?;
    match lib.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) => {}
        // Another copy of the library (another Pkcs11) initialised it already.
        Err(cryptoki::error::Error::Pkcs11(
            cryptoki::error::RvError::CryptokiAlreadyInitialized,
            _,
        )) => {}
        Err(e) => return Err(failed(e.to_string())),
    }
    libraries.insert(module.to_path_buf(), lib.clone());
    Ok(lib)
}

/// A logged-in session with one token. Sessions are not shared between threads by
/// PKCS#11, so calls take turns.
pub struct Token {
    selector: TokenSelector,
    session: Mutex<Session>,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Token({})", self.selector)
    }
}

impl Token {
    /// Opens a read-write session with the configured token and logs in as its user.
    pub fn open(settings: &HsmSettings) -> Result<Arc<Token>, HsmError> {
        let lib = library(&settings.module)?;
        let token_err = |operation, e: cryptoki::error::Error| HsmError::Token {
            token: settings.token.clone(),
            operation,
            detail: e.to_string(),
        };
        let slots = lib
            .get_slots_with_token()
            .map_err(|e| token_err("list its slots", e))?;
        let mut chosen: Option<Slot> = None;
        for slot in slots {
            let matches = match &settings.token {
                TokenSelector::Slot(id) => slot.id() == *id,
                TokenSelector::Label(label) => lib
                    .get_token_info(slot)
                    .map(|info| info.label() == label)
                    .unwrap_or(false),
            };
            if matches {
                chosen = Some(slot);
                break;
            }
        }
        let slot = chosen.ok_or_else(|| HsmError::NoToken {
            module: settings.module.clone(),
            token: settings.token.clone(),
        })?;
        if !settings.pin.is_configured() {
            return Err(HsmError::NoPin);
        }
        let pin = settings
            .pin
            .read("the hardware token of", &settings.module, "hsm.pin")?
            .ok_or(HsmError::NoPin)?;
        let session = lib
            .open_rw_session(slot)
            .map_err(|e| token_err("open a session", e))?;
        match session.login(UserType::User, Some(&AuthPin::from(pin.as_str()))) {
            Ok(()) => {}
            // The library is process-wide: another session of this process logged in.
            Err(cryptoki::error::Error::Pkcs11(
                cryptoki::error::RvError::UserAlreadyLoggedIn,
                _,
            )) => {}
            Err(e) => {
                return Err(HsmError::Login {
                    token: settings.token.clone(),
                    detail: e.to_string(),
                });
            }
        }
        Ok(Arc::new(Token {
            selector: settings.token.clone(),
            session: Mutex::new(session),
        }))
    }

    fn session(&self) -> std::sync::MutexGuard<'_, Session> {
        self.session.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn failed(&self, operation: &'static str) -> impl Fn(cryptoki::error::Error) -> HsmError + '_ {
        move |e| HsmError::Token {
            token: self.selector.clone(),
            operation,
            detail: e.to_string(),
        }
    }

    /// The one object of `class` labelled `label`, if there is one.
    fn find(
        &self,
        class: ObjectClass,
        what: &'static str,
        label: &str,
    ) -> Result<Option<ObjectHandle>, HsmError> {
        let found = self
            .session()
            .find_objects(&[
                Attribute::Class(class),
                Attribute::Label(label.as_bytes().to_vec()),
            ])
            .map_err(self.failed("search its objects"))?;
        match found.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            more => Err(HsmError::Ambiguous {
                token: self.selector.clone(),
                what,
                label: escape(label),
                count: more.len(),
            }),
        }
    }

    /// The Ed25519 key pair labelled `label`: its signing handle and its public key.
    pub fn ed25519_key(self: &Arc<Self>, label: &str) -> Result<Option<TokenSigner>, HsmError> {
        let Some(private) = self.find(ObjectClass::PRIVATE_KEY, "private key", label)? else {
            return Ok(None);
        };
        let public = self
            .find(ObjectClass::PUBLIC_KEY, "public key", label)?
            .ok_or_else(|| HsmError::NoKey {
                token: self.selector.clone(),
                what: "public key",
                label: escape(label),
                hint: ": the private key has no public key of the same label beside it",
            })?;
        let wrong = |why| HsmError::WrongKey {
            token: self.selector.clone(),
            label: escape(label),
            why,
        };
        let attributes = self
            .session()
            .get_attributes(public, &[AttributeType::KeyType, AttributeType::EcPoint])
            .map_err(self.failed("read a public key"))?;
        let mut point = None;
        for attribute in attributes {
            match attribute {
                Attribute::KeyType(kind) if kind != KeyType::EC_EDWARDS => {
                    return Err(wrong("it is not an Ed25519 (EC_EDWARDS) key pair"));
                }
                Attribute::EcPoint(bytes) => point = Some(bytes),
                _ => {}
            }
        }
        let point = point.ok_or_else(|| wrong("its public key has no EC point"))?;
        let public_key = ed25519_point(&point)
            .ok_or_else(|| wrong("its public key is not a 32-byte Ed25519 point"))?;
        Ok(Some(TokenSigner {
            token: Arc::clone(self),
            key: private,
            public_key,
        }))
    }

    /// Generates an Ed25519 key pair labelled `label` in the token: the private key
    /// sensitive and not extractable.
    pub fn generate_ed25519(self: &Arc<Self>, label: &str) -> Result<TokenSigner, HsmError> {
        if self
            .find(ObjectClass::PRIVATE_KEY, "private key", label)?
            .is_some()
        {
            return Err(HsmError::Exists {
                token: self.selector.clone(),
                label: escape(label),
            });
        }
        let id = label.as_bytes().to_vec();
        let public = [
            Attribute::Token(true),
            Attribute::Private(false),
            Attribute::Verify(true),
            Attribute::EcParams(ED25519_OID.to_vec()),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Id(id.clone()),
        ];
        let private = [
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Sign(true),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Id(id),
        ];
        self.session()
            .generate_key_pair(&Mechanism::EccEdwardsKeyPairGen, &public, &private)
            .map_err(self.failed("generate an Ed25519 key pair"))?;
        self.ed25519_key(label)?.ok_or_else(|| HsmError::NoKey {
            token: self.selector.clone(),
            what: "private key",
            label: escape(label),
            hint: " after generating it",
        })
    }

    /// The AES-256 key labelled `label`.
    pub fn aes_key(self: &Arc<Self>, label: &str) -> Result<Option<TokenAesKey>, HsmError> {
        let Some(key) = self.find(ObjectClass::SECRET_KEY, "secret key", label)? else {
            return Ok(None);
        };
        let attributes = self
            .session()
            .get_attributes(key, &[AttributeType::KeyType, AttributeType::ValueLen])
            .map_err(self.failed("read a secret key"))?;
        for attribute in attributes {
            match attribute {
                Attribute::KeyType(kind) if kind != KeyType::AES => {
                    return Err(HsmError::WrongKey {
                        token: self.selector.clone(),
                        label: escape(label),
                        why: "it is not an AES key",
                    });
                }
                Attribute::ValueLen(len) if u64::from(len) != 32 => {
                    return Err(HsmError::WrongKey {
                        token: self.selector.clone(),
                        label: escape(label),
                        why: "it is not a 256-bit AES key",
                    });
                }
                _ => {}
            }
        }
        Ok(Some(TokenAesKey {
            token: Arc::clone(self),
            key,
        }))
    }

    /// Generates an AES-256 key labelled `label` in the token: sensitive, not
    /// extractable, usable only to encrypt and decrypt.
    pub fn generate_aes(self: &Arc<Self>, label: &str) -> Result<TokenAesKey, HsmError> {
        if self
            .find(ObjectClass::SECRET_KEY, "secret key", label)?
            .is_some()
        {
            return Err(HsmError::Exists {
                token: self.selector.clone(),
                label: escape(label),
            });
        }
        let template = [
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
            Attribute::ValueLen(32.into()),
            Attribute::Label(label.as_bytes().to_vec()),
        ];
        let key = self
            .session()
            .generate_key(&Mechanism::AesKeyGen, &template)
            .map_err(self.failed("generate an AES-256 key"))?;
        Ok(TokenAesKey {
            token: Arc::clone(self),
            key,
        })
    }
}

/// `CKA_EC_POINT` of an Ed25519 key: the 32 bytes, DER-wrapped in an OCTET STRING (as
/// PKCS#11 3.0 says) or raw (as some tokens give it).
fn ed25519_point(point: &[u8]) -> Option<[u8; 32]> {
    match point {
        [0x04, 0x20, rest @ ..] if rest.len() == 32 => rest.try_into().ok(),
        raw => raw.try_into().ok(),
    }
}

/// The token's Ed25519 key, signing inside the token.
pub struct TokenSigner {
    token: Arc<Token>,
    key: ObjectHandle,
    public_key: [u8; 32],
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenSigner({})", self.token.selector)
    }
}

impl TokenSigner {
    /// The Ed25519 public key.
    pub fn public_key(&self) -> &[u8; 32] {
        &self.public_key
    }

    /// A pure Ed25519 signature (`CKM_EDDSA`) of `data`, made by the token.
    pub fn sign(&self, data: &[u8]) -> Result<[u8; 64], HsmError> {
        let mechanism = Mechanism::Eddsa(EddsaParams::new(EddsaSignatureScheme::Pure));
        let signature = self
            .token
            .session()
            .sign(&mechanism, self.key, data)
            .map_err(self.token.failed("sign"))?;
        signature
            .as_slice()
            .try_into()
            .map_err(|_| HsmError::Token {
                token: self.token.selector.clone(),
                operation: "sign",
                detail: format!(
                    "it returned {} bytes, not a 64-byte Ed25519 signature",
                    signature.len()
                ),
            })
    }
}

/// The token's AES-256 key, encrypting and decrypting inside the token.
pub struct TokenAesKey {
    token: Arc<Token>,
    key: ObjectHandle,
}

impl std::fmt::Debug for TokenAesKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenAesKey({})", self.token.selector)
    }
}

/// A token's GCM operation failed: either the token failed, or the ciphertext does not
/// open (wrong key, damaged, moved), which PKCS#11 reports as an invalid encrypted data
/// or tag.
#[derive(Debug)]
pub enum GcmFailure {
    DoesNotOpen,
    Token(HsmError),
}

impl TokenAesKey {
    /// `nonce | ciphertext | tag` of `plaintext` bound to `aad`, with `nonce` the hub's
    /// random 96-bit nonce.
    pub fn seal(
        &self,
        nonce: [u8; GCM_NONCE_LEN],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, HsmError> {
        let mut iv = nonce;
        let params = GcmParams::new(&mut iv, aad, GCM_TAG_BITS.into())
            .map_err(self.token.failed("encrypt"))?;
        let body = self
            .token
            .session()
            .encrypt(&Mechanism::AesGcm(params), self.key, plaintext)
            .map_err(self.token.failed("encrypt"))?;
        let mut out = Vec::with_capacity(GCM_NONCE_LEN + body.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// The plaintext of `nonce | ciphertext | tag` bound to `aad`.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, GcmFailure> {
        if sealed.len() < GCM_NONCE_LEN + (GCM_TAG_BITS as usize / 8) {
            return Err(GcmFailure::DoesNotOpen);
        }
        let (nonce, body) = sealed.split_at(GCM_NONCE_LEN);
        let mut iv = [0u8; GCM_NONCE_LEN];
        iv.copy_from_slice(nonce);
        let params = GcmParams::new(&mut iv, aad, GCM_TAG_BITS.into())
            .map_err(|e| GcmFailure::Token(self.token.failed("decrypt")(e)))?;
        let result = self
            .token
            .session()
            .decrypt(&Mechanism::AesGcm(params), self.key, body);
        match result {
            Ok(plain) => Ok(plain),
            Err(cryptoki::error::Error::Pkcs11(
                cryptoki::error::RvError::EncryptedDataInvalid
                | cryptoki::error::RvError::EncryptedDataLenRange,
                _,
            )) => Err(GcmFailure::DoesNotOpen),
            // Tokens report a wrong tag in different ways (SoftHSM2: CKR_GENERAL_ERROR).
            // Whether the token itself works is told by a round trip of a probe under
            // the same key: if it works, this ciphertext does not open under the key.
            Err(e) => {
                let probe = b"treiter-hub token probe";
                // A fresh nonce: GCM must never see one twice under a key.
                let mut nonce = [0u8; GCM_NONCE_LEN];
                let random =
                    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut nonce);
                let works = random
                    .ok()
                    .and_then(|()| self.seal(nonce, b"treiter-hub token probe v1", probe).ok())
                    .and_then(|sealed| self.open_plain(b"treiter-hub token probe v1", &sealed).ok())
                    .is_some_and(|plain| plain == probe);
                if works {
                    Err(GcmFailure::DoesNotOpen)
                } else {
                    Err(GcmFailure::Token(self.token.failed("decrypt")(e)))
                }
            }
        }
    }

    /// One decryption, without interpreting a failure (for the probe).
    fn open_plain(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, cryptoki::error::Error> {
        let (nonce, body) = sealed.split_at(GCM_NONCE_LEN.min(sealed.len()));
        let mut iv = [0u8; GCM_NONCE_LEN];
        iv[..nonce.len()].copy_from_slice(nonce);
        let params = GcmParams::new(&mut iv, aad, GCM_TAG_BITS.into())?;
        self.token
            .session()
            .decrypt(&Mechanism::AesGcm(params), self.key, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ed25519_point_is_read_wrapped_in_an_octet_string_or_raw() {
        let key = [7u8; 32];
        let mut der = vec![0x04, 0x20];
        der.extend_from_slice(&key);
        assert_eq!(ed25519_point(&der), Some(key));
        assert_eq!(ed25519_point(&key), Some(key));
        assert_eq!(ed25519_point(&der[..20]), None);
        assert_eq!(ed25519_point(&[0x04, 0x21, 1, 2]), None);
    }

    #[test]
    fn where_a_key_lives_is_said_with_module_token_and_label() {
        let settings = HsmSettings {
            module: "/usr/lib/softhsm/libsofthsm2.so".into(),
            token: TokenSelector::Slot(2),
            pin: PassphraseSource::Env("PIN".into()),
            log_key_label: Some("log".into()),
            master_key_label: None,
        };
        assert_eq!(
            settings.describe("log\u{1b}[2J"),
            "PKCS#11 module /usr/lib/softhsm/libsofthsm2.so, the token in slot 2, key label \"log\\u{1b}[2J\""
        );
    }
}
