//! What can go wrong, what the person should do about it, and the exit code.
//!
//! Messages start lowercase, name the file, the hub or the case concerned, and end with
//! what to do. None carries identifying data (article 12.3): identifying data typed for
//! `subject add` is never part of an error; the hub's own messages carry none either.

use std::path::PathBuf;

use serde_json::{Value, json};
use tonic::Code;
use treiter_proto::client::ClientTlsError;
use treiter_pseudonym::{IdentityError, KeyError};

use crate::profile::ProfileError;

/// hubctl's exit codes; `hubctl --help` lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Done.
    Ok = 0,
    /// Something else: an internal error of the hub, an unexpected answer.
    Other = 1,
    /// The command line is wrong (clap's own code as well).
    Usage = 2,
    /// Local setup: the profile, certificate, key or pseudonym key files, or
    /// identifying data that cannot be pseudonymised.
    Setup = 3,
    /// The hub cannot be reached, or did not answer in time (UNAVAILABLE,
    /// DEADLINE_EXCEEDED, connection failures).
    Unreachable = 4,
    /// The hub refused the certificate, or does not know its person (TLS alert,
    /// UNAUTHENTICATED).
    Certificate = 5,
    /// Your role or stadsdeel may not do this (PERMISSION_DENIED).
    PermissionDenied = 6,
    /// No such case, subject, party or case file (NOT_FOUND).
    NotFound = 7,
    /// The case's state does not allow it (FAILED_PRECONDITION, ABORTED).
    State = 8,
    /// It exists or was done already (ALREADY_EXISTS).
    AlreadyExists = 9,
    /// A value the hub refuses (INVALID_ARGUMENT, OUT_OF_RANGE).
    Invalid = 10,
    /// `log verify`: the hub's decision log does not verify (a bad signature, a proof
    /// that fails, a log that does not extend the one verified before).
    LogNotVerified = 11,
}

/// The list shown under `hubctl --help`.
pub const EXIT_CODES: &str = "\
Exit codes:
   0  done
   1  another error (an internal error of the hub, an unexpected answer)
   2  the command line is wrong
   3  local setup: the profile, certificate, key or pseudonym key files (a key that
      does not belong to the certificate, trust anchors that do not accept the hub's
      certificate), or identifying data that cannot be pseudonymised
   4  the hub cannot be reached or did not answer in time (retry; changes are idempotent)
   5  the hub refused your certificate, or does not know the person it names
   6  permission denied: your role or stadsdeel may not do this (the message names the
      article and who you are)
   7  not found: no such case, subject, party, case file or notification
   8  the case's state does not allow it (the message names the article, e.g. 4.1)
   9  exists already (a subject, a participant, consent in force, contact recorded)
  10  a value the hub refuses (the message names the field)
  11  `log verify`: the hub's decision log does NOT verify (tell your privacy officer
      colleagues and the hub's operator; keep the output); `evidence`: the bundle made
      from the hub's answers does not verify (nothing was written)";

/// Everything hubctl reports as an error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The profile cannot be used.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// The certificate, key or trust anchors named by the profile cannot be used.
    #[error(
        "the profile {profile} names files that cannot be used: {source}{}",
        tls_fix(source, *setting)
    )]
    Tls {
        profile: PathBuf,
        /// The profile setting that names the file concerned, when hubctl can tell.
        setting: Option<&'static str>,
        #[source]
        source: ClientTlsError,
    },
    /// The pseudonym key file cannot be used.
    #[error("{0}")]
    Key(#[from] KeyError),
    /// Identifying data was given, but the profile names no pseudonym key.
    #[error(
        "pseudonymising identifying data needs the covenant's pseudonym key: set `pseudonym_key` in the profile {profile} (the key file, mode 600), or pass --pseudonym HEX; nothing was sent to the hub"
    )]
    NoPseudonymKey { profile: PathBuf },
    /// Identifying data that the covenant's normalisation refuses (the message names
    /// the component, never its value).
    #[error("the identifying data cannot be pseudonymised: {0}; nothing was sent to the hub")]
    Identity(#[from] IdentityError),
    /// A command-line value hubctl itself cannot use.
    #[error("{0}")]
    Usage(String),
    /// What the command line names does not exist where hubctl looked it up (a
    /// subject of the case, a party of the covenant, a notification): exit 7, as for
    /// the hub's own NOT_FOUND.
    #[error("not found: {0}")]
    NotFound(String),
    /// No connection to the hub.
    #[error(
        "cannot reach the hub at {url}: {detail}; check that the hub runs and that `hub_url` in {profile} is right"
    )]
    Unreachable {
        url: String,
        detail: String,
        profile: PathBuf,
    },
    /// The connection broke during a call (and again on the retry, for a change).
    #[error(
        "the connection to the hub at {url} broke: {detail}; run the command again (a change is never made twice)"
    )]
    Broken { url: String, detail: String },
    /// The hub answered, but its certificate cannot be accepted with the profile's
    /// trust anchors and URL (`why` names the setting to fix).
    #[error("the hub at {url} cannot be trusted with this profile: its certificate {why}")]
    HubCertificate { url: String, why: String },
    /// The hub refused the certificate during the TLS handshake.
    #[error("the hub at {url} refused your certificate: {why}")]
    CertificateRefused { url: String, why: String },
    /// The hub answered with an error status.
    #[error("{}", hub_text(*.code, .message, .hint.as_deref()))]
    Hub {
        code: Code,
        message: String,
        /// What hubctl adds: who you are, what to do.
        hint: Option<String>,
    },
    /// The hub did not answer within the call's time.
    #[error(
        "the hub at {url} did not answer within {seconds} s; the outcome is unknown: run the command again (a change is never made twice)"
    )]
    Timeout { url: String, seconds: u64 },
    /// Writing the output failed.
    #[error("cannot write the output: {0}")]
    Output(#[source] std::io::Error),
    /// `log verify` without the hub's log verifier key in the profile.
    #[error(
        "`log verify` needs the hub's decision-log verifier key: set `log_verifier` in the profile {profile} to the line the hub's operator gives you (`hub check-config` prints it; the node agents are configured with the same key); nothing was verified"
    )]
    NoLogVerifier { profile: PathBuf },
    /// The state file of `log verify` cannot be read or written.
    #[error("the log-verify state file {path}: {detail}")]
    LogState { path: PathBuf, detail: String },
    /// The hub's decision log failed verification.
    #[error("the hub's decision log does NOT verify: {0}")]
    LogNotVerified(crate::logverify::LogFailure),
    /// `evidence`: the bundle made from the hub's answers does not pass the offline
    /// verifier (the hub's answers are inconsistent); nothing was written.
    #[error(
        "the evidence bundle made from the hub's answers does NOT verify ({0}); nothing was written: tell the hub's operator and keep this output"
    )]
    EvidenceNotVerified(String),
    /// `hubctl console` cannot listen or serve (`what` says which, and what to do).
    #[error("the console {what}: {source}")]
    Console {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

/// What to change in the profile for a certificate, key or trust anchor that cannot be
/// used.
fn tls_fix(source: &ClientTlsError, setting: Option<&'static str>) -> String {
    match (source, setting) {
        (ClientTlsError::Identity { .. }, _) => {
            "; set `key` to the private key issued with this certificate (or `cert` to the certificate of this key)".to_owned()
        }
        (ClientTlsError::TrustAnchor { .. }, _) => {
            "; set `trust_anchors` to the CA certificate(s) of the hub, in PEM".to_owned()
        }
        (_, Some(setting)) => format!(" (the setting is `{setting}`)"),
        _ => String::new(),
    }
}

fn code_words(code: Code) -> &'static str {
    match code {
        Code::PermissionDenied => "permission denied",
        Code::NotFound => "not found",
        Code::FailedPrecondition => "not possible in the case's current state",
        Code::Aborted => "someone else changed the case first",
        Code::AlreadyExists => "exists already",
        Code::InvalidArgument => "invalid value",
        Code::OutOfRange => "too large",
        Code::Unauthenticated => "not recognised",
        Code::Unavailable => "the hub is unavailable",
        Code::DeadlineExceeded => "the hub did not answer in time",
        _ => "the hub reported an error",
    }
}

fn code_slug(code: Code) -> &'static str {
    match code {
        Code::Ok => "ok",
        Code::Cancelled => "cancelled",
        Code::Unknown => "unknown",
        Code::InvalidArgument => "invalid-argument",
        Code::DeadlineExceeded => "deadline-exceeded",
        Code::NotFound => "not-found",
        Code::AlreadyExists => "already-exists",
        Code::PermissionDenied => "permission-denied",
        Code::ResourceExhausted => "resource-exhausted",
        Code::FailedPrecondition => "failed-precondition",
        Code::Aborted => "aborted",
        Code::OutOfRange => "out-of-range",
        Code::Unimplemented => "unimplemented",
        Code::Internal => "internal",
        Code::Unavailable => "unavailable",
        Code::DataLoss => "data-loss",
        Code::Unauthenticated => "unauthenticated",
    }
}

fn hub_text(code: Code, message: &str, hint: Option<&str>) -> String {
    let mut text = format!("{}: {message}", code_words(code));
    if let Some(hint) = hint {
        text.push_str("\n  ");
        text.push_str(hint);
    }
    text
}

impl Error {
    /// The exit code for this error.
    pub fn exit(&self) -> Exit {
        match self {
            Error::Profile(_)
            | Error::Tls { .. }
            | Error::Key(_)
            | Error::NoPseudonymKey { .. }
            | Error::Identity(_)
            | Error::HubCertificate { .. }
            | Error::Output(_)
            | Error::NoLogVerifier { .. }
            | Error::LogState { .. }
            | Error::Console { .. } => Exit::Setup,
            Error::LogNotVerified(_) | Error::EvidenceNotVerified(_) => Exit::LogNotVerified,
            Error::Usage(_) => Exit::Usage,
            Error::NotFound(_) => Exit::NotFound,
            Error::Unreachable { .. } | Error::Broken { .. } | Error::Timeout { .. } => {
                Exit::Unreachable
            }
            Error::CertificateRefused { .. } => Exit::Certificate,
            Error::Hub { code, .. } => match code {
                Code::PermissionDenied => Exit::PermissionDenied,
                Code::Unauthenticated => Exit::Certificate,
                Code::NotFound => Exit::NotFound,
                Code::FailedPrecondition | Code::Aborted => Exit::State,
                Code::AlreadyExists => Exit::AlreadyExists,
                Code::InvalidArgument | Code::OutOfRange => Exit::Invalid,
                Code::Unavailable | Code::DeadlineExceeded => Exit::Unreachable,
                _ => Exit::Other,
            },
        }
    }

    /// The error as JSON, for `--json` (written to standard error).
    pub fn to_json(&self) -> Value {
        let (kind, status, message, hint) = match self {
            Error::Hub {
                code,
                message,
                hint,
            } => (
                "hub",
                Value::String(code_slug(*code).to_owned()),
                message.clone(),
                hint.clone(),
            ),
            Error::CertificateRefused { .. } => {
                ("certificate-refused", Value::Null, self.to_string(), None)
            }
            Error::Unreachable { .. } | Error::Broken { .. } | Error::Timeout { .. } => {
                ("unreachable", Value::Null, self.to_string(), None)
            }
            Error::Usage(_) => ("usage", Value::Null, self.to_string(), None),
            Error::NotFound(_) => (
                "not-found",
                Value::String("not-found".to_owned()),
                self.to_string(),
                None,
            ),
            Error::LogNotVerified(_) | Error::EvidenceNotVerified(_) => {
                ("log-not-verified", Value::Null, self.to_string(), None)
            }
            _ => ("setup", Value::Null, self.to_string(), None),
        };
        json!({ "error": {
            "kind": kind,
            "status": status,
            "message": message,
            "hint": hint,
            "exit_code": self.exit() as u8,
        }})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_exit_codes() {
        let hub = |code| Error::Hub {
            code,
            message: "m".into(),
            hint: None,
        };
        assert_eq!(hub(Code::PermissionDenied).exit(), Exit::PermissionDenied);
        assert_eq!(hub(Code::FailedPrecondition).exit(), Exit::State);
        assert_eq!(hub(Code::Aborted).exit(), Exit::State);
        assert_eq!(hub(Code::NotFound).exit(), Exit::NotFound);
        assert_eq!(hub(Code::AlreadyExists).exit(), Exit::AlreadyExists);
        assert_eq!(hub(Code::InvalidArgument).exit(), Exit::Invalid);
        assert_eq!(hub(Code::Unauthenticated).exit(), Exit::Certificate);
        assert_eq!(hub(Code::Unavailable).exit(), Exit::Unreachable);
        assert_eq!(hub(Code::Internal).exit(), Exit::Other);
        assert_eq!(Error::Usage("x".into()).exit() as u8, 2);
        assert_eq!(Error::NotFound("x".into()).exit() as u8, 7);
    }

    #[test]
    fn a_refusal_shows_the_hubs_message_and_the_hint() {
        let e = Error::Hub {
            code: Code::PermissionDenied,
            message: "needs a stadsdeelregisseur of stadsdeel oost (art. 5.3)".into(),
            hint: Some("your certificate is for person p-1 of Gemeente Amsterdam".into()),
        };
        assert_eq!(
            e.to_string(),
            "permission denied: needs a stadsdeelregisseur of stadsdeel oost (art. 5.3)\n  your certificate is for person p-1 of Gemeente Amsterdam"
        );
        let j = e.to_json();
        assert_eq!(j["error"]["status"], "permission-denied");
        assert_eq!(j["error"]["exit_code"], 6);
    }
}
