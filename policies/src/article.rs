//! Article numbers as the covenant writes them: `6.3`, `6.3a`, `15.1`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The number of one paragraph of the covenant.
///
/// Ordered as a reader of the covenant would: `6.3 < 6.3a < 6.4 < 6.10 < 14.1`, so
/// decisions list their articles in reading order rather than string order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ArticleNo {
    /// The article: `6` in `6.3a`.
    pub article: u16,
    /// The paragraph within it: `3` in `6.3a`.
    pub paragraph: u16,
    /// The letter of a sub-paragraph: `a` in `6.3a`.
    pub letter: Option<char>,
}

/// Text that is not an article number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an article number like 6.3 or 6.3a")]
pub struct BadArticleNo(pub String);

impl ArticleNo {
    /// `article.paragraph`, without a letter.
    pub const fn new(article: u16, paragraph: u16) -> Self {
        ArticleNo {
            article,
            paragraph,
            letter: None,
        }
    }
}

impl FromStr for ArticleNo {
    type Err = BadArticleNo;
    fn from_str(s: &str) -> Result<Self, BadArticleNo> {
        let bad = || BadArticleNo(s.to_owned());
        let (article, rest) = s.split_once('.').ok_or_else(bad)?;
        let digits_end = rest
            .char_indices()
            .find(|(_, c)| !c.is_ascii_digit())
            .map_or(rest.len(), |(i, _)| i);
        let (paragraph, letter) = rest.split_at(digits_end);
        let all_digits =
            |t: &str| !t.is_empty() && t.len() <= 4 && t.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(article) || !all_digits(paragraph) {
            return Err(bad());
        }
        let letter = match letter.as_bytes() {
            [] => None,
            [l] if l.is_ascii_lowercase() => Some(char::from(*l)),
            _ => return Err(bad()),
        };
        Ok(ArticleNo {
            article: article.parse().map_err(|_| bad())?,
            paragraph: paragraph.parse().map_err(|_| bad())?,
            letter,
        })
    }
}

impl fmt::Display for ArticleNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.article, self.paragraph)?;
        if let Some(l) = self.letter {
            write!(f, "{l}")?;
        }
        Ok(())
    }
}

impl Serialize for ArticleNo {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ArticleNo {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let a: ArticleNo = "6.3a".parse().unwrap();
        assert_eq!(
            a,
            ArticleNo {
                article: 6,
                paragraph: 3,
                letter: Some('a')
            }
        );
        assert_eq!(a.to_string(), "6.3a");
        assert_eq!("15.1".parse::<ArticleNo>().unwrap(), ArticleNo::new(15, 1));
    }

    #[test]
    fn refuses_non_numbers() {
        for bad in [
            "6", "6.", ".3", "6.3ab", "6.3A", "x.1", "6.3.1", "", "12345.1",
        ] {
            assert_eq!(
                bad.parse::<ArticleNo>(),
                Err(BadArticleNo(bad.to_owned())),
                "{bad}"
            );
        }
    }

    #[test]
    fn orders_as_a_reader_does() {
        let mut v: Vec<ArticleNo> = ["14.1", "6.10", "6.3a", "6.3", "6.9", "4.2"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        v.sort();
        let shown: Vec<String> = v.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["4.2", "6.3", "6.3a", "6.9", "6.10", "14.1"]);
    }
}
