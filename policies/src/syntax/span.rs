//! Byte spans into a source text, and their line:column form for people.

/// A byte range `start..end` of the source text.
///
/// Byte offsets are what miette renders from; line and column are derived when a
/// message is shown, so a span stays valid however the text is displayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// `start..end`.
    pub const fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// Length in bytes.
    pub const fn len(self) -> usize {
        self.end.saturating_sub(self.start)
    }

    /// Whether the span covers no byte.
    pub const fn is_empty(self) -> bool {
        self.len() == 0
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(s: Span) -> Self {
        miette::SourceSpan::new(s.start.into(), s.len())
    }
}

/// 1-based line and column (in characters) of a byte offset.
///
/// An offset past the end, or inside a multi-byte character, is clamped to the
/// nearest position before it, so a bad span never panics.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = text.get(..offset).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The start of every line of a text, so that many offsets are placed without
/// reading the text from its start for each ([`line_col`] does that, which made a
/// covenant with thousands of problems take seconds to report).
#[derive(Debug, Clone)]
pub struct LineIndex<'a> {
    text: &'a str,
    /// Byte offset of the first byte of each line; the first is 0.
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// Indexes `text`.
    pub fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { text, starts }
    }

    /// 1-based line and column (in characters) of a byte offset, as [`line_col`].
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        // The number of lines starting at or before `offset`; at least 1 (line 1
        // starts at 0).
        let line = self.starts.partition_point(|&s| s <= offset);
        let line_start = self
            .starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(0);
        let column = self
            .text
            .get(line_start..offset)
            .map_or(0, |l| l.chars().count())
            + 1;
        (line.max(1), column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_index_places_offsets_as_line_col_does() {
        for t in ["", "ab\ncé d\n", "\n\n", "x", "é\né\n\né"] {
            let index = LineIndex::new(t);
            for offset in 0..t.len() + 3 {
                assert_eq!(
                    index.line_col(offset),
                    line_col(t, offset),
                    "offset {offset} of {t:?}"
                );
            }
        }
    }

    #[test]
    fn line_col_counts_characters() {
        let t = "ab\ncé d\n";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 3), (2, 1));
        // 'd' is after a two-byte 'é'.
        assert_eq!(line_col(t, 7), (2, 4));
        // Inside 'é', and past the end: clamped, no panic.
        assert_eq!(line_col(t, 5), (2, 2));
        assert_eq!(line_col(t, 100), (3, 1));
    }
}
