//! Text from outside: checked where it comes in, escaped where it goes out.
//!
//! Every string an agent or a client sends that the hub keeps or shows (an agent's
//! version, a label, a reason, a reference, a field name) is checked at the service
//! edge with [`check_line`] or [`check_text`]: bounded in length, and free of control
//! characters and of the invisible characters that reorder or hide text. The refusal
//! names the field and the limit and never repeats the value (it may be personal data,
//! article 12.3).
//!
//! Whatever reaches a terminal (`hub status`, hubctl's tables and reports, the node
//! agent's output, an error message) is escaped with [`escape_control`], so that a
//! value that slipped past a check (an older hub, a partner's record value, a covenant
//! text) can neither send terminal escape sequences nor start a fake row. This is the
//! one escaping function of the workspace; [`escape_lines`] and [`error_chain`] apply
//! it to text whose own line breaks are meant.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` would act on a terminal or a page instead of showing: a control
/// character (C0, DEL, C1), or an invisible format character (zero-width characters,
/// bidirectional marks, embeddings, overrides and isolates, the byte-order mark).
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
        )
}

/// `text` with every [`is_hidden`] character written out as an escape (`\n`, `\t`,
/// `\r`, `\u{1b}`, `\u{202e}`), so that it shows as one line of visible characters.
/// Text without such characters is returned as it is, without copying.
pub fn escape_control(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if is_hidden(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `text` escaped line by line with [`escape_control`]: its line breaks stay, every
/// other hidden character is escaped. For text whose lines are meant (a report, a list
/// of problems), never for a value that must stay on its row.
pub fn escape_lines(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && is_hidden(c)) {
        return Cow::Borrowed(text);
    }
    let lines: Vec<Cow<'_, str>> = text.split('\n').map(escape_control).collect();
    Cow::Owned(lines.join("\n"))
}

/// JSON text (as serde_json writes it) with every [`is_hidden`] character that
/// serde_json leaves as it is (DEL, the C1 controls, the invisible format characters)
/// written as a `\uXXXX` escape. The JSON means the same; a terminal that shows it
/// shows only visible characters. serde_json already escapes the C0 controls inside
/// strings, so a line break or tab left in the text is layout, and stays.
pub fn escape_json(json: &str) -> Cow<'_, str> {
    let escaped = |c: char| is_hidden(c) && !matches!(c, '\n' | '\t' | '\r');
    if !json.chars().any(escaped) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 8);
    for c in json.chars() {
        if escaped(c) {
            // Every hidden character is in the Basic Multilingual Plane: one UTF-16 unit.
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// An error and its causes on one line, `what: why: why`, escaped with
/// [`escape_lines`], for the one message a program prints when it stops.
///
/// Most errors of this workspace include their cause in their own message (so that a
/// log line with `error = %e` is complete) and also return it as their `source()`; a
/// cause whose text the message already holds is therefore not repeated. (`{:#}` of
/// anyhow prints every cause, and so printed those twice.)
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        let text = e.to_string();
        if !text.is_empty() && !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = e.source();
    }
    escape_lines(&out).into_owned()
}

/// Why a text from outside was refused. The message names the field and the limit,
/// never the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Longer than the field allows.
    #[error("{field} is {chars} characters long; at most {max} are accepted")]
    TooLong {
        /// The field, as the API names it (`Hello.agent_version`, `label`).
        field: String,
        /// Its length in characters.
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// Holds a character that is not shown as itself.
    #[error(
        "{field} holds a control or invisible character (U+{code:04X}) at character {at}; only printable text is accepted{lines}"
    )]
    Hidden {
        /// The field.
        field: String,
        /// The character's code point.
        code: u32,
        /// Its position, from 1.
        at: usize,
        /// ", on one line" for a one-line field, else empty.
        lines: &'static str,
    },
    /// Holds a character outside the field's own alphabet (e.g. a space in a version).
    #[error("{field} holds a character outside {allowed} at character {at}")]
    Alphabet {
        /// The field.
        field: String,
        /// What the field allows, in words.
        allowed: &'static str,
        /// Its position, from 1.
        at: usize,
    },
    /// A list with more items than it may have.
    #[error("{field} has {count} items; at most {max} are accepted")]
    TooMany {
        /// The field.
        field: String,
        /// How many it has.
        count: usize,
        /// The limit.
        max: usize,
    },
}

impl TextError {
    /// The same error, naming `field`: for checks run under a short name whose full
    /// name (with its indices) is formatted only when one fails.
    pub fn in_field(mut self, field: String) -> TextError {
        match &mut self {
            TextError::TooLong { field: named, .. }
            | TextError::Hidden { field: named, .. }
            | TextError::Alphabet { field: named, .. }
            | TextError::TooMany { field: named, .. } => *named = field,
        }
        self
    }
}

fn check(field: &str, text: &str, max: usize, multi_line: bool) -> Result<(), TextError> {
    let chars = text.chars().count();
    if chars > max {
        return Err(TextError::TooLong {
            field: field.to_owned(),
            chars,
            max,
        });
    }
    let allowed = |c: char| multi_line && matches!(c, '\n' | '\r' | '\t');
    match text
        .chars()
        .enumerate()
        .find(|(_, c)| is_hidden(*c) && !allowed(*c))
    {
        Some((i, c)) => Err(TextError::Hidden {
            field: field.to_owned(),
            code: u32::from(c),
            at: i + 1,
            lines: if multi_line { "" } else { ", on one line" },
        }),
        None => Ok(()),
    }
}

/// Checks a one-line field (a label, a reference, a name): at most `max` characters,
/// none of them [`is_hidden`] (so no line break, no tab).
pub fn check_line(field: &str, text: &str, max: usize) -> Result<(), TextError> {
    check(field, text, max, false)
}

/// Checks a free text (a reason, a note, a description): at most `max` characters;
/// line breaks and tabs are allowed, no other [`is_hidden`] character.
pub fn check_text(field: &str, text: &str, max: usize) -> Result<(), TextError> {
    check(field, text, max, true)
}

/// Checks a token (a version, an id): at most `max` characters, each a printable ASCII
/// character other than the space.
pub fn check_token(field: &str, text: &str, max: usize) -> Result<(), TextError> {
    check_line(field, text, max)?;
    match text.chars().position(|c| !c.is_ascii_graphic()) {
        Some(i) => Err(TextError::Alphabet {
            field: field.to_owned(),
            allowed: "printable ASCII without spaces",
            at: i + 1,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_sequences_line_breaks_and_bidi_overrides() {
        assert!(matches!(escape_control("0.1.0"), Cow::Borrowed("0.1.0")));
        assert_eq!(
            escape_control("0.1\u{1b}[2J\nfake row\r\u{202e}x\u{7f}\u{9b}"),
            "0.1\\u{1b}[2J\\nfake row\\r\\u{202e}x\\u{7f}\\u{9b}"
        );
        assert_eq!(escape_control("tab\there"), "tab\\there");
        // Letters of every script stay as they are.
        assert_eq!(escape_control("Ĳsselmeer — Zoë"), "Ĳsselmeer — Zoë");
    }

    #[test]
    fn json_keeps_its_meaning_and_shows_only_visible_characters() {
        let value = "v\u{1b}\u{9b}2J\u{202e}\u{7f}";
        let json = format!("{{\n  \"v\": {}\n}}", serde_json_string(value));
        let escaped = escape_json(&json);
        assert!(
            !escaped.chars().any(|c| c != '\n' && is_hidden(c)),
            "{escaped}"
        );
        assert_eq!(
            escaped,
            "{\n  \"v\": \"v\\u001b\\u009b2J\\u202e\\u007f\"\n}"
        );
    }

    /// A JSON string as serde_json writes it: C0 controls escaped, the rest as is.
    fn serde_json_string(s: &str) -> String {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
                '"' => out.push_str("\\\""),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    #[test]
    fn escape_lines_keeps_the_line_breaks_only() {
        assert_eq!(escape_lines("a\nb\u{1b}c\n"), "a\nb\\u{1b}c\n");
        assert!(matches!(escape_lines("a\nb"), Cow::Borrowed(_)));
    }

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read the configuration x.toml: {source}")]
    struct Outer {
        #[source]
        source: std::io::Error,
    }

    #[derive(Debug, thiserror::Error)]
    #[error("cannot start")]
    struct Top {
        #[source]
        source: Outer,
    }

    #[test]
    fn a_cause_the_message_already_holds_is_not_repeated() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let e = Top {
            source: Outer { source: io },
        };
        assert_eq!(
            error_chain(&e),
            "cannot start: cannot read the configuration x.toml: no such file"
        );
    }

    #[test]
    fn checks_name_the_field_and_the_limit_never_the_value() {
        let e = check_line("label", &"x".repeat(101), 100).unwrap_err();
        assert_eq!(
            e.to_string(),
            "label is 101 characters long; at most 100 are accepted"
        );
        let e = check_line("label", "Jan\nJansen", 100).unwrap_err();
        assert_eq!(
            e.to_string(),
            "label holds a control or invisible character (U+000A) at character 4; only printable text is accepted, on one line"
        );
        assert!(!e.to_string().contains("Jansen"));
        assert_eq!(
            check_text("reason", "line one\nline two\twith a tab", 100),
            Ok(())
        );
        let e = check_text("reason", "bell\u{7}", 100).unwrap_err();
        assert!(matches!(e, TextError::Hidden { code: 7, at: 5, .. }), "{e}");
        assert_eq!(check_line("label", "buurman 3-hoog — Zoë", 100), Ok(()));
        assert!(matches!(
            check_line("label", "a\u{202e}b", 100),
            Err(TextError::Hidden { code: 0x202e, .. })
        ));
        assert_eq!(
            check_token("Hello.agent_version", "0.1.0+build.7", 64),
            Ok(())
        );
        let e = check_token("Hello.agent_version", "0.1 beta", 64).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Hello.agent_version holds a character outside printable ASCII without spaces at character 4"
        );
    }
}
