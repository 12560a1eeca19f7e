//! The covenant language as written: lexer, parser and the syntax tree.
//!
//! The tree keeps every word as written, with its span; the validator
//! ([`crate::validate`]) resolves vocabulary words and reports what does not fit.

pub mod cursor;
pub mod lexer;
pub mod parser;
pub mod span;

pub use cursor::{ArtRef, SyntaxError, Word};
pub use span::Span;

/// One line of a covenant file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// `covenant "Title"`
    Covenant { title: Word },
    /// `version 1`
    Version { number: u32, span: Span },
    /// `article 6 "Data categories", paragraphs 6.1 to 6.10`
    Article {
        number: u32,
        number_span: Span,
        title: Word,
        first: ArtRef,
        last: ArtRef,
    },
    /// `annex A "Parties of the development and demo covenant"`
    Annex { letter: Word, title: Word },
    /// `party 00000001000000000001 "Gemeente Amsterdam" is gemeente`
    Party { oin: Word, name: Word, kind: Word },
    /// `art. 6.3  ...`
    Statement(Statement),
}

/// A rule or declaration, with the article it encodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The article it encodes.
    pub art: ArtRef,
    /// What it says.
    pub body: Body,
    /// The whole line.
    pub span: Span,
    /// 1-based line number.
    pub line: usize,
}

/// Which vocabulary list a declaration declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VocabList {
    /// `subject roles are ...` (art. 1.3)
    SubjectRoles,
    /// `stadsdelen are ...` (art. 1.5)
    Stadsdelen,
    /// `party kinds are ...` (art. 2.1)
    PartyKinds,
    /// `purposes are ...` (art. 3.1)
    Purposes,
    /// `phases are ...` (art. 4.1)
    Phases,
    /// `roles are ...` (art. 5.2)
    Roles,
}

impl VocabList {
    /// The words that open the declaration.
    pub const fn phrase(self) -> &'static str {
        match self {
            VocabList::SubjectRoles => "subject roles",
            VocabList::Stadsdelen => "stadsdelen",
            VocabList::PartyKinds => "party kinds",
            VocabList::Purposes => "purposes",
            VocabList::Phases => "phases",
            VocabList::Roles => "roles",
        }
    }

    /// Every list.
    pub const ALL: [VocabList; 6] = [
        VocabList::SubjectRoles,
        VocabList::Stadsdelen,
        VocabList::PartyKinds,
        VocabList::Purposes,
        VocabList::Phases,
        VocabList::Roles,
    ];
}

/// A recipient as a rule names it: `partnercontact` or `partnercontact of politie`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    /// The role.
    pub role: Word,
    /// The party kind the recipient's party must have, if any.
    pub of_kind: Option<Word>,
}

/// Something an emergency sets aside: a whole article, or only the subject-role
/// condition of one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetAsideItem {
    /// `art. 4.2`
    Article(ArtRef),
    /// `the subject role of art. 6.4`
    SubjectRoleOf(ArtRef),
}

/// What a statement says. Each variant is one sentence form of the language; the
/// comment gives the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// `<list> are w, w, w`
    Vocabulary { list: VocabList, words: Vec<Word> },
    /// `only the parties listed in annex A take part`
    PartiesListed { annex: Word },
    /// `everything this covenant does not permit is refused`
    DefaultRefusal,
    /// `every permitted share is bound to its purpose`
    PurposeBinding,
    /// `nothing is shared for evaluatie`
    PurposeBar { purposes: Vec<Word> },
    /// `purpose registratie fits phases melding and registratie`
    PhaseFit { purpose: Word, phases: Vec<Word> },
    /// `nothing is shared in phases afgesloten and buiten-aanpak`
    PhaseBar { phases: Vec<Word> },
    /// `roles informatiemakelaar, stadsdeelregisseur belong to gemeente only`
    RoleKinds { roles: Vec<Word>, kinds: Vec<Word> },
    /// `nothing is shared with a privacy-officer`
    RoleBar { roles: Vec<Word> },
    /// `an informatiemakelaar or stadsdeelregisseur receives only about cases in its own stadsdeel`
    OwnStadsdeel { roles: Vec<Word> },
    /// `a partnercontact receives only about cases in which its party takes part`
    Participation { roles: Vec<Word> },
    /// `category identificatie has fields naam, adres, geboortedatum and bsn`
    CategoryFields { category: Word, fields: Vec<Word> },
    /// `identificatie comes from any party` / `... comes from gemeente, politie`
    Sources {
        category: Word,
        /// `None` for "any party".
        kinds: Option<Vec<Word>>,
    },
    /// `politie-incidenten goes to informatiemakelaar for registratie and duiding`, or
    /// with `also goes to ... , with field huurstatus only` a widening.
    Recipients {
        category: Word,
        widening: bool,
        recipients: Vec<Selector>,
        purposes: Vec<Word>,
        only_fields: Option<Vec<Word>>,
    },
    /// `justitiele-gegevens is only about a subject with role dader`
    SubjectRoleOnly { category: Word, roles: Vec<Word> },
    /// `zorginhoud needs the consent of the subject, as recorded under art. 11.3`
    Consent {
        category: Word,
        recorded_under: Option<ArtRef>,
    },
    /// `samenvatting of politie-incidenten is shared only with stadsdeelregisseur or stedelijk-regisseur`
    StripUnlessRole {
        field: Word,
        category: Option<Word>,
        roles: Vec<Word>,
    },
    /// `bsn of identificatie is shared only when source and recipient party are each of kind gemeente or politie`
    StripUnlessKinds {
        field: Word,
        category: Option<Word>,
        kinds: Vec<Word>,
    },
    /// `a share that carries diagnose, behandeling or medicatie is refused as a whole and reported to the privacy officer of the source party`
    Prohibited { fields: Vec<Word> },
    /// `fields that a category does not list are stripped`
    UnlistedStripped,
    /// `a category that a party kind may not provide is refused`
    SourceRefused,
    /// `data is kept until 24 months after phase afgesloten`
    Retention {
        months: u32,
        months_span: Span,
        phase: Word,
    },
    /// `every permitted share carries the retention of art. 9.1`
    RetentionObligation { term: ArtRef },
    /// `when the case is geescaleerd, a stedelijk-regisseur receives what the stadsdeelregisseur of the case receives, for aanpak`
    Escalation {
        role: Word,
        as_role: Word,
        purposes: Vec<Word>,
    },
    /// `an emergency may be declared by a stadsdeelregisseur or partnercontact of politie`
    EmergencyDeclarers { who: Vec<Selector> },
    /// `during an emergency its declarer receives identificatie, ... as the stadsdeelregisseur of the case, for aanpak`
    EmergencyGrant {
        categories: Vec<Word>,
        as_role: Word,
        purposes: Vec<Word>,
    },
    /// `during an emergency art. 4.2, 5.3, 5.4 and the subject role of art. 6.4 are set aside`
    EmergencySetAside { items: Vec<SetAsideItem> },
    /// `an emergency lasts 72 hours from its declaration`
    EmergencyDuration { hours: u32, hours_span: Span },
    /// `every emergency share carries review and is reported to the privacy officer of the source party`
    EmergencyReview,
    /// `during an emergency art. 4.4, ... still apply with the recipient's own role, and art. 6.5a does not limit`
    EmergencyKeeps {
        keeps: Vec<ArtRef>,
        not: Vec<ArtRef>,
    },
    /// `never during an emergency: zorginhoud, zorgbetrokkenheid`
    EmergencyNever { categories: Vec<Word> },
    /// `during an emergency handhaving is decided by the other articles only`
    EmergencyOtherArticles { categories: Vec<Word> },
    /// `note: free text` — a paragraph this engine does not decide on (the hub or the
    /// agents carry it out), kept so that every paragraph is accounted for.
    Note { text: String },
}

impl Body {
    /// A short name of the statement's form, for messages and the mutation report.
    pub fn form(&self) -> &'static str {
        match self {
            Body::Vocabulary { .. } => "vocabulary",
            Body::PartiesListed { .. } => "parties listed",
            Body::DefaultRefusal => "default refusal",
            Body::PurposeBinding => "purpose binding",
            Body::PurposeBar { .. } => "purpose bar",
            Body::PhaseFit { .. } => "purpose fits phases",
            Body::PhaseBar { .. } => "phase bar",
            Body::RoleKinds { .. } => "roles belong to kinds",
            Body::RoleBar { .. } => "role bar",
            Body::OwnStadsdeel { .. } => "own stadsdeel",
            Body::Participation { .. } => "participation",
            Body::CategoryFields { .. } => "category fields",
            Body::Sources { .. } => "sources",
            Body::Recipients {
                widening: false, ..
            } => "recipients",
            Body::Recipients { widening: true, .. } => "widened recipients",
            Body::SubjectRoleOnly { .. } => "subject role",
            Body::Consent { .. } => "consent",
            Body::StripUnlessRole { .. } => "field only for roles",
            Body::StripUnlessKinds { .. } => "field only between kinds",
            Body::Prohibited { .. } => "prohibited fields",
            Body::UnlistedStripped => "unlisted fields stripped",
            Body::SourceRefused => "source refused",
            Body::Retention { .. } => "retention term",
            Body::RetentionObligation { .. } => "retention obligation",
            Body::Escalation { .. } => "escalation",
            Body::EmergencyDeclarers { .. } => "emergency declarers",
            Body::EmergencyGrant { .. } => "emergency grant",
            Body::EmergencySetAside { .. } => "emergency set-aside",
            Body::EmergencyDuration { .. } => "emergency duration",
            Body::EmergencyReview => "emergency review",
            Body::EmergencyKeeps { .. } => "emergency keeps",
            Body::EmergencyNever { .. } => "never in an emergency",
            Body::EmergencyOtherArticles { .. } => "emergency by other articles",
            Body::Note { .. } => "note",
        }
    }
}
