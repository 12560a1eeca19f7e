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
// Bevraging and Casusdossier (pages::bevraging, pages::casefiles, pages::casefile).

/// Breadcrumb: the case.
pub fn case_crumb(case_id: &str) -> String {
    format!("Casus {case_id}")
}
/// The breadcrumb's label.
pub const BREADCRUMB_LABEL: &str = "Kruimelpad";
/// Link to a case's Bevraging page.
pub const TO_BEVRAGING: &str = "Bevraging";
/// After the link to the Bevraging page.
pub const BEVRAGING_LINK_WORDS: &str =
    "eerst alleen vragen welke partners een betrokkene kennen (art. 8.4).";
/// After the link to the case files.
pub const CASE_FILES_LINK_WORDS: &str =
    "vraag de gegevens op bij de partners die een betrokkene kennen.";
/// Link to a case's case files.
pub const TO_CASE_FILES: &str = "Casusdossiers";

/// A case id or case file id in an address that cannot be one.
pub const BAD_ID: &str = "Dit adres noemt geen geldige casus of geldig casusdossier.";

/// The purpose that fits a phase (article 4.2), in words.
pub fn purpose_for_phase_words(purpose: &str, phase: &str) -> String {
    format!("doel {purpose} (past bij fase {phase}, art. 4.2)")
}
/// A closed case: nothing is shared any more.
pub fn closed_phase(phase: &str) -> String {
    format!(
        "Deze casus is in fase {phase}: er worden geen gegevens meer gedeeld (art. 4.4). Eerder opgevraagde casusdossiers blijven leesbaar tot ze worden verwijderd (art. 9)."
    )
}
/// A case without subjects.
pub const NO_SUBJECTS_YET: &str = "Deze casus heeft nog geen betrokkenen. Voeg eerst een betrokkene toe op de pagina van de casus.";
/// A subject by role and name: "dader — buurman 3-hoog".
pub fn subject_words(role: &str, name: &str) -> String {
    format!("{role} — {name}")
}

/// Bevraging: page title.
pub fn bevraging_title(case_id: &str) -> String {
    format!("Bevraging — casus {case_id}")
}
/// Bevraging: introduction.
pub const BEVRAGING_INTRO: &str = "Een bevraging vraagt de partners alleen óf zij een betrokkene kennen: bekend of niet bekend, niets meer (art. 8.4). Partners krijgen alleen het pseudoniem, en alleen partners die iets aan u zouden mogen verstrekken worden gevraagd.";
/// Bevraging: the form's heading.
pub const BEVRAGING_FORM: &str = "Wie kent deze betrokkene?";
/// Bevraging: legend of the subject choice.
pub const BEVRAGING_SUBJECT: &str = "Betrokkene";
/// Bevraging: the button.
pub const BEVRAGING_SUBMIT: &str = "Bevraging uitvoeren";
/// Bevraging: no subject chosen, or one that is not in the case.
pub const BEVRAGING_PICK_SUBJECT: &str = "Kies een betrokkene van deze casus.";
/// Bevraging: the result's heading.
pub const BEVRAGING_RESULT: &str = "Uitslag";
/// Bevraging: the result table's caption.
pub fn bevraging_caption(subject: &str) -> String {
    format!("Wie kent {subject}? (art. 8.4)")
}
/// Bevraging: when and for which purpose it was asked.
pub fn bevraging_asked(at: &str, purpose: &str) -> String {
    format!("Gevraagd op {at}, voor doel {purpose}.")
}
/// Bevraging: how many partners know the subject.
pub fn bevraging_hits(hits: usize, asked: usize) -> String {
    match (hits, asked) {
        (0, _) => format!("Geen van de {asked} gevraagde partners kent de betrokkene."),
        (1, _) => format!("1 van de {asked} gevraagde partners kent de betrokkene."),
        (n, _) => format!("{n} van de {asked} gevraagde partners kennen de betrokkene."),
    }
}
/// Bevraging: a partner that knows the subject.
pub const HIT: &str = "bekend";
/// Bevraging: what a hit means.
pub const HIT_WORDS: &str = "Kent de betrokkene; een casusdossier vraagt deze partner om gegevens.";
/// Bevraging: a partner that does not.
pub const NO_HIT: &str = "niet bekend";
/// Column: the result.
pub const COL_RESULT: &str = "Uitslag";
/// Column: the explanation.
pub const COL_WHY: &str = "Toelichting";
/// Column: the partner.
pub const COL_PARTNER: &str = "Partner";

/// Where something is logged: "logboek, regel 41".
pub fn log_entry(index: u64) -> String {
    format!("logboek, regel {index}")
}
/// After a log entry a coordinator cannot open.
pub const LOG_FOR_OFFICERS: &str = "(het logboek is in te zien door de privacy officers)";
/// Before the log entry of a bevraging.
pub const BEVRAGING_LOGGED: &str = "Vastgelegd in het";

/// Casusdossiers: page title.
pub fn case_files_title(case_id: &str) -> String {
    format!("Casusdossiers — casus {case_id}")
}
/// Casusdossiers: introduction.
pub const CASE_FILES_INTRO: &str = "Een casusdossier bundelt wat de partners over de betrokkenen van deze casus aan u mogen verstrekken. De hub vraagt eerst wie een betrokkene kent (art. 8.4), vraagt alleen die partners om gegevens, en laat elk gegeven eerst door het convenant beoordelen: velden die u niet mag zien worden ingehouden, verboden inhoud wordt geheel geweigerd.";
/// Casusdossiers: the request form's heading.
pub const REQUEST_TITLE: &str = "Nieuw casusdossier opvragen";
/// Casusdossiers: the purpose field.
pub const REQUEST_PURPOSE: &str = "Doel (art. 3.1)";
/// Casusdossiers: the purpose allowed under the caller's emergency.
pub const PURPOSE_UNDER_EMERGENCY: &str = "onder uw spoedmelding (art. 15.1)";
/// Casusdossiers: the subjects field.
pub const REQUEST_SUBJECTS: &str = "Betrokkenen (alle aangevinkt: alle betrokkenen van de casus)";
/// Casusdossiers: the wait field.
pub const REQUEST_WAIT: &str = "Wachttijd per partner";
/// Casusdossiers: a wait in words (0: the hub's default).
pub fn wait_words(seconds: u32) -> String {
    match seconds {
        0 => "standaard van de hub".to_owned(),
        s => format!("{s} seconden"),
    }
}
/// Casusdossiers: a wait that is not offered.
pub const REQUEST_PICK_WAIT: &str = "Kies een wachttijd uit de lijst.";
/// Casusdossiers: the button.
pub const REQUEST_SUBMIT: &str = "Casusdossier opvragen";
/// Casusdossiers: what happens next.
pub const REQUEST_HINT: &str = "U ziet daarna per partner hoe het dossier zich vult. Een partner die niet op tijd antwoordt houdt de andere niet op.";
/// Casusdossiers: no subject ticked.
pub const REQUEST_PICK_SUBJECTS: &str = "Kies ten minste één betrokkene van deze casus.";
/// Casusdossiers: a purpose that is not offered.
pub const REQUEST_PICK_PURPOSE: &str = "Kies een doel uit de lijst.";
/// Casusdossiers: the list's heading.
pub const CASE_FILES_LIST: &str = "Uw casusdossiers van deze casus";
/// Casusdossiers: the list's caption.
pub const CASE_FILES_CAPTION: &str = "Casusdossiers, nieuwste eerst";
/// Casusdossiers: none yet.
pub const NO_CASE_FILES: &str = "U hebt voor deze casus nog geen casusdossier opgevraagd.";
/// Column.
pub const COL_CASE_FILE: &str = "Casusdossier";
/// Column.
pub const COL_PURPOSE: &str = "Doel";
/// Column.
pub const COL_REQUESTED: &str = "Opgevraagd";
/// Column.
pub const COL_STATE: &str = "Stand";
/// Column.
pub const COL_SUMMARY: &str = "Samenvatting";
/// A file being assembled.
pub const FILE_ASSEMBLING: &str = "wordt samengesteld";
/// A file whose partners all settled.
pub const FILE_COMPLETE: &str = "compleet";
/// A file that queued questions may still add to.
pub const FILE_INCOMPLETE: &str = "nog niet compleet: vragen in de wachtrij";

/// A settled case file's counts, in the list.
pub fn file_summary(
    passed: u32,
    withheld: u32,
    answered: u32,
    nothing: u32,
    no_answer: u32,
    not_asked: u32,
) -> String {
    format!(
        "{passed} {} doorgegeven, {withheld} ingehouden · {answered} beantwoord, {nothing} niets, {no_answer} geen antwoord, {not_asked} niet gevraagd",
        if passed == 1 { "gegeven" } else { "gegevens" }
    )
}
/// A case file being assembled, in the list.
pub fn file_partial(settled: usize, asked: usize) -> String {
    format!("{settled} van de {asked} gevraagde partners klaar")
}

/// Casusdossier: page title.
pub fn case_file_title(id: &str) -> String {
    format!("Casusdossier {id}")
}
/// Casusdossier: reload the page (works without JavaScript).
pub const REFRESH: &str = "Vernieuwen";
/// Casusdossier: what reloading does.
pub const REFRESH_HINT: &str = "Deze pagina werkt zichzelf bij zolang het dossier wordt samengesteld; zonder JavaScript ziet u de laatste stand met Vernieuwen.";
/// Casusdossier: how to print.
pub const PRINT_HINT: &str = "Afdrukken voor het overleg: gebruik de afdrukfunctie van de browser (Ctrl+P). Menu en statusbalk worden niet afgedrukt.";
/// Casusdossier: the facts' heading.
pub const FILE_FACTS: &str = "Gegevens van het verzoek";
/// Row label.
pub const FILE_CASE: &str = "Casus";
/// Row label.
pub const FILE_PURPOSE: &str = "Doel";
/// Row label.
pub const FILE_REQUESTER: &str = "Opgevraagd door";
/// Row label.
pub const FILE_REQUESTED_AT: &str = "Opgevraagd op";
/// Row label.
pub const FILE_SUBJECTS: &str = "Betrokkenen";
/// Row label.
pub const FILE_CATEGORIES: &str = "Gevraagde categorieën";
/// Row label.
pub const FILE_COVENANT: &str = "Convenant";
/// Row label.
pub const FILE_EMERGENCY: &str = "Spoed";
/// The emergency line.
pub const FILE_UNDER_EMERGENCY: &str = "Opgevraagd onder uw spoedmelding (art. 15.1): spoedverstrekkingen worden gemeld aan de privacy officer van de bron voor toetsing (art. 15.2).";
/// The covenant version.
pub fn covenant_version(n: u32) -> String {
    format!("versie {n}")
}
/// The purpose and phase.
pub fn purpose_and_phase(purpose: &str, phase: &str) -> String {
    format!("{purpose} (fase {phase} bij het opvragen)")
}
/// Casusdossier: the status table's heading.
pub const PARTNERS_TITLE: &str = "Stand per partner";
/// Casusdossier: the status table's caption.
pub const PARTNERS_CAPTION: &str = "Alle partners van het convenant, met wat zij antwoordden";
/// Casusdossier: the records' heading.
pub const RECORDS_TITLE: &str = "Gegevens per partner";
/// Casusdossier: the records' introduction, for a coordinator.
pub const RECORDS_INTRO: &str = "Per partner de gegevens met de velden die zijn doorgegeven, de ingehouden velden met het artikel dat ze inhield, de verplichtingen die erbij horen, en de herkomst: de bron, haar kenmerk en de regel in het logboek waar de hub het besluit vastlegde (art. 10.1). Het logboek zelf is in te zien door de privacy officers.";
/// Casusdossier: the records' introduction, for a privacy officer.
pub const RECORDS_INTRO_OFFICER: &str = "Per partner de gegevens met de velden die zijn doorgegeven, de ingehouden velden met het artikel dat ze inhield, de verplichtingen die erbij horen, en de herkomst met een link naar het besluit in het logboek (art. 10.1).";
/// A case file whose assembly stopped before the hub stored it (the hub answered
/// UNAVAILABLE for it): the hub was reached, the file is lost, a new one is needed.
pub fn case_file_failed(error: &Error) -> Problem {
    Problem {
        title: "Dit casusdossier kon niet worden afgerond".to_owned(),
        advice: "De hub heeft het samenstellen gestopt voordat het dossier was opgeslagen (de toelichting zegt waarom); er is niets van doorgegeven. Vraag een nieuw casusdossier op.".to_owned(),
        detail: error.to_string(),
        unreachable: false,
    }
}
/// Casusdossier: following stopped (the hub refused or lost the file).
pub const FOLLOWING_STOPPED: &str =
    "Het volgen van dit casusdossier is gestopt; zie de melding hieronder.";
/// Casusdossier: no records (yet).
pub const NO_RECORDS_YET: &str = "Nog geen gegevens ontvangen.";
/// Casusdossier: no records at all.
pub const NO_RECORDS: &str = "Geen enkele partner verstrekte gegevens.";

/// The progress sentence while the file is assembled.
pub fn progress_assembling(settled: usize, asked: usize, waiting: &[String]) -> String {
    format!(
        "Het casusdossier wordt samengesteld: {settled} van de {asked} gevraagde partners zijn klaar; wacht op {}.",
        waiting.join(", ")
    )
}
/// The progress sentence once every partner settled.
pub fn progress_settled(at: &str, complete: bool) -> String {
    if complete {
        format!("Het casusdossier is compleet (afgerond op {at}).")
    } else {
        format!(
            "Alle partners zijn afgehandeld (op {at}); vragen aan partners die offline waren staan in de wachtrij en hun antwoorden komen later bij dit dossier. Vernieuw de pagina om ze te zien."
        )
    }
}
/// The counts of a settled file.
pub fn file_counts(passed: u32, stripped: u32, withheld: u32, emergency: u32) -> String {
    let mut s = format!(
        "{passed} {} doorgegeven ({stripped} {} ingehouden), {withheld} {} geheel ingehouden",
        if passed == 1 { "gegeven" } else { "gegevens" },
        if stripped == 1 { "veld" } else { "velden" },
        if withheld == 1 { "gegeven" } else { "gegevens" },
    );
    if emergency > 0 {
        s.push_str(&format!(", waarvan {emergency} als spoedverstrekking"));
    }
    s.push('.');
    s
}

/// A partner that was asked and has not answered yet.
pub const PARTNER_ASKED: &str = "gevraagd — wacht op antwoord";
/// A partner that knows a subject and is asked for its records.
pub const PARTNER_HIT_WAITING: &str = "bekend — gegevens gevraagd";
/// A partner whose records passed.
pub const PARTNER_ANSWERED: &str = "beantwoord";
/// A partner with nothing: it knows none of the subjects.
pub const PARTNER_NO_HIT: &str = "niets — kent de betrokkenen niet";
/// Why.
pub const PARTNER_NO_HIT_WORDS: &str =
    "Alleen gevraagd óf de partner een betrokkene kent (art. 8.4); daarna niets meer.";
/// A partner with nothing: it knows a subject, but has no records of the categories.
pub const PARTNER_NO_RECORDS: &str = "niets — geen gegevens van de gevraagde categorieën";
/// A partner that did not answer in time.
pub const PARTNER_NO_ANSWER: &str = "geen antwoord op tijd";
/// A partner that was offline and whose queue ran out.
pub const PARTNER_QUEUE_EXPIRED: &str = "geen antwoord — offline, de wachttijd is verstreken";
/// A partner that was offline (a bevraging is not queued).
pub const PARTNER_OFFLINE: &str = "geen antwoord — offline";
/// A partner that could not answer, with its reason code.
pub fn partner_could_not(reason: &str) -> String {
    format!("kon niet antwoorden ({reason})")
}
/// A partner that was offline, its questions queued.
pub fn partner_queued(until: &str) -> String {
    format!("offline — in de wachtrij tot {until}")
}
/// Why, for a queued partner.
pub const PARTNER_QUEUED_WORDS: &str = "De vragen worden afgeleverd zodra de partner weer verbonden is; de antwoorden komen dan bij dit dossier.";
/// A partner whose every record was refused.
pub fn partner_withheld(articles: &str) -> String {
    format!("ingehouden — art. {articles}")
}
/// A partner that was not asked.
pub fn partner_not_asked(articles: &str) -> String {
    if articles.is_empty() {
        "niet gevraagd".to_owned()
    } else {
        format!("niet gevraagd — art. {articles}")
    }
}
/// Why a partner was not asked: nothing it could provide may go to you.
pub const NOT_ASKED_LEAD: &str = "Niets wat deze partner kan leveren mag voor dit doel naar u";
/// How many records passed and were withheld.
pub fn partner_records(passed: usize, withheld: usize) -> String {
    let mut s = format!(
        "{passed} {} doorgegeven",
        if passed == 1 { "gegeven" } else { "gegevens" }
    );
    if withheld > 0 {
        s.push_str(&format!(
            ", {withheld} {} ingehouden",
            if withheld == 1 { "gegeven" } else { "gegevens" }
        ));
    }
    s
}
/// The answer time.
pub fn latency(ms: u32) -> String {
    format!("antwoord in {ms} ms")
}
/// An answer that arrived through the queue, after the file was first ready.
pub const LATE: &str = "later binnengekomen via de wachtrij";
/// A subject's state with one partner, in a pending or multi-subject row.
pub fn subject_state(status: &str, reason: &str) -> &'static str {
    match status {
        "asked" => "gevraagd",
        "hit" => "bekend, gegevens gevraagd",
        "no-hit" => "niet bekend",
        "answered" => "bekend, gegevens ontvangen",
        "no-records" => "bekend, geen gegevens",
        "offline-queued" => "offline, in de wachtrij",
        "not-asked" => "niet gevraagd",
        "no-answer" if reason == "offline" => "geen antwoord — offline",
        "no-answer" if reason == "queue-expired" => "geen antwoord — wachttijd verstreken",
        "no-answer" => "geen antwoord op tijd",
        _ => "onbekende stand",
    }
}

/// A record that passed: its fields' caption.
pub fn record_caption(category: &str, subject: &str) -> String {
    format!("{category} over {subject}")
}
/// Column.
pub const COL_FIELD: &str = "Veld";
/// Column.
pub const COL_VALUE: &str = "Waarde";
/// A permitted record whose every field was withheld.
pub const EMPTY_RECORD: &str =
    "Elk aangeboden veld is ingehouden: er is een leeg gegeven doorgegeven.";
/// Before the withheld fields.
pub const STRIPPED_FIELDS: &str = "Ingehouden velden";
/// One withheld field with its article.
pub fn stripped_field(field: &str, article: &str) -> String {
    format!("{field} (art. {article})")
}
/// An emergency share.
pub const EMERGENCY_SHARE: &str = "spoedverstrekking (art. 15.1)";
/// A refused record.
pub fn record_withheld(articles: &str) -> String {
    format!("ingehouden — art. {articles}")
}
/// A record refused as a whole because of prohibited content (article 7).
pub const REJECTED_WHOLE: &str =
    "Verboden inhoud: het hele gegeven is geweigerd, er is niets van doorgegeven.";
/// A record not permitted for the requester.
pub const DENIED: &str = "Dit gegeven mag niet naar u: er is niets van doorgegeven.";
/// Who is notified of a rejected record.
pub fn officers_notified(parties: &str) -> String {
    format!("De privacy officer van {parties} is ingelicht.")
}
/// Who decided a refusal.
pub const DECIDED_BY_SOURCE: &str =
    "Geweigerd door de eigen controle van de partner, vóór verzending.";
/// Before the obligations.
pub const OBLIGATIONS: &str = "Verplichtingen";
/// Purpose binding.
pub fn obligation_purpose(purpose: &str, article: &str) -> String {
    format!("Alleen gebruiken voor {purpose} (doelbinding, art. {article})")
}
/// Retention with its date (the case is closed).
pub fn obligation_retention_until(until: &str, article: &str) -> String {
    format!("Bewaren tot uiterlijk {until}, daarna verwijderen (art. {article})")
}
/// Retention without a date yet.
pub fn obligation_retention(article: &str) -> String {
    match article {
        "9.1" => {
            "Bewaren tot 24 maanden nadat de casus is afgesloten, daarna verwijderen (art. 9.1)"
                .to_owned()
        }
        "9.2" => "Verwijderen 3 maanden na het besluit buiten-aanpak (art. 9.2)".to_owned(),
        a => format!("Bewaartermijn volgens art. {a}"),
    }
}
/// The emergency review.
pub fn obligation_review(party: &str, article: &str) -> String {
    format!(
        "Spoedverstrekking: gemeld aan de privacy officer van {party} voor toetsing binnen 1 werkdag (art. {article})"
    )
}
/// Another obligation.
pub fn obligation_other(kind: &str, article: &str) -> String {
    format!("{kind} (art. {article})")
}
/// Before the provenance.
pub const PROVENANCE: &str = "Herkomst";
/// The source's reference.
pub fn source_reference(reference: &str) -> String {
    format!("kenmerk {reference}")
}
/// When the source recorded it.
pub fn recorded_at(at: &str) -> String {
    format!("vastgelegd bij de bron op {at}")
}
/// The hub's decision.
pub fn decided(at: &str, articles: &str, version: u32) -> String {
    if at.is_empty() {
        format!("besloten door de hub onder art. {articles} (convenant versie {version})")
    } else {
        format!("besloten door de hub op {at} onder art. {articles} (convenant versie {version})")
    }
}

/// The reason of an article, in words, for "niet gevraagd" and "ingehouden" lines.
pub fn article_reason(article: &str) -> Option<&'static str> {
    Some(match article {
        "2.3" => "de partij of haar soort staat niet zo in het convenant",
        "3.2" => "gegevens voor het ene doel mogen niet voor een ander doel worden gebruikt",
        "3.3" => "voor evaluatie worden geen persoonsgegevens gedeeld",
        "4.2" => "het doel past niet bij de fase van de casus",
        "4.4" => "in deze fase worden geen gegevens meer gedeeld",
        "5.1" => "het convenant staat deze verstrekking niet toe",
        "5.2" => "uw rol mag deze gegevens niet ontvangen",
        "5.3" => "alleen over casussen in uw eigen stadsdeel",
        "5.4" => "uw partij is geen deelnemer aan het plan van aanpak van deze casus",
        "6.1" => {
            "identificatie alleen voor informatiemakelaar, stadsdeelregisseur en partnercontact"
        }
        "6.1a" => "het bsn alleen tussen gemeente en politie",
        "6.2" => "overlastmeldingen alleen voor informatiemakelaar en stadsdeelregisseur",
        "6.3" => {
            "politie-incidenten alleen voor de informatiemakelaar bij registratie en duiding, en de stadsdeelregisseur bij duiding en aanpak"
        }
        "6.3a" => "de samenvatting van een politie-incident alleen voor een regisseur",
        "6.4" => {
            "justitiele-gegevens alleen voor de stadsdeelregisseur, bij aanpak, en alleen over een dader"
        }
        "6.5" => {
            "huurgegevens alleen voor de informatiemakelaar bij duiding en de stadsdeelregisseur bij duiding en aanpak"
        }
        "6.5a" => "een partnercontact van de politie krijgt van huurgegevens alleen de huurstatus",
        "6.6" => "zorgbetrokkenheid alleen voor de stadsdeelregisseur, bij duiding en aanpak",
        "6.7" => {
            "zorginhoud alleen voor de stadsdeelregisseur, bij aanpak, met toestemming van de betrokkene"
        }
        "6.8" => "handhaving alleen voor stadsdeelregisseur en partnercontact, bij aanpak",
        "6.9" => "slachtofferinformatie alleen over een slachtoffer, met diens toestemming",
        "6.10" => {
            "bijzondere-kenmerken alleen over een slachtoffer, met diens uitdrukkelijke toestemming, voor de stadsdeelregisseur"
        }
        "7.1" => {
            "verboden inhoud (diagnose, behandeling of medicatie): het hele gegeven is geweigerd"
        }
        "7.2" => "opsporingsinformatie wordt nooit gedeeld: het hele gegeven is geweigerd",
        "8.1" => "velden die de categorie niet noemt of die u niet mag zien worden ingehouden",
        "8.2" => "deze partij mag deze categorie niet leveren",
        "8.3" => "de identiteit van de melder alleen voor informatiemakelaar en regisseurs",
        "11.3" => "de toestemming van de betrokkene ontbreekt",
        "14.1" => "de stedelijk-regisseur alleen bij een geescaleerde casus",
        "15.1" | "15.3" | "15.4" => "de spoedregeling geldt hier niet",
        _ => return None,
    })
}

/// Articles with their reasons: "art. 6.4: justitiele-gegevens alleen ...; art. 5.4: ...".
pub fn article_reasons(articles: &[String]) -> String {
    articles
        .iter()
        .map(|a| match article_reason(a) {
            Some(why) => format!("art. {a}: {why}"),
            None => format!("art. {a}"),
        })
        .collect::<Vec<_>>()
        .join("; ")
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
