//! A cursor over the tokens of one line, with the small vocabulary of expectations
//! both the covenant parser and the covenant-test parser are written in.

use super::lexer::{Token, TokenKind};
use super::span::Span;
use crate::article::ArticleNo;

/// A word as written, with where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The text.
    pub text: String,
    /// Where it stands.
    pub span: Span,
}

impl Word {
    pub(crate) fn from_token(t: &Token) -> Word {
        Word {
            text: t.text.clone(),
            span: t.span,
        }
    }
}

/// An article reference as written: `art. 6.3a` or, inside a list, `6.3a`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArtRef {
    /// The number.
    pub no: ArticleNo,
    /// Where the number stands.
    pub span: Span,
}

/// A line that does not have the shape expected of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// The offending token, or the end of the line.
    pub span: Span,
    /// What was expected and what was found, lowercase.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
}

/// Words that end a list, so that "a, b for aanpak" stops before `for`.
const LIST_STOPS: &[&str] = &[
    "for",
    "with",
    "only",
    "are",
    "is",
    "as",
    "still",
    "belong",
    "belongs",
    "receives",
    "receive",
    "the",
    "and",
    "or",
    "of",
    "but",
    // Clause words of covenant tests ("passing a, b, stripping c").
    "passing",
    "stripping",
    "citing",
    "carrying",
    "notifying",
];

/// A cursor over one line's tokens.
#[derive(Debug)]
pub struct Cursor<'t> {
    tokens: &'t [Token],
    pos: usize,
    /// Where "the end of the line" is, for errors about missing words.
    line_end: Span,
}

impl<'t> Cursor<'t> {
    /// A cursor at the first token; `line_end` is an empty span just after the line.
    pub fn new(tokens: &'t [Token], line_end: Span) -> Self {
        Cursor {
            tokens,
            pos: 0,
            line_end,
        }
    }

    /// The next token.
    pub fn peek(&self) -> Option<&'t Token> {
        self.tokens.get(self.pos)
    }

    /// The token `n` places ahead.
    pub fn peek_nth(&self, n: usize) -> Option<&'t Token> {
        self.tokens.get(self.pos + n)
    }

    /// Whether the next token is the word `kw`.
    pub fn is_kw(&self, kw: &str) -> bool {
        self.is_kw_at(0, kw)
    }

    /// Whether the token `n` places ahead is the word `kw`.
    pub fn is_kw_at(&self, n: usize, kw: &str) -> bool {
        matches!(self.peek_nth(n), Some(t) if t.kind == TokenKind::Word && t.text == kw)
    }

    /// Whether the next tokens are the words of `phrase`.
    pub fn is_phrase(&self, phrase: &str) -> bool {
        phrase
            .split_whitespace()
            .enumerate()
            .all(|(i, w)| self.is_kw_at(i, w))
    }

    /// Whether every token has been used.
    pub fn at_end(&self) -> bool {
        self.pos >= self.tokens.len()
    }

    /// The span of the next token, or the end of the line.
    pub fn here(&self) -> Span {
        self.peek().map_or(self.line_end, |t| t.span)
    }

    /// Consumes the word `kw` if it is next.
    pub fn eat_kw(&mut self, kw: &str) -> bool {
        let yes = self.is_kw(kw);
        if yes {
            self.pos += 1;
        }
        yes
    }

    /// Consumes a comma if it is next.
    pub fn eat_comma(&mut self) -> bool {
        let yes = matches!(self.peek(), Some(t) if t.kind == TokenKind::Comma);
        if yes {
            self.pos += 1;
        }
        yes
    }

    /// Consumes a colon if it is next.
    pub fn eat_colon(&mut self) -> Option<Span> {
        match self.peek() {
            Some(t) if t.kind == TokenKind::Colon => {
                self.pos += 1;
                Some(t.span)
            }
            _ => None,
        }
    }

    /// An error at the next token: "expected {expected}, found {what is there}".
    pub fn error(&self, expected: &str) -> SyntaxError {
        let found = match self.peek() {
            None => "the end of the line".to_owned(),
            Some(t) if t.kind == TokenKind::Quoted => format!("\"{}\"", t.text),
            Some(t) => format!("'{}'", t.text),
        };
        SyntaxError {
            span: self.here(),
            message: format!("expected {expected}, found {found}"),
            help: None,
        }
    }

    /// Consumes the words of `phrase`, or says which word was expected where.
    pub fn expect_phrase(&mut self, phrase: &str) -> Result<(), SyntaxError> {
        for w in phrase.split_whitespace() {
            if !self.eat_kw(w) {
                let mut e = self.error(&format!("'{w}'"));
                e.help = Some(format!("this form of statement reads: ... {phrase} ..."));
                return Err(e);
            }
        }
        Ok(())
    }

    /// Consumes a comma, or fails with the phrase the comma introduces.
    pub fn expect_comma(&mut self, before: &str) -> Result<(), SyntaxError> {
        if self.eat_comma() {
            Ok(())
        } else {
            Err(self.error(&format!("',' before '{before}'")))
        }
    }

    /// Consumes a colon, or fails.
    pub fn expect_colon(&mut self) -> Result<Span, SyntaxError> {
        self.eat_colon().ok_or_else(|| self.error("':'"))
    }

    /// Consumes any word (`what` names it in the error).
    pub fn word(&mut self, what: &str) -> Result<Word, SyntaxError> {
        match self.peek() {
            Some(t) if t.kind == TokenKind::Word => {
                self.pos += 1;
                Ok(Word::from_token(t))
            }
            _ => Err(self.error(what)),
        }
    }

    /// Consumes a quoted text.
    pub fn quoted(&mut self, what: &str) -> Result<Word, SyntaxError> {
        match self.peek() {
            Some(t) if t.kind == TokenKind::Quoted => {
                self.pos += 1;
                Ok(Word::from_token(t))
            }
            _ => Err(self.error(what)),
        }
    }

    /// Consumes a word or a quoted text (`what` names it in the error).
    pub fn word_or_quoted(&mut self, what: &str) -> Result<Word, SyntaxError> {
        match self.peek() {
            Some(t) if matches!(t.kind, TokenKind::Word | TokenKind::Quoted) => {
                self.pos += 1;
                Ok(Word::from_token(t))
            }
            _ => Err(self.error(what)),
        }
    }

    /// Consumes a whole number.
    pub fn number(&mut self, what: &str) -> Result<(u32, Span), SyntaxError> {
        let at = self.pos;
        let w = self.word(what)?;
        match w.text.parse::<u32>() {
            Ok(n) if w.text.bytes().all(|b| b.is_ascii_digit()) => Ok((n, w.span)),
            _ => {
                self.pos = at;
                Err(self.error(what))
            }
        }
    }

    /// Consumes an article number (`6.3a`), without the `art.` before it.
    pub fn article_no(&mut self) -> Result<ArtRef, SyntaxError> {
        let at = self.pos;
        let w = self.word("an article number like 6.3 or 6.3a")?;
        match w.text.parse::<ArticleNo>() {
            Ok(no) => Ok(ArtRef { no, span: w.span }),
            Err(_) => {
                self.pos = at;
                Err(self.error("an article number like 6.3 or 6.3a"))
            }
        }
    }

    /// Consumes `art. 6.3a`.
    pub fn art_ref(&mut self) -> Result<ArtRef, SyntaxError> {
        if !self.eat_kw("art.") {
            return Err(self.error("'art.' and an article number"));
        }
        self.article_no()
    }

    /// Consumes `art. 4.4, 6.1a and 8.3` (the `art.` before later numbers may be repeated).
    pub fn art_list(&mut self) -> Result<Vec<ArtRef>, SyntaxError> {
        let mut refs = vec![self.art_ref()?];
        loop {
            let save = self.pos;
            if self.eat_comma() || self.eat_kw("and") {
                self.eat_kw("art.");
                match self.article_no() {
                    Ok(r) => refs.push(r),
                    Err(_) => {
                        self.pos = save;
                        break;
                    }
                }
            } else {
                break;
            }
        }
        Ok(refs)
    }

    /// Whether the token `n` ahead is a word that can be a list item.
    fn item_at(&self, n: usize) -> bool {
        matches!(self.peek_nth(n), Some(t) if t.kind == TokenKind::Word && !LIST_STOPS.contains(&t.text.as_str()))
    }

    /// Consumes a list of words: `a`, `a and b`, `a, b or c` (an `a`/`an` before
    /// it is read over). `what` names one item in errors.
    pub fn list(&mut self, what: &str) -> Result<Vec<Word>, SyntaxError> {
        if (self.is_kw("a") || self.is_kw("an")) && self.item_at(1) {
            self.pos += 1;
        }
        if !self.item_at(0) {
            return Err(self.error(what));
        }
        let mut items = vec![self.word(what)?];
        loop {
            let sep = matches!(self.peek(), Some(t) if t.kind == TokenKind::Comma)
                || self.is_kw("and")
                || self.is_kw("or");
            if sep && self.item_at(1) {
                self.pos += 1;
                items.push(self.word(what)?);
            } else {
                break;
            }
        }
        Ok(items)
    }

    /// Uses up the rest of the line.
    pub fn skip_rest(&mut self) {
        self.pos = self.tokens.len();
    }

    /// Fails unless every token has been used.
    pub fn expect_end(&self) -> Result<(), SyntaxError> {
        match self.peek() {
            None => Ok(()),
            Some(t) => Err(SyntaxError {
                span: t.span,
                message: format!("unexpected '{}' after the end of the statement", t.text),
                help: Some("remove it, or check the statement's form in the language guide".into()),
            }),
        }
    }
}
