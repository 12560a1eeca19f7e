//! Changes to a case as data: the calls that both the command line
//! ([`crate::commands`]) and the web console ([`crate::console`]) make to change a case,
//! each returning the hub's [`wire::CaseUpdate`] (the case after the change and the
//! event recorded) and never text. Printing or rendering is the caller's job.
//!
//! Every change carries the caller's `client_request_id`: the caller chooses it once per
//! intended change ([`new_request_id`]), and the one retry after a transport error
//! ([`Hub::call`]) sends the same request with the same id, so the hub makes the change
//! once. The console puts the id in its form, so that a form sent twice (a double click,
//! the back button) is also made once.
//!
//! Besides the changes themselves: finding the subject or party a person named
//! ([`resolve_subject`], [`pick_party`], [`resolve_party`]), which the command line
//! needs for every change that names one.

use treiter_proto::v1 as wire;
use treiter_pseudonym::Pseudonym;

use crate::error::Error;
use crate::hub::{CALL_TIMEOUT, Hub, Retry};
use crate::queries::get_case;
use crate::report::esc;

/// A fresh idempotency key: a random UUID (version 4).
pub fn new_request_id() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Whether `text` has the shape [`new_request_id`] gives (a lowercase UUID), so that a
/// form's id can be checked before it is passed on.
pub fn is_request_id(text: &str) -> bool {
    text.len() == 36
        && text.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => matches!(b, b'0'..=b'9' | b'a'..=b'f'),
        })
}

/// One function per RPC that changes a case: sends the request (retried once, with the
/// same id, after a transport error) and returns the hub's update.
macro_rules! case_changes {
    ($( $(#[$doc:meta])* $name:ident($request:ident); )*) => {$(
        $(#[$doc])*
        pub async fn $name(
            hub: &mut Hub,
            request: wire::$request,
        ) -> Result<wire::CaseUpdate, Error> {
            hub.call(Retry::Once, CALL_TIMEOUT, |mut c| {
                let r = request.clone();
                async move { c.$name(r).await }
            })
            .await
        }
    )*};
}

case_changes! {
    /// Registers a new case in phase `melding` (article 4.1); the hub assigns its id.
    create_case(CreateCaseRequest);
    /// Moves a case to another phase along article 4.1.
    move_phase(MovePhaseRequest);
    /// Escalates a case in `aanpak` to city level (`geescaleerd`, articles 4.5, 14).
    escalate(EscalateRequest);
    /// Records contact with the melder (article 4.3).
    record_contact(RecordContactRequest);
    /// Adds a subject by keyed pseudonym (article 8.4), with its role.
    add_subject(AddSubjectRequest);
    /// Changes a subject's role and/or label.
    update_subject(UpdateSubjectRequest);
    /// Removes a subject added by mistake.
    remove_subject(RemoveSubjectRequest);
    /// Records a subject's consent for one category (article 11.3).
    record_consent(RecordConsentRequest);
    /// Records that a subject withdrew consent for one category (article 11.3).
    withdraw_consent(WithdrawConsentRequest);
    /// Registers a party in the plan van aanpak (article 5.4).
    add_participant(AddParticipantRequest);
    /// Ends a party's participation (article 5.4).
    remove_participant(RemoveParticipantRequest);
    /// Declares an emergency (spoed, article 15.1), with a written reason.
    declare_emergency(DeclareEmergencyRequest);
}

fn subject_list(case: &wire::Case) -> String {
    if case.subjects.is_empty() {
        return "it has none".to_owned();
    }
    let items: Vec<String> = case
        .subjects
        .iter()
        .map(|s| {
            let hex = s.subject.as_ref().map(|p| p.hex.as_str()).unwrap_or("");
            crate::report::subject_words(hex, &s.role, &s.label)
        })
        .collect();
    format!("its subjects: {}", items.join("; "))
}

/// A subject named on the command line: a full pseudonym as is; otherwise a unique
/// start of one (8+ hex characters) or a label, looked up in the case. The text typed
/// is not repeated in errors: it could be identifying data typed by mistake.
pub async fn resolve_subject(hub: &mut Hub, case_id: &str, text: &str) -> Result<String, Error> {
    if Pseudonym::parse(text).is_ok() {
        return Ok(text.to_owned());
    }
    let case = get_case(hub, case_id).await?;
    let t = text.trim();
    let by_prefix = t.len() >= 8 && t.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let found: Vec<&str> = case
        .subjects
        .iter()
        .filter_map(|s| {
            let hex = s.subject.as_ref().map(|p| p.hex.as_str())?;
            let hit = if by_prefix {
                hex.starts_with(t)
            } else {
                !s.label.is_empty() && s.label.trim().eq_ignore_ascii_case(t)
            };
            hit.then_some(hex)
        })
        .collect();
    match found.as_slice() {
        [one] => Ok((*one).to_owned()),
        [] => Err(Error::NotFound(format!(
            "no subject of case {case_id} has the pseudonym, pseudonym start (8+ characters) or label given (not repeated here); {}",
            subject_list(&case)
        ))),
        _ => Err(Error::Usage(format!(
            "several subjects of case {case_id} match; give more of the pseudonym; {}",
            subject_list(&case)
        ))),
    }
}

/// Letters and digits only, lowercased: "Woonstichting De Gracht" → "woonstichtingdegracht".
/// Picks the party `text` names among `known`: an exact name, else the only party of
/// that kind, else the only name containing it. Otherwise the candidates (several, or
/// none). The rule is the covenant tests' too ([`treiter_policies::party_name::pick`]).
pub fn pick_party<'a>(
    known: &'a [wire::Party],
    text: &str,
) -> Result<&'a wire::Party, Vec<&'a wire::Party>> {
    treiter_policies::party_name::pick(known, text, |p| &p.name, |p| &p.kind)
}

/// The OIN (and name) of the party named on the command line: an OIN as is, else a
/// name, part of one or a kind among the parties of the covenant in force.
pub async fn resolve_party(hub: &mut Hub, text: &str) -> Result<(String, String), Error> {
    let t = text.trim();
    if t.len() == 20 && t.bytes().all(|b| b.is_ascii_digit()) {
        return Ok((t.to_owned(), String::new()));
    }
    // The parties of the covenant in force, as the hub lists them (article 2.3).
    let known = hub.parties().await?;
    match pick_party(&known, t) {
        Ok(p) => Ok((p.oin.clone(), p.name.clone())),
        Err(several) if !several.is_empty() => {
            let names: Vec<&str> = several.iter().map(|p| p.name.as_str()).collect();
            Err(Error::Usage(format!(
                "\"{}\" matches several parties: {}; give more of the name, or the OIN",
                esc(t),
                names.join("; ")
            )))
        }
        Err(_) => {
            let names: Vec<&str> = known.iter().map(|p| p.name.as_str()).collect();
            Err(Error::NotFound(format!(
                "\"{}\" is none of the parties of the covenant ({}); give part of a name, a kind, or the party's OIN (20 digits)",
                esc(t),
                names.join("; ")
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn party(oin: &str, name: &str, kind: &str) -> wire::Party {
        wire::Party {
            oin: oin.into(),
            name: name.into(),
            kind: kind.into(),
        }
    }

    #[test]
    fn parties_are_found_by_name_part_or_kind() {
        let known = [
            party("00000001000000000001", "Gemeente Amsterdam", "gemeente"),
            party(
                "00000002000000000002",
                "Politie Eenheid Amsterdam",
                "politie",
            ),
            party(
                "00000003000000000003",
                "Openbaar Ministerie, Arrondissementsparket Amsterdam",
                "om",
            ),
            party(
                "00000004000000000004",
                "Woonstichting De Gracht",
                "woningcorporatie",
            ),
            party(
                "00000004000000000005",
                "Stichting Lieflijk Wonen",
                "woningcorporatie",
            ),
        ];
        let oin = |t: &str| pick_party(&known, t).map(|p| p.oin.clone());
        assert_eq!(oin("politie").unwrap(), "00000002000000000002");
        assert_eq!(
            oin("Politie Eenheid Amsterdam").unwrap(),
            "00000002000000000002"
        );
        assert_eq!(oin("om").unwrap(), "00000003000000000003");
        assert_eq!(oin("De Gracht").unwrap(), "00000004000000000004");
        assert_eq!(oin("degracht").unwrap(), "00000004000000000004");
        assert_eq!(oin("lieflijkwonen").unwrap(), "00000004000000000005");
        // Ambiguous: two woningcorporaties, every party in Amsterdam.
        assert_eq!(pick_party(&known, "woningcorporatie").unwrap_err().len(), 2);
        assert_eq!(pick_party(&known, "amsterdam").unwrap_err().len(), 3);
        assert!(pick_party(&known, "ggd").unwrap_err().is_empty());
    }

    #[test]
    fn request_ids_are_fresh_uuids() {
        let a = new_request_id();
        let b = new_request_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(is_request_id(&a) && is_request_id(&b));
        assert!(!is_request_id(&a.to_uppercase()));
        assert!(!is_request_id(&a[..35]));
        assert!(!is_request_id("0123456789ab-cdef-4012-8456-789abcdef012"));
        assert!(!is_request_id("C-2026-0001\r\nX-Evil: 1"));
    }
}
