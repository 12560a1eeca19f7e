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
// Casus and Nieuwe casus (pages::case, pages::case_forms, pages::new_case; the
// refusals of refusal.rs).

/// Navigation: the new-case page.
pub const NAV_NEW_CASE: &str = "Nieuwe casus";

/// The title of a case's page.
pub fn case_title(id: &str) -> String {
    format!("Casus {id}")
}

/// The label of the case page's table of contents.
pub const CASE_CONTENTS: &str = "Onderdelen van deze casus";
/// The parts of the case page: element id and name.
pub const CASE_PARTS: [(&str, &str); 7] = [
    ("fase", "Fase"),
    ("contact", "Contact met de melder"),
    ("betrokkenen", "Betrokkenen en toestemming"),
    ("deelnemers", "Deelnemers"),
    ("escalatie", "Escalatie"),
    ("spoed", "Spoed"),
    ("geschiedenis", "Geschiedenis"),
];
/// The empty first option of a choice that must be made.
pub const CHOOSE: &str = "— kies —";
/// Before the change just made (after a form, post/redirect/get).
pub const RECORDED: &str = "Vastgelegd:";
/// Fact label.
pub const FACT_PHASE: &str = "Fase";
/// Fact label.
pub const FACT_MELDING: &str = "Melding";
/// Fact label.
pub const FACT_REGISTERED: &str = "Geregistreerd";
/// Fact label.
pub const FACT_REFERENCE: &str = "Externe referentie";
/// Fact label.
pub const FACT_ACCESS: &str = "Uw toegang";
/// Fact label.
pub const FACT_RETENTION: &str = "Bewaartermijn";
/// No external reference.
pub const NO_REFERENCE: &str = "geen";

/// "sinds di 24 nov. 2026 15:00".
pub fn since(moment: &str) -> String {
    format!("sinds {moment}")
}

/// A moment and who did it: "di 24 nov. 2026 15:00 door p-gemeente-004, ...".
pub fn at_by(moment: &str, by: &str) -> String {
    format!("{moment} door {by}")
}

/// How the caller has access to the case (coordinator.proto's `caller_access`), and
/// in which role.
pub fn access_words(access: &str, role: &str) -> String {
    let how = match access {
        "case-team" => "casusteam (art. 5.3)",
        "participant" => "deelnemende partij (art. 5.4)",
        "declarer" => "u verklaarde de spoed die nu actief is (art. 15.1)",
        other => other,
    };
    if role.is_empty() {
        how.to_owned()
    } else {
        format!("{how}, als {role}")
    }
}

/// When the case data is deleted (article 9).
pub fn retention_words(moment: &str) -> String {
    format!("De gegevens van deze casus worden verwijderd op {moment} (art. 9).")
}

/// Section heading.
pub const SECTION_PHASE: &str = "Fase (art. 4.1)";
/// The phase now: "De casus staat in fase" + phase + since.
pub const PHASE_NOW: &str = "De casus staat in fase";
/// The reason field of a phase move.
pub const MOVE_REASON: &str = "Reden van de overgang";
/// The hint under every reason field.
pub const REASON_HINT: &str = "Een werknotitie voor het casusteam, zonder namen of andere identificerende gegevens. De hub bewaart haar versleuteld en zet haar niet in het logboek.";
/// The legend of the move buttons.
pub const MOVE_LEGEND: &str = "Verplaats de casus naar fase";
/// The start of a move button ("Naar" + phase).
pub const MOVE_TO: &str = "Naar";
/// What a move to the end phases does.
pub const MOVE_RETENTION_HINT: &str = "Na buiten-aanpak of afgesloten begint de bewaartermijn (art. 9) en wordt er niets meer toegevoegd of gedeeld (art. 4.4).";
/// A closed case.
pub const NO_MOVES: &str = "De casus is gesloten: er is geen volgende fase (art. 4.1).";
/// Moves are for the case team.
pub const MOVE_NOT_YOURS: &str =
    "Alleen het casusteam van het stadsdeel verplaatst de casus (art. 5.3).";

/// Section heading.
pub const SECTION_CONTACT: &str = "Contact met de melder (art. 4.3)";
/// The contact's recording.
pub fn contact_recorded(moment: &str, by: &str) -> String {
    format!("Vastgelegd op {moment} door {by}.")
}
/// The contact form's field.
pub const CONTACT_AT: &str = "Moment van het contact";
/// Its hint.
pub const TIME_HINT: &str = "Datum en tijd in Amsterdamse tijd, niet in de toekomst.";
/// The contact form's button.
pub const CONTACT_SUBMIT: &str = "Contact vastleggen";
/// Contact is recorded by the case team's informatiemakelaar or stadsdeelregisseur.
pub const CONTACT_NOT_YOURS: &str = "Het contact met de melder legt een informatiemakelaar of stadsdeelregisseur van het stadsdeel vast (art. 5.3).";

/// Section heading.
pub const SECTION_SUBJECTS: &str = "Betrokkenen (art. 1.3)";
/// No subjects yet.
pub const NO_SUBJECTS_YET: &str = "Deze casus heeft nog geen betrokkenen.";
/// Fact label.
pub const SUBJECT_PSEUDONYM: &str = "Pseudoniem (art. 8.4)";
/// Fact label.
pub const SUBJECT_ADDED: &str = "Toegevoegd";
/// Heading of a subject's consent.
pub const CONSENT_TITLE: &str = "Toestemming (art. 11.3)";
/// No consent recorded for the subject.
pub const CONSENT_NONE: &str = "Voor deze betrokkene is geen toestemming vastgelegd.";
/// The consent table's caption.
pub fn consent_caption(name: &str) -> String {
    format!("Toestemming van {name}, per categorie")
}
/// Column.
pub const COL_CATEGORY: &str = "Categorie";
/// Column.
pub const COL_CONSENT_NOW: &str = "Nu";
/// Column.
pub const COL_CONSENT_HISTORY: &str = "Geschiedenis (datum, vastgelegd door)";
/// Consent in force.
pub const CONSENT_IN_FORCE: &str = "van kracht";
/// Consent not in force (withdrawn).
pub const CONSENT_NOT_IN_FORCE: &str = "ingetrokken";

/// One recording or withdrawal of consent.
pub fn consent_record(action: &str, date: &str, recorded: &str, by: &str) -> String {
    let what = match action {
        "given" => "gegeven",
        "withdrawn" => "ingetrokken",
        other => other,
    };
    format!("{what} op {date}; vastgelegd {recorded} door {by}")
}

/// The update form's legend.
pub fn update_legend(name: &str) -> String {
    format!("Rol of label van {name} wijzigen")
}
/// Field label.
pub const ROLE: &str = "Rol (art. 1.3)";
/// Field label.
pub const LABEL: &str = "Label (niet verplicht)";
/// Its hint.
pub const LABEL_HINT: &str = "Een omschrijving waaraan het casusteam de betrokkene herkent, zoals ‘buurman 3-hoog’; geen naam. Ten hoogste 100 tekens.";
/// The update form's hint about an emptied label.
pub const LABEL_CLEAR_HINT: &str = "Maak het veld leeg om het label te wissen.";
/// Button.
pub const UPDATE_SUBMIT: &str = "Wijzigen";
/// The removal form's legend.
pub fn remove_legend(name: &str) -> String {
    format!("{name} verwijderen (alleen als per vergissing toegevoegd)")
}
/// Field label.
pub const REMOVE_REASON: &str = "Reden van verwijderen";
/// What a removal does.
pub const REMOVE_HINT: &str = "Daarna wordt er niets meer over deze betrokkene gedeeld; het logboek houdt de besluiten die al zijn genomen (art. 10.4).";
/// Button.
pub const REMOVE_SUBMIT: &str = "Betrokkene verwijderen";
/// The consent form's legend.
pub fn consent_legend(name: &str) -> String {
    format!("Toestemming van {name} vastleggen")
}
/// Field label.
pub const CATEGORY: &str = "Categorie (art. 6)";
/// The group of categories that depend on consent.
pub const CATEGORIES_CONSENT: &str = "Hangt af van toestemming (art. 6.7, 6.9, 6.10)";
/// The other categories.
pub const CATEGORIES_OTHER: &str = "Overige categorieën";
/// Field label.
pub const CONSENT_DATE: &str = "Datum waarop de betrokkene toestemming gaf";
/// Its hint.
pub const DATE_HINT: &str =
    "Vandaag (in Amsterdam) staat al ingevuld; een datum in de toekomst kan niet.";
/// Button.
pub const CONSENT_SUBMIT: &str = "Toestemming vastleggen";
/// The withdrawal form's legend.
pub fn withdraw_legend(name: &str) -> String {
    format!("Toestemming van {name} intrekken")
}
/// Field label.
pub const WITHDRAW_DATE: &str = "Datum waarop de betrokkene de toestemming introk";
/// What a withdrawal does.
pub const WITHDRAW_HINT: &str = "Vanaf het vastleggen weigert de hub elke verstrekking die op deze toestemming steunt (art. 11.3); wat al gedeeld is, blijft gedeeld.";
/// Button.
pub const WITHDRAW_SUBMIT: &str = "Toestemming intrekken";
/// Subjects and consent are for the case team.
pub const SUBJECTS_NOT_YOURS: &str =
    "Betrokkenen en toestemming legt het casusteam van het stadsdeel vast (art. 5.3).";
/// In a closed case nothing is added (article 4.4).
pub fn closed_case(phase: &str) -> String {
    format!(
        "In fase {phase} worden geen betrokkenen, toestemming of deelnemers meer toegevoegd (art. 4.4)."
    )
}

/// The add-subject form's heading.
pub const ADD_SUBJECT_TITLE: &str = "Betrokkene toevoegen";
/// What happens to the identifying data.
pub const ADD_SUBJECT_INTRO: &str = "Naam, geboortedatum en adres worden hier, op uw eigen computer, met de sleutel van het convenant omgezet in een pseudoniem (art. 8.4). Alleen het pseudoniem gaat naar de hub; de gegevens zelf worden niet verstuurd, niet bewaard en niet getoond.";
/// The legend of the identifying fields.
pub const IDENTITY_LEGEND: &str = "Identificerende gegevens (blijven op uw computer)";
/// Field label.
pub const NAME: &str = "Naam (voornamen en achternaam)";
/// Field label.
pub const BIRTH_DATE: &str = "Geboortedatum";
/// Its hint.
pub const BIRTH_DATE_HINT: &str = "Als jjjj-mm-dd, bijvoorbeeld 1975-05-05.";
/// Field label.
pub const POSTCODE: &str = "Postcode";
/// Its hint.
pub const POSTCODE_HINT: &str = "Bijvoorbeeld 1091 AB.";
/// Field label.
pub const HOUSE_NUMBER: &str = "Huisnummer met toevoeging";
/// Its hint.
pub const HOUSE_NUMBER_HINT: &str = "Bijvoorbeeld 14-2.";
/// Button.
pub const ADD_SUBJECT_SUBMIT: &str = "Pseudonimiseren en toevoegen";
/// After a refused add: the identifying data was not kept.
pub const IDENTITY_NOT_KEPT: &str = "De identificerende gegevens zijn niet bewaard, ook niet voor dit formulier: vul ze opnieuw in.";

/// An identifying field left empty (named, never its value).
pub fn identity_missing(field: &str) -> String {
    let what = match field {
        "naam" => "de naam",
        "geboortedatum" => "de geboortedatum",
        "postcode" => "de postcode",
        "huisnummer" => "het huisnummer",
        other => other,
    };
    format!("Vul {what} in; alle vier de gegevens zijn nodig voor het pseudoniem.")
}

/// Identifying data the covenant's normalisation refuses (the field, never the value).
pub fn identity_refused(e: &treiter_pseudonym::IdentityError) -> String {
    use treiter_pseudonym::{CharKind, IdentityError as I};
    match e {
        I::EmptyName => "Vul de naam in.".to_owned(),
        I::NameCharacter(kind) => format!(
            "De naam bevat {}; een naam mag alleen letters, spaties, koppeltekens, apostroffen, punten en komma's bevatten.",
            match kind {
                CharKind::Digit => "een cijfer",
                CharKind::Control => "een stuurteken",
                CharKind::Symbol => "een symbool of leesteken",
            }
        ),
        I::NameTooLong => "De naam is te lang.".to_owned(),
        I::BirthDateFormat => "Schrijf de geboortedatum als jjjj-mm-dd, bijvoorbeeld 1975-05-05.".to_owned(),
        I::BirthDateNotADay => "De geboortedatum bestaat niet in de kalender.".to_owned(),
        I::BirthDateTooEarly => "De geboortedatum ligt vóór 1900; controleer het jaar.".to_owned(),
        I::Postcode => "De postcode is geen Nederlandse postcode: vier cijfers (de eerste geen 0) en twee letters, bijvoorbeeld 1091 AB.".to_owned(),
        I::HouseNumberMissing => "Het huisnummer moet met een cijfer beginnen.".to_owned(),
        I::HouseNumberRange => "Het huisnummer ligt niet tussen 1 en 99999.".to_owned(),
        I::HouseNumberAddition => "De toevoeging bij het huisnummer mag alleen letters en cijfers bevatten en is hooguit enkele tekens lang.".to_owned(),
    }
}

/// Section heading.
pub const SECTION_PARTICIPANTS: &str = "Deelnemers aan het plan van aanpak (art. 5.4)";
/// What participation means.
pub const PARTICIPANTS_INTRO: &str =
    "De partnercontacten van een deelnemende partij hebben toegang tot de casus.";
/// No participants.
pub const NO_PARTICIPANTS: &str = "Er nemen nog geen partijen deel.";
/// The participants table's caption.
pub const PARTICIPANTS_CAPTION: &str = "Deelnemende partijen";
/// Column.
pub const COL_PARTY: &str = "Partij";
/// Column.
pub const COL_SINCE: &str = "Sinds";
/// Column.
pub const COL_ADDED_BY: &str = "Toegevoegd door";
/// Column.
pub const COL_END: &str = "Deelname beëindigen";
/// The add form's legend.
pub const PARTICIPANT_ADD_LEGEND: &str = "Partij toevoegen aan het plan van aanpak";
/// Button.
pub const PARTICIPANT_ADD_SUBMIT: &str = "Partij toevoegen";
/// The removal's reason field, per party.
pub fn participant_remove_reason(name: &str) -> String {
    format!("Reden om de deelname van {name} te beëindigen")
}
/// Button (the party's name follows for screen readers).
pub const PARTICIPANT_REMOVE_SUBMIT: &str = "Beëindigen";
/// Participants are managed by the stadsdeelregisseur.
pub const PARTICIPANTS_NOT_YOURS: &str = "Partijen toevoegen of hun deelname beëindigen doet de stadsdeelregisseur (art. 5.4), of de stedelijk regisseur bij een geescaleerde casus (art. 14.1).";
/// The list of parties could not be fetched.
pub const PARTIES_UNAVAILABLE: &str =
    "De lijst van partijen kan nu niet worden opgehaald; laad de pagina later opnieuw.";
/// Every party takes part already.
pub const ALL_PARTIES_TAKE_PART: &str = "Alle partijen van het convenant nemen al deel.";
/// A party name that names no party of the covenant.
pub const PARTY_UNKNOWN: &str =
    "Geen partij van het convenant heet zo; kies een partij uit de lijst.";

/// A party name that fits several parties.
pub fn party_ambiguous(names: &[&str]) -> String {
    format!(
        "Meer dan één partij past bij deze naam ({}); kies een partij uit de lijst.",
        names.join("; ")
    )
}

/// Section heading.
pub const SECTION_ESCALATION: &str = "Escalatie naar stedelijk niveau (art. 4.5, 14)";
/// An escalated case.
pub fn escalated_words(moment: &str, by: &str) -> String {
    format!(
        "Geescaleerd op {moment} door {by}. De stedelijk regisseur heeft toegang en mag ontvangen wat de stadsdeelregisseur mag, voor aanpak (art. 14.1)."
    )
}
/// Not escalated.
pub const NOT_ESCALATED: &str = "De casus is niet geescaleerd.";
/// Only in aanpak.
pub const ESCALATE_ONLY_IN_AANPAK: &str = "Escaleren kan alleen in fase aanpak (art. 4.5).";
/// Only the stadsdeelregisseur.
pub const ESCALATE_NOT_YOURS: &str =
    "Escaleren doet de stadsdeelregisseur van het stadsdeel (art. 14).";
/// Field label.
pub const ESCALATE_REASON: &str = "Reden van de escalatie";
/// What escalation does.
pub const ESCALATE_HINT: &str = "Escalatie is niet terug te draaien: daarna heeft de stedelijk regisseur toegang tot de casus (art. 14.1).";
/// Button.
pub const ESCALATE_SUBMIT: &str = "Escaleren";
/// A reason given (shown to the case team).
pub const REASON: &str = "Reden";

/// Section heading.
pub const SECTION_EMERGENCY: &str = "Spoed (art. 15)";
/// No emergency active.
pub const NO_ACTIVE_EMERGENCY: &str = "Er is geen spoed actief.";
/// An active emergency's declaration.
pub fn emergency_declared(moment: &str, by: &str) -> String {
    format!("Verklaard op {moment} door {by}.")
}
/// Heading of the past emergencies.
pub const PAST_EMERGENCIES: &str = "Eerdere spoed";
/// A past emergency.
pub fn past_emergency(declared: &str, by: &str, expired: &str) -> String {
    format!("verklaard op {declared} door {by}, verlopen op {expired}")
}
/// Field label.
pub const EMERGENCY_REASON: &str = "Schriftelijke reden";
/// What an emergency is, and how to write its reason.
pub const EMERGENCY_HINT: &str = "Beschrijf de acute dreiging voor iemands leven of veiligheid, zonder namen of andere identificerende gegevens: de privacy officers die elke verstrekking onder spoed beoordelen, lezen de reden (art. 15.2). Spoed geldt 72 uur, alleen voor u (art. 15.1, 15.3).";
/// Button.
pub const EMERGENCY_SUBMIT: &str = "Spoed verklaren";
/// Only a stadsdeelregisseur or a police partnercontact.
pub const EMERGENCY_NOT_YOURS: &str =
    "Spoed verklaart een stadsdeelregisseur of een partnercontact van de politie (art. 15.1).";
/// One at a time.
pub const EMERGENCY_ONE_AT_A_TIME: &str =
    "Zolang er spoed actief is, kan er geen nieuwe worden verklaard (art. 15.3).";

/// Section heading.
pub const SECTION_HISTORY: &str = "Geschiedenis";
/// The history table's caption.
pub const HISTORY_CAPTION: &str =
    "Elke wijziging, oudste eerst; elke wijziging staat ook in het logboek (art. 10.1)";
/// Column.
pub const COL_NUMBER: &str = "Nr.";
/// Column.
pub const COL_WHEN: &str = "Wanneer";
/// Column.
pub const COL_WHO: &str = "Wie";
/// Column.
pub const COL_WHAT: &str = "Wat";
/// The hub's own action (no person).
pub const HUB_ACTOR: &str = "de hub";

/// The log entry of an event.
pub fn log_entry(index: u64) -> String {
    format!("logboekregel {index}")
}

/// One event of a case's history in words. `subject` names the subject concerned (its
/// label, or the start of its pseudonym), `party` the party by name.
pub fn event_words(
    kind: &str,
    from: &str,
    to: &str,
    subject: &str,
    category: &str,
    party: &str,
    summary: &str,
) -> String {
    match kind {
        "case-created" => "casus geregistreerd in fase melding".to_owned(),
        "phase-moved" => format!("fase {from} → {to}"),
        "escalated" => "geescaleerd naar stedelijk niveau (art. 4.5)".to_owned(),
        "contact-recorded" => "contact met de melder vastgelegd (art. 4.3)".to_owned(),
        "subject-added" => format!("betrokkene {subject} toegevoegd"),
        "subject-updated" => format!("betrokkene {subject} gewijzigd"),
        "subject-removed" => format!("betrokkene {subject} verwijderd"),
        "consent-recorded" => format!("toestemming voor {category} vastgelegd — {subject}"),
        "consent-withdrawn" => format!("toestemming voor {category} ingetrokken — {subject}"),
        "participant-added" => format!("{party} neemt deel aan het plan van aanpak"),
        "participant-removed" => format!("deelname van {party} beëindigd"),
        "emergency-declared" => "spoed verklaard (art. 15.1)".to_owned(),
        "bevraging" => format!("bevraging over {subject} (art. 8.4)"),
        "case-file-requested" => "casusdossier opgevraagd".to_owned(),
        "retention-deleted" => "gegevens verwijderd na de bewaartermijn (art. 9)".to_owned(),
        _ => summary.to_owned(),
    }
}

/// Page title.
pub const NEW_CASE_TITLE: &str = "Nieuwe casus";
/// Introduction.
pub const NEW_CASE_INTRO: &str = "Registreer een melding als casus (art. 1.2). De casus begint in fase melding, en vanaf de registratie loopt de termijn van 2 werkdagen om contact op te nemen met de melder (art. 4.3). Daarna voegt u de betrokkenen toe.";
/// Field label.
pub const NEW_STADSDEEL: &str = "Stadsdeel (art. 1.5)";
/// Its hint.
pub const NEW_STADSDEEL_HINT: &str = "U registreert casussen in uw eigen stadsdeel (art. 5.3).";
/// Field label.
pub const MELDING_AT: &str = "Moment van de melding";
/// Its hint.
pub const MELDING_AT_HINT: &str = "Wanneer de melding binnenkwam (14020, de website, een partner), in Amsterdamse tijd; niet in de toekomst.";
/// Field label.
pub const REFERENCE: &str = "Externe referentie (niet verplicht)";
/// Its hint.
pub const REFERENCE_HINT: &str =
    "Bijvoorbeeld het ticketnummer van 14020; ten hoogste 100 tekens, geen namen.";
/// Button.
pub const NEW_CASE_SUBMIT: &str = "Casus registreren";
/// Only the case team registers.
pub const NEW_CASE_NOT_YOURS: &str = "Een casus registreert een informatiemakelaar of stadsdeelregisseur, in het eigen stadsdeel (art. 5.2, 5.3).";
/// A moment the console cannot read.
pub const TIME_UNREADABLE: &str = "Vul datum en tijd in, bijvoorbeeld 2026-11-20 09:30.";
/// A date the console cannot read.
pub const DATE_UNREADABLE: &str = "Vul een datum in als jjjj-mm-dd, bijvoorbeeld 2026-11-20.";
/// A stadsdeel outside the covenant's list.
pub const STADSDEEL_UNKNOWN: &str = "Kies een stadsdeel uit de lijst (art. 1.5).";
/// A form without its client request id (from an old page, or made by hand).
pub const FORM_INCOMPLETE: &str = "Dit formulier is onvolledig (het kenmerk dat dubbel versturen voorkomt ontbreekt). Er is niets gewijzigd; vul het formulier hieronder opnieuw in.";
/// An update that changes nothing (checked before sending).
pub const NOTHING_TO_CHANGE: &str =
    "Er is niets gewijzigd: kies een andere rol of pas het label aan.";

/// The heading of the summary of what went wrong.
pub const ERROR_SUMMARY: &str = "Dit is niet gelukt";
/// The label of the hub's own text under a refusal.
pub const REFUSAL_DETAIL: &str = "Technische toelichting";

/// A move along article 4.1 the case cannot make, with the moves it can.
pub fn move_refused(from: &str, to: &str, allowed: &[&str]) -> String {
    let can = match allowed {
        [] => format!("Vanuit {from} kan de casus nergens meer heen: de casus is gesloten."),
        [one] => format!("Vanuit {from} kan de casus alleen naar {one}."),
        [first @ .., last] => format!(
            "Vanuit {from} kan de casus alleen naar {} of {last}.",
            first.join(", ")
        ),
    };
    format!("Een casus in fase {from} kan niet naar fase {to} (art. 4.1). {can}")
}

/// Someone else moved the case before this move arrived.
pub fn moved_meanwhile(now: &str, seen: &str) -> String {
    format!(
        "Iemand anders heeft de casus intussen verplaatst: hij staat nu in fase {now}, niet meer in {seen}. Er is niets gewijzigd; bekijk de casus hieronder en kies opnieuw."
    )
}

/// Escalation outside aanpak.
pub fn escalate_not_in_aanpak(phase: &str) -> String {
    format!(
        "Alleen een casus in fase aanpak kan worden geescaleerd (art. 4.5); deze casus staat in fase {phase}."
    )
}

/// A change in a closed case.
pub fn case_closed(phase: &str) -> String {
    format!(
        "De casus staat in fase {phase}: daarin wordt niets meer gewijzigd of gedeeld (art. 4.4)."
    )
}

/// A withdrawal of consent that is not in force.
pub fn no_consent(category: &str) -> String {
    format!(
        "Er is geen toestemming voor {category} van kracht, dus er valt niets in te trekken (art. 11.3)."
    )
}

/// Consent recorded twice.
pub fn consent_in_force(category: &str) -> String {
    format!("Toestemming voor {category} is al vastgelegd en van kracht.")
}

/// Escalated twice.
pub const REFUSED_ESCALATED_ALREADY: &str =
    "De casus is al geescaleerd (art. 4.5); escaleren gebeurt één keer.";
/// A second emergency while one is active.
pub const REFUSED_EMERGENCY_ACTIVE: &str = "Er is al spoed actief op deze casus (art. 15.3). Spoed wordt niet verlengd of gestapeld; hieronder staat tot wanneer die geldt.";
/// Contact recorded twice.
pub const REFUSED_CONTACT_RECORDED: &str =
    "Het contact met de melder is al vastgelegd; dat gebeurt één keer per casus.";
/// The same person added twice.
pub const REFUSED_SUBJECT_PRESENT: &str = "Deze persoon is al betrokkene in deze casus (hetzelfde pseudoniem). Wijzig zo nodig de rol van de betrokkene hierboven.";
/// A party added twice.
pub const REFUSED_PARTICIPANT_PRESENT: &str = "Deze partij neemt al deel aan de casus.";
/// An id reused for another request.
pub const REFUSED_REQUEST_ID_REUSED: &str = "Dit formulier is eerder met andere waarden verstuurd. Er is niets gewijzigd; vul het formulier hieronder opnieuw in.";
/// A missing or malformed request id at the hub.
pub const REFUSED_REQUEST_ID: &str = FORM_INCOMPLETE;
/// A subject that is not (or no longer) in the case.
pub const REFUSED_SUBJECT_ABSENT: &str = "Deze betrokkene hoort niet (meer) bij de casus; misschien heeft iemand anders hem net verwijderd.";
/// A party that does not take part.
pub const REFUSED_NOT_A_PARTICIPANT: &str = "Deze partij neemt niet (meer) deel aan de casus.";
/// An unknown case.
pub const REFUSED_NO_CASE: &str = "Deze casus bestaat niet (meer).";
/// A consent date the hub cannot read.
pub const REFUSED_DATE_UNREADABLE: &str = DATE_UNREADABLE;
/// Contact before the melding.
pub const REFUSED_CONTACT_BEFORE_MELDING: &str =
    "Het contact kan niet eerder zijn dan de melding; controleer datum en tijd.";
/// An update that changes nothing (the hub's check).
pub const REFUSED_NOTHING_CHANGED: &str = NOTHING_TO_CHANGE;

fn you_are(you: &str) -> String {
    if you.is_empty() {
        "U hebt geen rol die dit mag.".to_owned()
    } else {
        format!("U bent {you}.")
    }
}

/// A case registered in another stadsdeel than one's own.
pub fn wrong_stadsdeel(stadsdeel: &str, you: &str) -> String {
    format!(
        "Een casus in stadsdeel {stadsdeel} registreert een informatiemakelaar of stadsdeelregisseur van {stadsdeel} (art. 5.3). {}",
        you_are(you)
    )
}

/// Escalation by someone else than the stadsdeelregisseur.
pub fn escalation_needs(stadsdeel: &str, you: &str) -> String {
    format!(
        "Escaleren doet een stadsdeelregisseur van stadsdeel {stadsdeel} (art. 5.3, 14). {}",
        you_are(you)
    )
}

/// Participants changed by someone else than the stadsdeelregisseur.
pub fn participants_need(stadsdeel: &str, you: &str) -> String {
    format!(
        "Deelnemers toevoegen of laten stoppen doet een stadsdeelregisseur van stadsdeel {stadsdeel} (art. 5.3, 5.4), of de stedelijk regisseur bij een geescaleerde casus (art. 14.1). {}",
        you_are(you)
    )
}

/// Contact recorded by someone outside the case team.
pub fn contact_needs(stadsdeel: &str, you: &str) -> String {
    format!(
        "Het contact met de melder legt een informatiemakelaar of stadsdeelregisseur van stadsdeel {stadsdeel} vast (art. 5.3). {}",
        you_are(you)
    )
}

/// A change by someone outside the case team.
pub fn change_needs(stadsdeel: &str, you: &str) -> String {
    format!(
        "Deze casus wijzigt een informatiemakelaar of stadsdeelregisseur van stadsdeel {stadsdeel} (art. 5.3), of de stedelijk regisseur als de casus geescaleerd is (art. 14.1). {}",
        you_are(you)
    )
}

/// An emergency declared by someone who may not.
pub fn emergency_needs(you: &str) -> String {
    format!(
        "Spoed verklaart een stadsdeelregisseur of een partnercontact van de politie (art. 15.1). {}",
        you_are(you)
    )
}

/// No access to the case.
pub fn access_needs(stadsdeel: &str, you: &str) -> String {
    format!(
        "Deze casus is voor het casusteam van stadsdeel {stadsdeel} (art. 5.3), de partnercontacten van deelnemende partijen (art. 5.4) en, als hij geescaleerd is, de stedelijk regisseur (art. 14.1). {}",
        you_are(you)
    )
}

/// A date after today in Amsterdam.
pub fn date_in_future(given: &str, today: &str) -> String {
    format!(
        "De datum {given} ligt in de toekomst: vandaag is het {today} in Amsterdam. Vul de datum in waarop de betrokkene het werkelijk deed."
    )
}

/// A moment after the hub's now.
pub fn time_in_future(given: &str, now: &str) -> String {
    format!(
        "Het moment {given} ligt in de toekomst: volgens de klok van de hub is het {now} in Amsterdam."
    )
}

/// What a refusal concerns, as a noun with its article ("de reden").
fn concern_noun(concern: super::refusal::Concern) -> &'static str {
    use super::refusal::Concern as C;
    match concern {
        C::Reason => "de reden",
        C::Date => "de datum",
        C::Time => "het moment",
        C::Label => "het label",
        C::Role => "de rol",
        C::Category => "de categorie",
        C::Stadsdeel => "het stadsdeel",
        C::Reference => "de externe referentie",
        C::Phase => "de fase",
        C::Subject => "het pseudoniem",
        C::Party => "de partij",
        C::Name => "de naam",
        C::BirthDate => "de geboortedatum",
        C::Postcode => "de postcode",
        C::HouseNumber => "het huisnummer",
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A required field left empty.
pub fn required(concern: super::refusal::Concern) -> String {
    let noun = concern_noun(concern);
    let bare = noun.split_once(' ').map(|(_, n)| n).unwrap_or(noun);
    format!("Vul een {bare} in.")
}

/// A text longer than the hub accepts.
pub fn too_long(concern: super::refusal::Concern, max: &str) -> String {
    format!(
        "{} is te lang: ten hoogste {max} tekens.",
        capitalised(concern_noun(concern))
    )
}

/// A text with a character that is not shown as itself.
pub fn hidden_character(concern: super::refusal::Concern) -> String {
    format!(
        "{} bevat een onzichtbaar teken of stuurteken (bijvoorbeeld uit een gekopieerde tekst). Typ de tekst opnieuw.",
        capitalised(concern_noun(concern))
    )
}

/// A word outside the covenant's list.
pub fn unknown_word(concern: super::refusal::Concern) -> String {
    format!(
        "De hub kent {} niet; kies uit de lijst.",
        concern_noun(concern)
    )
}

/// Any other value the hub refuses.
pub fn invalid_value(concern: super::refusal::Concern) -> String {
    format!(
        "De hub weigert {}; de technische toelichting zegt waarom.",
        concern_noun(concern)
    )
}

// =================================================================================
// The privacy officers' pages: Logboek, Verifieer, Meldingen, Inzage
// (`pages::officer`). Covenant words appear exactly as the covenant writes them.
// Numbers a template passes arrive as references, hence `impl Borrow<u64>`.

use std::borrow::Borrow;

/// Navigation: the decision log.
pub const NAV_LOG: &str = "Logboek";
/// Navigation: notifications.
pub const NAV_NOTIFICATIONS: &str = "Meldingen";
/// Navigation: inzage.
pub const NAV_INZAGE: &str = "Inzage";

/// Title of the refusal of an officer page to a coordinator.
pub const OFFICER_ONLY_TITLE: &str = "Alleen voor privacy officers";
/// Why.
pub const OFFICER_ONLY: &str = "Het logboek, de meldingen en inzage zijn voor de privacy officer van een partij (art. 5.2 en 10.3). Een coördinator ziet het logboek niet en krijgt deze meldingen niet.";
/// What to do instead.
pub const OFFICER_ONLY_INSTEAD: &str = "Wilt u weten wat er met de gegevens van uw partij is gebeurd, vraag het dan aan de privacy officer van uw partij. Uw eigen pagina's staan in het menu.";
/// Who the hub says the caller is.
pub fn signed_in_as(who: &str) -> String {
    format!("U bent aangemeld als {who}.")
}

/// Title of the refusal of inzage to another party's privacy officer.
pub const INZAGE_GEMEENTE_ONLY_TITLE: &str = "Inzage vraagt u aan bij de gemeente";
/// Why (article 11.1).
pub const INZAGE_GEMEENTE_ONLY: &str = "Een inzageoverzicht voor een betrokkene (art. 11.1) maakt de hub alleen voor de privacy officer van de gemeente: alleen die mag voor één betrokkene het hele logboek doorzoeken, over alle partijen heen.";
/// What to do instead.
pub const INZAGE_GEMEENTE_ONLY_INSTEAD: &str = "Vraagt iemand u om inzage, stuur het verzoek dan door aan de privacy officer van de Gemeente Amsterdam, of verwijs de betrokkene naar de gemeente. Wat uw eigen partij verstrekte en ontving, ziet u in het logboek.";
/// The link to the log.
pub const INZAGE_TO_LOG: &str = "Naar het logboek van uw partij";
/// The officer's party.
pub fn officer_of(party: &str) -> String {
    format!("U bent privacy officer van {party}.")
}

// ---------------------------------------------------------------------------------
// A log entry in words.

/// A person the hub left out: the hub acted itself.
pub const THE_HUB: &str = "de hub zelf";
/// Nothing in a list.
pub const NONE: &str = "geen";
/// A permit whose every field was stripped.
pub const NO_FIELDS_PASSED: &str = "geen: alle aangeboden velden zijn weggelaten (art. 8.1)";
/// A refused share passes nothing.
pub const NOTHING_PASSED_REFUSED: &str = "niets: bij een weigering wordt niets verstrekt";

/// Fact label.
pub const FACT_KIND: &str = "Soort";
/// Fact label.
pub const FACT_CASE: &str = "Casus";
/// Fact label.
pub const FACT_ARTICLE: &str = "Artikel";
/// Fact label.
pub const FACT_FINAL_PHASE: &str = "Eindfase";
/// Fact label.
pub const FACT_PHASE_SINCE: &str = "In die fase sinds";
/// Fact label.
pub const FACT_DELETED: &str = "Verwijderd";
/// Fact label.
pub const FACT_VERSION: &str = "Versie";
/// Fact label.
pub const FACT_STEP: &str = "Stap";
/// Fact label.
pub const FACT_BY: &str = "Door";
/// Fact label.
pub const FACT_TEXT_HASH: &str = "Teksthash (SHA-256)";
/// Fact label.
pub const FACT_COVENANT_VERSION: &str = "Convenantversie bij het loggen";
/// Fact label.
pub const FACT_REQUESTER: &str = "Gevraagd door";
/// Fact label.
pub const FACT_SOURCE: &str = "Bron (verstrekkende partij)";
/// Fact label.
pub const FACT_RECIPIENT: &str = "Ontvanger";
/// Fact label.
pub const FACT_SUBJECT: &str = "Betrokkene";
/// Fact label.
pub const FACT_CATEGORY: &str = "Categorie";
/// Fact label.
pub const FACT_PURPOSE: &str = "Doel";
/// Fact label.
pub const FACT_CASE_AT_DECISION: &str = "Casus bij het besluit";
/// Fact label.
pub const FACT_OUTCOME: &str = "Uitkomst";
/// Fact label.
pub const FACT_ARTICLES: &str = "Artikelen";
/// Fact label.
pub const FACT_FIELDS_OFFERED: &str = "Aangeboden velden";
/// Fact label.
pub const FACT_FIELDS_PASSED: &str = "Doorgegeven velden";
/// Fact label.
pub const FACT_FIELDS_STRIPPED: &str = "Weggelaten velden";
/// Fact label.
pub const FACT_OBLIGATIONS: &str = "Verplichtingen";
/// Fact label.
pub const FACT_NOTIFIED: &str = "Gemeld aan";
/// Fact label.
pub const FACT_DECIDED_BY: &str = "Besloten door";
/// Fact label.
pub const FACT_DECIDED_AT: &str = "Moment van het besluit";
/// Fact label.
pub const FACT_CASE_FILE: &str = "Casusdossier";
/// Fact label.
pub const FACT_SOURCE_REFERENCE: &str = "Kenmerk bij de bron";
/// Fact label.
pub const FACT_DECIDED_UNDER: &str = "Besloten onder";
/// Fact label.
pub const FACT_CHANGE: &str = "Wijziging";
/// Fact label.
pub const FACT_STADSDEEL: &str = "Stadsdeel";
/// Fact label.
pub const FACT_PARTY: &str = "Partij";
/// Fact label.
pub const FACT_EMERGENCY_UNTIL: &str = "Spoed tot en met";
/// Fact label.
pub const FACT_LEAF_HASH: &str = "Leaf-hash";

/// A party's OIN only, as a detail line.
pub fn oin_detail(oin: &str) -> String {
    format!("OIN {oin}")
}

/// A subject by the start of its pseudonym.
pub fn pseudonym_words(short_pseudonym: &str) -> String {
    format!("pseudoniem {short_pseudonym}")
}

/// The article of a category of article 6.
pub fn category_article(category: &str) -> Option<&'static str> {
    Some(match category {
        "identificatie" => "6.1",
        "overlastmeldingen" => "6.2",
        "politie-incidenten" => "6.3",
        "justitiele-gegevens" => "6.4",
        "huurgegevens" => "6.5",
        "zorgbetrokkenheid" => "6.6",
        "zorginhoud" => "6.7",
        "handhaving" => "6.8",
        "slachtofferinformatie" => "6.9",
        "bijzondere-kenmerken" => "6.10",
        _ => return None,
    })
}

/// What a purpose of article 3.1 is for.
pub fn purpose_words(purpose: &str) -> String {
    match purpose {
        "registratie" => "het herkennen en registreren van een mogelijke treitercasus".to_owned(),
        "duiding" => "beoordelen of de zaak binnen de Treiteraanpak valt".to_owned(),
        "aanpak" => "het besluiten over en uitvoeren van de gezamenlijke aanpak".to_owned(),
        "evaluatie" => {
            "het evalueren van de Treiteraanpak (zonder persoonsgegevens, art. 3.3)".to_owned()
        }
        _ => String::new(),
    }
}

/// The kind of a log entry.
pub fn kind_words(kind: &str) -> String {
    match kind {
        "share-decision" => "besluit over een verstrekking".to_owned(),
        "case-change" => "wijziging van een casus".to_owned(),
        "retention-deletion" => "verwijdering na de bewaartermijn (art. 9)".to_owned(),
        "covenant-approval" => "stap in de goedkeuring van het convenant (art. 13)".to_owned(),
        other => other.to_owned(),
    }
}

/// An outcome in a word or two (the filter, the list).
pub fn outcome_short(outcome: &str) -> &'static str {
    match outcome {
        "permit" => "verstrekt",
        "deny" => "geweigerd",
        "reject" => "geweigerd: verboden inhoud",
        _ => "",
    }
}

/// What an outcome means.
pub fn outcome_words(outcome: &str, stripped: bool, emergency: bool) -> String {
    let mut words = match (outcome, stripped) {
        ("permit", false) => "verstrekt".to_owned(),
        ("permit", true) => "verstrekt, met weglating van velden (art. 8)".to_owned(),
        ("deny", _) => "geweigerd; er is niets verstrekt".to_owned(),
        ("reject", _) => "geweigerd wegens verboden inhoud (art. 7); er is niets verstrekt en de privacy officer van de bron is gemeld".to_owned(),
        (other, _) => other.to_owned(),
    };
    if emergency {
        words.push_str("; spoedverstrekking (art. 15.5)");
    }
    words
}

/// A share in one line.
pub fn share_summary(
    source: &str,
    recipient_party: &str,
    role: &str,
    category: &str,
    purpose: &str,
) -> String {
    if role.is_empty() {
        format!("{source} → {recipient_party} · {category} · {purpose}")
    } else {
        format!("{source} → {recipient_party} ({role}) · {category} · {purpose}")
    }
}

/// What a case change did.
pub fn change_words(change: &str, from_phase: &str, to_phase: &str) -> String {
    match change {
        "case-created" => "casus geregistreerd".to_owned(),
        "phase-moved" => format!("fase gewijzigd van {from_phase} naar {to_phase}"),
        "escalated" => "geescaleerd naar stedelijk niveau (art. 4.5)".to_owned(),
        "contact-recorded" => "contact met de melder vastgelegd (art. 4.3)".to_owned(),
        "subject-added" => "betrokkene toegevoegd".to_owned(),
        "subject-updated" => "betrokkene gewijzigd".to_owned(),
        "subject-removed" => "betrokkene verwijderd".to_owned(),
        "consent-recorded" => "toestemming vastgelegd (art. 11.3)".to_owned(),
        "consent-withdrawn" => "toestemming ingetrokken (art. 11.3)".to_owned(),
        "participant-added" => "partij toegevoegd aan het plan van aanpak (art. 5.4)".to_owned(),
        "participant-removed" => "partij uit het plan van aanpak gehaald (art. 5.4)".to_owned(),
        "emergency-declared" => "spoed verklaard (art. 15.1)".to_owned(),
        "bevraging" => "bevraging: wie kent de betrokkene (art. 8.4)".to_owned(),
        "case-file-requested" => "casusdossier aangevraagd".to_owned(),
        "retention-deleted" => "gegevens verwijderd na de bewaartermijn (art. 9)".to_owned(),
        other => other.to_owned(),
    }
}

/// Who did it, after what was done.
pub fn by_whom(who: &str) -> String {
    format!(", door {who}")
}

/// A deletion at the end of the retention period.
pub fn entry_retention_words(article: &str, final_phase: &str) -> String {
    format!(
        "gegevens van de casus verwijderd na de bewaartermijn (art. {article}, eindfase {final_phase})"
    )
}

/// How much a deletion removed.
pub fn deleted_counts(subjects: u32, case_files: u32) -> String {
    let subjects_word = if subjects == 1 {
        "betrokkene"
    } else {
        "betrokkenen"
    };
    let files_word = if case_files == 1 {
        "casusdossier"
    } else {
        "casusdossiers"
    };
    format!("gegevens van {subjects} {subjects_word} en {case_files} {files_word}")
}

/// A step in the approval of a covenant version.
pub fn approval_words(version: u32, action: &str) -> String {
    match action {
        "proposed" => format!("convenantversie {version} voorgesteld"),
        "approved" => format!("convenantversie {version} goedgekeurd door een partij (art. 13.1)"),
        "in-force" => format!("convenantversie {version} in werking getreden (art. 13.1)"),
        "superseded" => format!("convenantversie {version} vervangen (art. 13.2)"),
        other => format!("convenantversie {version}: {other}"),
    }
}

/// The case as the decision saw it.
pub fn case_context_words(phase: &str, stadsdeel: &str, escalated: bool) -> String {
    let mut words = format!("fase {phase}");
    if !stadsdeel.is_empty() {
        words.push_str(&format!(", stadsdeel {stadsdeel}"));
    }
    if escalated {
        words.push_str(", geescaleerd");
    }
    words
}

/// An obligation a permitted share carries.
pub fn obligation_words(kind: &str, article: &str, purpose: &str) -> String {
    match (kind, article) {
        ("retention", "9.1") => {
            "bewaren tot 24 maanden na het afsluiten van de casus, daarna verwijderen (art. 9.1)"
                .to_owned()
        }
        ("retention", "9.2") => {
            "verwijderen 3 maanden na het besluit buiten-aanpak (art. 9.2)".to_owned()
        }
        ("retention", _) => format!("bewaartermijn (art. {article})"),
        ("purpose-binding", _) => format!("alleen te gebruiken voor {purpose} (art. {article})"),
        ("review", _) => format!(
            "beoordeling door de privacy officer van de bron binnen 1 werkdag (art. {article})"
        ),
        (other, _) => format!("{other} (art. {article})"),
    }
}

/// Whom the hub notified of a decision.
pub fn notified_words(party: &str, article: &str) -> String {
    format!("de privacy officer van {party} (art. {article})")
}

/// Who decided: the hub's engine, or the source's own agent.
pub fn decided_by_words(decided_by: &str) -> String {
    match decided_by {
        "hub" | "" => "de hub, met het convenant".to_owned(),
        "source" => "de bron zelf, in de voorcontrole van haar agent".to_owned(),
        other => other.to_owned(),
    }
}

/// A covenant version.
pub fn covenant_version_words(version: u32) -> String {
    format!("convenantversie {version}")
}

/// The title of an entry's page (`index` as typed in the address).
pub fn entry_title(index: &str) -> String {
    let index: String = index.chars().take(20).collect();
    format!("Logboek — vermelding {index}")
}

/// An entry by number.
pub fn entry_number(index: impl Borrow<u64>) -> String {
    format!("vermelding {}", index.borrow())
}

/// Introduction of an entry's page.
pub const ENTRY_INTRO: &str = "Een vermelding in het logboek van de hub (art. 10.1), zoals uw partij die mag zien (art. 10.3). Velden staan er met hun naam, nooit met hun inhoud (art. 12.3).";
/// Before the moment of logging.
pub const LOGGED_AT: &str = "gelogd op";
/// What the leaf hash is.
pub const LEAF_HASH_HELP: &str =
    "SHA-256 van de vermelding zoals gelogd; Verifieer bewijst dat zij in het logboek staat.";
/// The entry's bytes.
pub const LOGGED_BYTES: &str = "De vermelding precies zoals gelogd (JSON)";
/// To Verifieer.
pub const ENTRY_TO_VERIFY: &str = "Controleer het logboek van uw partij (Verifieer)";
/// Back to the list.
pub const BACK_TO_LOG: &str = "Terug naar het logboek";
/// Title of a missing entry.
pub const ENTRY_MISSING_TITLE: &str = "Vermelding niet gevonden";
/// A missing entry (`asked` as typed in the address).
pub fn entry_missing(asked: &str) -> String {
    let asked: String = asked.chars().take(20).collect();
    format!(
        "Het logboek heeft geen vermelding {asked} die uw partij mag zien. Vermeldingen over verstrekkingen tussen andere partijen ziet u niet (art. 10.3)."
    )
}

// ---------------------------------------------------------------------------------
// Logboek.

/// Page title.
pub const LOG_TITLE: &str = "Logboek";
/// Introduction.
pub const LOG_INTRO: &str = "De vermeldingen in het logboek van de hub die uw partij mag zien (art. 10.3): elk besluit over een verstrekking die uw partij deed of ontving, en de wijzigingen in casussen door uw partij. Velden staan er met hun naam, nooit met hun inhoud (art. 12.3).";
/// To Verifieer.
pub const LOG_TO_VERIFY: &str = "Controleer of het logboek klopt (Verifieer)";
/// Field label.
pub const LOG_FILTER_FROM: &str = "Van (datum)";
/// Field label.
pub const LOG_FILTER_UNTIL: &str = "Tot en met (datum)";
/// Field label.
pub const LOG_FILTER_CASE: &str = "Casus";
/// Under the period.
pub const LOG_FILTER_PERIOD_HINT: &str = "Hele dagen in Amsterdamse tijd; de einddatum telt mee.";
/// Legend.
pub const LOG_FILTER_DIRECTION: &str = "Richting";
/// Both directions.
pub const DIRECTION_BOTH: &str = "verstrekt en ontvangen";
/// A direction.
pub fn direction_words(direction: &str) -> &'static str {
    match direction {
        "provided" => "alleen verstrekt door uw partij",
        "received" => "alleen ontvangen door uw partij",
        _ => "",
    }
}
/// Legend.
pub const LOG_FILTER_KIND: &str = "Soort vermelding (geen keuze: alle)";
/// Legend.
pub const LOG_FILTER_OUTCOME: &str = "Uitkomst (geen keuze: alle)";
/// Legend.
pub const LOG_FILTER_CATEGORY: &str = "Categorie (art. 6; geen keuze: alle)";
/// Legend.
pub const LOG_FILTER_PURPOSE: &str = "Doel (art. 3.1; geen keuze: alle)";
/// Box label.
pub const LOG_FILTER_EMERGENCY: &str = "alleen spoedverstrekkingen (art. 15.5)";
/// The summary of the filters less often used.
pub const LOG_MORE_FILTERS: &str = "Meer filters: soort vermelding, doel, spoed, betrokkene";
/// Field label.
pub const LOG_FILTER_SUBJECT: &str = "Betrokkene (pseudoniem, 64 tekens)";
/// Submit button.
pub const LOG_FILTER_APPLY: &str = "Toon vermeldingen";
/// An unreadable date.
pub const LOG_FILTER_BAD_DATE: &str = "Vul een datum in als 2026-11-20 (jaar-maand-dag).";
/// An end before the start.
pub const LOG_FILTER_END_BEFORE_START: &str = "De einddatum ligt vóór de begindatum.";
/// A malformed pseudonym.
pub const LOG_FILTER_BAD_PSEUDONYM: &str = "Een pseudoniem bestaat uit 64 tekens 0–9 en a–f.";
/// A word outside the lists.
pub const LOG_FILTER_BAD_CHOICE: &str = "Een van de keuzes is onbekend; kies uit de lijsten.";
/// Heading of the downloads.
pub const LOG_EXPORT_TITLE: &str = "Downloaden";
/// What the downloads hold.
pub const LOG_EXPORT_INTRO: &str = "Alle vermeldingen die bij dit filter horen (niet alleen deze pagina), precies zoals hubctl log entries ze schrijft.";
/// Download link.
pub const LOG_EXPORT_CSV: &str = "Download als CSV";
/// Download link.
pub const LOG_EXPORT_JSONL: &str = "Download als JSON-regels";
/// No entries at all.
pub const LOG_NONE: &str = "Er staan nog geen vermeldingen van uw partij in het logboek.";
/// No entries for the filter.
pub const LOG_NONE_FILTERED: &str = "Geen vermeldingen voor dit filter.";
/// The table caption.
pub const LOG_CAPTION: &str = "Vermeldingen van uw partij, in de volgorde van het logboek";
/// Column.
pub const COL_ENTRY: &str = "Nr.";
/// Column.
pub const COL_LOGGED: &str = "Gelogd";
/// Column.
pub const COL_KIND: &str = "Soort";
/// Column.
pub const COL_OUTCOME: &str = "Uitkomst";
/// Before an entry's number, for screen readers.
pub const ENTRY_WORD: &str = "vermelding";
/// The badge of an emergency share.
pub const EMERGENCY_SHARE: &str = "spoedverstrekking";
/// The pager's label.
pub const PAGER_LABEL: &str = "Pagina's";
/// Pager link.
pub const PAGER_FIRST: &str = "Eerste pagina";
/// Pager link.
pub const PAGER_PREVIOUS: &str = "Vorige pagina";
/// Pager link.
pub const PAGER_NEXT: &str = "Volgende pagina";

/// What a page of the log shows.
pub fn entries_shown(n: usize, first: u64, last: u64, more: bool) -> String {
    let mut words = if n == 1 {
        format!("1 vermelding, nr. {first}")
    } else {
        format!("{n} vermeldingen, nr. {first} tot en met {last}")
    };
    if more {
        words.push_str("; er volgen er meer");
    }
    words
}

// ---------------------------------------------------------------------------------
// Verifieer.

/// Page title.
pub const VERIFY_TITLE: &str = "Logboek verifiëren";
/// Introduction.
pub const VERIFY_INTRO: &str = "Het logboek van de hub is controleerbaar (art. 10.2): elke wijziging of verwijdering van een vermelding is te ontdekken. Verifiëren doet dezelfde controles als hubctl log verify, met de sleutel van de hub uit uw profiel (niet met een sleutel die de hub meestuurt):";
/// Step.
pub const VERIFY_STEP_SIGNATURE: &str = "de handtekening van de hub onder het nieuwste checkpoint, de samenvatting van het hele logboek;";
/// Step.
pub const VERIFY_STEP_ENTRIES: &str = "voor elke vermelding van uw partij: de hash opnieuw berekenen uit de vermelding zelf, en het bewijs nagaan dat zij in dat checkpoint zit;";
/// Step.
pub const VERIFY_STEP_CONSISTENCY: &str = "dat het logboek het checkpoint dat dit profiel de vorige keer verifieerde ongewijzigd voortzet (consistentiebewijs).";
/// Where the last checkpoint is kept.
pub fn verify_state_file(path: &str) -> String {
    format!(
        "Het laatst geverifieerde checkpoint wordt bewaard in {path}, hetzelfde bestand dat hubctl log verify gebruikt."
    )
}
/// The checkpoint verified before.
pub fn last_verified(size: impl Borrow<u64>, root: &str) -> String {
    let size = size.borrow();
    let root: String = root.chars().take(16).collect();
    format!(
        "Dit profiel verifieerde eerder het checkpoint van {size} vermeldingen (root-hash {root}…)."
    )
}
/// Never verified.
pub const NEVER_VERIFIED: &str = "Met dit profiel is het logboek nog niet eerder geverifieerd.";
/// The button.
pub const VERIFY_RUN: &str = "Verifieer nu";
/// Heading of a verification that succeeded.
pub const VERIFIED_TITLE: &str = "Het logboek is geverifieerd";
/// When.
pub fn verified_at(at: &str) -> String {
    format!("Gecontroleerd op {at}.")
}
/// Heading.
pub const VERIFIED_PROVED: &str = "Wat is bewezen";
/// Heading.
pub const VERIFIED_WITNESSES: &str = "Medeondertekend door getuigen";
/// No cosignatures.
pub const VERIFIED_NO_WITNESSES: &str =
    "Dit checkpoint is (nog) niet medeondertekend door de agents van de partijen.";
/// Heading.
pub const VERIFIED_NOT_PROVED: &str = "Wat hiermee niet is bewezen";
/// The signature.
pub fn verified_signature(size: u64, root: &str, origin: &str) -> String {
    format!(
        "Het checkpoint van {size} vermeldingen (root-hash {root}) is ondertekend met de sleutel van de hub uit uw profiel ({origin})."
    )
}
/// The party's entries.
pub fn verified_entries(n: usize, first: u64, last: u64, size: u64) -> String {
    if n == 1 {
        format!(
            "De ene vermelding van uw partij (nr. {first}) is opnieuw berekend uit haar inhoud en bewezen opgenomen in het checkpoint van {size} vermeldingen."
        )
    } else {
        format!(
            "Alle {n} vermeldingen van uw partij (nr. {first} tot en met {last}) zijn opnieuw berekend uit hun inhoud en bewezen opgenomen in het checkpoint van {size} vermeldingen."
        )
    }
}
/// No entries of the party.
pub const VERIFIED_NO_ENTRIES: &str = "Uw partij heeft nog geen vermeldingen in het logboek; alleen de handtekening en de samenhang met de vorige verificatie zijn gecontroleerd.";
/// The same checkpoint as before.
pub fn verified_same(size: u64) -> String {
    format!(
        "Het logboek is niet gegroeid sinds de vorige verificatie met dit profiel: hetzelfde checkpoint van {size} vermeldingen, met dezelfde root-hash."
    )
}
/// Consistency with the checkpoint before.
pub fn verified_extends(before: u64, now: u64) -> String {
    format!(
        "Het logboek van {now} vermeldingen zet het checkpoint van {before} vermeldingen dat dit profiel eerder verifieerde ongewijzigd voort (consistentiebewijs): daarin is sindsdien niets veranderd of verwijderd."
    )
}
/// The first run.
pub fn verified_first(state_file: &str) -> String {
    format!(
        "Dit was de eerste verificatie met dit profiel. Het checkpoint is bewaard in {state_file}; de volgende verificatie bewijst dat het logboek dit checkpoint ongewijzigd voortzet."
    )
}
/// Other parties' entries.
pub fn not_proved_other_parties() -> String {
    "Alleen de vermeldingen van uw eigen partij zijn één voor één gecontroleerd (art. 10.3); die van andere partijen ziet u niet. Ze zitten wel in hetzelfde ondertekende checkpoint.".to_owned()
}
/// Entries after the checkpoint.
pub fn not_proved_after(size: u64) -> String {
    match size.checked_sub(1) {
        Some(last) => format!(
            "Vermeldingen na vermelding {last} (gelogd na dit checkpoint) zijn niet gecontroleerd; verifieer later opnieuw."
        ),
        None => "Het checkpoint is leeg; latere vermeldingen zijn niet gecontroleerd.".to_owned(),
    }
}
/// What the log cannot prove.
pub const NOT_PROVED_CONTENT: &str = "Dat de vermeldingen de werkelijkheid juist beschrijven: bewezen is alleen dat zij sinds het loggen niet zijn gewijzigd of verwijderd.";
/// Without cosignatures.
pub const NOT_PROVED_NO_WITNESSES: &str = "Zonder medeondertekening kan de hub andere partijen in beginsel een ander logboek tonen dan u; vergelijk bij twijfel het checkpoint met de privacy officer van een andere partij.";
/// The witnesses' signatures.
pub const NOT_PROVED_WITNESS_SIGNATURES: &str = "De handtekeningen van de getuigen heeft de console niet zelf gecontroleerd (uw profiel bevat hun sleutels niet); de hub controleerde ze toen hij ze ontving.";
/// The first run proves no consistency yet.
pub const NOT_PROVED_FIRST_RUN: &str = "Omdat dit de eerste verificatie met dit profiel was, is nog niet bewezen dat het logboek eerder gelogde vermeldingen ongewijzigd voortzet; dat bewijst de volgende verificatie.";
/// A cosignature the hub could not tie to a party.
pub const UNKNOWN_WITNESS: &str = "een getuige die de hub niet aan een partij kon koppelen";
/// Heading of a failed verification.
pub const NOT_VERIFIED_TITLE: &str = "Het logboek is NIET geverifieerd";
/// What to do.
pub const NOT_VERIFIED_ADVICE: &str = "Dit kan betekenen dat er met het logboek is geknoeid. Bewaar of druk deze pagina af, meld het aan de privacy officers van de andere partijen en aan de beheerder van de hub, en verifieer later opnieuw. Het bewaarde checkpoint is niet bijgewerkt.";
/// The link to the entry that failed.
pub fn open_failed_entry(index: impl Borrow<u64>) -> String {
    format!("Bekijk vermelding {}", index.borrow())
}
/// What failed, in Dutch.
pub fn log_failure_words(failure: &crate::logverify::LogFailure) -> String {
    use crate::logverify::LogFailure;
    match failure {
        LogFailure::Signature { .. } => "De handtekening onder het nieuwste checkpoint klopt niet met de sleutel van de hub in uw profiel (log_verifier): het checkpoint is niet door die sleutel ondertekend, of de sleutel in uw profiel is niet (meer) die van de hub.".to_owned(),
        LogFailure::MalformedHash { entry: Some(entry), .. } => format!(
            "Vermelding {entry}: de hub stuurde een onbruikbaar bewijs (een hash van de verkeerde lengte)."
        ),
        LogFailure::MalformedHash { entry: None, .. } => {
            "De hub stuurde een onbruikbaar consistentiebewijs (een hash van de verkeerde lengte).".to_owned()
        }
        LogFailure::LeafHash { entry } => format!(
            "Vermelding {entry}: de inhoud die de hub stuurde, hoort niet bij de hash van die vermelding in het logboek."
        ),
        LogFailure::BeyondCheckpoint { entry, size } => format!(
            "Vermelding {entry} ligt voorbij het checkpoint van {size} vermeldingen dat haar zou moeten bevatten."
        ),
        LogFailure::Inclusion { entry, .. } => format!(
            "Vermelding {entry} zit niet in het ondertekende checkpoint: het bewijs van opname klopt niet."
        ),
        LogFailure::Shrank { before, now } => format!(
            "Het logboek is gekrompen: dit profiel verifieerde eerder {before} vermeldingen, de hub ondertekent er nu {now}."
        ),
        LogFailure::Fork { size } => format!(
            "Er zijn twee verschillende logboeken van {size} vermeldingen ondertekend (een splitsing): de hub toont niet steeds hetzelfde logboek."
        ),
        LogFailure::Inconsistent { before, now, .. } => format!(
            "Het logboek van {now} vermeldingen zet het eerder geverifieerde logboek van {before} vermeldingen niet ongewijzigd voort: daarin is iets gewijzigd of verwijderd."
        ),
    }
}
/// Title: no verifier key in the profile.
pub const VERIFY_NO_KEY_TITLE: &str = "Uw profiel mist de sleutel van het logboek";
/// What to do.
pub fn verify_no_key(profile: &str) -> String {
    format!(
        "Om te verifiëren is de verificatiesleutel van het logboek van de hub nodig. Vraag de beheerder van de hub om de regel die hub check-config toont, zet die als log_verifier in uw profiel {profile}, en start hubctl console opnieuw."
    )
}
/// Title: an unusable verifier key.
pub const VERIFY_BAD_KEY_TITLE: &str = "De sleutel van het logboek in uw profiel is onbruikbaar";
/// What to do.
pub fn verify_bad_key(profile: &str) -> String {
    format!(
        "De regel log_verifier in {profile} is geen verificatiesleutel. Kopieer de hele regel die de beheerder van de hub u gaf, en start hubctl console opnieuw."
    )
}
/// Title: an unusable state file.
pub const VERIFY_STATE_TITLE: &str =
    "Het bestand met het laatst geverifieerde checkpoint is onbruikbaar";
/// What to do.
pub fn verify_state(path: &str) -> String {
    format!(
        "Het bestand {path} kan niet worden gelezen of geschreven, of bevat geen checkpoint dat met de sleutel uit uw profiel is ondertekend. Verwijder het alleen als de beheerder van de hub bevestigt dat de sleutel van het logboek bewust is vervangen."
    )
}

// ---------------------------------------------------------------------------------
// Meldingen.

/// Page title.
pub const NOTICES_TITLE: &str = "Meldingen";
/// Introduction.
pub const NOTICES_INTRO: &str = "Wat de hub meldt aan de privacy officer van uw partij over verstrekkingen waarvan uw partij de bron was: spoedverstrekkingen die u binnen 1 werkdag beoordeelt (art. 15.2), en verstrekkingen die de hub weigerde omdat er verboden gegevens in zaten (art. 7).";
/// The party's counts.
pub fn notice_counts(open: u32, overdue: u32) -> String {
    if open == 0 {
        return "Er staat niets open.".to_owned();
    }
    let mut words = if open == 1 {
        "1 melding staat open".to_owned()
    } else {
        format!("{open} meldingen staan open")
    };
    match overdue {
        0 => {}
        1 => words.push_str(", waarvan 1 beoordeling te laat"),
        n => words.push_str(&format!(", waarvan {n} beoordelingen te laat")),
    }
    words.push('.');
    words
}
/// Field label.
pub const NOTICE_FILTER_KIND: &str = "Soort melding";
/// The option for both kinds.
pub const NOTICE_FILTER_ALL: &str = "alle soorten";
/// A kind of notification.
pub fn notice_kind_words(kind: &str) -> &'static str {
    match kind {
        "reject" => "weigering wegens verboden inhoud (art. 7)",
        "emergency-review" => "spoedverstrekking te beoordelen (art. 15.2)",
        // joinleave: a covenant proposal awaiting the party's approval.
        "covenant-proposal" => "voorstel convenantversie ter goedkeuring (art. 13.1)",
        _ => "",
    }
}
/// Box label.
pub const NOTICE_FILTER_OPEN: &str = "alleen wat nog open staat";
/// Submit button.
pub const NOTICE_FILTER_APPLY: &str = "Toon meldingen";
/// An unknown kind.
pub const NOTICE_FILTER_BAD_KIND: &str = "Kies een soort uit de lijst.";
/// Heading.
pub const NOTICES_EMERGENCY_TITLE: &str = "Spoedverstrekkingen te beoordelen (art. 15.2)";
/// What they are.
pub const NOTICES_EMERGENCY_INTRO: &str = "Tijdens een spoedsituatie (art. 15) kreeg degene die de spoed verklaarde gegevens van uw partij. Beoordeel per spoedsituatie of dat terecht was, binnen 1 werkdag na de melding.";
/// None.
pub const NOTICES_NO_EMERGENCY: &str = "Geen spoedverstrekkingen.";
/// An emergency's heading.
pub fn emergency_group_title(case_id: &str) -> String {
    format!("Spoed in casus {case_id}")
}
/// Who declared it.
pub fn declared_words(who: &str, at: &str, until: &str) -> String {
    format!("Spoed verklaard door {who} op {at}, geldig tot en met {until} (art. 15.3).")
}
/// Before the written reason.
pub const NOTICE_EMERGENCY_REASON: &str = "Schriftelijke reden van de spoed (art. 15.1):";
/// When the review is due (`left`: the time left, when it is still to come).
pub fn review_due_words(due: &str, overdue: bool, left: Option<Duration>) -> String {
    match (overdue, left) {
        (true, _) => format!("Termijn verstreken: beoordelen was nodig uiterlijk {due}"),
        (false, Some(left)) => format!("Beoordelen uiterlijk {due} (nog {})", span(left)),
        (false, None) => format!("Beoordelen uiterlijk {due}"),
    }
}
/// Legend.
pub const REVIEW_SHARES_LEGEND: &str = "Welke verstrekkingen beoordeelt u?";
/// Legend.
pub const REVIEW_VERDICT_LEGEND: &str = "Uw oordeel";
/// A verdict in a word.
pub fn verdict_words(verdict: &str) -> String {
    match verdict {
        "justified" => "terecht".to_owned(),
        "not-justified" => "niet terecht".to_owned(),
        other => other.to_owned(),
    }
}
/// A verdict's option.
pub fn verdict_label(verdict: &str) -> &'static str {
    match verdict {
        "justified" => "Terecht: de spoed rechtvaardigde deze verstrekkingen",
        "not-justified" => "Niet terecht: deze verstrekkingen waren niet nodig of niet toegestaan",
        _ => "",
    }
}
/// Field label.
pub const REVIEW_NOTE: &str = "Toelichting (niet verplicht)";
/// Under it.
pub const REVIEW_NOTE_HINT: &str = "Ten hoogste 2000 tekens, zonder namen of andere identificerende gegevens. De hub bewaart de toelichting versleuteld en logt haar niet.";
/// Submit button.
pub const REVIEW_SUBMIT: &str = "Beoordeling vastleggen";
/// No verdict chosen.
pub const REVIEW_CHOOSE_VERDICT: &str = "Kies of de spoedverstrekking terecht was.";
/// No share ticked.
pub const REVIEW_CHOOSE_SHARES: &str = "Vink ten minste één verstrekking aan.";
/// A note that is too long.
pub fn note_too_long(chars: usize, max: usize) -> String {
    format!("De toelichting is te lang: {chars} tekens, ten hoogste {max}.")
}
/// A review recorded.
pub fn reviewed_words(verdict: &str, at: &str, who: &str, late: bool, note: &str) -> String {
    let mut words = format!("beoordeeld als {verdict} op {at} door {who}");
    if late {
        words.push_str(", te laat (na de termijn van 1 werkdag)");
    }
    if !note.is_empty() {
        words.push_str(&format!("; toelichting: {note}"));
    }
    words
}
/// Seen.
pub fn seen_words(at: &str, who: &str, review_open: bool) -> String {
    let mut words = format!("gezien op {at} door {who}");
    if review_open {
        words.push_str("; de beoordeling staat nog open");
    }
    words
}
/// Neither seen nor reviewed.
pub const NOTICE_OPEN: &str = "open";
/// A notification's heading.
pub fn notice_title(kind: &str, article: &str) -> String {
    match kind {
        "reject" => format!("Geweigerde verstrekking: verboden inhoud (art. {article})"),
        "emergency-review" => format!("Spoedverstrekking te beoordelen (art. {article})"),
        // joinleave: a covenant proposal awaiting the party's approval.
        "covenant-proposal" => format!("Voorstel convenantversie ter goedkeuring (art. {article})"),
        other => format!("{other} (art. {article})"),
    }
}
/// Before when it was raised.
pub const RAISED_AT: &str = "gemeld op";
/// Before the status.
pub const STATUS_LABEL_NOTICE: &str = "Stand:";
/// After a prohibited field.
pub const PROHIBITED_FIELD: &str = "(verboden, art. 7)";
/// The link to the entry.
pub fn open_entry(index: impl Borrow<u64>) -> String {
    format!("Bekijk vermelding {} in het logboek", index.borrow())
}
/// The "seen" button.
pub const ACK_ONE: &str = "Markeer als gezien";
/// The "all seen" button.
pub fn ack_all(n: usize) -> String {
    format!("Markeer alle {n} open weigeringen als gezien")
}
/// Heading.
pub const NOTICES_REJECT_TITLE: &str = "Geweigerde verstrekkingen (art. 7)";
/// What they are.
pub const NOTICES_REJECT_INTRO: &str = "De agent van uw partij bood gegevens aan met een veld dat het convenant nooit toestaat (art. 7.1: diagnose, behandeling, medicatie; art. 7.2: opsporingsinformatie). De hub weigerde de hele verstrekking; er is niets doorgegeven. Ga na waarom uw bronsysteem dit veld aanbood, en markeer de melding daarna als gezien.";
/// None.
pub const NOTICES_NO_REJECTS: &str = "Geen geweigerde verstrekkingen.";
/// After a "seen".
pub const NOTICE_DONE_SEEN: &str = "Vastgelegd: de melding is als gezien gemarkeerd.";
/// After a review.
pub const NOTICE_DONE_REVIEWED: &str =
    "Vastgelegd: uw beoordeling staat bij de spoedverstrekkingen.";
/// A "seen" without a notification.
pub const NOTICE_NONE_CHOSEN: &str = "Er was geen melding gekozen; er is niets gewijzigd.";
/// A form whose notification is done meanwhile.
pub const NOTICE_GONE: &str =
    "Deze melding is al afgehandeld, misschien door een collega; er is niets gewijzigd.";
/// Refusal: unknown notification.
pub const NOTICE_REFUSED_NOT_FOUND: &str = "De hub kent deze melding niet (meer) voor uw partij; er is niets gewijzigd. Laad de pagina opnieuw.";
/// Refusal: not an emergency share.
pub const NOTICE_REFUSED_NOT_A_REVIEW: &str = "Alleen spoedverstrekkingen worden beoordeeld (art. 15.2); een weigering markeert u als gezien. Er is niets gewijzigd.";
/// Refusal: reviewed already.
pub const NOTICE_REFUSED_REVIEWED: &str = "Deze spoedverstrekking is al beoordeeld; een beoordeling wordt één keer vastgelegd. Er is niets gewijzigd.";
/// Refusal: a value the hub refuses.
pub const NOTICE_REFUSED_INVALID_REVIEW: &str = "De hub weigert het oordeel of de toelichting (ten hoogste 2000 tekens, zonder stuurtekens). Er is niets gewijzigd.";

// ---------------------------------------------------------------------------------
// Inzage.

/// Page title.
pub const INZAGE_TITLE: &str = "Inzage";
/// Introduction.
pub const INZAGE_INTRO: &str = "Vraagt iemand welke gegevens over hem of haar binnen de Treiteraanpak zijn gedeeld (art. 11.1), dan maakt de hub uit het hele logboek een overzicht: door wie, met wie, met welk doel, wanneer en met welke uitkomst. Het verzoek moet binnen 4 weken zijn beantwoord (art. 11.2).";
/// Heading of the form.
pub const INZAGE_REQUEST_TITLE: &str = "Nieuw inzageverzoek";
/// Article 8.4, in the form.
pub const INZAGE_PRIVACY_NOTE: &str = "De gegevens van de betrokkene worden op deze computer omgezet in het pseudoniem van het convenant (art. 8.4); alleen dat pseudoniem gaat naar de hub. De gegevens zelf worden niet verstuurd, niet bewaard en niet opnieuw getoond.";
/// Legend.
pub const INZAGE_IDENTITY_LEGEND: &str = "De betrokkene";
/// Field label.
pub const IDENTITY_NAME: &str = "Voornamen en achternaam";
/// Field label.
pub const IDENTITY_BIRTH_DATE: &str = "Geboortedatum";
/// Under it.
pub const IDENTITY_BIRTH_DATE_HINT: &str = "jaar-maand-dag, bijvoorbeeld 1975-05-05";
/// Field label.
pub const IDENTITY_POSTCODE: &str = "Postcode";
/// Field label.
pub const IDENTITY_HOUSE_NUMBER: &str = "Huisnummer met toevoeging";
/// Field label.
pub const INZAGE_PSEUDONYM: &str = "Of: het pseudoniem van de betrokkene";
/// Under it.
pub const INZAGE_PSEUDONYM_HINT: &str =
    "64 tekens 0–9 en a–f; laat de gegevens hierboven dan leeg.";
/// Field label.
pub const INZAGE_RECEIVED_ON: &str = "Ontvangen op";
/// Under it.
pub const INZAGE_RECEIVED_HINT: &str =
    "De dag dat de gemeente het verzoek ontving; de 4 weken van art. 11.2 tellen vanaf die dag.";
/// Field label.
pub const INZAGE_REFERENCE: &str = "Eigen kenmerk (niet verplicht)";
/// Under it.
pub const INZAGE_REFERENCE_HINT: &str = "Bijvoorbeeld het nummer van het AVG-dossier; ten hoogste 100 tekens. Wordt bij het verzoek bewaard, niet gelogd.";
/// Submit button.
pub const INZAGE_SUBMIT: &str = "Overzicht maken";
/// An unreadable date.
pub const INZAGE_BAD_DATE: &str = "Vul een datum in als 2026-11-20 (jaar-maand-dag).";
/// A date in the future.
pub fn inzage_future_date(today: &str) -> String {
    format!(
        "De datum ligt na vandaag ({today}); een verzoek kan niet in de toekomst zijn ontvangen."
    )
}
/// A reference that is too long.
pub fn reference_too_long(chars: usize, max: usize) -> String {
    format!("Het kenmerk is te lang: {chars} tekens, ten hoogste {max}.")
}
/// Both a pseudonym and identifying data.
pub const INZAGE_EITHER_OR: &str =
    "Vul óf de gegevens van de betrokkene in, óf het pseudoniem, niet allebei.";
/// A malformed pseudonym.
pub const INZAGE_BAD_PSEUDONYM: &str = "Een pseudoniem bestaat uit 64 tekens 0–9 en a–f.";
/// An identifying field left empty (named, never its value).
pub fn missing_identity_field(field: &str) -> &'static str {
    match field {
        "naam" => "Vul de voornamen en achternaam in, of alleen het pseudoniem.",
        "geboortedatum" => "Vul ook de geboortedatum in.",
        "postcode" => "Vul ook de postcode in.",
        "huisnummer" => "Vul ook het huisnummer in.",
        _ => "Vul alle gegevens van de betrokkene in.",
    }
}
/// A name the covenant's normalisation refuses.
pub const IDENTITY_BAD_NAME: &str = "De naam kan niet worden omgezet: gebruik alleen letters, spaties, koppeltekens, apostroffen, punten en komma's.";
/// A date of birth it refuses.
pub const IDENTITY_BAD_BIRTH_DATE: &str =
    "Schrijf de geboortedatum als jaar-maand-dag (1975-05-05): een bestaande dag, na 1900.";
/// A postcode it refuses.
pub const IDENTITY_BAD_POSTCODE: &str =
    "Schrijf de postcode als vier cijfers en twee letters, bijvoorbeeld 1091 AB.";
/// A house number it refuses.
pub const IDENTITY_BAD_HOUSE_NUMBER: &str = "Schrijf het huisnummer als een getal van 1 tot 99999, met eventueel een toevoeging van letters en cijfers (14-2, 12A).";
/// The profile cannot pseudonymise.
pub fn pseudonymise_problem(error: &Error) -> String {
    match error {
        Error::NoPseudonymKey { .. } => "Uw profiel bevat de pseudonimiseringssleutel van het convenant niet (pseudonym_key); zonder die sleutel kan de console de gegevens niet omzetten. Er is niets verstuurd.".to_owned(),
        Error::Key(_) => "De pseudonimiseringssleutel in uw profiel is niet bruikbaar. Er is niets verstuurd.".to_owned(),
        other => {
            let p = problem(other);
            format!("{} {}", p.title, p.advice)
        }
    }
}
/// Heading of the list.
pub const INZAGE_LIST_TITLE: &str = "Inzageverzoeken van uw partij";
/// None.
pub const INZAGE_NONE: &str = "Er zijn nog geen inzageverzoeken.";
/// The table caption.
pub const INZAGE_CAPTION: &str =
    "Inzageverzoeken, nieuwste eerst, met de uiterste datum van art. 11.2";
/// Column.
pub const COL_INZAGE: &str = "Verzoek";
/// Column.
pub const COL_RECEIVED: &str = "Ontvangen";
/// Column.
pub const COL_DUE: &str = "Beantwoorden uiterlijk (art. 11.2)";
/// Column.
pub const COL_SUBJECT: &str = "Betrokkene (pseudoniem)";
/// Column.
pub const COL_REFERENCE: &str = "Kenmerk";
/// Column.
pub const COL_PRODUCED: &str = "Opgesteld";
/// The due date and how far off it is (`days`: from today, negative when passed).
pub fn inzage_due_words(day: &str, days: i64) -> String {
    match days {
        0 => format!("{day} — vandaag"),
        1 => format!("{day} — nog 1 dag"),
        n if n > 1 => format!("{day} — nog {n} dagen"),
        -1 => format!("{day} — termijn verstreken, 1 dag geleden"),
        n => format!("{day} — termijn verstreken, {} dagen geleden", -n),
    }
}
/// Who produced it, and when.
pub fn produced_words(at: &str, who: &str) -> String {
    format!("{at} door {who}")
}
/// The overview's page title.
pub fn inzage_document_title(id: &str) -> String {
    let id: String = id.chars().take(30).collect();
    format!("Inzage {id}")
}
/// Back to the list.
pub const BACK_TO_INZAGE: &str = "Terug naar inzage";
/// How to print.
pub const INZAGE_PRINT_HINT: &str = "Dit overzicht is opgemaakt om af te drukken (Ctrl+P of ⌘P): alleen het overzicht zelf komt op papier.";
/// Download link.
pub const INZAGE_DOWNLOAD_MARKDOWN: &str =
    "Download het overzicht zoals de hub het opstelde (Markdown)";
/// Download link.
pub const INZAGE_DOWNLOAD_JSON: &str = "Download de gegevens van het overzicht (JSON)";
/// Before the due date.
pub const INZAGE_ANSWER_BY: &str = "Beantwoorden uiterlijk (art. 11.2):";
/// The document's heading.
pub const INZAGE_DOC_TITLE: &str = "Overzicht van gedeelde gegevens (inzage, artikel 11)";
/// The request line.
pub fn inzage_doc_request(id: &str, received: &str, due: &str) -> String {
    format!(
        "Verzoek {id} — ontvangen op {received}, te beantwoorden uiterlijk {due} (artikel 11.2)."
    )
}
/// What the document is.
pub const INZAGE_DOC_INTRO: &str = "Dit overzicht laat zien welke gegevens over u binnen de Treiteraanpak zijn gedeeld: door wie, met wie, met welk doel, wanneer en met welke uitkomst. Het noemt alleen de soorten gegevens (de namen van de velden), nooit de inhoud ervan.";
/// Label.
pub const INZAGE_DOC_SUBJECT: &str = "Kenmerk van de betrokkene (pseudoniem)";
/// Label.
pub const INZAGE_DOC_PRODUCED: &str = "Opgesteld";
/// Label.
pub const INZAGE_DOC_REFERENCE: &str = "Kenmerk van de gemeente";
/// When and from what.
pub fn inzage_doc_produced(at: &str, tree_size: impl Borrow<u64>) -> String {
    let tree_size = tree_size.borrow();
    format!("op {at} uit het logboek van de hub ({tree_size} vermeldingen)")
}
/// Heading.
pub const INZAGE_DOC_CASES: &str = "Zaken";
/// No cases.
pub const INZAGE_DOC_NO_CASES: &str = "U bent in geen zaak geregistreerd volgens het logboek.";
/// Label.
pub const INZAGE_CASE: &str = "Zaak";
/// A subject's role, for the data subject.
pub fn subject_role_words(role: &str) -> String {
    match role {
        "dader" => "vermoedelijke veroorzaker (dader)".to_owned(),
        "slachtoffer" => "slachtoffer".to_owned(),
        "melder" => "melder".to_owned(),
        other => other.to_owned(),
    }
}
/// A case of the overview.
pub fn inzage_case_words(
    role: &str,
    added: &str,
    removed: Option<String>,
    deleted: Option<String>,
) -> String {
    let mut words = format!("als {role}, sinds {added}");
    if let Some(at) = removed {
        words.push_str(&format!("; uit de zaak verwijderd op {at}"));
    }
    if let Some(at) = deleted {
        words.push_str(&format!(
            "; gegevens van de zaak verwijderd op {at} (artikel 9)"
        ));
    }
    words.push('.');
    words
}
/// Heading.
pub const INZAGE_DOC_ITEMS: &str = "Verstrekkingen";
/// No shares.
pub const INZAGE_DOC_NO_ITEMS: &str = "Er zijn geen gegevens over u gedeeld of gevraagd.";
/// Label.
pub const INZAGE_BY: &str = "Door";
/// Label.
pub const INZAGE_TO: &str = "Aan";
/// Label.
pub const INZAGE_PURPOSE: &str = "Doel";
/// Label.
pub const INZAGE_OUTCOME: &str = "Uitkomst";
/// Label.
pub const INZAGE_PASSED: &str = "Verstrekte gegevens";
/// Label.
pub const INZAGE_STRIPPED: &str = "Weggelaten gegevens";
/// Label.
pub const INZAGE_EMERGENCY: &str = "Spoed";
/// An emergency share, for the data subject.
pub const INZAGE_EMERGENCY_WORDS: &str = "Verstrekt in een spoedsituatie (artikel 15); de privacyfunctionaris van de verstrekkende partij heeft dit beoordeeld of beoordeelt dit.";
/// Label.
pub const INZAGE_ARTICLES: &str = "Op grond van artikel(en)";
/// The recipient, for the data subject.
pub fn recipient_words(party: &str, role: &str) -> String {
    let role = match role {
        "informatiemakelaar" => "informatiemakelaar van de gemeente",
        "stadsdeelregisseur" => "stadsdeelregisseur van de gemeente",
        "stedelijk-regisseur" => "stedelijk regisseur van de gemeente",
        "partnercontact" => "contactpersoon van de partij",
        other => other,
    };
    format!("{party}, {role}")
}
/// An outcome, for the data subject (the hub's own words in its document).
pub fn inzage_outcome_words(outcome: &str, stripped: bool) -> String {
    match (outcome, stripped) {
        ("permit", false) => "verstrekt".to_owned(),
        ("permit", true) => "verstrekt, met weglating van gegevens".to_owned(),
        ("deny", _) => "geweigerd; er is niets verstrekt".to_owned(),
        ("reject", _) => {
            "geweigerd, omdat het verboden gegevens bevatte (artikel 7); er is niets verstrekt"
                .to_owned()
        }
        (other, _) => other.to_owned(),
    }
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
/// The label of the Casus page's links to its Bevraging and case files.
pub const CASE_LINKS_LABEL: &str = "Bevraging en casusdossiers van deze casus";

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
pub const DOSSIER_NO_SUBJECTS_YET: &str = "Deze casus heeft nog geen betrokkenen. Voeg eerst een betrokkene toe op de pagina van de casus.";
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
pub fn log_place(index: u64) -> String {
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
pub const DOSSIER_EMERGENCY_SHARE: &str = "spoedverstrekking (art. 15.1)";
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

// ---------------------------------------------------------------------------------
// Convenant, Verschil (pages::covenant::compare): the summary in plain words that opens
// what a new version changes (issue 18), material changes first.

/// Heading of the summary.
pub const SUMMARY_TITLE: &str = "Samengevat (eerst wat inhoudelijk verandert)";

/// A group of the summary with its count: "2 ruimere toestemmingen", "geen nieuwe
/// weigeringen".
pub fn effect_kind_count(kind: treiter_policies::diff::EffectKind, n: usize) -> String {
    use treiter_policies::diff::EffectKind;
    let (one, many) = match kind {
        EffectKind::NewPermission => ("nieuwe toestemming", "nieuwe toestemmingen"),
        EffectKind::WiderPermit => ("ruimere toestemming", "ruimere toestemmingen"),
        EffectKind::NarrowerPermit => ("beperktere toestemming", "beperktere toestemmingen"),
        EffectKind::NewRefusal => ("nieuwe weigering", "nieuwe weigeringen"),
        EffectKind::Other => ("andere wijziging", "andere wijzigingen"),
        EffectKind::CitationOnly => (
            "wijziging alleen in de genoemde artikelen",
            "wijzigingen alleen in de genoemde artikelen",
        ),
    };
    match n {
        0 => format!("geen {many}"),
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    }
}

/// A line of the summary: "politie-incidenten aan een informatiemakelaar van gemeente
/// voor duiding: geeft nu ook wijk door".
pub fn summary_line(category: &str, role: &str, kind: &str, purpose: &str, how: &str) -> String {
    format!("{category} aan {role} van {kind} voor {purpose}: {how}")
}

/// How a kind of share changes, for [`summary_line`].
pub fn summary_how(kind: treiter_policies::diff::EffectKind, fields: &str) -> String {
    use treiter_policies::diff::EffectKind;
    match kind {
        EffectKind::NewPermission => format!("nu toegestaan, geeft {fields} door"),
        EffectKind::WiderPermit => format!("geeft nu ook {fields} door"),
        EffectKind::NarrowerPermit => format!("geeft {fields} niet meer door"),
        EffectKind::NewRefusal => "nu geweigerd".to_owned(),
        EffectKind::Other => "anders beslist (zie de tabel)".to_owned(),
        EffectKind::CitationOnly => "zelfde uitkomst, andere artikelen".to_owned(),
    }
}

/// The citation-only group, explained.
pub const CITATION_ONLY_NOTE: &str =
    "zelfde uitkomst en velden; alleen de genoemde artikelen verschillen (onderaan de tabel)";

/// A category whose field list changed: "veld wijk toegevoegd; veld locatie
/// verwijderd".
pub fn field_list_words(added: &[String], removed: &[String]) -> String {
    let part = |names: &[String], what: &str| {
        (!names.is_empty()).then(|| {
            format!(
                "{} {} {what}",
                if names.len() == 1 { "veld" } else { "velden" },
                names.join(", ")
            )
        })
    };
    [part(added, "toegevoegd"), part(removed, "verwijderd")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("; ")
}

/// The change column of a field list row.
pub const RULE_FIELDS_CHANGED: &str = "velden gewijzigd";

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
