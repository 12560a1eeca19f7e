//! The real encoding: it parses, validates without warnings, lists Annex A, and
//! decides the documented example exactly as docs/DECISION-JSON.md shows, and encodes
//! exactly the articles and paragraphs of the covenant text in docs/COVENANT.md.

use treiter_policies::{Covenant, DecisionRequest, PartyKind, Requests, TREITERAANPAK_COVENANT};

fn covenant() -> Covenant {
    match Covenant::parse("treiteraanpak.covenant", TREITERAANPAK_COVENANT) {
        Ok(c) => c,
        Err(d) => panic!("{d}"),
    }
}

#[test]
fn the_encoding_is_valid_without_warnings() {
    let c = covenant();
    let warnings: Vec<String> = c
        .warnings()
        .iter()
        .map(|w| format!("{}:{} {}", w.line, w.column, w.message))
        .collect();
    assert!(warnings.is_empty(), "{warnings:#?}");
    assert_eq!(c.version(), 1);
    assert_eq!(c.title(), "Convenant Gegevensuitwisseling Treiteraanpak");
}

#[test]
fn a_covenant_can_be_shared_between_threads() {
    fn shared<T: Send + Sync + 'static>() {}
    shared::<Covenant>();
    shared::<treiter_policies::Diagnostics>();
    shared::<treiter_policies::Decision>();
}

#[test]
fn annex_a_is_listed() {
    let c = covenant();
    assert_eq!(c.parties().len(), 7);
    let p = c.party("00000004000000000005").unwrap();
    assert_eq!(p.name, "Stichting Lieflijk Wonen");
    assert_eq!(p.kind, PartyKind::Woningcorporatie);
    assert_eq!(c.party("00000003000000000003").unwrap().kind, PartyKind::Om);
    assert!(c.party("00000009000000000009").is_none());
    assert_eq!(
        c.retention_months(treiter_policies::Phase::Afgesloten),
        Some(24)
    );
    assert_eq!(
        c.retention_months(treiter_policies::Phase::BuitenAanpak),
        Some(3)
    );
    assert_eq!(c.emergency_hours(), Some(72));
}

/// The covenant's text and its decision format, as the repository carries them for
/// privacy officers to read next to the encoding.
const COVENANT_TEXT: &str = include_str!("../../docs/COVENANT.md");
const DECISION_JSON: &str = include_str!("../../docs/DECISION-JSON.md");

/// The `n`th fenced ```json block of a markdown text.
fn json_block(markdown: &str, n: usize) -> &str {
    let mut blocks = markdown.split("```json\n").skip(1);
    let block = blocks.nth(n).expect("the json block");
    block.split("```").next().expect("a closed block")
}

#[test]
fn the_documented_example_decides_as_documented() {
    let c = covenant();
    let Ok(Requests::One(r)) = DecisionRequest::parse_json(json_block(DECISION_JSON, 0)) else {
        panic!("the request of docs/DECISION-JSON.md does not parse")
    };
    let got = serde_json::to_value(c.decide(&r)).unwrap();
    let want: serde_json::Value = serde_json::from_str(json_block(DECISION_JSON, 1)).unwrap();
    assert_eq!(got, want);
}

/// The articles of the text (`## Article 6 — Data categories`) and their paragraphs
/// (lines starting `6.3a `), and the same of the encoding (`article 6 "Data
/// categories", paragraphs 6.1 to 6.10` and each line's `art. 6.3a`): the encoding
/// encodes exactly the text the repository carries, title by title, paragraph by
/// paragraph.
#[test]
fn the_encoding_encodes_the_articles_and_paragraphs_of_the_covenant_text() {
    use std::collections::BTreeSet;
    let is_paragraph = |word: &str| {
        let (article, rest) = word.split_once('.').unwrap_or(("", ""));
        !article.is_empty()
            && article.bytes().all(|b| b.is_ascii_digit())
            && rest.starts_with(|c: char| c.is_ascii_digit())
            && rest
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    };
    let mut text_articles = BTreeSet::new();
    let mut text_paragraphs = BTreeSet::new();
    let mut in_articles = false;
    for line in COVENANT_TEXT.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            in_articles = heading.starts_with("Article ");
            if let Some((number, title)) = heading
                .strip_prefix("Article ")
                .and_then(|h| h.split_once(" — "))
            {
                text_articles.insert((number.to_owned(), title.to_owned()));
            }
            continue;
        }
        let first = line.split_whitespace().next().unwrap_or("");
        if in_articles && is_paragraph(first) {
            text_paragraphs.insert(first.to_owned());
        }
    }
    let mut encoded_articles = BTreeSet::new();
    let mut encoded_paragraphs = BTreeSet::new();
    for line in TREITERAANPAK_COVENANT.lines() {
        if let Some(rest) = line.strip_prefix("article ") {
            let (number, rest) = rest.split_once(' ').expect("article number");
            let title = rest.split('"').nth(1).expect("article title");
            encoded_articles.insert((number.to_owned(), title.to_owned()));
        }
        if let Some(rest) = line.strip_prefix("art. ") {
            let paragraph = rest.split_whitespace().next().unwrap_or("");
            encoded_paragraphs.insert(paragraph.to_owned());
        }
    }
    assert_eq!(text_articles.len(), 15, "{text_articles:?}");
    assert_eq!(encoded_articles, text_articles);
    assert_eq!(encoded_paragraphs, text_paragraphs);
}

#[test]
fn a_file_saved_with_a_byte_order_mark_and_crlf_still_parses() {
    let windows = format!("\u{feff}{}", TREITERAANPAK_COVENANT.replace('\n', "\r\n"));
    let c = Covenant::parse("windows.covenant", &windows).unwrap();
    assert_eq!(c.parties().len(), 7);
    assert_eq!(
        treiter_policies::fmt::format(&windows).unwrap(),
        TREITERAANPAK_COVENANT
    );
}
