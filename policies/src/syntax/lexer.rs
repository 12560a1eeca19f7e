//! Splits a covenant (or covenant-test) text into lines of tokens.
//!
//! The language is line-oriented: one statement per line, so that a privacy officer
//! can put the encoding next to the covenant and read it line by line. A line is
//! words, quoted texts, commas and colons; `#` at the start of a line makes it a
//! comment.

use super::span::Span;

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenKind {
    /// A run of characters without spaces, commas or quotes: `aanpak`, `art.`, `6.3a`.
    Word,
    /// A double-quoted text; the token's text is the content without the quotes.
    Quoted,
    /// `,`
    Comma,
    /// `:` at the end of a word (a colon inside a word, as in a time of day, stays in it).
    Colon,
}

/// One token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// Its text (for a quoted text: without the quotes).
    pub text: String,
    /// Where it stands.
    pub span: Span,
}

/// The tokens of one non-empty, non-comment line.
#[derive(Debug, Clone)]
pub struct LexedLine<'a> {
    /// 1-based line number.
    pub number: usize,
    /// The line's text, without its line break.
    pub text: &'a str,
    /// Byte offset of the line's first character in the whole source.
    pub offset: usize,
    /// The tokens.
    pub tokens: Vec<Token>,
}

impl LexedLine<'_> {
    /// The span of the whole line, without leading and trailing blanks.
    pub fn span(&self) -> Span {
        let start = self.text.len() - self.text.trim_start_matches(is_blank).len();
        let end = self.text.trim_end().len();
        Span::new(self.offset + start, self.offset + end.max(start))
    }

    /// The text after byte offset `from` (absolute), trimmed: the free text of a note.
    pub fn rest_after(&self, from: usize) -> &str {
        let local = from.saturating_sub(self.offset);
        self.text.get(local..).unwrap_or("").trim()
    }
}

/// A quote that is never closed on its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnclosedQuote {
    /// From the opening quote to the end of the line.
    pub span: Span,
}

/// Whitespace, and the byte-order mark that Windows editors put at the start of a file.
fn is_blank(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

/// Splits `source` into lexed lines, skipping blank lines and comment lines.
pub fn lex(source: &str) -> (Vec<LexedLine<'_>>, Vec<UnclosedQuote>) {
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    let mut offset = 0;
    for (i, raw) in source.split('\n').enumerate() {
        let text = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = text.trim_start_matches(is_blank);
        if !trimmed.is_empty() && !trimmed.starts_with('#') {
            let tokens = lex_line(text, offset, &mut errors);
            lines.push(LexedLine {
                number: i + 1,
                text,
                offset,
                tokens,
            });
        }
        offset += raw.len() + 1;
    }
    (lines, errors)
}

fn lex_line(text: &str, offset: usize, errors: &mut Vec<UnclosedQuote>) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if is_blank(c) {
            chars.next();
            continue;
        }
        if c == ',' {
            chars.next();
            tokens.push(Token {
                kind: TokenKind::Comma,
                text: ",".into(),
                span: Span::new(offset + start, offset + start + 1),
            });
            continue;
        }
        if c == '"' {
            chars.next();
            let mut end = None;
            for (i, c2) in chars.by_ref() {
                if c2 == '"' {
                    end = Some(i);
                    break;
                }
            }
            match end {
                Some(e) => tokens.push(Token {
                    kind: TokenKind::Quoted,
                    text: text.get(start + 1..e).unwrap_or("").to_owned(),
                    span: Span::new(offset + start, offset + e + 1),
                }),
                None => errors.push(UnclosedQuote {
                    span: Span::new(offset + start, offset + text.len()),
                }),
            }
            continue;
        }
        let mut end = start;
        while let Some(&(i, c2)) = chars.peek() {
            if is_blank(c2) || c2 == ',' || c2 == '"' {
                break;
            }
            end = i + c2.len_utf8();
            chars.next();
        }
        let word = text.get(start..end).unwrap_or("");
        // A trailing colon is punctuation ("note:", "parties:"); one inside a word is
        // part of it ("10:00:00Z").
        match word.strip_suffix(':') {
            Some(w) if !w.is_empty() => {
                tokens.push(Token {
                    kind: TokenKind::Word,
                    text: w.to_owned(),
                    span: Span::new(offset + start, offset + end - 1),
                });
                tokens.push(Token {
                    kind: TokenKind::Colon,
                    text: ":".into(),
                    span: Span::new(offset + end - 1, offset + end),
                });
            }
            Some(_) => tokens.push(Token {
                kind: TokenKind::Colon,
                text: ":".into(),
                span: Span::new(offset + start, offset + end),
            }),
            None => tokens.push(Token {
                kind: TokenKind::Word,
                text: word.to_owned(),
                span: Span::new(offset + start, offset + end),
            }),
        }
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(line: &LexedLine<'_>) -> Vec<(TokenKind, String)> {
        line.tokens
            .iter()
            .map(|t| (t.kind.clone(), t.text.clone()))
            .collect()
    }

    #[test]
    fn words_commas_quotes_and_colons() {
        let src = "# comment\n\nart. 6.3  politie-incidenten goes to a, b\nannex A \"Parties, demo\"\nnote: at 10:00:00Z\n";
        let (lines, errors) = lex(src);
        assert!(errors.is_empty());
        assert_eq!(lines.len(), 3);
        let first = lines.first().unwrap();
        assert_eq!(first.number, 3);
        assert_eq!(
            kinds(first),
            vec![
                (TokenKind::Word, "art.".into()),
                (TokenKind::Word, "6.3".into()),
                (TokenKind::Word, "politie-incidenten".into()),
                (TokenKind::Word, "goes".into()),
                (TokenKind::Word, "to".into()),
                (TokenKind::Word, "a".into()),
                (TokenKind::Comma, ",".into()),
                (TokenKind::Word, "b".into()),
            ]
        );
        let annex = lines.get(1).unwrap();
        assert_eq!(annex.tokens.get(2).unwrap().kind, TokenKind::Quoted);
        assert_eq!(annex.tokens.get(2).unwrap().text, "Parties, demo");
        let note = lines.get(2).unwrap();
        assert_eq!(
            kinds(note),
            vec![
                (TokenKind::Word, "note".into()),
                (TokenKind::Colon, ":".into()),
                (TokenKind::Word, "at".into()),
                (TokenKind::Word, "10:00:00Z".into()),
            ]
        );
        // Spans point into the whole source.
        let span = first.tokens.get(2).unwrap().span;
        assert_eq!(src.get(span.start..span.end), Some("politie-incidenten"));
    }

    #[test]
    fn a_byte_order_mark_is_blank() {
        let (lines, errors) = lex("\u{feff}covenant \"T\"\n");
        assert!(errors.is_empty());
        let first = lines.first().unwrap();
        assert_eq!(first.tokens.first().unwrap().text, "covenant");
        assert_eq!(first.tokens.first().unwrap().span, Span::new(3, 11));
    }

    #[test]
    fn an_unclosed_quote_is_reported_with_its_span() {
        let src = "covenant \"Treiter\nversion 1";
        let (lines, errors) = lex(src);
        assert_eq!(lines.len(), 2);
        assert_eq!(
            errors,
            vec![UnclosedQuote {
                span: Span::new(9, 17)
            }]
        );
    }
}
