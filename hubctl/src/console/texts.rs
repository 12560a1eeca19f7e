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

// ---------------------------------------------------------------------------------
// Convenant (pages::covenant): versions, text, differences, the proposal editor and
// approval (article 13), for privacy officers.

/// Navigation: the covenant pages.
pub const NAV_COVENANT: &str = "Convenant";
/// Page title.
pub const COVENANT_TITLE: &str = "Convenant";
/// Introduction.
pub const COVENANT_INTRO: &str = "De versies van het gecodeerde convenant. Een nieuwe versie gaat pas in als privacy officers van ten minste twee verschillende partijen haar hebben goedgekeurd, van wie één van een partij van soort gemeente (art. 13.1). Versies zijn oplopend genummerd, en elke beslissing legt vast met welke versie ze is genomen (art. 13.2).";
/// The table caption.
pub const COVENANT_VERSIONS_CAPTION: &str = "Versies, nieuwste eerst";
/// No versions (the hub always has one; said rather than an empty table).
pub const COVENANT_NO_VERSIONS: &str = "De hub noemt geen versies.";
/// Column.
pub const COL_VERSION: &str = "Versie";
/// Column.
pub const COL_VERSION_STATUS: &str = "Status";
/// Column.
pub const COL_TEXT_HASH: &str = "Teksthash (SHA-256)";
/// Column.
pub const COL_PROPOSED: &str = "Voorgesteld";
/// Column.
pub const COL_APPROVALS: &str = "Goedkeuringen (art. 13.1)";
/// Column.
pub const COL_COVENANT_ACTIONS: &str = "Bekijken";
/// Status of a version.
pub const STATUS_PROPOSED: &str = "voorgesteld";
/// Status of a version.
pub const STATUS_APPROVED: &str = "goedgekeurd, gaat in";
/// Status of a version.
pub const STATUS_IN_FORCE: &str = "in kracht";
/// Status of a version.
pub const STATUS_SUPERSEDED: &str = "vervangen";
/// The first version, proposed by no one.
pub const FIRST_VERSION: &str = "de versie waarmee de hub is gestart";
/// No approvals yet.
pub const NO_APPROVALS: &str = "nog geen";
/// Link: the text of a version.
pub const ACTION_TEXT: &str = "Tekst";
/// Link: the difference with the version in force.
pub const ACTION_DIFF: &str = "Verschil met versie in kracht";
/// Link: the difference with the version before.
pub fn diff_with_previous(version: u32) -> String {
    format!("Verschil met de vorige versie ({version})")
}
/// Link: approve a version.
pub const ACTION_APPROVE: &str = "Goedkeuren";
/// Marker: the caller's party approved.
pub const APPROVED_BY_YOUR_PARTY: &str = "uw partij heeft goedgekeurd";
/// Link: the proposal editor.
pub const NEW_PROPOSAL: &str = "Nieuwe versie voorstellen";
/// Link: a new proposal from this version's text.
pub const PROPOSE_FROM_THIS: &str = "Nieuwe versie voorstellen vanaf deze tekst";
/// Link: back to the list.
pub const BACK_TO_COVENANT: &str = "Terug naar alle versies";
/// The compare form's heading.
pub const COMPARE_TITLE: &str = "Twee versies vergelijken";
/// Field label.
pub const COMPARE_FROM: &str = "Oude versie";
/// Field label.
pub const COMPARE_TO: &str = "Nieuwe versie";
/// Submit button.
pub const COMPARE_SUBMIT: &str = "Vergelijk";

/// "Nu in kracht: versie 2".
pub fn in_force_now(version: u32) -> String {
    format!("Nu in kracht: versie {version}")
}

/// A version in an option or heading: "versie 2 (voorgesteld)".
pub fn version_option(version: u32, status: &str) -> String {
    format!("versie {version} ({status})")
}

/// The title of a version's page.
pub fn version_title(version: u32) -> String {
    format!("Convenant versie {version}")
}

/// Who did something, and when: "Politie Eenheid Amsterdam (p-politie-090), ma 7 dec.
/// 2026 10:00".
pub fn actor_words(party: &str, person: &str, at: Option<&str>) -> String {
    match at {
        Some(at) => format!("{party} ({person}), {at}"),
        None => format!("{party} ({person})"),
    }
}

/// What article 13.1 still needs, from the kinds of the parties that approved so far
/// (each party once); `None` once it is met. The hub decides; this says it in Dutch.
pub fn approvals_needed(parties: usize, gemeente: bool) -> Option<&'static str> {
    match (parties, gemeente) {
        (0, _) => Some(
            "Nog nodig: goedkeuring door privacy officers van ten minste twee verschillende partijen, van wie één van een partij van soort gemeente (art. 13.1).",
        ),
        (_, false) => Some(
            "Nog nodig: goedkeuring door een privacy officer van een partij van soort gemeente (art. 13.1).",
        ),
        (1, true) => Some(
            "Nog nodig: goedkeuring door een privacy officer van een tweede partij, van welke soort ook (art. 13.1).",
        ),
        _ => None,
    }
}

/// Label.
pub const VERSION_STATUS: &str = "Status";
/// Label.
pub const TEXT_HASH: &str = "Teksthash (SHA-256)";
/// Label.
pub const VERSION_DESCRIPTION: &str = "Toelichting";
/// Label.
pub const PROPOSED_BY: &str = "Voorgesteld door";
/// Label.
pub const APPROVALS: &str = "Goedkeuringen";
/// Label.
pub const IN_FORCE_FROM: &str = "In kracht sinds";
/// Label.
pub const SUPERSEDED: &str = "Vervangen";
/// No description.
pub const NO_DESCRIPTION: &str = "geen";

/// When and by which version a version was superseded.
pub fn superseded_words(by: u32, at: Option<&str>) -> String {
    match at {
        Some(at) => format!("door versie {by}, {at}"),
        None => format!("door versie {by}"),
    }
}

/// Heading of a version's warnings.
pub const VERSION_WARNINGS: &str = "Waarschuwingen van de controle";
/// Heading of a version's text.
pub const VERSION_TEXT: &str = "Tekst, met regelnummers";
/// Download link.
pub const TEXT_DOWNLOAD: &str = "Tekst downloaden (.covenant)";
/// What a shown hidden character is.
pub const HIDDEN_CHARACTER: &str = "onzichtbaar teken";

/// After a proposal (post/redirect/get).
pub fn proposed_banner(version: u32) -> String {
    format!(
        "Versie {version} is voorgesteld. Ze gaat in zodra privacy officers van twee verschillende partijen haar hebben goedgekeurd, van wie één van een partij van soort gemeente (art. 13.1). Voorstellen is nog geen goedkeuren: keur haar hieronder goed als u dat namens uw partij wilt."
    )
}

/// After an approval (post/redirect/get).
pub fn approved_banner(version: u32, party: &str, in_force: bool) -> String {
    if in_force {
        format!(
            "U hebt versie {version} goedgekeurd namens {party}. Daarmee is aan art. 13.1 voldaan: versie {version} is nu in kracht, en de hub en de agents beslissen ermee."
        )
    } else {
        format!("U hebt versie {version} goedgekeurd namens {party}. Ze is nog niet in kracht.")
    }
}

/// Page title.
pub const DIFF_TITLE: &str = "Verschil tussen twee versies";
/// Introduction.
pub const DIFF_INTRO: &str = "Eerst wat de nieuwe versie verandert voor wie (de uitvoer van covenant diff: elke soort verstrekking die beide versies anders beslissen), dan de twee teksten naast elkaar.";
/// Two times the same version.
pub const DIFF_SAME_VERSION: &str = "Kies twee verschillende versies om te vergelijken.";
/// The new version is not the higher one.
pub const DIFF_NOT_HIGHER: &str = "Let op: de nieuwe versie heeft geen hoger nummer dan de oude (art. 13.2 nummert versies oplopend); het verschil staat hieronder van oud naar nieuw zoals gekozen.";

/// "Versie 1 → versie 2".
pub fn diff_heading(from: u32, to: u32) -> String {
    format!("Versie {from} → versie {to}")
}

/// Heading.
pub const CHANGES_TITLE: &str = "Wat verandert er voor wie";
/// Heading.
pub const WHO_NOTICES: &str = "Wie merkt het";
/// Heading.
pub const EFFECTS_TITLE: &str = "Beslissingen die veranderen";
/// Table caption.
pub const EFFECTS_CAPTION: &str = "Soorten verstrekking die de nieuwe versie anders beslist";
/// No effect on decisions.
pub const NO_EFFECTS: &str = "Geen: elke soort verstrekking wordt beslist als voorheen.";
/// Column.
pub const COL_CATEGORY: &str = "Categorie";
/// Column.
pub const COL_RECIPIENT: &str = "Aan (rol, soort partij)";
/// Column.
pub const COL_PURPOSE: &str = "Doel";
/// Column.
pub const COL_ABOUT: &str = "Over";
/// Column.
pub const COL_SPOED: &str = "Spoed (art. 15)";
/// Column.
pub const COL_SOURCE: &str = "Van (bron)";
/// Column.
pub const COL_WAS: &str = "Was";
/// Column.
pub const COL_NOW: &str = "Wordt";
/// Any source party.
pub const ANY_PARTY: &str = "elke partij";
/// Any subject.
pub const ANY_SUBJECT: &str = "elke betrokkene";
/// Between a recipient's role and its party's kind.
pub const OF_KIND: &str = "van";
/// Between the subjects of a kind of share ("een dader of een melder").
pub const SUBJECTS_OR: &str = " of ";
/// The change holds with and without an emergency.
pub const EMERGENCY_ALWAYS: &str = "met en zonder spoed";
/// Only during the recipient's own emergency.
pub const EMERGENCY_DURING: &str = "alleen tijdens de eigen spoed van de ontvanger";
/// Only without an emergency.
pub const EMERGENCY_WITHOUT: &str = "alleen zonder spoed";
/// Before the fields a permit passes.
pub const PASSES: &str = "geeft door";
/// Before the fields a permit strips.
pub const STRIPS: &str = "verwijdert";
/// A permit that passes no field.
pub const NOTHING: &str = "niets";
/// Before the articles of a decision.
pub const ARTICLES: &str = "art.";
/// An emergency share.
pub const AS_EMERGENCY_SHARE: &str = "als spoedverstrekking";

/// A subject a kind of share is about, in words (the covenant's roles stay as written).
pub fn grid_subject(subject: treiter_policies::diff::GridSubject) -> &'static str {
    use treiter_policies::diff::GridSubject;
    match subject {
        GridSubject::Dader => "een dader",
        GridSubject::ConsentingSlachtoffer => "een slachtoffer met toestemming",
        GridSubject::SlachtofferWithoutConsent => "een slachtoffer zonder toestemming",
        GridSubject::Melder => "een melder",
    }
}

/// How many kinds of share change.
pub fn effects_count(n: usize) -> String {
    match n {
        0 => "Geen enkele soort verstrekking wordt anders beslist.".to_owned(),
        1 => "1 soort verstrekking wordt anders beslist.".to_owned(),
        n => format!("{n} soorten verstrekking worden anders beslist."),
    }
}

/// One recipient and what changes for it: "informatiemakelaar van gemeente: 2 soorten
/// verstrekking (politie-incidenten)".
pub fn notices_words(kinds: usize, categories: &str) -> String {
    match kinds {
        1 => format!("1 soort verstrekking ({categories})"),
        n => format!("{n} soorten verstrekking ({categories})"),
    }
}

/// Heading.
pub const PARTIES_TITLE: &str = "Partijen (bijlage A, art. 2.3)";
/// A party added.
pub fn party_added(name: &str, kind: &str, oin: &str) -> String {
    format!("Toegevoegd: {name} (soort {kind}, OIN {oin})")
}
/// A party of another kind.
pub fn party_kind_changed(name: &str, kind: &str, was: &str, oin: &str) -> String {
    format!("Andere soort: {name} is nu {kind}, was {was} (OIN {oin})")
}
/// A party renamed.
pub fn party_renamed(name: &str, was: &str, oin: &str) -> String {
    format!("Nieuwe naam: {name}, was {was} (OIN {oin})")
}
/// A party removed.
pub fn party_removed(name: &str, kind: &str, oin: &str) -> String {
    format!(
        "Verwijderd: {name} (soort {kind}, OIN {oin}); verstrekkingen van en aan deze partij worden geweigerd (art. 2.3)"
    )
}

/// Heading.
pub const RULES_TITLE: &str = "Regels die verdwijnen of bijkomen";
/// Table caption.
pub const RULES_CAPTION: &str = "Regels per artikel (notities niet meegeteld)";
/// Column.
pub const COL_ARTICLE: &str = "Artikel";
/// Column.
pub const COL_CHANGE: &str = "Wijziging";
/// Column.
pub const COL_RULE: &str = "Regel";
/// A rule removed.
pub const RULE_REMOVED: &str = "verdwijnt";
/// A rule added.
pub const RULE_ADDED: &str = "komt erbij";

/// Heading.
pub const SIDE_BY_SIDE_TITLE: &str = "De teksten naast elkaar";
/// Table caption.
pub fn side_by_side_caption(from: u32, to: u32, removed: usize, added: usize) -> String {
    format!(
        "Versie {from} links, versie {to} rechts: {removed} regel(s) weg of herschreven, {added} regel(s) nieuw of herschreven"
    )
}
/// Column header.
pub fn line_column(version: u32) -> String {
    format!("Regel (versie {version})")
}
/// Column header.
pub fn text_column(version: u32) -> String {
    format!("Tekst versie {version}")
}
/// What a screen reader hears before a removed text.
pub const REMOVED_MARK: &str = "verdwenen:";
/// What a screen reader hears before an added text.
pub const ADDED_MARK: &str = "nieuw:";
/// A row without a line on one side.
pub const NO_LINE: &str = "geen regel";

/// A folded run of unchanged lines.
pub fn folded_lines(lines: usize, old_from: usize, new_from: usize) -> String {
    if old_from == new_from {
        format!("{lines} ongewijzigde regel(s), vanaf regel {old_from}")
    } else {
        format!(
            "{lines} ongewijzigde regel(s), vanaf regel {old_from} links en regel {new_from} rechts"
        )
    }
}
/// Link: show every line.
pub const SHOW_WHOLE_TEXT: &str = "Toon de hele tekst";
/// Link: fold the unchanged lines.
pub const SHOW_CHANGES_ONLY: &str = "Toon alleen de wijzigingen";
/// The covenant tool's own output.
pub const PLAIN_DIFF: &str =
    "Uitvoer van covenant diff (in het Engels, zoals de opdrachtregel hem geeft)";

/// Page title.
pub const EDITOR_TITLE: &str = "Nieuwe versie voorstellen";
/// Introduction.
pub const EDITOR_INTRO: &str = "Bewerk de tekst van het convenant en stel hem voor aan de hub (art. 13). De console controleert de tekst met de controle van de engine zelf (dezelfde als covenant check: elke fout en waarschuwing met regel en kolom) en draait de covenanttests. Met JavaScript aan gebeurt dat terwijl u typt; anders drukt u op Controleer. Voorstellen is nog geen goedkeuren.";

/// Where the editor's text came from.
pub fn editor_start(from: u32, new_version: u32) -> String {
    format!(
        "De tekst begint als versie {from}, met het versienummer al op {new_version} gezet: een nieuwe versie moet een hoger nummer hebben dan elke bestaande (art. 13.2)."
    )
}

/// Field label.
pub const FIELD_COVENANT_TEXT: &str = "Tekst van het convenant";
/// Field hint.
pub const FIELD_COVENANT_TEXT_HINT: &str = "De hele tekst, zoals in een .covenant-bestand. Regel- en kolomnummers in de controle tellen vanaf 1.";
/// Field label.
pub const FIELD_DESCRIPTION: &str = "Toelichting voor de goedkeurders";
/// Field hint.
pub const FIELD_DESCRIPTION_HINT: &str = "Wat verandert er en waarom, bijvoorbeeld „art. 6.3: locatie niet meer verstrekt”. Ten hoogste 2000 tekens, geen persoonsgegevens.";
/// Field label.
pub const FIELD_OWN_TESTS: &str = "Eigen covenanttests (optioneel)";
/// Field hint.
pub const FIELD_OWN_TESTS_HINT: &str = "Tests in de vorm van een .covtest-bestand (background, test, expect), bijvoorbeeld voor wat uw wijziging moet bereiken. Ze draaien naast de tests van het convenant zelf, en worden niet opgeslagen.";
/// Button: check only.
pub const CHECK_BUTTON: &str = "Controleer";
/// Button: propose.
pub const PROPOSE_BUTTON: &str = "Voorstellen";
/// The description is missing.
pub const DESCRIPTION_REQUIRED: &str =
    "Vul een toelichting in: de goedkeurders lezen die bij hun besluit.";
/// The description is too long.
pub const DESCRIPTION_TOO_LONG: &str =
    "De toelichting is langer dan 2000 tekens; maak haar korter.";
/// The text is empty.
pub const TEXT_REQUIRED: &str = "De tekst is leeg. Plak of typ de hele tekst van het convenant.";
/// Not sent: the check found errors.
pub const NOT_SENT_ERRORS: &str = "Niet voorgesteld: de controle vindt fouten in de tekst (zie hieronder). Er is niets naar de hub gestuurd.";
/// Title: the hub did not accept the proposal.
pub const HUB_REFUSED_PROPOSAL: &str = "De hub heeft het voorstel niet aangenomen";
/// What that means.
pub const HUB_REFUSED_PROPOSAL_ADVICE: &str = "Er is niets opgeslagen. De hub noemt hieronder elke reden met regel en kolom; pas de tekst aan en stel opnieuw voor.";
/// Title: the hub's refusal of a proposal by status.
pub const PROPOSAL_REFUSED: &str = "Het voorstel is niet gedaan";

/// Heading.
pub const CHECK_TITLE: &str = "Controle";
/// The check itself failed (a bug): what happened.
pub fn check_aborted(why: &str) -> String {
    format!("De controle is afgebroken ({why}); probeer het opnieuw.")
}

/// A valid text, as `covenant check` says it.
pub fn check_valid(
    version: u32,
    parties: usize,
    rules: usize,
    notes: usize,
    warnings: usize,
) -> String {
    format!(
        "Geldig: versie {version}, {parties} partijen, {rules} regels en {notes} notities, {warnings} waarschuwing(en)."
    )
}

/// An invalid text.
pub fn check_invalid(errors: usize, warnings: usize) -> String {
    format!(
        "Ongeldig: {errors} fout(en), {warnings} waarschuwing(en). Zo kan de tekst niet worden voorgesteld."
    )
}

/// The level of a problem.
pub const LEVEL_ERROR: &str = "fout";
/// The level of a problem.
pub const LEVEL_WARNING: &str = "waarschuwing";
/// Before a problem's help.
pub const HELP: &str = "Hulp";

/// Where a problem is.
pub fn line_and_column(line: usize, column: usize) -> String {
    format!("regel {line}, kolom {column}")
}

/// The article a problem's line encodes.
pub fn problem_article(article: &str) -> String {
    format!("art. {article}")
}

/// Problems not shown.
pub fn more_problems(n: usize) -> String {
    format!(
        "En nog {n} probleem/problemen; ze staan alle in de uitvoer van covenant check hieronder."
    )
}

/// The check's output as the command line gives it.
pub const PLAIN_CHECK: &str =
    "Uitvoer van covenant check (in het Engels, zoals de opdrachtregel hem geeft)";

/// Heading.
pub const TESTS_TITLE: &str = "Covenanttests";
/// Which tests are run, and why those.
pub const TESTS_SOURCE: &str = "De console draait de tests van het convenant zelf (policies/tests/covenant/ in de broncode, meegebouwd in deze hubctl, dus voor elke privacy officer dezelfde) en de eigen tests die u hieronder invult.";
/// Tests wait for a valid text.
pub const TESTS_NOT_RUN: &str = "De tests draaien zodra de tekst geldig is.";
/// What a failing test may mean.
pub const TESTS_FAILED_NOTE: &str = "Een test die faalt, kan precies de bedoeling van uw wijziging zijn: ga bij elke afwijking na of die gewenst is. De hub draait de tests niet; falende tests houden een voorstel niet tegen.";
/// A failed test's marker.
pub const TEST_FAILED: &str = "gefaald";
/// The name of the pasted tests.
pub const OWN_TESTS_NAME: &str = "eigen tests";
/// The own tests do not parse.
pub const OWN_TESTS_INVALID: &str = "Uw eigen tests zijn niet te lezen:";

/// How many tests passed and failed.
pub fn tests_summary(passed: usize, failed: usize) -> String {
    format!("{passed} geslaagd, {failed} gefaald.")
}

/// A file's tally.
pub fn test_file_summary(passed: usize, failed: usize) -> String {
    format!("{passed} geslaagd, {failed} gefaald")
}

/// The list of passed tests.
pub fn passed_tests(n: usize) -> String {
    format!("{n} geslaagde test(s)")
}

/// A failed test: where and which.
pub fn failed_test(line: usize, name: &str) -> String {
    format!("regel {line}: {name}")
}

/// Page title.
pub fn approve_title(version: u32) -> String {
    format!("Versie {version} goedkeuren")
}

/// Introduction.
pub fn approve_intro(party: &str) -> String {
    format!(
        "U keurt goed namens {party}. Uw goedkeuring geldt voor precies de tekst met de hash hieronder (art. 13.1): verandert de tekst, dan weigert de hub haar. Elke partij telt één keer."
    )
}

/// Label of the hash being approved.
pub const APPROVE_HASH: &str = "U keurt de tekst met deze SHA-256-hash goed";
/// Heading.
pub const APPROVED_BEFORE: &str = "Eerder goedgekeurd door";
/// Nobody approved before.
pub const NONE_APPROVED_BEFORE: &str = "Nog niemand heeft deze versie goedgekeurd.";
/// Heading.
pub const APPROVE_REVIEW: &str = "Wat u goedkeurt";

/// Link: the whole side-by-side difference.
pub fn approve_full_diff(in_force: u32) -> String {
    format!("De hele tekst naast versie {in_force} in kracht")
}

/// The confirmation box.
pub fn approve_confirm(version: u32) -> String {
    format!("Ik heb versie {version} met deze teksthash beoordeeld")
}

/// The button.
pub fn approve_button(party: &str) -> String {
    format!("Goedkeuren namens {party}")
}

/// The box was not ticked.
pub const APPROVE_CONFIRM_MISSING: &str =
    "Vink aan dat u deze tekst hebt beoordeeld; er is niets goedgekeurd.";
/// The form's hash is not a hash.
pub const APPROVE_BAD_HASH: &str =
    "Het formulier bevat geen geldige teksthash; laad de pagina opnieuw. Er is niets goedgekeurd.";
/// Title: the caller's party approved already.
pub const ALREADY_APPROVED_TITLE: &str = "Uw partij heeft deze versie al goedgekeurd";

/// The caller's party approved already: who and when.
pub fn already_approved(version: u32, party: &str, person: &str, at: &str) -> String {
    format!(
        "{party} heeft versie {version} al goedgekeurd ({person}, {at}). Elke partij telt één keer (art. 13.1): er valt voor uw partij niets meer goed te keuren."
    )
}

/// Title: a version that cannot be approved.
pub const NOT_APPROVABLE_TITLE: &str = "Deze versie valt niet goed te keuren";

/// Why a version cannot be approved.
pub fn not_approvable(version: u32, status: &str) -> String {
    match status {
        "in-force" => format!(
            "Versie {version} is al in kracht: er valt niets meer goed te keuren (art. 13.1)."
        ),
        "approved" => format!(
            "Versie {version} is al goedgekeurd door genoeg partijen en gaat nu in (art. 13.1)."
        ),
        "superseded" => format!(
            "Versie {version} is vervangen door een hogere versie en kan nooit meer ingaan (art. 13.2)."
        ),
        _ => format!("Versie {version} heeft status {status} en valt niet goed te keuren."),
    }
}

/// The console found that the text does not match its hash.
pub const HASH_MISMATCH_TITLE: &str = "De tekst past niet bij de hash";
/// What to do.
pub const HASH_MISMATCH: &str = "De tekst die de hub stuurde heeft een andere SHA-256-hash dan de hub voor deze versie noemt. Keur deze versie niet goed, en meld het bij de beheerder van de hub.";

/// The hub's refusal of an approval, in the console's words: the title and advice by
/// the kind of refusal, hubctl's message as the detail.
pub fn approval_refused(error: &Error) -> Problem {
    let mut p = problem(error);
    match error.exit() {
        Exit::AlreadyExists => {
            p.title = ALREADY_APPROVED_TITLE.to_owned();
            p.advice = "Elke partij telt één keer (art. 13.1); er is niets gewijzigd.".to_owned();
        }
        Exit::State => {
            p.title = "De hub neemt deze goedkeuring niet aan".to_owned();
            p.advice = "De versie is inmiddels in kracht of vervangen, of de tekst is niet wat u beoordeelde; de toelichting zegt welke. Er is niets goedgekeurd.".to_owned();
        }
        Exit::PermissionDenied => {
            p.title = "Alleen een privacy officer keurt een versie goed".to_owned();
            p.advice = "De hub kent u niet als privacy officer van uw partij (art. 5.2, 13.1). Er is niets goedgekeurd.".to_owned();
        }
        _ => {}
    }
    p
}

/// The hub's refusal of a proposal, in the console's words.
pub fn proposal_refused(error: &Error) -> Problem {
    let mut p = problem(error);
    match error.exit() {
        Exit::Invalid => {
            p.title = PROPOSAL_REFUSED.to_owned();
            p.advice = "De hub weigert de tekst of de toelichting zoals ze zijn (te groot, of met tekens die niet mogen); de toelichting noemt het veld. Er is niets opgeslagen.".to_owned();
        }
        Exit::PermissionDenied => {
            p.title = "Alleen een privacy officer stelt een versie voor".to_owned();
            p.advice = "De hub kent u niet als privacy officer van uw partij (art. 5.2, 13). Er is niets opgeslagen.".to_owned();
        }
        _ => {}
    }
    p
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
