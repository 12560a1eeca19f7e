//! A refusal of a change, read for the form it came from: what it means in plain Dutch
//! (the words are in [`texts`]), which field it concerns, and hubctl's own text for the
//! "Technische toelichting".
//!
//! The hub's refusals are English sentences that name the article and what is needed
//! (coordinator.proto lists them per RPC). The common ones are recognised here by their
//! fixed parts and retold in Dutch with the values they carry (phases, categories,
//! stadsdelen: covenant words, never personal data); anything else falls back to the
//! words for its status class ([`texts::problem`]). Identifying data that cannot be
//! pseudonymised is refused before anything is sent, naming the field, never its value.

use tonic::Code;
use treiter_pseudonym::IdentityError;

use super::texts;
use crate::error::Error;

/// What a refusal concerns: the kind of field a form shows it next to. A form that has
/// no such field shows the refusal above its fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Concern {
    /// A reason (a move, an escalation, an emergency, a removal).
    Reason,
    /// A date (consent given or withdrawn).
    Date,
    /// A moment (the melding, the contact with the melder).
    Time,
    /// A subject's label.
    Label,
    /// A subject's role.
    Role,
    /// A data category.
    Category,
    /// The stadsdeel.
    Stadsdeel,
    /// The external reference.
    Reference,
    /// The phase to move to.
    Phase,
    /// The subject as a whole (its identifying data).
    Subject,
    /// A party.
    Party,
    /// The subject's name.
    Name,
    /// The subject's date of birth.
    BirthDate,
    /// The subject's postcode.
    Postcode,
    /// The subject's house number.
    HouseNumber,
}

/// A refusal as a form shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// What it means and what to do, in Dutch.
    pub words: String,
    /// The field it concerns; `None` for the change as a whole.
    pub concern: Option<Concern>,
    /// hubctl's own text (English, with the hub's message and article).
    pub detail: String,
}

impl Refusal {
    /// A refusal of the console itself (nothing was sent).
    pub fn local(words: impl Into<String>, concern: Option<Concern>) -> Refusal {
        Refusal {
            words: words.into(),
            concern,
            detail: String::new(),
        }
    }
}

/// Reads `error` for the person.
pub fn read(error: &Error) -> Refusal {
    let (words, concern) = match error {
        Error::Hub { code, message, .. } => hub(*code, message),
        Error::Identity(e) => identity(e),
        _ => {
            let problem = texts::problem(error);
            (format!("{} {}", problem.title, problem.advice), None)
        }
    };
    Refusal {
        words,
        concern,
        detail: error.to_string(),
    }
}

/// The text between `start` and `end` in `text`.
fn between<'t>(text: &'t str, start: &str, end: &str) -> Option<&'t str> {
    let from = text.find(start)? + start.len();
    let to = from + text[from..].find(end)?;
    Some(&text[from..to])
}

/// The text after `start`.
fn after<'t>(text: &'t str, start: &str) -> Option<&'t str> {
    text.find(start).map(|at| &text[at + start.len()..])
}

/// "you are informatiemakelaar of oost, partnercontact" in Dutch.
fn you_are(message: &str) -> String {
    after(message, "; you are ")
        .map(|roles| roles.trim().replace(" of ", " van "))
        .unwrap_or_default()
}

/// The stadsdeel a permission refusal names ("... of stadsdeel oost (art. ...").
fn stadsdeel_named(message: &str) -> &str {
    between(message, "of stadsdeel ", " (")
        .or_else(|| between(message, "in stadsdeel ", " needs"))
        .unwrap_or("")
}

fn hub(code: Code, message: &str) -> (String, Option<Concern>) {
    use Concern as C;
    let m = message;
    let known = match code {
        Code::FailedPrecondition | Code::Aborted => {
            if let (Some(from), Some(to), Some(allowed)) = (
                between(m, " cannot move from ", " to "),
                between(m, " to ", " (art. 4.1)"),
                after(m, "(art. 4.1); allowed: "),
            ) {
                let allowed: Vec<&str> = allowed
                    .split(", ")
                    .map(str::trim)
                    .filter(|p| !p.is_empty() && *p != "none")
                    .collect();
                Some((texts::move_refused(from, to, &allowed), Some(C::Phase)))
            } else if m.ends_with("someone moved it first") {
                let now = between(m, " is in phase ", ", not ").unwrap_or("");
                let seen = between(m, ", not ", ": someone").unwrap_or("");
                Some((texts::moved_meanwhile(now, seen), Some(C::Phase)))
            } else if m.contains("only a case in aanpak can be escalated") {
                let phase = between(m, " is in phase ", ";").unwrap_or("");
                Some((texts::escalate_not_in_aanpak(phase), None))
            } else if m.contains("is escalated already") {
                Some((texts::REFUSED_ESCALATED_ALREADY.to_owned(), None))
            } else if m.contains("(art. 4.4)") {
                let phase = between(m, " is in phase ", ":").unwrap_or("");
                Some((texts::case_closed(phase), None))
            } else if m.starts_with("no consent for ") {
                let category = between(m, "no consent for ", " is in force").unwrap_or("");
                Some((texts::no_consent(category), Some(C::Category)))
            } else if m.starts_with("an emergency is active") {
                Some((texts::REFUSED_EMERGENCY_ACTIVE.to_owned(), None))
            } else {
                None
            }
        }
        Code::AlreadyExists => {
            if m.starts_with("contact with the melder") {
                Some((texts::REFUSED_CONTACT_RECORDED.to_owned(), Some(C::Time)))
            } else if m.starts_with("the subject is in case") {
                Some((texts::REFUSED_SUBJECT_PRESENT.to_owned(), Some(C::Subject)))
            } else if m.starts_with("consent for ") {
                let category = between(m, "consent for ", " is in force").unwrap_or("");
                Some((texts::consent_in_force(category), Some(C::Category)))
            } else if m.contains(" participates in case ") {
                Some((
                    texts::REFUSED_PARTICIPANT_PRESENT.to_owned(),
                    Some(C::Party),
                ))
            } else if m.starts_with("client_request_id ") {
                Some((texts::REFUSED_REQUEST_ID_REUSED.to_owned(), None))
            } else {
                None
            }
        }
        Code::NotFound => {
            if m.starts_with("the subject is not in case") {
                Some((texts::REFUSED_SUBJECT_ABSENT.to_owned(), None))
            } else if m.contains(" does not participate in case ") {
                Some((texts::REFUSED_NOT_A_PARTICIPANT.to_owned(), Some(C::Party)))
            } else if m.starts_with("no case") {
                Some((texts::REFUSED_NO_CASE.to_owned(), None))
            } else {
                None
            }
        }
        Code::PermissionDenied => {
            let you = you_are(m);
            let stadsdeel = stadsdeel_named(m);
            if m.starts_with("registering a case in stadsdeel ") {
                Some((texts::wrong_stadsdeel(stadsdeel, &you), Some(C::Stadsdeel)))
            } else if m.starts_with("escalating case ") {
                Some((texts::escalation_needs(stadsdeel, &you), None))
            } else if m.starts_with("changing the participants of case ") {
                Some((texts::participants_need(stadsdeel, &you), None))
            } else if m.starts_with("recording contact on case ") {
                Some((texts::contact_needs(stadsdeel, &you), None))
            } else if m.starts_with("changing case ") {
                Some((texts::change_needs(stadsdeel, &you), None))
            } else if m.starts_with("an emergency is declared by ") {
                Some((texts::emergency_needs(&you), None))
            } else if m.starts_with("access to case ") {
                Some((texts::access_needs(stadsdeel, &you), None))
            } else {
                None
            }
        }
        Code::InvalidArgument | Code::OutOfRange => invalid(m),
        _ => None,
    };
    known.unwrap_or_else(|| {
        let problem = texts::problem(&Error::Hub {
            code,
            message: message.to_owned(),
            hint: None,
        });
        (format!("{} {}", problem.title, problem.advice), None)
    })
}

/// An INVALID_ARGUMENT: "FIELD what is wrong" (the hub names the field, never the
/// value it refuses).
fn invalid(m: &str) -> Option<(String, Option<Concern>)> {
    use Concern as C;
    let field_end = m.find([' ', ':']).unwrap_or(m.len());
    let (field, rest) = m.split_at(field_end);
    let rest = rest.trim_start_matches(':').trim();
    // Consent dates are named "consent date" (two words).
    if m.starts_with("consent date ") {
        return Some(if m.contains(" is in the future") {
            let given = between(m, "consent date ", " is in the future").unwrap_or("");
            let today = between(m, "today is ", " in Amsterdam").unwrap_or("");
            (texts::date_in_future(given, today), Some(C::Date))
        } else {
            (texts::REFUSED_DATE_UNREADABLE.to_owned(), Some(C::Date))
        });
    }
    let concern = match field {
        "reason" => C::Reason,
        "label" => C::Label,
        "external_reference" => C::Reference,
        "melding_at" | "contacted_at" => C::Time,
        "stadsdeel" => C::Stadsdeel,
        "role" => C::Role,
        "category" => C::Category,
        "to_phase" => C::Phase,
        "subject.hex" => C::Subject,
        "party_oin" => C::Party,
        "client_request_id" => return Some((texts::REFUSED_REQUEST_ID.to_owned(), None)),
        _ => return None,
    };
    let words = if rest == "is required" {
        texts::required(concern)
    } else if rest.contains(" characters long; at most ") {
        let max = between(rest, "at most ", " are accepted").unwrap_or("");
        texts::too_long(concern, max)
    } else if rest.contains("control or invisible character") || rest.contains("character outside")
    {
        texts::hidden_character(concern)
    } else if rest.contains(" is in the future") {
        let given = rest.split(" is in the future").next().unwrap_or("");
        let now = between(rest, "it is ", " in Amsterdam").unwrap_or("");
        texts::time_in_future(given, now)
    } else if rest == "is before the melding" {
        texts::REFUSED_CONTACT_BEFORE_MELDING.to_owned()
    } else if rest == "the update changes nothing" {
        texts::REFUSED_NOTHING_CHANGED.to_owned()
    } else if rest.starts_with("unknown ") {
        texts::unknown_word(concern)
    } else {
        texts::invalid_value(concern)
    };
    Some((words, Some(concern)))
}

fn identity(e: &IdentityError) -> (String, Option<Concern>) {
    use Concern as C;
    use IdentityError as I;
    let concern = match e {
        I::EmptyName | I::NameCharacter(_) | I::NameTooLong => C::Name,
        I::BirthDateFormat | I::BirthDateNotADay | I::BirthDateTooEarly => C::BirthDate,
        I::Postcode => C::Postcode,
        I::HouseNumberMissing | I::HouseNumberRange | I::HouseNumberAddition => C::HouseNumber,
    };
    (texts::identity_refused(e), Some(concern))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub_error(code: Code, message: &str) -> Error {
        Error::Hub {
            code,
            message: message.into(),
            hint: None,
        }
    }

    fn read_hub(code: Code, message: &str) -> Refusal {
        read(&hub_error(code, message))
    }

    #[test]
    fn a_refused_move_names_the_moves_allowed() {
        let r = read_hub(
            Code::FailedPrecondition,
            "case C-2026-0001 cannot move from duiding to afgesloten (art. 4.1); allowed: aanpak, buiten-aanpak",
        );
        assert_eq!(r.concern, Some(Concern::Phase));
        assert_eq!(
            r.words,
            "Een casus in fase duiding kan niet naar fase afgesloten (art. 4.1). Vanuit duiding kan de casus alleen naar aanpak of buiten-aanpak."
        );
        assert!(
            r.detail.contains("cannot move from duiding"),
            "{}",
            r.detail
        );
        let closed = read_hub(
            Code::FailedPrecondition,
            "case C-2026-0001 cannot move from afgesloten to aanpak (art. 4.1); allowed: none",
        );
        assert_eq!(
            closed.words,
            "Een casus in fase afgesloten kan niet naar fase aanpak (art. 4.1). Vanuit afgesloten kan de casus nergens meer heen: de casus is gesloten."
        );
        let moved = read_hub(
            Code::Aborted,
            "case C-2026-0001 is in phase registratie, not melding: someone moved it first",
        );
        assert_eq!(moved.concern, Some(Concern::Phase));
        assert_eq!(
            moved.words,
            "Iemand anders heeft de casus intussen verplaatst: hij staat nu in fase registratie, niet meer in melding. Er is niets gewijzigd; bekijk de casus hieronder en kies opnieuw."
        );
    }

    #[test]
    fn state_refusals_read_as_dutch() {
        let cases = [
            (
                Code::FailedPrecondition,
                "case C-2026-0001 is in phase duiding; only a case in aanpak can be escalated (art. 4.5)",
                "Alleen een casus in fase aanpak kan worden geescaleerd (art. 4.5); deze casus staat in fase duiding.",
                None,
            ),
            (
                Code::FailedPrecondition,
                "case C-2026-0001 is escalated already (art. 4.5)",
                texts::REFUSED_ESCALATED_ALREADY,
                None,
            ),
            (
                Code::FailedPrecondition,
                "case C-2026-0001 is in phase afgesloten: no new shares or changes take place (art. 4.4)",
                "De casus staat in fase afgesloten: daarin wordt niets meer gewijzigd of gedeeld (art. 4.4).",
                None,
            ),
            (
                Code::FailedPrecondition,
                "no consent for zorginhoud is in force, so none can be withdrawn (art. 11.3)",
                "Er is geen toestemming voor zorginhoud van kracht, dus er valt niets in te trekken (art. 11.3).",
                Some(Concern::Category),
            ),
            (
                Code::AlreadyExists,
                "consent for slachtofferinformatie is in force already",
                "Toestemming voor slachtofferinformatie is al vastgelegd en van kracht.",
                Some(Concern::Category),
            ),
            (
                Code::AlreadyExists,
                "the subject is in case C-2026-0001 already; change its role with an update",
                texts::REFUSED_SUBJECT_PRESENT,
                Some(Concern::Subject),
            ),
            (
                Code::AlreadyExists,
                "party 00000002000000000002 participates in case C-2026-0001 already",
                texts::REFUSED_PARTICIPANT_PRESENT,
                Some(Concern::Party),
            ),
            (
                Code::FailedPrecondition,
                "an emergency is active on case C-2026-0001 until 2026-12-09 10:00 (art. 15.3); it is not extended or stacked",
                texts::REFUSED_EMERGENCY_ACTIVE,
                None,
            ),
            (
                Code::AlreadyExists,
                "contact with the melder of case C-2026-0001 is recorded already",
                texts::REFUSED_CONTACT_RECORDED,
                Some(Concern::Time),
            ),
        ];
        for (code, message, words, concern) in cases {
            let r = read_hub(code, message);
            assert_eq!(r.words, words, "{message}");
            assert_eq!(r.concern, concern, "{message}");
            assert!(r.detail.contains(message), "{}", r.detail);
        }
    }

    #[test]
    fn a_wrong_stadsdeel_is_shown_at_the_stadsdeel() {
        let r = read_hub(
            Code::PermissionDenied,
            "registering a case in stadsdeel west needs an informatiemakelaar or stadsdeelregisseur of west (art. 5.2, 5.3); you are stadsdeelregisseur of oost",
        );
        assert_eq!(r.concern, Some(Concern::Stadsdeel));
        assert_eq!(
            r.words,
            "Een casus in stadsdeel west registreert een informatiemakelaar of stadsdeelregisseur van west (art. 5.3). U bent stadsdeelregisseur van oost."
        );
        let r = read_hub(
            Code::PermissionDenied,
            "escalating case C-2026-0001 needs a stadsdeelregisseur of stadsdeel oost (art. 5.3, 14); you are informatiemakelaar of oost",
        );
        assert_eq!(
            r.words,
            "Escaleren doet een stadsdeelregisseur van stadsdeel oost (art. 5.3, 14). U bent informatiemakelaar van oost."
        );
    }

    #[test]
    fn invalid_values_are_shown_at_their_field() {
        let r = read_hub(
            Code::InvalidArgument,
            "consent date 2026-12-08 is in the future: today is 2026-12-07 in Amsterdam",
        );
        assert_eq!(r.concern, Some(Concern::Date));
        assert_eq!(
            r.words,
            "De datum 2026-12-08 ligt in de toekomst: vandaag is het 2026-12-07 in Amsterdam. Vul de datum in waarop de betrokkene het werkelijk deed."
        );
        let r = read_hub(
            Code::InvalidArgument,
            "melding_at 2026-12-07 00:40 CET is in the future: it is 2026-12-07 00:30 CET in Amsterdam by the hub's clock",
        );
        assert_eq!(r.concern, Some(Concern::Time));
        assert_eq!(
            r.words,
            "Het moment 2026-12-07 00:40 CET ligt in de toekomst: volgens de klok van de hub is het 2026-12-07 00:30 CET in Amsterdam."
        );
        let r = read_hub(Code::InvalidArgument, "reason is required");
        assert_eq!(r.concern, Some(Concern::Reason));
        assert_eq!(r.words, "Vul een reden in.");
        let r = read_hub(
            Code::InvalidArgument,
            "label is 140 characters long; at most 100 are accepted",
        );
        assert_eq!(r.concern, Some(Concern::Label));
        assert_eq!(r.words, "Het label is te lang: ten hoogste 100 tekens.");
        let r = read_hub(
            Code::InvalidArgument,
            "category: unknown category \"zorg\", expected one of: identificatie, zorginhoud",
        );
        assert_eq!(r.concern, Some(Concern::Category));
        let r = read_hub(Code::InvalidArgument, "contacted_at is before the melding");
        assert_eq!(r.concern, Some(Concern::Time));
        assert_eq!(r.words, texts::REFUSED_CONTACT_BEFORE_MELDING);
    }

    #[test]
    fn identifying_data_is_refused_by_field_never_by_value() {
        let r = read(&Error::Identity(IdentityError::Postcode));
        assert_eq!(r.concern, Some(Concern::Postcode));
        assert!(
            r.words
                .starts_with("De postcode is geen Nederlandse postcode")
        );
        let r = read(&Error::Identity(IdentityError::BirthDateTooEarly));
        assert_eq!(r.concern, Some(Concern::BirthDate));
    }

    #[test]
    fn anything_else_falls_back_to_its_status_class() {
        let r = read_hub(Code::NotFound, "something new");
        assert_eq!(r.concern, None);
        assert!(r.words.starts_with("Niet gevonden"), "{}", r.words);
        let r = read(&Error::Unreachable {
            url: "https://127.0.0.1:1".into(),
            detail: "connection refused".into(),
            profile: "p.toml".into(),
        });
        assert!(
            r.words.starts_with("De hub is niet bereikbaar"),
            "{}",
            r.words
        );
    }
}
