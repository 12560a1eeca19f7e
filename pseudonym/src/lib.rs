//! The keyed pseudonym of a subject (covenant article 8.4): how partners name a person
//! to the hub and to each other without naming them.
//!
//! A pseudonym is HMAC-SHA-256, under a key that every party of the covenant holds and
//! the hub does not need, over the subject's **normalised** name, date of birth,
//! postcode and house number; it travels as 64 lowercase hexadecimal characters
//! ([`SubjectPseudonym`](treiter_proto::v1::SubjectPseudonym)). Two partners that hold the same
//! person in their systems must compute the same pseudonym even when one wrote
//! "José van der Berg-Smit" and the other "JOSE VAN DER BERG SMIT", so the normalisation
//! below is part of the covenant's contract: a partner that builds pseudonyms with other
//! tools must reproduce it exactly. `node-agent pseudonym` prints the pseudonym of one
//! person, for checking such tools against this one.
//!
//! # Normalisation, version 1
//!
//! Every component is first trimmed of surrounding whitespace. Then:
//!
//! **Name** (given names and family name in one string, in the order the partner's
//! register holds them — partners agree on that order; this module cannot reorder):
//! 1. Unicode NFKD (compatibility decomposition): `é` becomes `e` + U+0301, the
//!    ligature `ĳ` becomes `ij`, a no-break space becomes a space.
//! 2. Lowercase with the Unicode default case mapping (Rust's `str::to_lowercase`,
//!    Python's `str.lower`).
//! 3. Drop every combining mark (Unicode general category M: Mn, Mc, Me).
//! 4. Hyphens (U+002D and U+2010 to U+2015, U+2212), apostrophes (U+0027, U+0060,
//!    U+00B4, U+02BC, U+2018, U+2019), dots and commas become a space; so does any
//!    other whitespace.
//! 5. Collapse runs of spaces into one space; trim.
//! 6. What remains must be letters (Unicode `Alphabetic`) and single spaces, and not be
//!    empty; anything else (a digit, a bracket, a slash, a control character) is
//!    refused rather than silently dropped, because two partners dropping different
//!    characters would compute different pseudonyms without noticing. Letters without
//!    a decomposition stay as they are (`ß`, `ø`, `æ`, `ł`).
//!
//! So "José  van der Berg-Smit", "JOSE VAN DER BERG SMIT" and "jose van der berg smit"
//! all become `jose van der berg smit`; "d'Ancona" becomes `d ancona`.
//!
//! **Date of birth**: exactly `YYYY-MM-DD` (ten ASCII characters, no other format is
//! guessed at), a real day of the Gregorian calendar, not before 1900-01-01. It is used
//! as written.
//!
//! **Postcode**: a Dutch postcode. Remove all whitespace, uppercase ASCII letters; the
//! result must match `[1-9][0-9]{3}[A-Z]{2}`. So `1234 ab` and `1234AB` become `1234AB`.
//!
//! **House number**: the number, then an optional addition (huisletter and/or
//! huisnummertoevoeging).
//! 1. The leading ASCII digits are the number, 1 to 99999; leading zeros are dropped
//!    (`012` is `12`). A house number that does not start with a digit is refused.
//! 2. From the rest, remove the separators space, `-`, `/` and `.`, and uppercase ASCII
//!    letters; what remains (the addition) must be 1 to 6 ASCII letters and digits, or
//!    nothing.
//! 3. If the addition starts with a letter it follows the number directly (`12-a`,
//!    `12 A` and `12a` all become `12A`; `12 hs` becomes `12HS`). If it starts with a
//!    digit it follows a `-` (`12-3`, `12 3` and `12/3` all become `12-3`), because
//!    `123` is another house.
//!
//! # The message and the key
//!
//! The HMAC message is the UTF-8 bytes of
//! `treiter-pseudonym-v1 ␟ name ␟ date ␟ postcode ␟ house number`, where `␟` is the
//! single byte 0x1F (ASCII unit separator), which no normalised component can contain.
//! The prefix separates these MACs from any other use of the key, and names the
//! normalisation version: a change to the rules above gets a new prefix.
//!
//! The key is at least 32 random bytes, shared by the parties under the covenant and
//! stored in a file as hexadecimal (whitespace around it ignored). On Unix the file must
//! not be readable, writable or executable by group or others (`chmod 600`): anyone with
//! the key can test guesses of a person's identity against pseudonyms.
//!
//! Errors say which component is malformed and why, never what it holds (article 12.3:
//! no personal data in error messages or logs).

use std::fmt;
use std::path::{Path, PathBuf};

use ring::hmac;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The domain-separation prefix, naming the normalisation version.
pub const DOMAIN: &str = "treiter-pseudonym-v1";
/// The byte between the prefix and the components (ASCII unit separator).
pub const SEPARATOR: u8 = 0x1F;
/// The shortest key accepted: the HMAC-SHA-256 block of security.
pub const MIN_KEY_BYTES: usize = 32;
/// The longest normalised name accepted, in characters. Real names are far shorter; a
/// bound keeps a garbage column from becoming a pseudonym.
pub const MAX_NAME_CHARS: usize = 200;
/// The longest house-number addition, in characters (BAG: huisletter 1 +
/// huisnummertoevoeging 4, plus room for exports that write "hs"-style words).
pub const MAX_ADDITION_CHARS: usize = 6;
/// The largest key file read, in bytes: a key is a line of hex, not a document.
const MAX_KEY_FILE_BYTES: u64 = 4096;

/// A subject's identifying data as a partner's register holds it, before
/// normalisation. Its `Debug` output hides the values (article 12.3).
#[derive(Clone, Copy)]
pub struct Identity<'a> {
    /// Given names and family name, in one string.
    pub name: &'a str,
    /// Date of birth, `YYYY-MM-DD`.
    pub birth_date: &'a str,
    /// Dutch postcode, e.g. `1234 AB`.
    pub postcode: &'a str,
    /// House number with optional addition, e.g. `12-a`.
    pub house_number: &'a str,
}

impl fmt::Debug for Identity<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Identity { .. }")
    }
}

/// Identifying data after normalisation: the exact strings the HMAC covers. Its
/// `Debug` output hides the values (article 12.3).
#[derive(Clone, PartialEq, Eq)]
pub struct NormalisedIdentity {
    /// The normalised name, e.g. `jose van der berg smit`.
    pub name: String,
    /// The date of birth, `YYYY-MM-DD`.
    pub birth_date: String,
    /// The postcode, e.g. `1234AB`.
    pub postcode: String,
    /// The house number, e.g. `12A` or `12-3`.
    pub house_number: String,
}

impl fmt::Debug for NormalisedIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NormalisedIdentity { .. }")
    }
}

/// What kind of character made a name unusable (the character itself is not shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharKind {
    /// A digit.
    Digit,
    /// A control or format character.
    Control,
    /// Any other symbol or punctuation mark (bracket, slash, ...).
    Symbol,
}

impl fmt::Display for CharKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CharKind::Digit => "a digit",
            CharKind::Control => "a control character",
            CharKind::Symbol => "a symbol or punctuation mark",
        })
    }
}

/// A component of an identity that cannot be normalised. The messages name the
/// component and the rule, never the value (article 12.3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// Nothing is left of the name after normalisation.
    #[error("the name is empty")]
    EmptyName,
    /// The name holds a character other than letters, spaces, hyphens, apostrophes,
    /// dots and commas.
    #[error(
        "the name contains {0} (not shown); a name may hold only letters, spaces, hyphens, apostrophes, dots and commas"
    )]
    NameCharacter(CharKind),
    /// The normalised name is implausibly long.
    #[error("the name is longer than {MAX_NAME_CHARS} characters after normalisation")]
    NameTooLong,
    /// The date of birth is not written as `YYYY-MM-DD`.
    #[error("the date of birth is not written as YYYY-MM-DD (value not shown)")]
    BirthDateFormat,
    /// The date of birth is written as `YYYY-MM-DD` but is no day of the calendar.
    #[error("the date of birth is not a real calendar date (value not shown)")]
    BirthDateNotADay,
    /// The date of birth is before 1900-01-01, most likely a typo or a placeholder.
    #[error("the date of birth is before 1900-01-01 (value not shown)")]
    BirthDateTooEarly,
    /// The postcode is not a Dutch postcode.
    #[error(
        "the postcode is not a Dutch postcode: four digits, the first not 0, then two letters, e.g. 1234 AB (value not shown)"
    )]
    Postcode,
    /// The house number does not start with a digit.
    #[error("the house number does not start with a digit (value not shown)")]
    HouseNumberMissing,
    /// The number part is 0 or above 99999.
    #[error("the house number is not between 1 and 99999 (value not shown)")]
    HouseNumberRange,
    /// The addition holds something other than letters and digits, or is too long.
    #[error(
        "the house number's addition is not 1 to {MAX_ADDITION_CHARS} letters and digits after removing spaces, '-', '/' and '.' (value not shown)"
    )]
    HouseNumberAddition,
}

/// A pseudonym key that cannot be read or used. The key's content is never shown.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file failed the checks every private key file gets
    /// ([`treiter_proto::keyfile`]): missing, not a file, or accessible to group or others
    /// (anyone who can read it can test guesses of who a pseudonym is).
    #[error(transparent)]
    File(#[from] treiter_proto::keyfile::KeyFileError),
    /// The key file is larger than a key could be.
    #[error(
        "the pseudonym key file {path} is larger than {MAX_KEY_FILE_BYTES} bytes; it should hold one line of hexadecimal"
    )]
    TooLarge {
        /// The key file.
        path: PathBuf,
    },
    /// The key file's content is not a usable key.
    #[error("the pseudonym key file {path} does not hold a usable key: {source}")]
    Format {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: KeyFormatError,
    },
}

/// Key material that is not a usable key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyFormatError {
    /// Not an even number of hexadecimal digits.
    #[error("it is not hexadecimal (an even number of the digits 0-9, a-f)")]
    NotHex,
    /// Fewer than [`MIN_KEY_BYTES`] bytes.
    #[error(
        "it is {bytes} bytes long; a pseudonym key is at least {MIN_KEY_BYTES} bytes (64 hexadecimal digits)"
    )]
    TooShort {
        /// The length found.
        bytes: usize,
    },
}

/// The covenant-wide pseudonym key. `Debug` does not show it.
#[derive(Clone)]
pub struct PseudonymKey(hmac::Key);

impl fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PseudonymKey(..)")
    }
}

impl PseudonymKey {
    /// A key from its raw bytes (at least [`MIN_KEY_BYTES`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<PseudonymKey, KeyFormatError> {
        if bytes.len() < MIN_KEY_BYTES {
            return Err(KeyFormatError::TooShort { bytes: bytes.len() });
        }
        Ok(PseudonymKey(hmac::Key::new(hmac::HMAC_SHA256, bytes)))
    }

    /// A key from hexadecimal text (upper or lower case; surrounding whitespace
    /// ignored).
    pub fn from_hex(text: &str) -> Result<PseudonymKey, KeyFormatError> {
        let bytes = decode_hex(text.trim()).ok_or(KeyFormatError::NotHex)?;
        Self::from_bytes(&bytes)
    }

    /// Reads a key file: hexadecimal, checked as every private key file is
    /// ([`treiter_proto::keyfile::read_private`]).
    pub fn load(path: &Path) -> Result<PseudonymKey, KeyError> {
        let bytes = treiter_proto::keyfile::read_private(path, "the pseudonym key file")?;
        if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
            return Err(KeyError::TooLarge {
                path: path.to_path_buf(),
            });
        }
        let format = |source| KeyError::Format {
            path: path.to_path_buf(),
            source,
        };
        let text = std::str::from_utf8(&bytes).map_err(|_| format(KeyFormatError::NotHex))?;
        Self::from_hex(text).map_err(format)
    }

    /// The pseudonym of an identity: normalise, then HMAC.
    pub fn pseudonym(&self, identity: &Identity<'_>) -> Result<Pseudonym, IdentityError> {
        Ok(self.pseudonym_of(&normalise(identity)?))
    }

    /// The pseudonym of an already normalised identity.
    pub fn pseudonym_of(&self, identity: &NormalisedIdentity) -> Pseudonym {
        let tag = hmac::sign(&self.0, &message(identity));
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(tag.as_ref());
        Pseudonym(bytes)
    }
}

/// The exact bytes the HMAC covers.
fn message(identity: &NormalisedIdentity) -> Vec<u8> {
    let mut m = Vec::with_capacity(
        DOMAIN.len()
            + identity.name.len()
            + identity.birth_date.len()
            + identity.postcode.len()
            + identity.house_number.len()
            + 4,
    );
    m.extend_from_slice(DOMAIN.as_bytes());
    for part in [
        &identity.name,
        &identity.birth_date,
        &identity.postcode,
        &identity.house_number,
    ] {
        m.push(SEPARATOR);
        m.extend_from_slice(part.as_bytes());
    }
    m
}

/// A subject's pseudonym: 32 bytes, written as 64 lowercase hex characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pseudonym([u8; 32]);

/// The value of each byte as a lowercase hexadecimal digit, or [`NOT_A_DIGIT`].
const LOWERCASE_HEX_DIGIT: [u8; 256] = {
    let mut table = [NOT_A_DIGIT; 256];
    let mut d = 0;
    while d < 10 {
        table[b'0' as usize + d] = d as u8;
        d += 1;
    }
    let mut d = 0;
    while d < 6 {
        table[b'a' as usize + d] = 10 + d as u8;
        d += 1;
    }
    table
};

/// Not a digit: a value no digit has (its high bit set).
const NOT_A_DIGIT: u8 = 0x80;

/// A text that is not a pseudonym (64 lowercase hexadecimal characters). The text is
/// not shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "malformed pseudonym ({chars} characters, not shown): a pseudonym is 64 lowercase hexadecimal characters"
)]
pub struct MalformedPseudonym {
    /// How many characters the text had.
    pub chars: usize,
}

impl Pseudonym {
    /// Parses exactly 64 lowercase hexadecimal characters. Upper case is refused: the
    /// text is also a file name and a map key, and one spelling per pseudonym keeps
    /// lookups exact.
    pub fn parse(text: &str) -> Result<Pseudonym, MalformedPseudonym> {
        let bad = || MalformedPseudonym {
            chars: text.chars().count(),
        };
        // One pass into the array, a digit's value looked up: agents parse every
        // subject of every bevraging, and a decoded `Vec` checked and copied
        // afterwards cost several times as much.
        let Ok(digits) = <&[u8; 64]>::try_from(text.as_bytes()) else {
            return Err(bad());
        };
        let mut array = [0u8; 32];
        // A byte that is not a digit looks up NOT_A_DIGIT, whose high bit no digit's
        // value has: the OR of them all tells whether any was not a digit.
        let mut seen = 0u8;
        for (byte, pair) in array.iter_mut().zip(digits.as_chunks::<2>().0) {
            let hi = LOWERCASE_HEX_DIGIT[usize::from(pair[0])];
            let lo = LOWERCASE_HEX_DIGIT[usize::from(pair[1])];
            seen |= hi | lo;
            *byte = hi << 4 | lo;
        }
        if seen & NOT_A_DIGIT != 0 {
            return Err(bad());
        }
        Ok(Pseudonym(array))
    }

    /// The raw 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The 64 lowercase hex characters.
    pub fn to_hex(&self) -> String {
        // Digit by digit: hub and agents write a pseudonym for every share they
        // decide, and a `write!` per byte cost some twenty times as much.
        let mut hex = String::with_capacity(2 * self.0.len());
        for b in self.0 {
            // Both nibbles are below 16, so `from_digit` always has a digit.
            hex.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
            hex.push(char::from_digit(u32::from(b & 0x0f), 16).unwrap_or('0'));
        }
        hex
    }
}

impl fmt::Display for Pseudonym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Pseudonym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pseudonym({self})")
    }
}

impl std::str::FromStr for Pseudonym {
    type Err = MalformedPseudonym;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Pseudonym::parse(s)
    }
}

/// Normalises every component (see the module documentation).
pub fn normalise(identity: &Identity<'_>) -> Result<NormalisedIdentity, IdentityError> {
    Ok(NormalisedIdentity {
        name: normalise_name(identity.name)?,
        birth_date: normalise_birth_date(identity.birth_date)?,
        postcode: normalise_postcode(identity.postcode)?,
        house_number: normalise_house_number(identity.house_number)?,
    })
}

/// Whether `c` is one of the hyphens and apostrophes that separate name parts.
fn is_name_separator(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}'
            ..='\u{2015}'
                | '\u{2212}'
                | '\''
                | '`'
                | '\u{00B4}'
                | '\u{02BC}'
                | '\u{2018}'
                | '\u{2019}'
                | '.'
                | ','
    ) || c.is_whitespace()
}

/// Normalises a name: NFKD, lowercase, drop combining marks, separators to spaces,
/// collapse spaces; only letters and single spaces remain.
pub fn normalise_name(name: &str) -> Result<String, IdentityError> {
    let lowered = name.nfkd().collect::<String>().to_lowercase();
    let mut out = String::with_capacity(lowered.len());
    let mut pending_space = false;
    for c in lowered.chars() {
        if is_combining_mark(c) {
            continue;
        }
        if is_name_separator(c) {
            pending_space = true;
            continue;
        }
        if !c.is_alphabetic() {
            let kind = if c.is_numeric() {
                CharKind::Digit
            } else if c.is_control() || is_format_char(c) {
                CharKind::Control
            } else {
                CharKind::Symbol
            };
            return Err(IdentityError::NameCharacter(kind));
        }
        if pending_space && !out.is_empty() {
            out.push(' ');
        }
        pending_space = false;
        out.push(c);
    }
    if out.is_empty() {
        return Err(IdentityError::EmptyName);
    }
    if out.chars().count() > MAX_NAME_CHARS {
        return Err(IdentityError::NameTooLong);
    }
    Ok(out)
}

/// Invisible format characters (zero-width joiners, bidi marks) that `is_control`
/// does not cover; reported as control characters.
fn is_format_char(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}')
}

/// Checks a date of birth: exactly `YYYY-MM-DD`, a real day, not before 1900.
pub fn normalise_birth_date(date: &str) -> Result<String, IdentityError> {
    let date = date.trim();
    let b = date.as_bytes();
    let shape_ok = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        });
    if !shape_ok {
        return Err(IdentityError::BirthDateFormat);
    }
    let number = |range: std::ops::Range<usize>| -> Result<u32, IdentityError> {
        date.get(range)
            .and_then(|s| s.parse().ok())
            .ok_or(IdentityError::BirthDateFormat)
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(IdentityError::BirthDateNotADay),
    };
    if day == 0 || day > days {
        return Err(IdentityError::BirthDateNotADay);
    }
    if year < 1900 {
        return Err(IdentityError::BirthDateTooEarly);
    }
    Ok(date.to_owned())
}

/// Normalises a Dutch postcode: whitespace removed, letters uppercased,
/// `[1-9][0-9]{3}[A-Z]{2}`.
pub fn normalise_postcode(postcode: &str) -> Result<String, IdentityError> {
    let compact: String = postcode
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let b = compact.as_bytes();
    let ok = b.len() == 6
        && matches!(b.first(), Some(b'1'..=b'9'))
        && b.iter().skip(1).take(3).all(u8::is_ascii_digit)
        && b.iter().skip(4).all(u8::is_ascii_uppercase);
    if ok {
        Ok(compact)
    } else {
        Err(IdentityError::Postcode)
    }
}

/// Normalises a house number: number without leading zeros, then the addition
/// uppercased without separators, joined directly after a letter and with `-` before
/// a digit.
pub fn normalise_house_number(house_number: &str) -> Result<String, IdentityError> {
    let text = house_number.trim();
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, rest) = text.split_at(digits_end);
    if digits.is_empty() {
        return Err(IdentityError::HouseNumberMissing);
    }
    let trimmed = digits.trim_start_matches('0');
    // More than five significant digits is out of range whatever they are; checking
    // the length first keeps the parse from overflowing.
    let number: u32 = if trimmed.is_empty() || trimmed.len() > 5 {
        return Err(IdentityError::HouseNumberRange);
    } else {
        trimmed
            .parse()
            .map_err(|_| IdentityError::HouseNumberRange)?
    };
    let mut addition = String::new();
    for c in rest.chars() {
        if matches!(c, ' ' | '-' | '/' | '.') || c.is_whitespace() {
            continue;
        }
        if !c.is_ascii_alphanumeric() {
            return Err(IdentityError::HouseNumberAddition);
        }
        addition.push(c.to_ascii_uppercase());
    }
    if addition.len() > MAX_ADDITION_CHARS {
        return Err(IdentityError::HouseNumberAddition);
    }
    Ok(match addition.chars().next() {
        None => number.to_string(),
        Some(c) if c.is_ascii_digit() => format!("{number}-{addition}"),
        Some(_) => format!("{number}{addition}"),
    })
}

/// Decodes hexadecimal (either case); `None` unless it is an even number of hex
/// digits.
fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let b = text.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    };
    b.chunks_exact(2)
        .map(|pair| match pair {
            [hi, lo] => Some(digit(*hi)? << 4 | digit(*lo)?),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The key of the known-answer tests: the bytes 0x00, 0x01, ..., 0x1f.
    fn test_key() -> PseudonymKey {
        let bytes: Vec<u8> = (0u8..32).collect();
        PseudonymKey::from_bytes(&bytes).unwrap()
    }

    fn identity<'a>(
        name: &'a str,
        date: &'a str,
        postcode: &'a str,
        house: &'a str,
    ) -> Identity<'a> {
        Identity {
            name,
            birth_date: date,
            postcode,
            house_number: house,
        }
    }

    /// Pinned once, and computed independently from the documented message with
    /// Python's `hmac` module:
    /// `hmac.new(bytes(range(32)), b"treiter-pseudonym-v1\x1fjose van der berg smit\x1f1985-03-07\x1f1234AB\x1f12A", "sha256").hexdigest()`.
    /// If this test fails, every partner's pseudonyms have changed.
    const KNOWN_ANSWER: &str = "98f7a6689b1f9ef8bba6c417971a39a0039487d27dfc0078dea223130738e32b";

    #[test]
    fn known_answer() {
        let p = test_key()
            .pseudonym(&identity(
                "José  van der Berg-Smit",
                "1985-03-07",
                "1234 ab",
                "12-a",
            ))
            .unwrap();
        assert_eq!(p.to_hex(), KNOWN_ANSWER);
        assert_eq!(Pseudonym::parse(KNOWN_ANSWER).unwrap(), p);
    }

    #[test]
    fn the_message_is_as_documented() {
        let n = normalise(&identity(
            "José  van der Berg-Smit",
            "1985-03-07",
            "1234 ab",
            "12-a",
        ))
        .unwrap();
        assert_eq!(
            message(&n),
            b"treiter-pseudonym-v1\x1fjose van der berg smit\x1f1985-03-07\x1f1234AB\x1f12A"
        );
    }

    #[test]
    fn spellings_of_one_person_give_one_pseudonym() {
        let key = test_key();
        let reference = key
            .pseudonym(&identity(
                "jose van der berg smit",
                "1985-03-07",
                "1234AB",
                "12A",
            ))
            .unwrap();
        for (name, postcode, house) in [
            ("José  van der Berg-Smit", "1234 ab", "12-a"),
            ("JOSE VAN DER BERG SMIT", "1234 AB", "12 A"),
            ("  Jose\u{00A0}van der Berg–Smit ", " 1234ab ", "012a"),
            // Decomposed input: e + combining acute.
            ("Jose\u{0301} van der Berg - Smit", "1234\tAB", "12/a"),
            ("José van der Berg.Smit,", "1234AB", "12.A"),
        ] {
            let p = key
                .pseudonym(&identity(name, "1985-03-07", postcode, house))
                .unwrap();
            assert_eq!(p, reference, "{name:?} {postcode:?} {house:?}");
        }
    }

    #[test]
    fn different_people_give_different_pseudonyms() {
        let key = test_key();
        let p = |n, d, pc, h| key.pseudonym(&identity(n, d, pc, h)).unwrap();
        let base = p("jan jansen", "1970-01-01", "1011AB", "1");
        assert_ne!(base, p("jan janssen", "1970-01-01", "1011AB", "1"));
        assert_ne!(base, p("jan jansen", "1970-01-02", "1011AB", "1"));
        assert_ne!(base, p("jan jansen", "1970-01-01", "1011AC", "1"));
        assert_ne!(base, p("jan jansen", "1970-01-01", "1011AB", "1A"));
        // 12-3 and 123 are different houses.
        assert_ne!(
            p("jan jansen", "1970-01-01", "1011AB", "12-3"),
            p("jan jansen", "1970-01-01", "1011AB", "123")
        );
        // Another key, another pseudonym.
        let other = PseudonymKey::from_bytes(&[7u8; 32]).unwrap();
        assert_ne!(
            base,
            other
                .pseudonym(&identity("jan jansen", "1970-01-01", "1011AB", "1"))
                .unwrap()
        );
    }

    #[test]
    fn names() {
        assert_eq!(
            normalise_name("José  van der Berg-Smit").unwrap(),
            "jose van der berg smit"
        );
        assert_eq!(normalise_name("d'Ancona").unwrap(), "d ancona");
        assert_eq!(normalise_name("D’ANCONA").unwrap(), "d ancona");
        assert_eq!(normalise_name("Çelik-Öztürk").unwrap(), "celik ozturk");
        assert_eq!(normalise_name("Ĳsselmeer").unwrap(), "ijsselmeer");
        assert_eq!(normalise_name("Straße").unwrap(), "straße");
        assert_eq!(normalise_name("Søren Ørsted").unwrap(), "søren ørsted");
        assert_eq!(normalise_name("İlhan").unwrap(), "ilhan");
        assert_eq!(normalise_name("J. de Vries").unwrap(), "j de vries");
    }

    #[test]
    fn name_refusals_name_the_kind_of_character() {
        assert_eq!(normalise_name("  - . "), Err(IdentityError::EmptyName));
        assert_eq!(normalise_name(""), Err(IdentityError::EmptyName));
        assert_eq!(
            normalise_name("Jan Jansen 2"),
            Err(IdentityError::NameCharacter(CharKind::Digit))
        );
        assert_eq!(
            normalise_name("Jan (Johannes) Jansen"),
            Err(IdentityError::NameCharacter(CharKind::Symbol))
        );
        assert_eq!(
            normalise_name("Jan\u{0}Jansen"),
            Err(IdentityError::NameCharacter(CharKind::Control))
        );
        assert_eq!(
            normalise_name("Jan\u{200B}Jansen"),
            Err(IdentityError::NameCharacter(CharKind::Control))
        );
        assert_eq!(
            normalise_name(&"a".repeat(201)),
            Err(IdentityError::NameTooLong)
        );
    }

    #[test]
    fn birth_dates() {
        assert_eq!(normalise_birth_date(" 1985-03-07 ").unwrap(), "1985-03-07");
        assert_eq!(normalise_birth_date("2000-02-29").unwrap(), "2000-02-29");
        assert_eq!(normalise_birth_date("1900-01-01").unwrap(), "1900-01-01");
        for bad in [
            "07-03-1985",
            "1985-3-7",
            "1985/03/07",
            "19850307",
            "1985-03-07T00:00",
            "",
            "+985-03-07",
        ] {
            assert_eq!(
                normalise_birth_date(bad),
                Err(IdentityError::BirthDateFormat),
                "{bad}"
            );
        }
        for bad in [
            "1985-02-29",
            "1900-02-29",
            "1985-13-01",
            "1985-00-10",
            "1985-04-31",
            "1985-01-00",
        ] {
            assert_eq!(
                normalise_birth_date(bad),
                Err(IdentityError::BirthDateNotADay),
                "{bad}"
            );
        }
        assert_eq!(
            normalise_birth_date("1899-12-31"),
            Err(IdentityError::BirthDateTooEarly)
        );
    }

    #[test]
    fn postcodes() {
        assert_eq!(normalise_postcode("1234 ab").unwrap(), "1234AB");
        assert_eq!(normalise_postcode(" 1011AB").unwrap(), "1011AB");
        assert_eq!(normalise_postcode("9999 z z").unwrap(), "9999ZZ");
        for bad in [
            "0123AB", "123AB", "12345AB", "1234A", "1234ABC", "1234-AB", "1234ÄB", "", "AB1234",
        ] {
            assert_eq!(
                normalise_postcode(bad),
                Err(IdentityError::Postcode),
                "{bad}"
            );
        }
    }

    #[test]
    fn house_numbers() {
        for (raw, want) in [
            ("12", "12"),
            ("12-a", "12A"),
            ("12 A", "12A"),
            ("12a", "12A"),
            ("012a", "12A"),
            ("12 hs", "12HS"),
            ("12-3", "12-3"),
            ("12 3", "12-3"),
            ("12/3", "12-3"),
            ("12-III", "12III"),
            ("12 A-1", "12A1"),
            ("99999", "99999"),
            (" 7 ", "7"),
        ] {
            assert_eq!(normalise_house_number(raw).unwrap(), want, "{raw}");
        }
        assert_eq!(
            normalise_house_number("a12"),
            Err(IdentityError::HouseNumberMissing)
        );
        assert_eq!(
            normalise_house_number(""),
            Err(IdentityError::HouseNumberMissing)
        );
        assert_eq!(
            normalise_house_number("0"),
            Err(IdentityError::HouseNumberRange)
        );
        assert_eq!(
            normalise_house_number("100000"),
            Err(IdentityError::HouseNumberRange)
        );
        assert_eq!(
            normalise_house_number("99999999999999999999999"),
            Err(IdentityError::HouseNumberRange)
        );
        assert_eq!(
            normalise_house_number("12+a"),
            Err(IdentityError::HouseNumberAddition)
        );
        assert_eq!(
            normalise_house_number("12 é"),
            Err(IdentityError::HouseNumberAddition)
        );
        assert_eq!(
            normalise_house_number("12 ABCDEFG"),
            Err(IdentityError::HouseNumberAddition)
        );
    }

    #[test]
    fn errors_never_show_the_value() {
        let secret = "Geheim";
        let errors = [
            normalise_name(&format!("{secret} 1")).unwrap_err(),
            normalise_birth_date(secret).unwrap_err(),
            normalise_postcode(secret).unwrap_err(),
            normalise_house_number(secret).unwrap_err(),
            normalise_house_number(&format!("1{secret}!")).unwrap_err(),
        ];
        for e in errors {
            let text = e.to_string();
            assert!(!text.contains(secret), "{text}");
            assert!(!format!("{e:?}").contains(secret));
        }
        let id = identity(secret, secret, secret, secret);
        assert!(!format!("{id:?}").contains(secret));
        let m = Pseudonym::parse(secret).unwrap_err();
        assert_eq!(m, MalformedPseudonym { chars: 6 });
        assert!(!m.to_string().contains(secret));
    }

    #[test]
    fn pseudonym_text() {
        let hex = "00".repeat(31) + "ff";
        assert_eq!(Pseudonym::parse(&hex).unwrap().to_hex(), hex);
        // Every byte value, each digit in both places.
        for bytes in (0..=255u8).collect::<Vec<_>>().chunks(32) {
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            let parsed = Pseudonym::parse(&hex).unwrap();
            assert_eq!(parsed.as_bytes(), bytes);
            assert_eq!(parsed.to_hex(), hex);
        }
        for bad in [
            "00".repeat(31) + "FF",
            "00".repeat(31),
            "00".repeat(33),
            "0".repeat(63) + "g",
            "g".to_owned() + &"0".repeat(63),
            "../".repeat(21) + "a",
            // 64 bytes, 32 characters.
            "é".repeat(32),
        ] {
            assert_eq!(
                Pseudonym::parse(&bad),
                Err(MalformedPseudonym {
                    chars: bad.chars().count()
                })
            );
        }
    }

    #[test]
    fn keys() {
        assert_eq!(
            PseudonymKey::from_hex(&"ab".repeat(31)).unwrap_err(),
            KeyFormatError::TooShort { bytes: 31 }
        );
        assert_eq!(
            PseudonymKey::from_hex("abc").unwrap_err(),
            KeyFormatError::NotHex
        );
        assert_eq!(
            PseudonymKey::from_hex(&"zz".repeat(32)).unwrap_err(),
            KeyFormatError::NotHex
        );
        let upper = PseudonymKey::from_hex(&format!("{}\n", "AB".repeat(32))).unwrap();
        let lower = PseudonymKey::from_hex(&"ab".repeat(32)).unwrap();
        let id = identity("jan", "1970-01-01", "1011AB", "1");
        assert_eq!(upper.pseudonym(&id).unwrap(), lower.pseudonym(&id).unwrap());
        assert_eq!(format!("{lower:?}"), "PseudonymKey(..)");
    }

    #[cfg(unix)]
    #[test]
    fn key_files() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.hex");
        let key_hex: String = (0u8..32).map(|b| format!("{b:02x}")).collect();
        std::fs::write(&path, format!("{key_hex}\n")).unwrap();

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = PseudonymKey::load(&path).unwrap_err();
        assert!(
            matches!(
                err,
                KeyError::File(treiter_proto::keyfile::KeyFileError::Permissions {
                    mode: 0o644,
                    ..
                })
            ),
            "{err}"
        );
        assert!(err.to_string().contains("chmod 600"), "{err}");

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o602)).unwrap();
        let err = PseudonymKey::load(&path).unwrap_err();
        assert!(
            matches!(
                err,
                KeyError::File(treiter_proto::keyfile::KeyFileError::Permissions {
                    mode: 0o602,
                    ..
                })
            ),
            "{err}"
        );

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let key = PseudonymKey::load(&path).unwrap();
        let id = identity("José  van der Berg-Smit", "1985-03-07", "1234 ab", "12-a");
        assert_eq!(
            key.pseudonym(&id).unwrap(),
            test_key().pseudonym(&id).unwrap()
        );

        std::fs::write(&path, "not a key").unwrap();
        let err = PseudonymKey::load(&path).unwrap_err();
        assert!(
            matches!(
                err,
                KeyError::Format {
                    source: KeyFormatError::NotHex,
                    ..
                }
            ),
            "{err}"
        );
        assert!(!err.to_string().contains("not a key"), "{err}");

        let err = PseudonymKey::load(&dir.path().join("missing.hex")).unwrap_err();
        assert!(
            matches!(
                err,
                KeyError::File(treiter_proto::keyfile::KeyFileError::Read { .. })
            ),
            "{err}"
        );
    }
}
