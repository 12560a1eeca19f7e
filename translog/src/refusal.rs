//! Why a witness refuses a checkpoint (article 10.2): the reason words a node agent
//! sends the hub in a `CheckpointRefusal`, and the bounds on that message's text. The
//! agent and the hub share them here so that both ends agree on the vocabulary and on
//! what may reach a log line, a terminal or a status page.
//!
//! Every refusal is an alert, whatever its reason: the witness did not keep and did not
//! cosign the checkpoint. Most reasons are evidence against the hub's log; one
//! ([`RefusalReason::StateUnwritable`]) is the witness's own disk, and still means the
//! checkpoint went unwitnessed.

/// The longest reason word accepted on the wire.
pub const MAX_REASON_LEN: usize = 40;

/// The longest `detail` text, in characters, after escaping.
pub const MAX_DETAIL_CHARS: usize = 300;

/// Why a witness refused a checkpoint. The words ([`RefusalReason::as_str`]) are the
/// wire's `CheckpointRefusal.reason` and the metric label; never renumber or rename
/// them: monitoring and receipt logs keep them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RefusalReason {
    /// The note cannot be read as a signed checkpoint (too large, not UTF-8, control
    /// characters, malformed lines or signatures).
    UnparsableNote,
    /// The note is not signed by the hub's log key, or that signature does not verify:
    /// a forged or altered checkpoint, or a hub signing with a key the witness was not
    /// given.
    BadSignature,
    /// The checkpoint is of another log than the one the witness follows.
    WrongOrigin,
    /// The consistency proof is malformed (a hash that is not 32 bytes).
    BadProof,
    /// The consistency proof starts from another tree size than the checkpoint the
    /// witness holds, so it cannot show the new checkpoint extends that one. An honest
    /// hub starts every proof at the size the agent holds.
    WrongFromSize,
    /// The checkpoint's tree is smaller than the one the witness holds: the log shrank
    /// (entries removed, or a hub restored from an old backup).
    Rollback,
    /// The same tree size as the held checkpoint, with another root: a forked history.
    ForkSameSize,
    /// A larger tree whose proof does not show it extends the held one: a rewritten or
    /// forked history (or a corrupted proof).
    Inconsistent,
    /// The witness could not keep the checkpoint durably (its own `state` file), so it
    /// did not cosign it. A problem at the witness, not evidence against the hub.
    StateUnwritable,
}

impl RefusalReason {
    /// Every reason, in a fixed order (for metrics that show zero counts too).
    pub const ALL: [RefusalReason; 9] = [
        RefusalReason::UnparsableNote,
        RefusalReason::BadSignature,
        RefusalReason::WrongOrigin,
        RefusalReason::BadProof,
        RefusalReason::WrongFromSize,
        RefusalReason::Rollback,
        RefusalReason::ForkSameSize,
        RefusalReason::Inconsistent,
        RefusalReason::StateUnwritable,
    ];

    /// The stable word, as on the wire, in metrics and in receipts.
    pub const fn as_str(self) -> &'static str {
        match self {
            RefusalReason::UnparsableNote => "unparsable-note",
            RefusalReason::BadSignature => "bad-signature",
            RefusalReason::WrongOrigin => "wrong-origin",
            RefusalReason::BadProof => "bad-proof",
            RefusalReason::WrongFromSize => "wrong-from-size",
            RefusalReason::Rollback => "rollback",
            RefusalReason::ForkSameSize => "fork-same-size",
            RefusalReason::Inconsistent => "inconsistent",
            RefusalReason::StateUnwritable => "state-unwritable",
        }
    }

    /// The reason a word names; `None` for a word this version does not know.
    pub fn parse(word: &str) -> Option<RefusalReason> {
        RefusalReason::ALL.into_iter().find(|r| r.as_str() == word)
    }
}

impl std::fmt::Display for RefusalReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether `word` has the shape of a reason word: 1 to [`MAX_REASON_LEN`] characters
/// of `a-z`, `0-9` and `-`, starting with a letter. A newer agent may send a word this
/// version does not know; it is shown as sent only if it has this shape.
pub fn is_reason_word(word: &str) -> bool {
    !word.is_empty()
        && word.len() <= MAX_REASON_LEN
        && word.starts_with(|c: char| c.is_ascii_lowercase())
        && word
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// `text` made safe for one line of a log, terminal or status page, and cut to
/// `max_chars` characters: control characters (newlines, escapes, C1) and the Unicode
/// characters that reorder or hide text (bidirectional overrides, zero-width marks) are
/// written as `\u{..}`; a cut text ends in `…`. Applying it twice changes nothing more.
pub fn bound_text(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    // Byte length of `out` and its character count after each piece: a cut goes back
    // to a piece boundary, so an escape is never split.
    let mut ends: Vec<(usize, usize)> = Vec::new();
    let mut count = 0usize;
    for c in text.chars() {
        if c.is_control() || hides_or_reorders(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
            count += out.len() - ends.last().map_or(0, |e| e.0);
        } else {
            out.push(c);
            count += 1;
        }
        ends.push((out.len(), count));
        if count > max_chars {
            let room = max_chars.saturating_sub(1);
            let (bytes, _) = ends
                .iter()
                .rev()
                .find(|(_, n)| *n <= room)
                .copied()
                .unwrap_or((0, 0));
            out.truncate(bytes);
            out.push('…');
            return out;
        }
    }
    out
}

/// Format characters that change how the text around them is shown: bidirectional
/// embeddings, overrides and isolates, and zero-width characters.
fn hides_or_reorders(c: char) -> bool {
    matches!(
        c,
        '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_parses_back_and_has_the_shape() {
        for reason in RefusalReason::ALL {
            assert_eq!(RefusalReason::parse(reason.as_str()), Some(reason));
            assert!(is_reason_word(reason.as_str()), "{reason}");
        }
        assert_eq!(RefusalReason::parse("no-such-reason"), None);
    }

    #[test]
    fn reason_words_are_bounded_in_length_and_characters() {
        assert!(is_reason_word("a-new-reason-2"));
        for bad in [
            "",
            "Rollback",
            "-rollback",
            "roll back",
            "rollback\n",
            "rollback\u{1b}[2J",
            "rol\u{202e}lback",
            &"a".repeat(MAX_REASON_LEN + 1),
        ] {
            assert!(!is_reason_word(bad), "{bad:?}");
        }
    }

    #[test]
    fn bound_text_escapes_controls_and_reordering_characters() {
        let text = "fork\n| 0000 | fake row\u{1b}[2J\u{202e}evil\u{200b}\u{9b}";
        let safe = bound_text(text, 300);
        assert_eq!(
            safe,
            "fork\\u{a}| 0000 | fake row\\u{1b}[2J\\u{202e}evil\\u{200b}\\u{9b}"
        );
        assert!(!safe.chars().any(|c| c.is_control() || hides_or_reorders(c)));
        assert_eq!(
            bound_text(&safe, 300),
            safe,
            "escaping twice changes nothing"
        );
    }

    #[test]
    fn bound_text_cuts_long_text_with_an_ellipsis() {
        let long = "é".repeat(1000);
        let cut = bound_text(&long, MAX_DETAIL_CHARS);
        assert_eq!(cut.chars().count(), MAX_DETAIL_CHARS);
        assert!(cut.ends_with('…'));
        let exact = "x".repeat(MAX_DETAIL_CHARS);
        assert_eq!(bound_text(&exact, MAX_DETAIL_CHARS), exact);
        // An escape is never cut in half.
        let escapes = "\n".repeat(100);
        let cut = bound_text(&escapes, 20);
        assert_eq!(cut, "\\u{a}\\u{a}\\u{a}…");
    }
}
