//! The validator: each kind of mistake in a covenant file is reported with its code,
//! its line and column, and a message naming the word concerned. Each test starts
//! from the real encoding and breaks one thing.

use treiter_policies::{Covenant, Diagnostics, Level, TREITERAANPAK_COVENANT};

/// The encoding with `from` replaced by `to` (which must occur exactly once).
fn edit(from: &str, to: &str) -> String {
    assert_eq!(TREITERAANPAK_COVENANT.matches(from).count(), 1, "{from}");
    TREITERAANPAK_COVENANT.replacen(from, to, 1)
}

fn errors(text: &str) -> Diagnostics {
    match Covenant::parse("t.covenant", text) {
        Ok(_) => panic!("the covenant should not validate"),
        Err(d) => d,
    }
}

/// Asserts a problem with this code at line:col whose message contains `needle`.
fn assert_problem(d: &Diagnostics, code: &str, line: usize, column: usize, needle: &str) {
    let found = d.problems().iter().any(|p| {
        p.code == code && p.line == line && p.column == column && p.message.contains(needle)
    });
    assert!(
        found,
        "no {code} at {line}:{column} containing {needle:?}; got:\n{}",
        d.plain()
    );
}

#[test]
fn an_unknown_word_is_reported_with_a_suggestion() {
    let d = errors(&edit(
        "politie-incidenten goes to a stadsdeelregisseur for duiding",
        "politie-incidenten goes to a stadsdeelregiseur for duiding",
    ));
    assert_problem(
        &d,
        "covenant::unknown-word",
        68,
        40,
        "unknown role 'stadsdeelregiseur'",
    );
    let p = d.errors().next().unwrap();
    assert!(
        p.help
            .as_ref()
            .unwrap()
            .contains("did you mean 'stadsdeelregisseur'?")
    );
}

#[test]
fn an_unknown_category_and_purpose() {
    let d = errors(&edit(
        "art. 6.6  zorgbetrokkenheid comes from zorgpartner",
        "art. 6.6  zorgbetrokenheid comes from zorgpartner",
    ));
    assert_problem(
        &d,
        "covenant::unknown-word",
        83,
        11,
        "unknown category 'zorgbetrokenheid'",
    );
    let d = errors(&edit(
        "purpose duiding fits phase duiding",
        "purpose duidng fits phase duiding",
    ));
    assert_problem(
        &d,
        "covenant::unknown-word",
        41,
        19,
        "unknown purpose 'duidng'",
    );
}

#[test]
fn a_word_the_covenant_does_not_declare() {
    let d = errors(&edit(
        "purposes are registratie, duiding, aanpak and evaluatie",
        "purposes are registratie, duiding and aanpak",
    ));
    assert_problem(
        &d,
        "covenant::undeclared-word",
        35,
        33,
        "'evaluatie' is not among the purposes of art. 3.1",
    );
}

#[test]
fn a_category_without_source_or_recipients() {
    let d = errors(&edit(
        "art. 6.6  zorgbetrokkenheid comes from zorgpartner\n",
        "",
    ));
    assert_problem(
        &d,
        "covenant::category-without-source",
        82,
        1,
        "category 'zorgbetrokkenheid' has no source",
    );
    let d = errors(&edit(
        "art. 6.6  zorgbetrokkenheid goes to a stadsdeelregisseur for duiding and aanpak\n",
        "",
    ));
    assert_problem(
        &d,
        "covenant::category-without-recipients",
        82,
        1,
        "category 'zorgbetrokkenheid' has no recipients",
    );
}

#[test]
fn a_field_used_but_not_listed() {
    let d = errors(&edit(
        "samenvatting of politie-incidenten is shared",
        "samenvating of politie-incidenten is shared",
    ));
    assert_problem(
        &d,
        "covenant::field-not-listed",
        69,
        11,
        "field 'samenvating' is used, but no category lists it",
    );
    let d = errors(&edit(
        "with field huurstatus only",
        "with field samenvatting only",
    ));
    assert_problem(
        &d,
        "covenant::field-not-listed",
        80,
        88,
        "field 'samenvatting' is not a field of 'huurgegevens'",
    );
    let d = errors(&edit(
        "bsn of identificatie is shared only",
        "bsn of overlastmeldingen is shared only",
    ));
    assert_problem(
        &d,
        "covenant::field-not-listed",
        59,
        11,
        "field 'bsn' is not a field of 'overlastmeldingen'",
    );
}

#[test]
fn contradicting_rules() {
    // A privacy-officer may receive nothing (5.2), yet a line grants it.
    let d = errors(&edit(
        "handhaving goes to a stadsdeelregisseur and partnercontact for aanpak",
        "handhaving goes to a stadsdeelregisseur and privacy-officer for aanpak",
    ));
    assert_problem(
        &d,
        "covenant::contradiction",
        93,
        55,
        "contradicts art. 5.2",
    );
    // A field that is never shared (7.1) listed by a category.
    let d = errors(&edit(
        "has field zorgsignalen",
        "has fields zorgsignalen and diagnose",
    ));
    assert_problem(
        &d,
        "covenant::contradiction",
        110,
        32,
        "field 'diagnose' is never shared, but category 'zorginhoud' lists it",
    );
    // Two different subject-role limits.
    let d = errors(&edit(
        "art. 6.4  justitiele-gegevens is only about a subject with role dader\n",
        "art. 6.4  justitiele-gegevens is only about a subject with role dader\nart. 6.4  justitiele-gegevens is only about a subject with role melder\n",
    ));
    assert_problem(
        &d,
        "covenant::contradiction",
        75,
        11,
        "limited twice, differently",
    );
    // What still applies in an emergency cannot also be set aside.
    let d = errors(&edit("art. 4.4, 6.1a, 6.3a", "art. 4.2, 4.4, 6.1a, 6.3a"));
    assert_problem(
        &d,
        "covenant::contradiction",
        153,
        36,
        "art. 4.2 still applies during an emergency, but the emergency also sets it aside",
    );
    // A category treated two ways during an emergency.
    let d = errors(&edit(
        "never during an emergency: zorginhoud,",
        "never during an emergency: huurgegevens, zorginhoud,",
    ));
    assert_problem(
        &d,
        "covenant::contradiction",
        154,
        38,
        "category 'huurgegevens' is treated two ways",
    );
    // A purpose that fits a phase in which nothing is shared.
    let d = errors(&edit(
        "purpose aanpak fits phase aanpak",
        "purpose aanpak fits phases aanpak and afgesloten",
    ));
    assert_problem(&d, "covenant::contradiction", 42, 1, "contradicts art. 4.4");
}

#[test]
fn an_article_cited_for_two_meanings() {
    let d = errors(&edit(
        "art. 6.4  justitiele-gegevens comes from om",
        "art. 6.3  justitiele-gegevens comes from om",
    ));
    assert_problem(
        &d,
        "covenant::article-two-meanings",
        72,
        6,
        "art. 6.3 is cited for category justitiele-gegevens here, and for category politie-incidenten before",
    );
}

#[test]
fn the_help_names_the_list_in_its_plural() {
    let d = errors(&edit(
        "art. 6.3  politie-incidenten comes from politie",
        "art. 6.3  politie-incidentn comes from politie",
    ));
    let help = d
        .problems()
        .iter()
        .find(|p| p.code == "covenant::unknown-word")
        .and_then(|p| p.help.clone())
        .unwrap_or_default();
    assert!(
        help.starts_with("did you mean 'politie-incidenten'? the categories are: identificatie,"),
        "{help}"
    );
}

#[test]
fn a_field_named_like_a_prohibited_one_is_a_warning() {
    let text = edit(
        "politie-incidenten has fields datum, incidentsoort, rol_betrokkene, locatie and samenvatting",
        "politie-incidenten has fields datum, incidentsoort, rol_betrokkene, locatie, samenvatting and diagnose_code",
    );
    // Valid: the privacy officer decides, so it is no error.
    let c = Covenant::parse("t", &text).unwrap();
    let w: Vec<&treiter_policies::Problem> = c
        .warnings()
        .iter()
        .filter(|p| p.code == "covenant::prohibited-lookalike")
        .collect();
    let [w] = w.as_slice() else {
        panic!("one warning: {:#?}", c.warnings());
    };
    assert_eq!(w.level, Level::Warning);
    assert_eq!((w.line, w.column), (65, 114), "{w:?}");
    assert!(
        w.message.starts_with(
            "field 'diagnose_code' of category 'politie-incidenten' contains 'diagnose', which art. 7.1 refuses as a whole"
        ),
        "{}",
        w.message
    );
    assert!(
        w.help
            .as_deref()
            .is_some_and(|h| h.contains("the privacy officer decides")),
        "{w:?}"
    );
    // The encoding itself has none.
    let c = Covenant::parse("t", TREITERAANPAK_COVENANT).unwrap();
    assert!(
        c.warnings()
            .iter()
            .all(|p| p.code != "covenant::prohibited-lookalike")
    );
}

#[test]
fn unreachable_rules_are_warnings() {
    // A purpose with no phase to fit: its grant can never apply.
    let text = edit("art. 4.2  purpose duiding fits phase duiding\n", "");
    let c = Covenant::parse("t", &text).unwrap();
    let w: Vec<String> = c
        .warnings()
        .iter()
        .map(|p| format!("{}:{} {}", p.line, p.column, p.message))
        .collect();
    // (line 77 after the removal: the informatiemakelaar's huurgegevens are only for duiding)
    assert_eq!(
        w,
        vec![
            "77:35 this grant of 'huurgegevens' can never apply: none of its purposes fits an open phase"
        ]
    );
    assert!(c.warnings().iter().all(|p| p.level == Level::Warning));
    // A grant that an earlier line already makes.
    let text = edit(
        "art. 6.6  zorgbetrokkenheid goes to a stadsdeelregisseur for duiding and aanpak\n",
        "art. 6.6  zorgbetrokkenheid goes to a stadsdeelregisseur for duiding and aanpak\nart. 6.6  zorgbetrokkenheid goes to a stadsdeelregisseur for aanpak\n",
    );
    let c = Covenant::parse("t", &text).unwrap();
    assert!(
        c.warnings()
            .iter()
            .any(|p| p.code == "covenant::unreachable"
                && p.line == 85
                && p.message.contains("already grants it")),
        "{:#?}",
        c.warnings()
    );
}

#[test]
fn a_field_rule_that_never_strips_is_a_warning() {
    let text = edit(
        "art. 6.3a samenvatting of politie-incidenten is shared only with a stadsdeelregisseur or stedelijk-regisseur",
        "art. 6.3a samenvatting of politie-incidenten is shared only with a stadsdeelregisseur, stedelijk-regisseur, partnercontact or informatiemakelaar",
    );
    let c = Covenant::parse("t", &text).unwrap();
    assert!(
        c.warnings()
            .iter()
            .any(|p| p.code == "covenant::unreachable"
                && p.line == 69
                && p.column == 11
                && p.message.contains("never strips")),
        "{:#?}",
        c.warnings()
    );
}

#[test]
fn every_paragraph_must_be_encoded() {
    let d = errors(&edit(
        "art. 10.2 note: the log is tamper-evident for every party\n",
        "",
    ));
    assert_problem(
        &d,
        "covenant::paragraph-missing",
        124,
        9,
        "paragraph 10.2 is not encoded",
    );
}

#[test]
fn a_rule_under_the_wrong_article() {
    let d = errors(&edit(
        "art. 8.3  melder_identiteit",
        "art. 6.11 melder_identiteit",
    ));
    assert_problem(
        &d,
        "covenant::wrong-article",
        116,
        6,
        "art. 6.11 stands under article 8",
    );
}

#[test]
fn dangling_references() {
    let d = errors(&edit(
        "carries the retention of art. 9.1",
        "carries the retention of art. 9.4",
    ));
    assert_problem(
        &d,
        "covenant::dangling-reference",
        122,
        63,
        "art. 9.4 is referred to, but not encoded",
    );
    let d = errors(&edit(
        "as recorded under art. 11.3\n\nart. 6.8",
        "as recorded under art. 11.9\n\nart. 6.8",
    ));
    assert_problem(&d, "covenant::dangling-reference", 89, 79, "art. 11.9");
}

#[test]
fn parties_are_checked() {
    let d = errors(&edit(
        "party 00000004000000000005",
        "party 00000004000000000004",
    ));
    assert_problem(
        &d,
        "covenant::duplicate",
        164,
        7,
        "party 00000004000000000004 is listed twice",
    );
    let d = errors(&edit(
        "party 00000003000000000003",
        "party 0000000300000000000X",
    ));
    assert_problem(
        &d,
        "covenant::bad-oin",
        162,
        7,
        "'0000000300000000000X' is not an OIN",
    );
    let d = errors(&edit(
        "\"GGD Amsterdam\" is zorgpartner",
        "\"GGD Amsterdam\" is zorg",
    ));
    assert_problem(
        &d,
        "covenant::unknown-word",
        165,
        47,
        "unknown party kind 'zorg'",
    );
}

#[test]
fn required_statements_and_header() {
    let d = errors(&edit("version 1\n", ""));
    assert_problem(&d, "covenant::missing", 1, 1, "the covenant has no version");
    let d = errors(&edit(
        "art. 8.2  a category that a party kind may not provide is refused",
        "art. 8.2  note: gone",
    ));
    assert!(
        d.plain().contains(
            "the covenant does not say 'a category that a party kind may not provide is refused'"
        ),
        "{}",
        d.plain()
    );
}

#[test]
fn many_errors_are_all_reported_and_rendered() {
    let text = edit(
        "art. 6.6  zorgbetrokkenheid comes from zorgpartner",
        "art. 6.6  zorgbetrokkenheid comes frm zorgpartner",
    )
    .replace(
        "purpose duiding fits phase duiding",
        "purpose duiding fits phase duidng",
    );
    let d = errors(&text);
    assert!(d.errors().count() >= 2, "{}", d.plain());
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .render_report(&mut out, &d)
        .unwrap();
    assert!(out.contains("expected 'from', found 'frm'"), "{out}");
    assert!(out.contains("unknown phase 'duidng'"), "{out}");
    assert!(out.contains("t.covenant:83:"), "{out}");
}

#[test]
fn a_control_or_invisible_character_is_refused_with_its_place() {
    // A party name that would clear the screen of whoever runs `hub status`, and a
    // right-to-left override that makes a rule read otherwise than it is decided.
    let d = errors(
        &edit(
            "\"Politie Eenheid Amsterdam\"",
            "\"Politie \u{1b}[2JEenheid Amsterdam\"",
        )
        .replacen(
            "art. 3.3  nothing is shared for evaluatie",
            "art. 3.3  nothing is shared for \u{202e}evaluatie",
            1,
        ),
    );
    assert_problem(
        &d,
        "covenant::hidden-character",
        161,
        37,
        "control or invisible character (U+001B)",
    );
    assert_problem(&d, "covenant::hidden-character", 35, 33, "(U+202E)");
    // Tabs, Windows line ends and a byte-order mark at the start are an editor's.
    let text = format!(
        "\u{feff}{}",
        TREITERAANPAK_COVENANT.replace('\n', "\r\n").replacen(
            "art. 3.3  nothing",
            "art. 3.3\tnothing",
            1
        )
    );
    if let Err(d) = Covenant::parse("t.covenant", &text) {
        panic!("an editor's characters are refused:\n{}", d.plain());
    }
}

#[test]
fn what_a_diagnostic_shows_of_the_text_cannot_act_on_a_terminal() {
    let d = errors(&edit(
        "art. 3.3  nothing is shared for evaluatie",
        "art. 3.3  nothing is shared for \u{1b}[2Jevaluatie",
    ));
    let plain = d.plain();
    assert!(plain.contains("unknown purpose '?[2Jevaluatie'"), "{plain}");
    let mut drawn = String::new();
    for p in d.problems() {
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .render_report(&mut drawn, p)
            .unwrap();
    }
    assert!(drawn.contains("?[2Jevaluatie"), "{drawn}");
    assert!(
        !plain.contains('\u{1b}') && !drawn.contains('\u{1b}'),
        "{drawn}"
    );
}
