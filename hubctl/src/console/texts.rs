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
pub fn identity_refused(e: &treiter_proto::pseudonym::IdentityError) -> String {
    use treiter_proto::pseudonym::{CharKind, IdentityError as I};
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
