//! The canonical layout of a covenant file: one space between words, commas and
//! colons against the word before them, article numbers aligned (`art. 6.3  ...`,
//! `art. 6.3a ...`), one blank line before each article and annex, and at most one
//! blank line anywhere. Words, comments and note texts are never changed, so
//! formatting cannot change what the covenant says.

use crate::syntax::SyntaxError;
use crate::syntax::lexer::{LexedLine, TokenKind, lex};
use crate::syntax::parser;

/// Formats a covenant text; refuses a text with syntax errors (it would not know
/// where one statement ends).
pub fn format(text: &str) -> Result<String, Vec<SyntaxError>> {
    let (_, errors) = parser::parse(text);
    if !errors.is_empty() {
        return Err(errors);
    }
    // A byte-order mark is dropped: the canonical form is plain UTF-8.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (lexed, _) = lex(text);
    let mut out: Vec<String> = Vec::new();
    let mut lexed = lexed.iter().peekable();
    let mut blank_pending = false;
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = raw.trim();
        let line = if trimmed.is_empty() {
            blank_pending = true;
            continue;
        } else if trimmed.starts_with('#') {
            trimmed.to_owned()
        } else {
            match lexed.next_if(|l| l.number == i + 1) {
                Some(l) => render(l),
                None => trimmed.to_owned(),
            }
        };
        let heading = line.starts_with("article ") || line.starts_with("annex ");
        if !out.is_empty()
            && (blank_pending || heading)
            && out.last().is_some_and(|l| !l.is_empty())
        {
            // A comment directly above a heading stays attached to it.
            let attached =
                heading && !blank_pending && out.last().is_some_and(|l| l.starts_with('#'));
            if !attached {
                out.push(String::new());
            }
        }
        blank_pending = false;
        out.push(line);
    }
    let mut s = out.join("\n");
    s.push('\n');
    Ok(s)
}

fn render(l: &LexedLine<'_>) -> String {
    let mut out = String::new();
    let mut tokens = l.tokens.iter().peekable();
    if let Some(first) = tokens.peek()
        && first.kind == TokenKind::Word
        && first.text == "art."
    {
        tokens.next();
        if let Some(number) = tokens.next() {
            out.push_str(&format!("art. {:<4} ", number.text));
        }
        if tokens.peek().is_some_and(|t| t.text == "note") {
            tokens.next();
            if let Some(colon) = tokens.next() {
                out.push_str("note: ");
                out.push_str(l.rest_after(colon.span.end));
                return out;
            }
        }
    }
    let mut first = true;
    for t in tokens {
        match t.kind {
            TokenKind::Comma => out.push(','),
            TokenKind::Colon => out.push(':'),
            TokenKind::Word | TokenKind::Quoted => {
                if !first && !out.ends_with(' ') {
                    out.push(' ');
                }
                if t.kind == TokenKind::Quoted {
                    out.push('"');
                    out.push_str(&t.text);
                    out.push('"');
                } else {
                    out.push_str(&t.text);
                }
            }
        }
        first = false;
    }
    out
}

/// Whether `text` is already in canonical form (or the first differing line, 1-based).
pub fn check(text: &str) -> Result<Option<usize>, Vec<SyntaxError>> {
    let formatted = format(text)?;
    if formatted == text {
        return Ok(None);
    }
    let line = text
        .lines()
        .zip(formatted.lines())
        .position(|(a, b)| a != b)
        .map_or_else(
            || text.lines().count().min(formatted.lines().count()) + 1,
            |i| i + 1,
        );
    Ok(Some(line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_encoding_is_in_canonical_form() {
        assert_eq!(check(crate::TREITERAANPAK_COVENANT).unwrap(), None);
    }

    #[test]
    fn normalises_spacing_alignment_and_blank_lines() {
        let messy = "covenant   \"T\"\n\n\n\nversion 1\narticle 3 \"P\" ,  paragraphs 3.1 to 3.3\n   art. 3.1   purposes are  registratie ,duiding\nart. 3.2 note:   kept   as   written  \n\n\nart. 3.3 nothing is shared for evaluatie\n";
        let want = "covenant \"T\"\n\nversion 1\n\narticle 3 \"P\", paragraphs 3.1 to 3.3\nart. 3.1  purposes are registratie, duiding\nart. 3.2  note: kept   as   written\n\nart. 3.3  nothing is shared for evaluatie\n";
        let got = format(messy).unwrap();
        assert_eq!(got, want);
        assert_eq!(format(&got).unwrap(), got, "idempotent");
    }

    #[test]
    fn refuses_text_with_syntax_errors() {
        let errs = format("art. 3.3 nothing is shared at evaluatie\n").unwrap_err();
        assert_eq!(errs.len(), 1);
    }
}
