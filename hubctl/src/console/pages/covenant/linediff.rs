//! Covenant texts as the pages show them: every line in [`Piece`]s, with hidden
//! characters made visible, and two versions side by side, lines paired by their
//! longest common subsequence, the changed words marked within a pair, and long runs of
//! unchanged lines folded.
//!
//! Hidden characters matter here more than anywhere: a privacy officer approves a text
//! by what the page shows, and a bidirectional override or a zero-width character can
//! make a line read as another one (the engine refuses them in a covenant, but a draft
//! or an excerpt may hold them). So each is shown as its code point, never passed on.

use treiter_policies::diagnostics::is_hidden;

/// A run of a line's text as shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Piece {
    /// The text; for a hidden character, its code point (`U+202E`).
    pub text: String,
    /// Whether it stands for a hidden character.
    pub hidden: bool,
    /// Whether it differs from the other version (marked within a changed line).
    pub changed: bool,
}

/// `text` as pieces, each hidden character a piece of its own showing its code point.
pub fn pieces(text: &str, changed: bool) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    for c in text.chars() {
        if is_hidden(c) {
            out.push(Piece {
                text: format!("U+{:04X}", u32::from(c)),
                hidden: true,
                changed,
            });
        } else {
            match out.last_mut() {
                Some(last) if !last.hidden => last.text.push(c),
                _ => out.push(Piece {
                    text: c.to_string(),
                    hidden: false,
                    changed,
                }),
            }
        }
    }
    out
}

/// One step of an edit script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// The same in both: (index in old, index in new).
    Same(usize, usize),
    /// Only in the old one.
    Removed(usize),
    /// Only in the new one.
    Added(usize),
}

/// The largest table the longest common subsequence is computed in (cells of 4
/// bytes). Beyond it (two texts of thousands of lines that differ throughout), the part
/// between the common beginning and end is shown as removed and added whole: slower
/// pages are worse than a coarser diff of a text nobody reads line by line.
const MAX_CELLS: usize = 4_000_000;

/// The edit script from `a` to `b`: the common beginning and end as they are, the
/// middle by its longest common subsequence.
fn script<T: PartialEq>(a: &[T], b: &[T]) -> Vec<Op> {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a_mid, b_mid) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let mut out: Vec<Op> = (0..prefix).map(|i| Op::Same(i, i)).collect();
    let (n, m) = (a_mid.len(), b_mid.len());
    let cells = (n + 1).saturating_mul(m + 1);
    if cells > MAX_CELLS {
        out.extend((0..n).map(|i| Op::Removed(prefix + i)));
        out.extend((0..m).map(|j| Op::Added(prefix + j)));
    } else {
        // lcs[i * (m + 1) + j]: the longest common subsequence of a_mid[i..], b_mid[j..].
        let width = m + 1;
        let mut lcs = vec![0u32; cells];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[i * width + j] = if a_mid[i] == b_mid[j] {
                    lcs[(i + 1) * width + j + 1] + 1
                } else {
                    lcs[(i + 1) * width + j].max(lcs[i * width + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && a_mid[i] == b_mid[j] {
                out.push(Op::Same(prefix + i, prefix + j));
                i += 1;
                j += 1;
            } else if j == m || (i < n && lcs[(i + 1) * width + j] >= lcs[i * width + j + 1]) {
                out.push(Op::Removed(prefix + i));
                i += 1;
            } else {
                out.push(Op::Added(prefix + j));
                j += 1;
            }
        }
    }
    let (a_end, b_end) = (a.len() - suffix, b.len() - suffix);
    out.extend((0..suffix).map(|k| Op::Same(a_end + k, b_end + k)));
    out
}

/// One side of a row: a line of one version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Side {
    /// Its line number, from 1.
    pub number: usize,
    /// Its text.
    pub pieces: Vec<Piece>,
}

/// One row of the side-by-side view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The old version's line, if the row has one.
    pub left: Option<Side>,
    /// The new version's line, if the row has one.
    pub right: Option<Side>,
    /// Whether the row is a change (a line removed, added or rewritten).
    pub changed: bool,
    /// For a folded run of unchanged lines: how many, and the old and new version's
    /// first line numbers. `left` and `right` are then `None`.
    pub fold: Option<Fold>,
}

/// A run of unchanged lines, not shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fold {
    /// How many lines.
    pub lines: usize,
    /// The old version's first line of the run.
    pub old_from: usize,
    /// The new version's first line of the run.
    pub new_from: usize,
}

impl Fold {
    /// "12 ongewijzigde regel(s), vanaf regel 3".
    pub fn words(&self) -> String {
        crate::console::texts::folded_lines(self.lines, self.old_from, self.new_from)
    }
}

/// Two versions side by side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SideBySide {
    /// The rows, in text order.
    pub rows: Vec<Row>,
    /// Lines only in the old version (removed or rewritten).
    pub removed: usize,
    /// Lines only in the new version (added or rewritten).
    pub added: usize,
}

/// A line as tokens: words (letters, digits and the `_`, `-` and `.` inside covenant
/// words and article numbers), runs of spaces, and every other character on its own, so
/// that a comma or a quote next to a word is not part of it.
fn tokens(line: &str) -> Vec<&str> {
    #[derive(PartialEq, Clone, Copy)]
    enum Kind {
        Word,
        Space,
        Other,
    }
    let kind = |c: char| {
        if c.is_alphanumeric() || matches!(c, '_' | '-' | '.') {
            Kind::Word
        } else if c.is_whitespace() {
            Kind::Space
        } else {
            Kind::Other
        }
    };
    let mut out = Vec::new();
    let mut start = 0;
    let mut last: Option<Kind> = None;
    for (i, c) in line.char_indices() {
        let k = kind(c);
        if let Some(l) = last
            && (l != k || k == Kind::Other)
        {
            out.push(&line[start..i]);
            start = i;
        }
        last = Some(k);
    }
    if start < line.len() {
        out.push(&line[start..]);
    }
    out
}

/// A rewritten line pair, each side with the words that differ marked.
fn marked_pair(old: &str, new: &str) -> (Vec<Piece>, Vec<Piece>) {
    let (a, b) = (tokens(old), tokens(new));
    let mut left = Vec::new();
    let mut right = Vec::new();
    for op in script(&a, &b) {
        match op {
            Op::Same(i, j) => {
                left.extend(pieces(a[i], false));
                right.extend(pieces(b[j], false));
            }
            Op::Removed(i) => left.extend(pieces(a[i], true)),
            Op::Added(j) => right.extend(pieces(b[j], true)),
        }
    }
    (merge(left), merge(right))
}

/// Adjacent pieces of the same kind as one.
fn merge(all: Vec<Piece>) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    for p in all {
        match out.last_mut() {
            Some(last) if !last.hidden && !p.hidden && last.changed == p.changed => {
                last.text.push_str(&p.text);
            }
            _ => out.push(p),
        }
    }
    out
}

/// `old` and `new` side by side. With `context`, runs of unchanged lines longer than
/// twice that are folded, keeping `context` lines next to each change.
pub fn side_by_side(old: &str, new: &str, context: Option<usize>) -> SideBySide {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let ops = script(&a, &b);
    let mut rows = Vec::new();
    let (mut removed, mut added) = (0, 0);
    let mut k = 0;
    while k < ops.len() {
        if let Op::Same(i, j) = ops[k] {
            rows.push(Row {
                left: Some(Side {
                    number: i + 1,
                    pieces: pieces(a[i], false),
                }),
                right: Some(Side {
                    number: j + 1,
                    pieces: pieces(b[j], false),
                }),
                changed: false,
                fold: None,
            });
            k += 1;
            continue;
        }
        // A hunk: the removed and added lines up to the next unchanged one, paired in
        // order (a rewritten line is a pair; the rest stand alone).
        let mut gone = Vec::new();
        let mut came = Vec::new();
        while let Some(op) = ops.get(k) {
            match *op {
                Op::Removed(i) => gone.push(i),
                Op::Added(j) => came.push(j),
                Op::Same(..) => break,
            }
            k += 1;
        }
        removed += gone.len();
        added += came.len();
        for n in 0..gone.len().max(came.len()) {
            let (l, r) = (gone.get(n).copied(), came.get(n).copied());
            let (left, right) = match (l, r) {
                (Some(i), Some(j)) => {
                    let (lp, rp) = marked_pair(a[i], b[j]);
                    (
                        Some(Side {
                            number: i + 1,
                            pieces: lp,
                        }),
                        Some(Side {
                            number: j + 1,
                            pieces: rp,
                        }),
                    )
                }
                (Some(i), None) => (
                    Some(Side {
                        number: i + 1,
                        pieces: pieces(a[i], true),
                    }),
                    None,
                ),
                (None, Some(j)) => (
                    None,
                    Some(Side {
                        number: j + 1,
                        pieces: pieces(b[j], true),
                    }),
                ),
                (None, None) => (None, None),
            };
            rows.push(Row {
                left,
                right,
                changed: true,
                fold: None,
            });
        }
    }
    let rows = match context {
        Some(context) => fold(rows, context),
        None => rows,
    };
    SideBySide {
        rows,
        removed,
        added,
    }
}

/// Folds each run of unchanged rows, keeping `context` rows next to a change.
fn fold(rows: Vec<Row>, context: usize) -> Vec<Row> {
    let mut out = Vec::with_capacity(rows.len());
    let mut run: Vec<Row> = Vec::new();
    let mut after_change = false;
    let flush = |run: &mut Vec<Row>, out: &mut Vec<Row>, after: bool, before: bool| {
        let keep_head = if after { context } else { 0 };
        let keep_tail = if before { context } else { 0 };
        // Folding a single line saves nothing: it takes a row as well.
        if run.len() <= keep_head + keep_tail + 1 {
            out.append(run);
            return;
        }
        let tail = run.split_off(run.len() - keep_tail);
        let folded = run.split_off(keep_head);
        out.append(run);
        let first = folded.first();
        out.push(Row {
            left: None,
            right: None,
            changed: false,
            fold: Some(Fold {
                lines: folded.len(),
                old_from: first.and_then(|r| r.left.as_ref()).map_or(0, |s| s.number),
                new_from: first.and_then(|r| r.right.as_ref()).map_or(0, |s| s.number),
            }),
        });
        out.extend(tail);
    };
    for row in rows {
        if row.changed {
            flush(&mut run, &mut out, after_change, true);
            out.push(row);
            after_change = true;
        } else {
            run.push(row);
        }
    }
    flush(&mut run, &mut out, after_change, false);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(side: &Option<Side>) -> String {
        side.as_ref()
            .map(|s| s.pieces.iter().map(|p| p.text.as_str()).collect())
            .unwrap_or_default()
    }

    fn marked(side: &Option<Side>) -> Vec<String> {
        side.as_ref()
            .map(|s| {
                s.pieces
                    .iter()
                    .filter(|p| p.changed)
                    .map(|p| p.text.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn a_rewritten_line_is_paired_with_its_changed_words_marked() {
        let old = "a\nart. 6.3  fields datum, locatie and samenvatting\nc\n";
        let new = "a\nart. 6.3  fields datum and samenvatting\nc\nd\n";
        let view = side_by_side(old, new, None);
        assert_eq!((view.removed, view.added), (1, 2));
        let rows = &view.rows;
        assert_eq!(rows.len(), 4);
        assert!(!rows[0].changed);
        assert!(rows[1].changed);
        assert_eq!(rows[1].left.as_ref().map(|s| s.number), Some(2));
        assert_eq!(rows[1].right.as_ref().map(|s| s.number), Some(2));
        assert_eq!(marked(&rows[1].left), [", locatie"]);
        assert!(
            marked(&rows[1].right).is_empty(),
            "nothing new on the right"
        );
        assert_eq!(
            text(&rows[1].right),
            "art. 6.3  fields datum and samenvatting"
        );
        // An added line stands alone, on the right.
        assert!(rows[3].changed && rows[3].left.is_none());
        assert_eq!(text(&rows[3].right), "d");
    }

    #[test]
    fn punctuation_is_a_token_of_its_own() {
        assert_eq!(
            tokens("art. 6.3a fields a, b \"x y\""),
            [
                "art.", " ", "6.3a", " ", "fields", " ", "a", ",", " ", "b", " ", "\"", "x", " ",
                "y", "\""
            ]
        );
    }

    #[test]
    fn long_unchanged_runs_are_folded_next_to_the_context() {
        let old: String = (1..=20).map(|i| format!("line {i}\n")).collect();
        let new = old.replace("line 10\n", "line ten\n");
        let view = side_by_side(&old, &new, Some(2));
        let shape: Vec<String> = view
            .rows
            .iter()
            .map(|r| match (&r.fold, r.changed) {
                (Some(f), _) => format!("fold {} from {}", f.lines, f.old_from),
                (None, true) => "change".to_owned(),
                (None, false) => text(&r.left),
            })
            .collect();
        assert_eq!(
            shape,
            [
                "fold 7 from 1",
                "line 8",
                "line 9",
                "change",
                "line 11",
                "line 12",
                "fold 8 from 13",
            ]
        );
        // Unchanged texts fold whole; without context nothing folds.
        let same = side_by_side(&old, &old, Some(3));
        assert_eq!(same.rows.len(), 1);
        assert_eq!(same.rows[0].fold.map(|f| f.lines), Some(20));
        assert_eq!(side_by_side(&old, &new, None).rows.len(), 20);
    }

    #[test]
    fn hidden_characters_are_shown_by_code_point() {
        let p = pieces("art. 6.3\u{202E}  x", false);
        assert_eq!(
            p,
            [
                Piece {
                    text: "art. 6.3".into(),
                    hidden: false,
                    changed: false
                },
                Piece {
                    text: "U+202E".into(),
                    hidden: true,
                    changed: false
                },
                Piece {
                    text: "  x".into(),
                    hidden: false,
                    changed: false
                },
            ]
        );
    }

    #[test]
    fn texts_too_different_for_the_table_are_shown_removed_and_added() {
        let old: String = (0..2100).map(|i| format!("old {i}\n")).collect();
        let new: String = (0..2100).map(|i| format!("new {i}\n")).collect();
        let view = side_by_side(&old, &new, None);
        assert_eq!((view.removed, view.added), (2100, 2100));
        assert!(view.rows.iter().all(|r| r.changed));
    }
}
