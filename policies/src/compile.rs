//! The indexed form of a validated covenant: what the decision engine reads.
//!
//! Vocabulary words are enum bits in `u32` masks, fields are bits of a [`FieldSet`],
//! and articles are small ids whose order is reading order, so a decision is made
//! with bit operations only and lists its articles sorted by walking an
//! [`ArtSet`]. Built once by [`crate::validate`].

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::article::ArticleNo;
use crate::vocab::{Category, PartyKind, Phase, Purpose, Role};

/// FNV-1a, for the field-name index: every decision looks up each offered field name
/// (twice: resolving and rendering), and the names are a covenant's own short words,
/// where std's SipHash (made to resist flooding by chosen keys) costs several times
/// as much. The keys are the covenant's; a request's names are only looked up.
#[derive(Clone, Copy, Debug)]
pub struct FieldNameHasher(u64);

impl Default for FieldNameHasher {
    fn default() -> Self {
        FieldNameHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for FieldNameHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Field ids by name (see [`FieldNameHasher`]).
pub type FieldIds = HashMap<String, FieldId, BuildHasherDefault<FieldNameHasher>>;

/// An article, as an index into [`Compiled::articles`]; ids are assigned in reading
/// order, so comparing ids compares articles.
pub type ArtId = u8;

/// The largest number of distinct articles a covenant may cite.
pub const MAX_ARTICLES: usize = 256;

/// A set of articles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct ArtSet([u64; 4]);

impl ArtSet {
    /// The empty set.
    pub const EMPTY: ArtSet = ArtSet([0; 4]);

    /// Adds `a`.
    pub fn insert(&mut self, a: ArtId) {
        let (w, b) = (usize::from(a) / 64, u32::from(a) % 64);
        if let Some(word) = self.0.get_mut(w) {
            *word |= 1 << b;
        }
    }

    /// Whether `a` is in the set.
    pub fn contains(&self, a: ArtId) -> bool {
        let (w, b) = (usize::from(a) / 64, u32::from(a) % 64);
        self.0.get(w).is_some_and(|word| word & (1 << b) != 0)
    }

    /// Removes every article of `other`.
    pub fn remove_all(&mut self, other: &ArtSet) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a &= !b;
        }
    }

    /// Adds every article of `other`.
    pub fn union(&mut self, other: &ArtSet) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a |= b;
        }
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0 == [0; 4]
    }

    /// The ids, in reading order. Visits only the set bits (lowest first, by
    /// `trailing_zeros`), not all 256: a decision walks several sets.
    pub fn iter(&self) -> impl Iterator<Item = ArtId> + '_ {
        self.0.iter().enumerate().flat_map(|(w, &word)| {
            SetBits(u128::from(word)).filter_map(move |b| ArtId::try_from(w * 64 + b).ok())
        })
    }
}

/// The positions of the set bits of a word, lowest first.
struct SetBits(u128);

impl Iterator for SetBits {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.0 == 0 {
            return None;
        }
        let bit = self.0.trailing_zeros() as usize;
        // Clears the lowest set bit.
        self.0 &= self.0 - 1;
        Some(bit)
    }
}

/// A field, as an index into [`Compiled::fields`].
pub type FieldId = u8;

/// The largest number of distinct field names a covenant may use.
pub const MAX_FIELDS: usize = 128;

/// A set of fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct FieldSet(pub u128);

impl FieldSet {
    /// The empty set.
    pub const EMPTY: FieldSet = FieldSet(0);
    /// Adds `f`.
    pub fn insert(&mut self, f: FieldId) {
        self.0 |= 1u128 << (f % 128);
    }
    /// Whether `f` is in the set.
    pub fn contains(self, f: FieldId) -> bool {
        self.0 & (1u128 << (f % 128)) != 0
    }
    /// The fields in both.
    pub fn and(self, o: FieldSet) -> FieldSet {
        FieldSet(self.0 & o.0)
    }
    /// The fields of `self` not in `o`.
    pub fn minus(self, o: FieldSet) -> FieldSet {
        FieldSet(self.0 & !o.0)
    }
    /// The fields in either.
    pub fn or(self, o: FieldSet) -> FieldSet {
        FieldSet(self.0 | o.0)
    }
    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The ids.
    pub fn iter(self) -> impl Iterator<Item = FieldId> {
        SetBits(self.0).filter_map(|f| FieldId::try_from(f).ok())
    }
}

/// A mask of vocabulary words (bit `i` is word `ALL[i]`).
pub type Mask = u32;

/// Whether word `bit` is in `mask`.
pub const fn has(mask: Mask, bit: u32) -> bool {
    mask & bit != 0
}

/// One recipient of a category, from one `goes to` line and one of its selectors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The role.
    pub role: Role,
    /// The party kinds the recipient's party may have (all, unless `role of kind`).
    pub kinds: Mask,
    /// The purposes.
    pub purposes: Mask,
    /// A widening (`also goes to`): cited as widening the recipients.
    pub widening: bool,
    /// For a widening `with field ... only`: the only fields that pass.
    pub only: Option<FieldSet>,
    /// The line's article.
    pub art: ArtId,
}

/// What a field rule tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StripTest {
    /// The field passes only to these roles.
    Roles(Mask),
    /// The field passes only when source and recipient party each have one of these kinds.
    Kinds(Mask),
}

/// A field rule: these fields are stripped unless the test holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Strip {
    /// The fields it concerns (within one category).
    pub fields: FieldSet,
    /// When they pass.
    pub test: StripTest,
    /// Its article.
    pub art: ArtId,
}

/// How article 15 treats a category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EmergencyClass {
    /// Not said (only in a covenant without emergency rules).
    #[default]
    Unclassified,
    /// Listed by the emergency grant.
    Granted,
    /// Never shared under the emergency article.
    Never,
    /// Decided by the other articles only.
    OtherArticles,
}

/// The rules about one category.
#[derive(Debug, Clone, Default)]
pub struct CategoryRules {
    /// Whether the encoding has the category at all.
    pub encoded: bool,
    /// The category's own article (of its `has fields` line).
    pub art: ArtId,
    /// The fields it lists.
    pub fields: FieldSet,
    /// The party kinds that may provide it.
    pub sources: Mask,
    /// Who receives it.
    pub grants: Vec<Grant>,
    /// Only about subjects with these roles (and the article saying so).
    pub subject_roles: Option<(Mask, ArtId)>,
    /// Only with the subject's consent: the article, and the consent article cited alongside.
    pub consent: Option<(ArtId, Option<ArtId>)>,
    /// Field rules.
    pub strips: Vec<Strip>,
    /// Article 15's treatment.
    pub emergency: EmergencyClass,
}

/// One "receives what another role receives" rule (article 14.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsRule {
    /// Who receives.
    pub role: Role,
    /// As whom.
    pub as_role: Role,
    /// For which purposes.
    pub purposes: Mask,
    /// Its article.
    pub art: ArtId,
}

/// A recipient that may declare an emergency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Declarer {
    /// The role.
    pub role: Role,
    /// The kinds its party may have.
    pub kinds: Mask,
}

/// The emergency rules (article 15).
#[derive(Debug, Clone, Default)]
pub struct EmergencyRules {
    /// Who may declare one.
    pub declarers: Vec<Declarer>,
    /// The categories its declarer receives.
    pub categories: u32,
    /// As whom.
    pub as_role: Option<Role>,
    /// For which purposes.
    pub purposes: Mask,
    /// The grant's article (cited when the emergency widened a share).
    pub art: ArtId,
    /// Articles whose conditions it sets aside.
    pub set_aside: ArtSet,
    /// Articles whose subject-role condition it sets aside.
    pub set_aside_subject_role: ArtSet,
    /// How long it lasts, in hours, and the article saying so.
    pub hours: u32,
    /// The duration's article.
    pub art_duration: ArtId,
    /// The review obligation's article, if any.
    pub review: Option<ArtId>,
    /// Articles that still apply with the recipient's own role.
    pub keeps: ArtSet,
    /// The article of the "still apply" rule.
    pub art_keeps: Option<ArtId>,
}

/// The indexed covenant.
#[derive(Debug, Clone, Default)]
pub struct Compiled {
    /// The covenant version.
    pub version: u32,
    /// Article numbers by id (sorted).
    pub articles: Vec<ArticleNo>,
    /// Field names by id.
    pub fields: Vec<String>,
    /// Field ids by name.
    pub field_ids: FieldIds,
    /// Parties: numeric OIN and kind, sorted by OIN.
    pub parties: Vec<(u128, PartyKind)>,
    /// Article of the party list (2.3).
    pub art_parties: ArtId,
    /// Article of the closed world (5.1): cited when a request cannot be decided otherwise.
    pub art_default: ArtId,
    /// Declared words per list, and the article declaring them.
    pub purposes: (Mask, ArtId),
    /// Declared phases.
    pub phases: (Mask, ArtId),
    /// Declared roles.
    pub roles: (Mask, ArtId),
    /// Declared party kinds.
    pub kinds: (Mask, ArtId),
    /// Declared stadsdelen.
    pub stadsdelen: (Mask, ArtId),
    /// Declared subject roles.
    pub subject_roles: (Mask, ArtId),
    /// `nothing is shared for ...`.
    pub purpose_bars: Vec<(Mask, ArtId)>,
    /// `nothing is shared in phases ...`.
    pub phase_bars: Vec<(Mask, ArtId)>,
    /// Per purpose: the phases it fits, and the articles saying so.
    pub phase_fit: [(Mask, ArtSet); 4],
    /// `roles ... belong to ... only`: role mask, kind mask, article.
    pub role_kinds: Vec<(Mask, Mask, ArtId)>,
    /// `nothing is shared with ...`.
    pub role_bars: Vec<(Mask, ArtId)>,
    /// Roles limited to their own stadsdeel.
    pub own_stadsdeel: Vec<(Mask, ArtId)>,
    /// Roles limited to cases their party takes part in.
    pub participation: Vec<(Mask, ArtId)>,
    /// Prohibited fields.
    pub prohibited: Vec<(FieldSet, ArtId)>,
    /// Article of "fields a category does not list are stripped".
    pub art_unlisted: ArtId,
    /// Article of "a category a party kind may not provide is refused".
    pub art_source: ArtId,
    /// Purpose binding obligation.
    pub purpose_binding: Option<ArtId>,
    /// Retention obligation (the term's article).
    pub retention: Option<ArtId>,
    /// Retention terms: phase, months, article.
    pub retention_terms: Vec<(Phase, u32, ArtId)>,
    /// Per category (indexed by `Category::index`).
    pub categories: Vec<CategoryRules>,
    /// Escalation rules.
    pub as_rules: Vec<AsRule>,
    /// Emergency rules, if the covenant has them.
    pub emergency: Option<EmergencyRules>,
}

impl Compiled {
    /// The rules of a category.
    pub fn category(&self, c: Category) -> Option<&CategoryRules> {
        self.categories.get(c.index()).filter(|r| r.encoded)
    }

    /// The number of an article id.
    pub fn article(&self, a: ArtId) -> Option<ArticleNo> {
        self.articles.get(usize::from(a)).copied()
    }

    /// The id of an article number, if the covenant cites it.
    pub fn art_id(&self, no: ArticleNo) -> Option<ArtId> {
        self.articles
            .binary_search(&no)
            .ok()
            .and_then(|i| ArtId::try_from(i).ok())
    }

    /// The kind of the party with this OIN.
    pub fn party_kind(&self, oin: u128) -> Option<PartyKind> {
        self.parties
            .binary_search_by_key(&oin, |(o, _)| *o)
            .ok()
            .and_then(|i| self.parties.get(i))
            .map(|(_, k)| *k)
    }

    /// The phases a purpose fits, and the articles saying so.
    pub fn fit(&self, p: Purpose) -> (Mask, ArtSet) {
        self.phase_fit.get(p.index()).copied().unwrap_or_default()
    }

    /// The party kinds a role belongs to (all, if no rule limits it).
    pub fn kinds_of_role(&self, r: Role) -> Mask {
        self.role_kinds
            .iter()
            .filter(|(roles, _, _)| has(*roles, r.bit()))
            .fold(u32::MAX, |acc, (_, kinds, _)| acc & kinds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn art_set_iterates_in_id_order() {
        let mut s = ArtSet::EMPTY;
        for a in [200, 3, 64, 0, 255] {
            s.insert(a);
        }
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![0, 3, 64, 200, 255]);
        let mut t = ArtSet::EMPTY;
        t.insert(64);
        s.remove_all(&t);
        assert!(!s.contains(64));
        assert!(s.contains(255));
    }

    #[test]
    fn field_set_ops() {
        let mut a = FieldSet::EMPTY;
        a.insert(1);
        a.insert(127);
        let mut b = FieldSet::EMPTY;
        b.insert(1);
        assert_eq!(a.minus(b).iter().collect::<Vec<_>>(), vec![127]);
        assert_eq!(a.and(b), b);
        assert!(FieldSet::EMPTY.is_empty());
    }
}
