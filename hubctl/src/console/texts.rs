//! Every word the console shows, in Dutch: the one catalogue.
//!
//! Templates and pages take their text from here only (`{{ texts::NAV_CASES }}`), so a
//! wording is changed in one place and the pages cannot drift apart. Words of the
//! covenant's fixed vocabulary (phases, stadsdelen, roles, categories, purposes,
//! `geescaleerd`) are shown exactly as docs/COVENANT.md writes them, in code font
//! (`<code>`) where they stand alone; the texts around them are plain Dutch for
//! coordinators and privacy officers. Parties are named by their name; an OIN appears
//! only in a detail line.
//!
//! Texts with values are functions; they return plain text, which the templates
//! escape like every other value.

use time::Duration;

use crate::error::{Error, Exit};

// ---------------------------------------------------------------------------------
// The layout.

/// The product name in the header and every title.
pub const APP_NAME: &str = "Treiteraanpak — console";
/// The skip link, the first thing a keyboard user reaches.
pub const SKIP_TO_CONTENT: &str = "Naar de inhoud";
/// The label of the main navigation.
pub const NAV_LABEL: &str = "Hoofdmenu";
/// Navigation: the cases page.
pub const NAV_CASES: &str = "Mijn casussen";
/// Navigation: the person page.
pub const NAV_WHOAMI: &str = "Wie ben ik";
/// The sign-out button.
pub const SIGN_OUT: &str = "Afmelden";
/// Before the person in the header.
pub const SIGNED_IN_AS: &str = "Aangemeld als";
/// The footer line.
pub const FOOTER: &str = "Deze console draait op uw eigen computer en praat met de hub met uw eigen persoonscertificaat. Identificerende gegevens die u invult, worden hier gepseudonimiseerd (art. 8.4) en verlaten uw computer niet.";
/// A person's party that the hub did not name.
pub const UNKNOWN_PARTY: &str = "onbekende partij";

/// A party the hub sent without a name.
pub fn unnamed_party(oin: &str) -> String {
    format!("partij met OIN {oin}")
}

/// The status bar when the hub answered.
pub const HUB_REACHABLE: &str = "Verbonden met de hub";
/// The status bar's label.
pub const STATUS_LABEL: &str = "Verbinding met de hub";
/// When the status was read.
pub const STATUS_CHECKED_AT: &str = "gecontroleerd om";

// ---------------------------------------------------------------------------------
// Signing in and out, refusals of the console itself.

/// Title of the page shown for a refused or used sign-in link.
pub const SIGN_IN_REFUSED_TITLE: &str = "Deze aanmeldlink werkt niet (meer)";
/// Why, and what to do.
pub const SIGN_IN_REFUSED: &str = "Een aanmeldlink werkt één keer. Start hubctl console opnieuw voor een nieuwe link, en open die in de browser waarin u wilt werken.";
/// Title of the page shown without a session.
pub const NO_SESSION_TITLE: &str = "U bent niet aangemeld";
/// Why, and what to do.
pub const NO_SESSION: &str = "Open de aanmeldlink die hubctl console in uw terminal liet zien. Is die al gebruikt, of is de browser gesloten, start hubctl console dan opnieuw.";
/// Title after signing out.
pub const SIGNED_OUT_TITLE: &str = "U bent afgemeld";
/// After signing out.
pub const SIGNED_OUT: &str = "Uw sessie is beëindigd. Stop hubctl console met Ctrl-C, of start het opnieuw voor een nieuwe aanmeldlink.";
/// A form without (the right) CSRF token.
pub const FORGED_TITLE: &str = "Verzoek geweigerd";
/// Why.
pub const FORGED: &str = "Dit formulier kwam niet van deze console (het beveiligingskenmerk ontbreekt of klopt niet). Er is niets gewijzigd. Laad de pagina opnieuw en probeer het nog eens.";
/// An unknown address.
pub const NOT_FOUND_TITLE: &str = "Pagina niet gevonden";
/// What to do.
pub const NOT_FOUND: &str =
    "Deze console heeft geen pagina op dit adres. Kies een pagina in het menu.";
/// Link back to the start.
pub const TO_START: &str = "Naar de startpagina";

// ---------------------------------------------------------------------------------
// What went wrong talking to the hub.

/// A problem with the hub as the status bar and a page show it: a title, and what to
/// do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// One line: what is wrong.
    pub title: String,
    /// What it means and what to do.
    pub advice: String,
    /// hubctl's own message (English; names the hub, the file or the article), for
    /// whoever helps the person.
    pub detail: String,
    /// Whether the hub could not be reached at all (the status bar turns red).
    pub unreachable: bool,
}

/// Label of hubctl's own message under a problem.
pub const PROBLEM_DETAIL: &str = "Technische toelichting (van hubctl, in het Engels)";

/// A hubctl error in the console's words.
pub fn problem(error: &Error) -> Problem {
    let (title, advice, unreachable) = match error.exit() {
        Exit::Unreachable => (
            "De hub is niet bereikbaar",
            "De gegevens op deze pagina kunnen nu niet worden opgehaald. De console probeert het vanzelf opnieuw; er is niets gewijzigd of dubbel gedaan.",
            true,
        ),
        Exit::Certificate => (
            "De hub weigert uw certificaat",
            "De hub herkent uw persoonscertificaat niet (meer). Controleer op de pagina Wie ben ik wanneer het verloopt, en neem contact op met de beheerder van de hub.",
            false,
        ),
        Exit::PermissionDenied => (
            "Dit mag u niet met uw rol of stadsdeel",
            "De hub beslist wie wat mag op grond van het convenant; de toelichting noemt het artikel.",
            false,
        ),
        Exit::NotFound => ("Niet gevonden", "De hub kent dit niet (meer).", false),
        Exit::State => (
            "Dit kan niet in de huidige fase van de casus",
            "De toelichting noemt het artikel. Laad de pagina opnieuw: misschien heeft iemand anders de casus net gewijzigd.",
            false,
        ),
        Exit::AlreadyExists => ("Dit is al gedaan", "Er is niets gewijzigd.", false),
        Exit::Invalid => (
            "De hub weigert een waarde",
            "De toelichting noemt het veld.",
            false,
        ),
        Exit::Setup => (
            "Het profiel van de console is niet bruikbaar",
            "Controleer het profiel (certificaat, sleutel, pseudonimiseringssleutel) en start hubctl console opnieuw.",
            false,
        ),
        Exit::Ok | Exit::Other | Exit::Usage | Exit::LogNotVerified => (
            "Er ging iets mis",
            "Probeer het opnieuw; blijft het misgaan, geef de toelichting dan aan de beheerder van de hub.",
            false,
        ),
    };
    Problem {
        title: title.to_owned(),
        advice: advice.to_owned(),
        detail: error.to_string(),
        unreachable,
    }
}

// ---------------------------------------------------------------------------------
// Wie ben ik.

/// Page title.
pub const WHOAMI_TITLE: &str = "Wie ben ik";
/// Introduction.
pub const WHOAMI_INTRO: &str = "Zo kent de hub u. Uw rollen en stadsdeel komen uit het personenregister van de hub (art. 5.2), niet uit deze console.";
/// Row label.
pub const PERSON: &str = "Persoon";
/// Row label.
pub const PARTY: &str = "Partij";
/// Row label.
pub const ROLES: &str = "Rollen";
/// Row label.
pub const STADSDEEL: &str = "Stadsdeel";
/// Row label.
pub const CERTIFICATE: &str = "Certificaat";
/// Row label.
pub const HUB: &str = "Hub";
/// Row label.
pub const PROFILE: &str = "Profiel";
/// No roles in the registry.
pub const NO_ROLES: &str = "geen";
/// No stadsdeel (a role not bound to one).
pub const NO_STADSDEEL: &str = "geen (uw rol is niet aan een stadsdeel gebonden)";
/// The certificate cannot be read.
pub const CERTIFICATE_UNREADABLE: &str =
    "De geldigheid van uw certificaat kan niet worden gelezen.";

/// The party's kind and OIN, the detail line under its name.
pub fn party_detail(kind: &str, oin: &str) -> String {
    format!("soort {kind}, OIN {oin}")
}

/// How long the certificate is still valid, and what to do when that is short.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertificateState {
    /// More than [`CERTIFICATE_WARNING_DAYS`] days left.
    Valid,
    /// Within the last [`CERTIFICATE_WARNING_DAYS`] days: renew it.
    ExpiresSoon,
    /// Past its last moment.
    Expired,
    /// Before its first moment.
    NotYetValid,
}

/// From how many days before expiry the console warns.
pub const CERTIFICATE_WARNING_DAYS: i64 = 30;

/// The sentence about the certificate's validity; `until` is the formatted last moment.
pub fn certificate_words(state: &CertificateState, until: &str, left: Duration) -> String {
    match state {
        CertificateState::Valid => format!("geldig tot {until}"),
        CertificateState::ExpiresSoon => format!(
            "Let op: uw certificaat verloopt {} (op {until}). Vraag nu een nieuw persoonscertificaat aan; daarna weigert de hub u.",
            in_words(left)
        ),
        CertificateState::Expired => format!(
            "Uw certificaat is verlopen op {until}. De hub weigert u tot u een nieuw persoonscertificaat hebt."
        ),
        CertificateState::NotYetValid => {
            "Uw certificaat is nog niet geldig; de hub weigert het tot de begindatum.".to_owned()
        }
    }
}

// ---------------------------------------------------------------------------------
// Mijn casussen.

/// Page title.
pub const CASES_TITLE: &str = "Mijn casussen";
/// Introduction.
pub const CASES_INTRO: &str = "De casussen waar u toegang toe hebt. Casussen waarvan de contacttermijn met de melder is verstreken (art. 4.3) staan bovenaan.";
/// The table caption.
pub const CASES_CAPTION: &str = "Casussen, verstreken contacttermijnen eerst";
/// No cases.
pub const NO_CASES: &str = "Er zijn geen casussen die u mag zien.";
/// No cases for the filter.
pub const NO_CASES_FILTERED: &str = "Geen casussen voor dit filter.";
/// Column.
pub const COL_CASE: &str = "Casus";
/// Column.
pub const COL_PHASE: &str = "Fase";
/// Column.
pub const COL_STADSDEEL: &str = "Stadsdeel";
/// Column.
pub const COL_SUBJECTS: &str = "Betrokkenen";
/// Column.
pub const COL_CONTACT: &str = "Contact met de melder (art. 4.3)";
/// Column.
pub const COL_EMERGENCY: &str = "Spoed (art. 15)";
/// No subjects yet.
pub const NO_SUBJECTS: &str = "nog geen";
/// No active emergency (the dash seen).
pub const NO_EMERGENCY: &str = "—";
/// No active emergency (what a screen reader says).
pub const NO_EMERGENCY_WORDS: &str = "geen spoed";
/// The filter form's heading.
pub const FILTER_TITLE: &str = "Filter";
/// Field label.
pub const FILTER_STADSDEEL: &str = "Stadsdeel";
/// The option for every stadsdeel.
pub const FILTER_ALL_STADSDELEN: &str = "alle stadsdelen";
/// Legend of the phase boxes.
pub const FILTER_PHASES: &str = "Fase (geen keuze: alle fasen)";
/// Legend of the "only" boxes.
pub const FILTER_ONLY: &str = "Alleen";
/// Box label.
pub const FILTER_OVERDUE: &str = "contacttermijn verstreken";
/// Box label.
pub const FILTER_ESCALATED: &str = "geescaleerd (art. 4.5)";
/// Box label.
pub const FILTER_EMERGENCY: &str = "spoed actief (art. 15)";
/// Submit button.
pub const FILTER_APPLY: &str = "Toon casussen";
/// Reset link.
pub const FILTER_RESET: &str = "Filter wissen";
/// An unknown stadsdeel in the filter.
pub const FILTER_BAD_STADSDEEL: &str = "Kies een stadsdeel uit de lijst (art. 1.5).";
/// An unknown phase in the filter.
pub const FILTER_BAD_PHASE: &str = "Kies fasen uit de lijst (art. 4.1).";
/// The marker of an escalated case (covenant word).
pub const ESCALATED: &str = "geescaleerd";
/// The marker of an overdue contact deadline.
pub const OVERDUE_MARK: &str = "Termijn verstreken";

/// How many cases are listed.
pub fn case_count(n: usize) -> String {
    match n {
        1 => "1 casus".to_owned(),
        n => format!("{n} casussen"),
    }
}

/// A subject without a label: its role and the start of its pseudonym.
pub fn unlabelled_subject(short_pseudonym: &str) -> String {
    format!("pseudoniem {short_pseudonym}")
}

/// The contact deadline of article 4.3 in words. `due` and `contacted` are formatted
/// moments; `left` is due minus now.
pub fn contact_words(status: &str, due: &str, contacted: &str, left: Duration) -> String {
    match status {
        "open" => format!(
            "open — neem contact op {} (uiterlijk {due})",
            in_words(left)
        ),
        "overdue" => format!(
            "verstreken {} (was uiterlijk {due}); nog geen contact vastgelegd",
            ago_words(-left)
        ),
        "met" => format!("op tijd — contact op {contacted}"),
        "late" => format!("te laat — contact op {contacted}, termijn was {due}"),
        other => format!("{other} (uiterlijk {due})"),
    }
}

/// An active emergency: its time left of the 72 hours of article 15.3.
pub fn emergency_words(left: Duration, until: &str) -> String {
    format!("actief — nog {} van 72 uur (tot {until})", span(left))
}

// ---------------------------------------------------------------------------------
// Time in words.

/// Abbreviated weekday names, Monday first.
pub const WEEKDAYS: [&str; 7] = ["ma", "di", "wo", "do", "vr", "za", "zo"];
/// Abbreviated month names, January first.
pub const MONTHS: [&str; 12] = [
    "jan.", "feb.", "mrt.", "apr.", "mei", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec.",
];

/// A span in days, hours and minutes: "1 dag 4 uur", "3 uur 10 minuten", "5 minuten".
pub fn span(d: Duration) -> String {
    let total = d.abs().whole_minutes();
    if total == 0 {
        return "minder dan een minuut".to_owned();
    }
    let (days, hours, minutes) = (total / (24 * 60), (total / 60) % 24, total % 60);
    let day_word = |n: i64| if n == 1 { "dag" } else { "dagen" };
    let minute_word = |n: i64| if n == 1 { "minuut" } else { "minuten" };
    if days > 0 {
        if hours > 0 {
            format!("{days} {} {hours} uur", day_word(days))
        } else {
            format!("{days} {}", day_word(days))
        }
    } else if hours > 0 {
        if minutes > 0 {
            format!("{hours} uur {minutes} {}", minute_word(minutes))
        } else {
            format!("{hours} uur")
        }
    } else {
        format!("{minutes} {}", minute_word(minutes))
    }
}

/// A future span: "binnen 1 dag 4 uur".
pub fn in_words(d: Duration) -> String {
    format!("binnen {}", span(d))
}

/// A past span: "3 uur 10 minuten geleden".
pub fn ago_words(d: Duration) -> String {
    format!("{} geleden", span(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_as_dutch() {
        assert_eq!(span(Duration::minutes(28 * 60)), "1 dag 4 uur");
        assert_eq!(span(Duration::minutes(3 * 24 * 60)), "3 dagen");
        assert_eq!(span(Duration::minutes(190)), "3 uur 10 minuten");
        assert_eq!(span(Duration::minutes(61)), "1 uur 1 minuut");
        assert_eq!(span(Duration::minutes(5)), "5 minuten");
        assert_eq!(span(Duration::seconds(20)), "minder dan een minuut");
        assert_eq!(ago_words(Duration::hours(-2)), "2 uur geleden");
    }

    #[test]
    fn every_exit_class_has_dutch_words() {
        let unreachable = problem(&Error::Unreachable {
            url: "https://127.0.0.1:1".into(),
            detail: "connection refused".into(),
            profile: "p.toml".into(),
        });
        assert!(unreachable.unreachable);
        assert_eq!(unreachable.title, "De hub is niet bereikbaar");
        let denied = problem(&Error::Hub {
            code: tonic::Code::PermissionDenied,
            message: "needs a stadsdeelregisseur (art. 5.3)".into(),
            hint: None,
        });
        assert!(!denied.unreachable);
        assert!(denied.detail.contains("art. 5.3"), "{}", denied.detail);
    }
}
