//! The fixed vocabulary of the covenant (the `code font` words of docs/COVENANT.md).
//!
//! These words are fixed because the wire protocol, the hub and the agents use them
//! too; what the covenant *says* about them lives in the encoding. Each word list is an
//! enum so that a decision compares small integers, never strings.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A word that is not in one of the vocabulary lists.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} '{word}', expected one of: {expected}")]
pub struct UnknownWord {
    /// Which list was searched ("phase", "role", ...).
    pub what: &'static str,
    /// The word as written.
    pub word: String,
    /// The words of that list, comma-separated.
    pub expected: String,
    /// The closest word of the list, when one is close enough to be a likely typo.
    pub suggestion: Option<&'static str>,
}

impl UnknownWord {
    /// Whether the word may be quoted: it looks like a vocabulary word (see
    /// [`looks_like_a_word`]), or it is one written with capitals or a typo ("Duiding"
    /// for `duiding`): covenant vocabulary, not personal data.
    pub fn is_quotable(&self) -> bool {
        looks_like_a_word(&self.word)
            || (self.suggestion.is_some() && looks_like_a_word(&self.word.to_lowercase()))
    }

    /// The message, quoting the word only when it is vocabulary ([`Self::is_quotable`])
    /// and then with the word it probably meant: a request is read from the network and
    /// its errors may be logged, and article 12.3 keeps personal data out of logs and
    /// error messages.
    pub fn redacted(&self) -> String {
        if self.is_quotable() {
            match self.suggestion {
                Some(s) => format!("{self}; did you mean '{s}'?"),
                None => self.to_string(),
            }
        } else {
            format!(
                "unknown {} (a value of {} characters, not shown), expected one of: {}",
                self.what,
                self.word.chars().count(),
                self.expected
            )
        }
    }
}

/// The plural of a vocabulary list's name, for "the categories are: ...".
pub fn plural(what: &str) -> String {
    match what {
        "category" => "categories".to_owned(),
        "stadsdeel" => "stadsdelen".to_owned(),
        _ => format!("{what}s"),
    }
}

/// Whether a text is short and made of the characters vocabulary words are made of,
/// so that quoting it cannot reveal a name, an address or a number.
pub fn looks_like_a_word(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'-' || b == b'_')
}

/// Levenshtein distance; word lists are short, so the quadratic cost does not matter.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (cb, window) in b.iter().zip(prev.windows(2)) {
            if let ([diag, up], Some(left)) = (window, cur.last()) {
                let best = (diag + usize::from(ca != *cb)).min(up + 1).min(left + 1);
                cur.push(best);
            }
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

/// "a" or "an" before a word, for messages in plain English.
pub fn a_an(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// The longest word, in bytes, for which a "did you mean" suggestion is computed.
///
/// The longest vocabulary word has 21 characters, and a suggestion is offered only
/// within an edit distance of a quarter of the candidate's length (at least 2), so a
/// longer word cannot be a typo of any of them. The gate matters because the edit
/// distance costs the product of both lengths: without it a 2 MB word in a covenant
/// or a covenant test took tens of seconds to report (policies/BENCHMARKS.md).
pub const MAX_SUGGESTED_LEN: usize = 64;

/// Whether a suggestion is worth computing for `word`: only for words of a length a
/// person could have meant as a vocabulary word.
pub fn worth_suggesting(word: &str) -> bool {
    word.len() <= MAX_SUGGESTED_LEN
}

/// The largest edit distance at which `candidate` is suggested.
fn suggestion_distance(candidate: &str) -> usize {
    2.max(candidate.chars().count() / 4)
}

/// The candidate closest to `word`, if it is close enough to suggest. Nothing is
/// computed for a word longer than [`MAX_SUGGESTED_LEN`], nor for a candidate whose
/// length alone is too far from the word's (the edit distance is at least the
/// difference of the lengths).
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    if !worth_suggesting(word) {
        return None;
    }
    let len = word.chars().count();
    candidates
        .into_iter()
        .filter(|c| len.abs_diff(c.chars().count()) <= suggestion_distance(c))
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= suggestion_distance(c))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident, $what:literal { $($(#[$vdoc:meta])* $variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every word of this list, in covenant order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// What the list is called in messages.
            pub const WHAT: &'static str = $what;

            /// The covenant word.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }

            /// The position in [`Self::ALL`], used as a bit index.
            pub const fn index(self) -> usize {
                self as usize
            }

            /// This word as a one-bit mask.
            pub const fn bit(self) -> u32 {
                1 << (self as u32)
            }

            /// The word at this position of [`Self::ALL`].
            pub fn from_index(i: usize) -> Option<Self> {
                Self::ALL.get(i).copied()
            }
        }

        impl FromStr for $name {
            type Err = UnknownWord;
            fn from_str(s: &str) -> Result<Self, UnknownWord> {
                match s {
                    $($word => Ok($name::$variant),)+
                    _ => Err(UnknownWord {
                        what: $what,
                        word: s.to_owned(),
                        expected: [$($word),+].join(", "),
                        suggestion: [$($word),+]
                            .into_iter()
                            .find(|w| w.eq_ignore_ascii_case(s.trim()))
                            .or_else(|| closest(s, [$($word),+])),
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let word = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                word.parse().map_err(|e: UnknownWord| serde::de::Error::custom(e.redacted()))
            }
        }
    };
}

vocabulary! {
    /// The kind of a party (article 2.1).
    PartyKind, "party kind" {
        Gemeente = "gemeente",
        Politie = "politie",
        Om = "om",
        Woningcorporatie = "woningcorporatie",
        Zorgpartner = "zorgpartner",
    }
}

vocabulary! {
    /// A recipient role (article 5.2).
    Role, "role" {
        Informatiemakelaar = "informatiemakelaar",
        Stadsdeelregisseur = "stadsdeelregisseur",
        StedelijkRegisseur = "stedelijk-regisseur",
        Partnercontact = "partnercontact",
        PrivacyOfficer = "privacy-officer",
        /// Reads the decision log's metadata of all parties and changes nothing; only
        /// where the covenant in force declares it (art. 5.5 of version 2).
        Auditor = "auditor",
    }
}

vocabulary! {
    /// A purpose of a share (article 3.1).
    Purpose, "purpose" {
        Registratie = "registratie",
        Duiding = "duiding",
        Aanpak = "aanpak",
        Evaluatie = "evaluatie",
    }
}

vocabulary! {
    /// The phase of a case (article 4.1).
    Phase, "phase" {
        Melding = "melding",
        Registratie = "registratie",
        Duiding = "duiding",
        Aanpak = "aanpak",
        Afgesloten = "afgesloten",
        BuitenAanpak = "buiten-aanpak",
    }
}

vocabulary! {
    /// A data category (article 6).
    Category, "category" {
        Identificatie = "identificatie",
        Overlastmeldingen = "overlastmeldingen",
        PolitieIncidenten = "politie-incidenten",
        JustitieleGegevens = "justitiele-gegevens",
        Huurgegevens = "huurgegevens",
        Zorgbetrokkenheid = "zorgbetrokkenheid",
        Zorginhoud = "zorginhoud",
        Handhaving = "handhaving",
        Slachtofferinformatie = "slachtofferinformatie",
        BijzondereKenmerken = "bijzondere-kenmerken",
    }
}

vocabulary! {
    /// The role of a subject in a case (article 1.3).
    SubjectRole, "subject role" {
        Dader = "dader",
        Slachtoffer = "slachtoffer",
        Melder = "melder",
    }
}

vocabulary! {
    /// A district of Amsterdam (article 1.5).
    Stadsdeel, "stadsdeel" {
        Centrum = "centrum",
        NieuwWest = "nieuw-west",
        Noord = "noord",
        Oost = "oost",
        West = "west",
        Zuid = "zuid",
        Zuidoost = "zuidoost",
        Weesp = "weesp",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_round_trips() {
        for k in PartyKind::ALL {
            assert_eq!(k.as_str().parse::<PartyKind>(), Ok(*k));
        }
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(*r));
        }
        for c in Category::ALL {
            assert_eq!(c.as_str().parse::<Category>(), Ok(*c));
            assert_eq!(Category::from_index(c.index()), Some(*c));
        }
        for s in Stadsdeel::ALL {
            assert_eq!(s.as_str().parse::<Stadsdeel>(), Ok(*s));
        }
        assert_eq!("buiten-aanpak".parse::<Phase>(), Ok(Phase::BuitenAanpak));
        assert_eq!("melder".parse::<SubjectRole>(), Ok(SubjectRole::Melder));
        assert_eq!("evaluatie".parse::<Purpose>(), Ok(Purpose::Evaluatie));
    }

    #[test]
    fn unknown_word_suggests_the_closest() {
        let err = "stadsdeelregiseur".parse::<Role>().unwrap_err();
        assert_eq!(err.suggestion, Some("stadsdeelregisseur"));
        assert_eq!(err.what, "role");
        let err = "xyz".parse::<Phase>().unwrap_err();
        assert_eq!(err.suggestion, None);
        assert!(
            err.to_string()
                .contains("expected one of: melding, registratie")
        );
    }

    #[test]
    fn no_suggestion_is_computed_for_an_over_long_word() {
        assert!(worth_suggesting(&"a".repeat(MAX_SUGGESTED_LEN)));
        assert!(!worth_suggesting(&"a".repeat(MAX_SUGGESTED_LEN + 1)));
        // The candidates are not even looked at: reading one would panic.
        let long = "x".repeat(2 * 1024 * 1024);
        let untouchable = std::iter::from_fn(|| -> Option<&str> {
            panic!("a candidate was compared with an over-long word")
        });
        assert_eq!(closest(&long, untouchable), None);
        // A long vocabulary word with a typo is still suggested.
        assert_eq!(
            closest(
                "slachtoferinformatie",
                Category::ALL.iter().map(|c| c.as_str())
            ),
            Some("slachtofferinformatie")
        );
        let err = format!("{}x", "stadsdeelregisseur".repeat(4))
            .parse::<Role>()
            .unwrap_err();
        assert_eq!(err.suggestion, None);
    }

    #[test]
    fn a_value_that_is_not_word_like_is_not_quoted() {
        let err = serde_json::from_str::<Phase>("\"Jan Jansen, Dorpsstraat 1\"").unwrap_err();
        let msg = err.to_string();
        assert!(!msg.contains("Jansen"), "{msg}");
        assert!(
            msg.contains("unknown phase (a value of 25 characters, not shown)"),
            "{msg}"
        );
    }

    #[test]
    fn a_vocabulary_word_in_capitals_is_shown_with_the_word_meant() {
        let err = serde_json::from_str::<Phase>("\"Duiding\"").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("unknown phase 'Duiding', expected one of: melding,"),
            "{err}"
        );
        assert!(
            err.to_string().ends_with("; did you mean 'duiding'?"),
            "{err}"
        );
        let err = "POLITIE-INCIDENTEN".parse::<Category>().unwrap_err();
        assert_eq!(err.suggestion, Some("politie-incidenten"));
        assert!(err.redacted().contains("'POLITIE-INCIDENTEN'"));
        // A name is no vocabulary: not shown, nothing suggested.
        let err = "Jansen".parse::<Phase>().unwrap_err();
        assert!(!err.redacted().contains("Jansen"), "{}", err.redacted());
    }

    #[test]
    fn serde_uses_the_words() {
        let json = serde_json::to_string(&Phase::BuitenAanpak).unwrap();
        assert_eq!(json, "\"buiten-aanpak\"");
        let back: Phase = serde_json::from_str(&json).unwrap();
        assert_eq!(back, Phase::BuitenAanpak);
        let err = serde_json::from_str::<Phase>("\"gesloten\"").unwrap_err();
        assert!(err.to_string().contains("unknown phase 'gesloten'"));
    }
}
