//! Parses covenant lines into the syntax tree, one line at a time, so that every
//! malformed line is reported and not only the first.

use super::cursor::{ArtRef, Cursor, SyntaxError};
use super::lexer::{LexedLine, TokenKind, lex};
use super::span::Span;
use super::{Body, Line, Selector, SetAsideItem, Statement, VocabList};

/// The statement forms, for the help text of a line that fits none.
pub const FORMS_HELP: &str = "statement forms start with: 'note:', '<list> are', 'only the parties listed in annex', \
'everything this covenant does not permit is refused', 'every permitted share ...', 'nothing is shared for|in|with', \
'purpose P fits phases', 'roles R belong to K only', 'a share that carries', 'category C has fields', \
'C comes from', 'C goes to', 'C also goes to', 'C is only about a subject with role', 'C needs the consent of the subject', \
'F [of C] is shared only with|when', 'data is kept until', 'when the case is geescaleerd', 'an emergency ...', \
'during an emergency ...', 'never during an emergency:'";

/// Parses a whole covenant text. Returns the lines that parsed and an error for
/// each line that did not.
pub fn parse(source: &str) -> (Vec<Line>, Vec<SyntaxError>) {
    let (lexed, unclosed) = lex(source);
    let mut errors: Vec<SyntaxError> = unclosed
        .into_iter()
        .map(|u| SyntaxError {
            span: u.span,
            message: "this quoted text is not closed".into(),
            help: Some("add a '\"' at its end; a quoted text cannot span lines".into()),
        })
        .collect();
    let mut lines = Vec::new();
    for line in &lexed {
        match parse_line(line) {
            Ok(l) => lines.push(l),
            Err(e) => errors.push(e),
        }
    }
    (lines, errors)
}

fn line_end(line: &LexedLine<'_>) -> Span {
    let end = line.offset + line.text.trim_end().len();
    Span::new(end, end)
}

fn parse_line(line: &LexedLine<'_>) -> Result<Line, SyntaxError> {
    let mut c = Cursor::new(&line.tokens, line_end(line));
    let parsed = if c.eat_kw("covenant") {
        let title = c.quoted("the covenant's title in quotes")?;
        Line::Covenant { title }
    } else if c.eat_kw("version") {
        let (number, span) = c.number("a version number")?;
        Line::Version { number, span }
    } else if c.eat_kw("article") {
        let (number, number_span) = c.number("the article's number")?;
        let title = c.quoted("the article's title in quotes")?;
        c.eat_comma();
        let (first, last) = if c.eat_kw("paragraph") {
            let p = c.article_no()?;
            (p, p)
        } else if c.eat_kw("paragraphs") {
            let first = c.article_no()?;
            c.expect_phrase("to")?;
            (first, c.article_no()?)
        } else {
            let mut e = c.error("'paragraphs' or 'paragraph'");
            e.help = Some(format!(
                "name the paragraphs the article has, e.g. article {number} \"Title\", paragraphs {number}.1 to {number}.3"
            ));
            return Err(e);
        };
        Line::Article {
            number,
            number_span,
            title,
            first,
            last,
        }
    } else if c.eat_kw("annex") {
        let letter = c.word("the annex's letter")?;
        let title = c.quoted("the annex's title in quotes")?;
        Line::Annex { letter, title }
    } else if c.eat_kw("party") {
        let oin = c.word("the party's OIN (20 digits)")?;
        let name = c.quoted("the party's name in quotes")?;
        c.expect_phrase("is")?;
        c.eat_kw("a");
        let kind = c.word("a party kind")?;
        Line::Party { oin, name, kind }
    } else if c.is_kw("art.") {
        let art = c.art_ref()?;
        let body = parse_body(&mut c, line)?;
        Line::Statement(Statement {
            art,
            body,
            span: line.span(),
            line: line.number,
        })
    } else {
        let mut e = c.error("a statement starting with 'art.', or 'covenant', 'version', 'article', 'annex' or 'party'");
        e.help = Some(
            "every rule starts with the article it encodes, e.g. art. 6.3  politie-incidenten comes from politie".into(),
        );
        return Err(e);
    };
    c.expect_end()?;
    Ok(parsed)
}

/// `[a|an] role [of kind]`, separated by commas, `and` or `or`.
fn selectors(c: &mut Cursor<'_>) -> Result<Vec<Selector>, SyntaxError> {
    let mut out = Vec::new();
    loop {
        if !(c.eat_kw("a") || c.eat_kw("an")) {
            c.eat_kw("the");
        }
        let role = c.word("a role")?;
        let of_kind = if c.eat_kw("of") {
            Some(c.word("a party kind")?)
        } else {
            None
        };
        out.push(Selector { role, of_kind });
        let more = (matches!(c.peek(), Some(t) if t.kind == TokenKind::Comma)
            || c.is_kw("and")
            || c.is_kw("or"))
            && !c.is_kw_at(1, "for")
            && !c.is_kw_at(1, "with");
        if more {
            if !c.eat_comma() {
                c.eat_kw("and");
                c.eat_kw("or");
            }
        } else {
            return Ok(out);
        }
    }
}

/// The items before `are set aside` / `still apply`: `art. 4.2, 5.3 and the subject role of art. 6.4`.
fn set_aside_items(c: &mut Cursor<'_>) -> Result<Vec<SetAsideItem>, SyntaxError> {
    let mut items = Vec::new();
    loop {
        if c.eat_kw("the") {
            c.expect_phrase("subject role of")?;
            items.push(SetAsideItem::SubjectRoleOf(c.art_ref()?));
        } else {
            c.eat_kw("art.");
            items.push(SetAsideItem::Article(c.article_no()?));
        }
        let next_is_item = c.is_kw_at(1, "the")
            || c.is_kw_at(1, "art.")
            || matches!(c.peek_nth(1), Some(t) if t.text.starts_with(|ch: char| ch.is_ascii_digit()));
        let sep = matches!(c.peek(), Some(t) if t.kind == TokenKind::Comma) || c.is_kw("and");
        if sep && next_is_item {
            if !c.eat_comma() {
                c.eat_kw("and");
            }
        } else {
            return Ok(items);
        }
    }
}

fn parse_body(c: &mut Cursor<'_>, line: &LexedLine<'_>) -> Result<Body, SyntaxError> {
    if c.eat_kw("note") {
        let colon = c.expect_colon()?;
        let text = line.rest_after(colon.end).to_owned();
        if text.is_empty() {
            return Err(c.error("the text of the note"));
        }
        // The note's text is free: its words are not statement words.
        c.skip_rest();
        return Ok(Body::Note { text });
    }
    for list in VocabList::ALL {
        let phrase = format!("{} are", list.phrase());
        if c.is_phrase(&phrase) {
            c.expect_phrase(&phrase)?;
            let words = c.list("a vocabulary word")?;
            return Ok(Body::Vocabulary { list, words });
        }
    }
    if c.is_phrase("only the parties") {
        c.expect_phrase("only the parties listed in annex")?;
        let annex = c.word("the annex's letter")?;
        c.expect_phrase("take part")?;
        return Ok(Body::PartiesListed { annex });
    }
    if c.is_phrase("everything") {
        c.expect_phrase("everything this covenant does not permit is refused")?;
        return Ok(Body::DefaultRefusal);
    }
    if c.is_phrase("every permitted share is") {
        c.expect_phrase("every permitted share is bound to its purpose")?;
        return Ok(Body::PurposeBinding);
    }
    if c.is_phrase("every permitted share carries") {
        c.expect_phrase("every permitted share carries the retention of")?;
        return Ok(Body::RetentionObligation { term: c.art_ref()? });
    }
    if c.is_phrase("every emergency share") {
        c.expect_phrase(
            "every emergency share carries review and is reported to the privacy officer of the source party",
        )?;
        return Ok(Body::EmergencyReview);
    }
    if c.is_phrase("nothing is shared") {
        c.expect_phrase("nothing is shared")?;
        if c.eat_kw("for") {
            return Ok(Body::PurposeBar {
                purposes: c.list("a purpose")?,
            });
        }
        if c.eat_kw("in") {
            if !c.eat_kw("phases") {
                c.eat_kw("phase");
            }
            return Ok(Body::PhaseBar {
                phases: c.list("a phase")?,
            });
        }
        if c.eat_kw("with") {
            return Ok(Body::RoleBar {
                roles: c.list("a role")?,
            });
        }
        return Err(c.error("'for' (purposes), 'in' (phases) or 'with' (roles)"));
    }
    if c.eat_kw("purpose") {
        let purpose = c.word("a purpose")?;
        c.expect_phrase("fits")?;
        if !c.eat_kw("phases") {
            c.eat_kw("phase");
        }
        let phases = c.list("a phase")?;
        return Ok(Body::PhaseFit { purpose, phases });
    }
    if c.is_kw("roles") || c.is_kw("role") {
        c.eat_kw("roles");
        c.eat_kw("role");
        let roles = c.list("a role")?;
        if !c.eat_kw("belong") {
            c.expect_phrase("belongs")?;
        }
        c.expect_phrase("to")?;
        let kinds = c.list("a party kind")?;
        c.expect_phrase("only")?;
        return Ok(Body::RoleKinds { roles, kinds });
    }
    if c.is_phrase("a share that carries") {
        c.expect_phrase("a share that carries")?;
        let fields = c.list("a field")?;
        c.expect_phrase(
            "is refused as a whole and reported to the privacy officer of the source party",
        )?;
        return Ok(Body::Prohibited { fields });
    }
    if c.is_phrase("a category that") {
        c.expect_phrase("a category that a party kind may not provide is refused")?;
        return Ok(Body::SourceRefused);
    }
    if c.is_phrase("fields that") {
        c.expect_phrase("fields that a category does not list are stripped")?;
        return Ok(Body::UnlistedStripped);
    }
    if c.eat_kw("category") {
        let category = c.word("a category")?;
        c.expect_phrase("has")?;
        if !c.eat_kw("fields") {
            c.expect_phrase("field")?;
        }
        let fields = c.list("a field")?;
        return Ok(Body::CategoryFields { category, fields });
    }
    if c.is_phrase("data is kept") {
        c.expect_phrase("data is kept until")?;
        let (months, months_span) = c.number("a number of months")?;
        c.expect_phrase("months after phase")?;
        let phase = c.word("a phase")?;
        return Ok(Body::Retention {
            months,
            months_span,
            phase,
        });
    }
    if c.is_phrase("when the case") {
        c.expect_phrase("when the case is geescaleerd")?;
        c.expect_comma("the recipient")?;
        if !(c.eat_kw("a") || c.eat_kw("an")) {
            c.eat_kw("the");
        }
        let role = c.word("a role")?;
        c.expect_phrase("receives what the")?;
        let as_role = c.word("a role")?;
        c.expect_phrase("of the case receives")?;
        c.expect_comma("for")?;
        c.expect_phrase("for")?;
        let purposes = c.list("a purpose")?;
        return Ok(Body::Escalation {
            role,
            as_role,
            purposes,
        });
    }
    if c.is_phrase("an emergency may") {
        c.expect_phrase("an emergency may be declared by")?;
        return Ok(Body::EmergencyDeclarers { who: selectors(c)? });
    }
    if c.is_phrase("an emergency lasts") {
        c.expect_phrase("an emergency lasts")?;
        let (hours, hours_span) = c.number("a number of hours")?;
        c.expect_phrase("hours from its declaration")?;
        return Ok(Body::EmergencyDuration { hours, hours_span });
    }
    if c.is_phrase("never during an emergency") {
        c.expect_phrase("never during an emergency")?;
        c.expect_colon()?;
        return Ok(Body::EmergencyNever {
            categories: c.list("a category")?,
        });
    }
    if c.is_phrase("during an emergency") {
        c.expect_phrase("during an emergency")?;
        if c.is_phrase("its declarer") {
            c.expect_phrase("its declarer receives")?;
            let categories = c.list("a category")?;
            c.expect_phrase("as the")?;
            let as_role = c.word("a role")?;
            c.expect_phrase("of the case")?;
            c.expect_comma("for")?;
            c.expect_phrase("for")?;
            let purposes = c.list("a purpose")?;
            return Ok(Body::EmergencyGrant {
                categories,
                as_role,
                purposes,
            });
        }
        if c.is_kw("art.") || c.is_kw("the") {
            let items = set_aside_items(c)?;
            if c.is_phrase("are set aside") {
                c.expect_phrase("are set aside")?;
                return Ok(Body::EmergencySetAside { items });
            }
            if c.is_kw("still") {
                c.expect_phrase("still apply with the recipient's own role")?;
                let mut keeps = Vec::new();
                for item in items {
                    match item {
                        SetAsideItem::Article(a) => keeps.push(a),
                        SetAsideItem::SubjectRoleOf(a) => {
                            return Err(SyntaxError {
                                span: a.span,
                                message: "'the subject role of' cannot 'still apply'; name whole articles".into(),
                                help: None,
                            });
                        }
                    }
                }
                let mut not = Vec::new();
                if c.eat_comma() {
                    c.expect_phrase("and")?;
                    not = c.art_list()?;
                    c.expect_phrase("does not limit")?;
                }
                return Ok(Body::EmergencyKeeps { keeps, not });
            }
            return Err(c.error("'are set aside' or 'still apply with the recipient's own role'"));
        }
        let categories = c.list("'its declarer receives', an article, or a category")?;
        if !c.eat_kw("is") {
            c.expect_phrase("are")?;
        }
        c.expect_phrase("decided by the other articles only")?;
        return Ok(Body::EmergencyOtherArticles { categories });
    }
    if c.is_kw("a") || c.is_kw("an") {
        let roles = c.list("a role")?;
        if !c.eat_kw("receives") {
            c.expect_phrase("receive")?;
        }
        c.expect_phrase("only about cases")?;
        if c.is_phrase("in its own") {
            c.expect_phrase("in its own stadsdeel")?;
            return Ok(Body::OwnStadsdeel { roles });
        }
        c.expect_phrase("in which its party takes part")?;
        return Ok(Body::Participation { roles });
    }
    // The remaining forms start with a category or a field name.
    let first = match c.word("a statement") {
        Ok(w) => w,
        Err(mut e) => {
            e.help = Some(FORMS_HELP.into());
            return Err(e);
        }
    };
    if c.is_kw("of") || c.is_phrase("is shared") {
        let category = if c.eat_kw("of") {
            Some(c.word("a category")?)
        } else {
            None
        };
        c.expect_phrase("is shared only")?;
        if c.eat_kw("with") {
            let roles = c.list("a role")?;
            return Ok(Body::StripUnlessRole {
                field: first,
                category,
                roles,
            });
        }
        if c.is_kw("when") {
            c.expect_phrase("when source and recipient party are each of kind")?;
            let kinds = c.list("a party kind")?;
            return Ok(Body::StripUnlessKinds {
                field: first,
                category,
                kinds,
            });
        }
        return Err(c.error("'with' (roles) or 'when source and recipient party are each of kind'"));
    }
    if c.is_kw("comes") {
        c.expect_phrase("comes from")?;
        if c.is_phrase("any party") {
            c.expect_phrase("any party")?;
            return Ok(Body::Sources {
                category: first,
                kinds: None,
            });
        }
        return Ok(Body::Sources {
            category: first,
            kinds: Some(c.list("a party kind, or 'any party'")?),
        });
    }
    if c.is_kw("goes") || c.is_kw("also") {
        let widening = c.eat_kw("also");
        c.expect_phrase("goes to")?;
        let recipients = selectors(c)?;
        c.expect_phrase("for")?;
        let purposes = c.list("a purpose")?;
        let mut only_fields = None;
        if widening && c.eat_comma() {
            c.expect_phrase("with")?;
            if !c.eat_kw("fields") {
                c.expect_phrase("field")?;
            }
            only_fields = Some(c.list("a field")?);
            c.expect_phrase("only")?;
        }
        return Ok(Body::Recipients {
            category: first,
            widening,
            recipients,
            purposes,
            only_fields,
        });
    }
    if c.is_phrase("is only about") {
        c.expect_phrase("is only about a subject with role")?;
        return Ok(Body::SubjectRoleOnly {
            category: first,
            roles: c.list("a subject role")?,
        });
    }
    if c.is_kw("needs") {
        c.expect_phrase("needs the consent of the subject")?;
        let recorded_under = if c.eat_comma() {
            c.expect_phrase("as recorded under")?;
            Some(c.art_ref()?)
        } else {
            None
        };
        return Ok(Body::Consent {
            category: first,
            recorded_under,
        });
    }
    let mut e = c.error(&format!(
        "a statement form after '{}' ('comes from', 'goes to', 'also goes to', 'is only about', 'needs', 'is shared only' or 'of')",
        first.text
    ));
    e.help = Some(FORMS_HELP.into());
    Err(e)
}

/// The article numbers a line refers to (for the validator's reference checks).
pub fn references(body: &Body) -> Vec<ArtRef> {
    match body {
        Body::Consent {
            recorded_under: Some(r),
            ..
        } => vec![*r],
        Body::RetentionObligation { term } => vec![*term],
        Body::EmergencySetAside { items } => items
            .iter()
            .map(|i| match i {
                SetAsideItem::Article(a) | SetAsideItem::SubjectRoleOf(a) => *a,
            })
            .collect(),
        Body::EmergencyKeeps { keeps, not } => keeps.iter().chain(not).copied().collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::Word;

    fn one(src: &str) -> Body {
        let (lines, errors) = parse(src);
        assert_eq!(errors, vec![], "{src}");
        match lines.into_iter().next() {
            Some(Line::Statement(s)) => s.body,
            other => panic!("not a statement: {other:?}"),
        }
    }

    fn texts(ws: &[Word]) -> Vec<&str> {
        ws.iter().map(|w| w.text.as_str()).collect()
    }

    #[test]
    fn parses_recipients_with_qualified_roles() {
        let body = one(
            "art. 6.9  slachtofferinformatie goes to partnercontact of zorgpartner and stadsdeelregisseur for aanpak",
        );
        let Body::Recipients {
            category,
            widening,
            recipients,
            purposes,
            only_fields,
        } = body
        else {
            panic!("wrong form");
        };
        assert_eq!(category.text, "slachtofferinformatie");
        assert!(!widening);
        assert_eq!(recipients.len(), 2);
        assert_eq!(
            recipients.first().unwrap().of_kind.as_ref().unwrap().text,
            "zorgpartner"
        );
        assert_eq!(texts(&purposes), ["aanpak"]);
        assert_eq!(only_fields, None);
    }

    #[test]
    fn parses_a_widening_with_field_restriction() {
        let body = one(
            "art. 6.5a huurgegevens also goes to a partnercontact of politie for aanpak, with field huurstatus only",
        );
        let Body::Recipients {
            widening,
            only_fields,
            ..
        } = body
        else {
            panic!("wrong form");
        };
        assert!(widening);
        assert_eq!(texts(&only_fields.unwrap()), ["huurstatus"]);
    }

    #[test]
    fn parses_lists_with_and_or() {
        let body = one("art. 4.2  purpose registratie fits phases melding and registratie");
        assert!(
            matches!(body, Body::PhaseFit { ref phases, .. } if texts(phases) == ["melding", "registratie"])
        );
        let body = one(
            "art. 8.3  melder_identiteit is shared only with an informatiemakelaar, stadsdeelregisseur or stedelijk-regisseur",
        );
        assert!(
            matches!(body, Body::StripUnlessRole { ref roles, category: None, .. } if roles.len() == 3)
        );
    }

    #[test]
    fn parses_the_emergency_forms() {
        let body = one(
            "art. 15.1 during an emergency art. 4.2, 5.3, 5.4 and the subject role of art. 6.4 are set aside",
        );
        let Body::EmergencySetAside { items } = body else {
            panic!("wrong form")
        };
        assert_eq!(items.len(), 4);
        assert!(
            matches!(items.last(), Some(SetAsideItem::SubjectRoleOf(a)) if a.no.to_string() == "6.4")
        );
        let body = one(
            "art. 15.4 during an emergency art. 4.4, 6.1a and 8.3 still apply with the recipient's own role, and art. 6.5a does not limit",
        );
        assert!(
            matches!(body, Body::EmergencyKeeps { ref keeps, ref not } if keeps.len() == 3 && not.len() == 1)
        );
        let body =
            one("art. 15.4 during an emergency handhaving is decided by the other articles only");
        assert!(
            matches!(body, Body::EmergencyOtherArticles { ref categories } if categories.len() == 1)
        );
    }

    #[test]
    fn a_note_keeps_its_text_verbatim() {
        let body =
            one("art. 12.1 note: all traffic uses mutually authenticated TLS, always: \"yes\"");
        assert_eq!(
            body,
            Body::Note {
                text: "all traffic uses mutually authenticated TLS, always: \"yes\"".into()
            }
        );
    }

    #[test]
    fn errors_point_at_the_offending_word() {
        let src = "art. 6.3  politie-incidenten goes too informatiemakelaar for duiding";
        let (_, errors) = parse(src);
        let e = errors.first().unwrap();
        assert_eq!(src.get(e.span.start..e.span.end), Some("too"));
        assert_eq!(e.message, "expected 'to', found 'too'");
    }

    #[test]
    fn every_bad_line_is_reported() {
        let src = "covenant Treiter\nversion one\nart. 6.3\nart. x.1 note: hi\nart. 3.3 nothing is shared at evaluatie\nwhatever\nart. 3.3 nothing is shared for evaluatie extra";
        let (lines, errors) = parse(src);
        assert!(lines.is_empty());
        assert_eq!(errors.len(), 7);
        let msgs: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        assert!(
            msgs.iter().any(|m| m.contains("unexpected 'extra'")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter().any(|m| m.contains("found the end of the line")),
            "{msgs:?}"
        );
    }
}
