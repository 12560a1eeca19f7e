//! What an agent sends, checked at the edge before the hub keeps or shows any of it.
//!
//! Every string of a Hello, an Answer, an Ack or a Cosignature that the hub stores,
//! logs or shows (`hub status`, a case file, the decision log) is bounded in length and
//! free of control and invisible characters ([`treiter_proto::text`]). The refusal names
//! the field and the limit, never the value:
//!
//! - a Hello that fails is refused with INVALID_ARGUMENT: the link is not opened;
//! - an Answer that fails is taken as the partner's "could not answer" with reason
//!   [`MALFORMED_ANSWER`] and the refusal as its detail: nothing of it reaches a case
//!   file, the coordinator sees why, and the agent (acknowledged) does not send it again;
//! - a request id (of an Answer or an Ack) or a cosignature that fails is ignored.

use treiter_proto::limits::MAX_BEVRAGING_SUBJECTS;
use treiter_proto::text::{TextError, check_line, check_text, check_token};
use treiter_proto::v1::{Answer, Hello, Unanswerable, WithheldAtSource, answer};

/// `Hello.agent_version`: a version such as `0.1.0` or `1.2.3+build.45`.
pub const MAX_AGENT_VERSION: usize = 64;
/// `Hello.instance_id`: a random id of the agent process (16 hex digits today).
pub const MAX_INSTANCE_ID: usize = 64;
/// `Hello.witness_key`: `<name>+<key id>+<base64 key>`, about 100 characters.
pub const MAX_WITNESS_KEY: usize = 512;
/// A request id (`Answer.request_id`, `Ack.request_id`): a UUID or the like.
pub const MAX_REQUEST_ID: usize = 128;
/// A field name a source offers (`Field.name`, `Record.stripped_at_source`, the names
/// of a withheld record's decision): the covenant's names have at most 20 characters.
pub const MAX_FIELD_NAME: usize = 64;
/// A field's value (`Field.value`): a date, a word, or a description of some lines.
pub const MAX_FIELD_VALUE: usize = 10_000;
/// `Record.source_reference`: the source's own record number.
pub const MAX_SOURCE_REFERENCE: usize = 200;
/// A vocabulary word (a category, an outcome, an article number, an Unanswerable
/// reason such as `covenant-version-mismatch`).
pub const MAX_WORD: usize = 64;
/// `Unanswerable.detail`: one human sentence.
pub const MAX_DETAIL: usize = 500;
/// `Cosignature.signature_line`: `— <name> <base64 signature>`, about 150 characters.
pub const MAX_SIGNATURE_LINE: usize = 1024;

/// The Unanswerable reason the hub records for a partner whose answer it refused.
pub const MALFORMED_ANSWER: &str = "malformed-answer";

/// Checks the strings of a Hello (the empty agent version is refused elsewhere).
pub fn check_hello(hello: &Hello) -> Result<(), TextError> {
    check_token(
        "Hello.agent_version",
        &hello.agent_version,
        MAX_AGENT_VERSION,
    )?;
    check_token("Hello.instance_id", &hello.instance_id, MAX_INSTANCE_ID)?;
    check_token("Hello.witness_key", &hello.witness_key, MAX_WITNESS_KEY)?;
    for (i, c) in hello.categories.iter().enumerate() {
        check_token(&format!("Hello.categories[{i}]"), c, MAX_WORD)?;
    }
    Ok(())
}

/// Checks a request id of an Answer or an Ack.
pub fn check_request_id(field: &str, id: &str) -> Result<(), TextError> {
    check_token(field, id, MAX_REQUEST_ID)
}

fn check_withheld(i: usize, w: &WithheldAtSource) -> Result<(), TextError> {
    let at = |field: &str| format!("ShareAnswer.withheld[{i}].{field}");
    check_token("category", &w.category, MAX_WORD).map_err(|e| e.in_field(at("category")))?;
    if let Some(d) = &w.decision {
        check_token("outcome", &d.outcome, MAX_WORD)
            .map_err(|e| e.in_field(at("decision.outcome")))?;
        for (list, names) in [("passed", &d.passed), ("stripped", &d.stripped)] {
            for (j, n) in names.iter().enumerate() {
                check_line(list, n, MAX_FIELD_NAME)
                    .map_err(|e| e.in_field(at(&format!("decision.{list}[{j}]"))))?;
            }
        }
        for (j, a) in d.articles.iter().enumerate() {
            check_token("article", a, MAX_WORD)
                .map_err(|e| e.in_field(at(&format!("decision.articles[{j}]"))))?;
        }
    }
    Ok(())
}

/// Checks the strings of an Answer (its request id is checked on its own). Every
/// field of every record is checked, so each check runs under a short name and the
/// field's full name is formatted only for the error.
pub fn check_answer(answer: &Answer) -> Result<(), TextError> {
    match &answer.kind {
        Some(answer::Kind::Shares(shares)) => {
            for (i, r) in shares.records.iter().enumerate() {
                let at = |field: &str| format!("ShareAnswer.records[{i}].{field}");
                check_token("category", &r.category, MAX_WORD)
                    .map_err(|e| e.in_field(at("category")))?;
                check_line(
                    "source_reference",
                    &r.source_reference,
                    MAX_SOURCE_REFERENCE,
                )
                .map_err(|e| e.in_field(at("source_reference")))?;
                for (j, f) in r.fields.iter().enumerate() {
                    check_line("name", &f.name, MAX_FIELD_NAME)
                        .map_err(|e| e.in_field(at(&format!("fields[{j}].name"))))?;
                    check_text("value", &f.value, MAX_FIELD_VALUE)
                        .map_err(|e| e.in_field(at(&format!("fields[{j}].value"))))?;
                }
                for (j, n) in r.stripped_at_source.iter().enumerate() {
                    check_line("stripped_at_source", n, MAX_FIELD_NAME)
                        .map_err(|e| e.in_field(at(&format!("stripped_at_source[{j}]"))))?;
                }
            }
            for (i, w) in shares.withheld.iter().enumerate() {
                check_withheld(i, w)?;
            }
            Ok(())
        }
        Some(answer::Kind::Unanswerable(u)) => {
            check_token("Unanswerable.reason", &u.reason, MAX_WORD)?;
            check_line("Unanswerable.detail", &u.detail, MAX_DETAIL)
        }
        // One hit per subject asked about, and no more than a bevraging may ask.
        Some(answer::Kind::Bevraging(b)) if b.more_hits.len() >= MAX_BEVRAGING_SUBJECTS => {
            Err(TextError::TooMany {
                field: "BevragingAnswer.more_hits".into(),
                count: b.more_hits.len(),
                max: MAX_BEVRAGING_SUBJECTS - 1,
            })
        }
        Some(answer::Kind::Bevraging(_)) | None => Ok(()),
    }
}

/// The answer the hub takes in place of one that failed [`check_answer`]: the partner
/// could not answer, because its answer was malformed, and why (no value).
pub fn refused_answer(request_id: String, why: &TextError) -> Answer {
    Answer {
        request_id,
        kind: Some(answer::Kind::Unanswerable(Unanswerable {
            reason: MALFORMED_ANSWER.to_owned(),
            detail: format!("the hub refused the partner's answer: {why}"),
        })),
    }
}

/// Checks a cosignature's signature line.
pub fn check_signature_line(line: &str) -> Result<(), TextError> {
    check_line(
        "Cosignature.signature_line",
        line.strip_suffix('\n').unwrap_or(line),
        MAX_SIGNATURE_LINE,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use treiter_proto::v1::{Field, Record, ShareAnswer, SubjectPseudonym};

    fn hello(version: &str) -> Hello {
        Hello {
            agent_version: version.into(),
            covenant_version: 1,
            instance_id: "0123456789abcdef".into(),
            categories: vec!["huurgegevens".into()],
            witness_key: "00000004000000000004.witness.treiteraanpak+1a2b3c4d+AAAA".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_hello_names_the_field_and_the_limit() {
        assert_eq!(check_hello(&hello("0.1.0+build.7")), Ok(()));
        let e = check_hello(&hello("0.1\u{1b}[2J\nfake row")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Hello.agent_version holds a control or invisible character (U+001B) at character 4; only printable text is accepted, on one line"
        );
        let e = check_hello(&hello(&"9".repeat(65))).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Hello.agent_version is 65 characters long; at most 64 are accepted"
        );
        let e = check_hello(&hello("0.1 beta")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("Hello.agent_version holds a character outside")
        );
        let mut h = hello("0.1.0");
        h.witness_key = format!("{}\nfake", h.witness_key);
        assert!(
            check_hello(&h)
                .unwrap_err()
                .to_string()
                .starts_with("Hello.witness_key")
        );
    }

    fn shares(record: Record) -> Answer {
        Answer {
            request_id: "r-1".into(),
            kind: Some(answer::Kind::Shares(ShareAnswer {
                records: vec![record],
                ..Default::default()
            })),
        }
    }

    fn record() -> Record {
        Record {
            category: "huurgegevens".into(),
            subject: Some(SubjectPseudonym {
                hex: "ab".repeat(32),
            }),
            fields: vec![Field {
                name: "overlastdossier".into(),
                value: "melding 1\nmelding 2\twith a tab".into(),
            }],
            source_reference: "WDG-2026-0001".into(),
            ..Default::default()
        }
    }

    #[test]
    fn an_answer_names_the_field_and_the_limit_never_the_value() {
        assert_eq!(check_answer(&shares(record())), Ok(()));
        let mut r = record();
        r.source_reference = "WDG\u{1b}[2J".into();
        assert_eq!(
            check_answer(&shares(r)).unwrap_err().to_string(),
            "ShareAnswer.records[0].source_reference holds a control or invisible character (U+001B) at character 4; only printable text is accepted, on one line"
        );
        let mut r = record();
        r.fields[0].name = "naam\nbsn".into();
        assert!(
            check_answer(&shares(r))
                .unwrap_err()
                .to_string()
                .starts_with("ShareAnswer.records[0].fields[0].name")
        );
        let mut r = record();
        r.fields[0].value = "Jan Jansen".repeat(1001);
        let e = check_answer(&shares(r)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "ShareAnswer.records[0].fields[0].value is 10010 characters long; at most 10000 are accepted"
        );
        // The second record's category, a withheld record's article: each named with
        // its indices.
        let mut second = record();
        second.category = "huur gegevens".into();
        let e2 = check_answer(&Answer {
            request_id: "r-1".into(),
            kind: Some(answer::Kind::Shares(ShareAnswer {
                records: vec![record(), second],
                ..Default::default()
            })),
        })
        .unwrap_err();
        assert_eq!(
            e2.to_string(),
            "ShareAnswer.records[1].category holds a character outside printable ASCII without spaces at character 5"
        );
        let withheld = Answer {
            request_id: "r-1".into(),
            kind: Some(answer::Kind::Shares(ShareAnswer {
                withheld: vec![
                    WithheldAtSource::default(),
                    WithheldAtSource {
                        category: "zorgsignalen".into(),
                        decision: Some(treiter_proto::v1::ShareDecision {
                            outcome: "deny".into(),
                            articles: vec!["7.1".into(), "7\u{7}2".into()],
                            ..Default::default()
                        }),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            })),
        };
        assert!(
            check_answer(&withheld)
                .unwrap_err()
                .to_string()
                .starts_with("ShareAnswer.withheld[1].decision.articles[1] holds a control"),
        );
        let refused = refused_answer("r-1".into(), &e);
        match refused.kind {
            Some(answer::Kind::Unanswerable(u)) => {
                assert_eq!(u.reason, MALFORMED_ANSWER);
                assert!(!u.detail.contains("Jansen"), "{}", u.detail);
                assert!(u.detail.contains("fields[0].value"), "{}", u.detail);
            }
            other => panic!("{other:?}"),
        }
        let unanswerable = Answer {
            request_id: "r-2".into(),
            kind: Some(answer::Kind::Unanswerable(Unanswerable {
                reason: "source-unavailable".into(),
                detail: "the database is down\nPolitie — answered".into(),
            })),
        };
        assert!(
            check_answer(&unanswerable)
                .unwrap_err()
                .to_string()
                .starts_with("Unanswerable.detail")
        );
    }

    #[test]
    fn a_bevraging_answer_has_at_most_one_hit_per_subject_a_bevraging_may_ask() {
        let answer = |more: usize| Answer {
            request_id: "r-3".into(),
            kind: Some(answer::Kind::Bevraging(
                treiter_proto::v1::BevragingAnswer {
                    hit: true,
                    more_hits: vec![false; more],
                },
            )),
        };
        assert_eq!(check_answer(&answer(MAX_BEVRAGING_SUBJECTS - 1)), Ok(()));
        assert_eq!(
            check_answer(&answer(MAX_BEVRAGING_SUBJECTS)),
            Err(TextError::TooMany {
                field: "BevragingAnswer.more_hits".into(),
                count: MAX_BEVRAGING_SUBJECTS,
                max: MAX_BEVRAGING_SUBJECTS - 1,
            })
        );
    }

    #[test]
    fn request_ids_and_signature_lines_are_bounded() {
        assert_eq!(
            check_request_id("Ack.request_id", "5f0c6a52-3d6e-4b8e-9d43-6d1f0b7f2a10"),
            Ok(())
        );
        assert!(matches!(
            check_request_id("Ack.request_id", "r\n1"),
            Err(TextError::Hidden { code: 0x0a, .. })
        ));
        assert!(matches!(
            check_request_id("Ack.request_id", &"r".repeat(129)),
            Err(TextError::TooLong { max: 128, .. })
        ));
        assert_eq!(check_signature_line("— name AAAA\n"), Ok(()));
        assert!(matches!(
            check_signature_line("— name\u{1b}AAAA\n"),
            Err(TextError::Hidden { code: 0x1b, .. })
        ));
    }
}
