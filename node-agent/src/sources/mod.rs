//! Where the agent's answers come from: a partner's own data, behind one trait so that
//! a JSON export today and a database tomorrow answer the same way.
//!
//! A source is keyed by the subject's pseudonym (article 8.4): the partner keys its
//! export with `node-agent pseudonym`, and the hub never sends anything else that
//! identifies a person. A source only reads; what may leave the agent is decided by the
//! gate ([`crate::gate`]), record by record.

pub mod json_dir;
pub mod known_files;
pub mod routed;
pub mod sqlite;

use std::fmt;
use std::path::PathBuf;

use time::OffsetDateTime;
use treiter_policies::Category;
use treiter_pseudonym::Pseudonym;

pub use json_dir::JsonDirSource;
pub use routed::RoutedSource;
pub use sqlite::SqliteSource;

/// One record of one category about one subject, as the source holds it. `Debug`
/// shows field names only: values are personal data (article 12.3).
#[derive(Clone, PartialEq, Eq)]
pub struct SourceRecord {
    /// The category it belongs to.
    pub category: Category,
    /// The source's own reference for the record (provenance; not personal data).
    pub reference: String,
    /// When the source recorded it.
    pub recorded_at: OffsetDateTime,
    /// The fields, by free name (article 8.1), sorted by name.
    pub fields: Vec<SourceField>,
}

/// One field of a source record.
#[derive(Clone, PartialEq, Eq)]
pub struct SourceField {
    /// The field's name as the source calls it.
    pub name: String,
    /// Its value, as text.
    pub value: String,
}

impl SourceRecord {
    /// The names of the fields, in record order.
    pub fn field_names(&self) -> Vec<String> {
        self.fields.iter().map(|f| f.name.clone()).collect()
    }
}

impl fmt::Debug for SourceRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceRecord")
            .field("category", &self.category)
            .field("reference", &self.reference)
            .field("recorded_at", &self.recorded_at)
            .field("fields", &self.field_names())
            .finish()
    }
}

impl fmt::Debug for SourceField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SourceField {{ name: {:?}, .. }}", self.name)
    }
}

/// A source that cannot be opened or read. Messages name the file and the place in
/// it, never a value from it (article 12.3).
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The source's directory cannot be listed.
    #[error("cannot read the source directory {path}: {source}")]
    Directory {
        /// The directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A folder of the source is not named after a category of the covenant.
    #[error(
        "the source directory {path} has a folder '{name}' that is not a category of the covenant (article 6){hint}; expected folders named {expected}"
    )]
    UnknownCategory {
        /// The source directory.
        path: PathBuf,
        /// The folder's name.
        name: String,
        /// ", did you mean ..." or nothing.
        hint: String,
        /// The category words.
        expected: String,
    },
    /// A record file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A record file is too large to be an export of one subject.
    #[error(
        "{path} is larger than {max} bytes; one file holds the records of one subject in one category"
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit.
        max: u64,
    },
    /// A record file is not JSON.
    #[error("{path} is not valid JSON ({kind} error at line {line}, column {column})")]
    Json {
        /// The file.
        path: PathBuf,
        /// "syntax", "data" or "end of file".
        kind: &'static str,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// A record file is JSON but not an array of records.
    #[error("{path}: {at}: {problem}")]
    Record {
        /// The file.
        path: PathBuf,
        /// Where in the file, e.g. `[2].fields`.
        at: String,
        /// What is wrong, without the value.
        problem: String,
    },
    /// The SQLite database a setting names does not exist (or is not a file).
    #[error("{setting}: the SQLite database {path} cannot be used: {why}")]
    DatabaseMissing {
        /// The setting, e.g. `category.huurgegevens.database`.
        setting: String,
        /// The file.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// SQLite refused to open the database or to prepare or run a query.
    #[error("{setting}: SQLite error on {path}: {detail}")]
    Sqlite {
        /// The setting whose database or query failed.
        setting: String,
        /// The database.
        path: PathBuf,
        /// SQLite's message (names tokens of the query, never row values).
        detail: String,
    },
    /// A configured query is unusable (not read-only, wrong parameters, missing
    /// column).
    #[error("{setting} {problem} (database {path})")]
    Query {
        /// The setting.
        setting: String,
        /// The database.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// A value in a row cannot be used; the value is not shown.
    #[error("{setting}: column '{column}' of {path} {problem} (value not shown)")]
    Value {
        /// The query's setting.
        setting: String,
        /// The database.
        path: PathBuf,
        /// The column.
        column: String,
        /// What is wrong.
        problem: String,
    },
}

/// What a (re)build of a pseudonym index found, for the log and `check-config`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexReport {
    /// The category.
    pub category: Category,
    /// Identity rows read.
    pub rows: usize,
    /// Distinct pseudonyms indexed.
    pub subjects: usize,
    /// Rows left out because their identity could not be normalised.
    pub skipped: usize,
    /// Why, by kind, with counts (value-free messages).
    pub problems: Vec<(String, usize)>,
}

/// What a source would share for one category, for `check-config`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CategoryPlan {
    /// The source, in one line.
    pub source: String,
    /// Source column → covenant field; empty when the source names its fields itself
    /// (a JSON export).
    pub fields: Vec<(String, String)>,
    /// Source columns that never leave the agent.
    pub never_sent: Vec<String>,
    /// Subjects in the pseudonym index, or `None` for a source without one.
    pub subjects: Option<usize>,
    /// Identity rows left out of the index.
    pub skipped: usize,
}

/// A source of records, keyed by pseudonym. Implementations read only; they are called
/// from a blocking thread, never from the link's event loop, except
/// [`Source::knows_remembered`].
pub trait Source: Send + Sync {
    /// One line for `--check-config` and the start-up log, e.g. `json-dir /srv/export`.
    fn describe(&self) -> String;

    /// The categories this source holds data for.
    fn categories(&self) -> Vec<Category>;

    /// Whether the source holds at least one record about `subject` in any of
    /// `categories` (a bevraging, article 8.4).
    fn knows(&self, subject: &Pseudonym, categories: &[Category]) -> Result<bool, SourceError>;

    /// What [`Source::knows`] would say of each of `subjects`, in order, when the
    /// source can tell from memory alone (a pseudonym index built at open and refresh,
    /// files remembered unchanged), reading no file and waiting for no lock held across
    /// I/O; `None` otherwise. A bevraging the source answers this way is answered on the
    /// link's event loop instead of a blocking thread (two thread hand-offs less per
    /// bevraging, issue 20). All of a bevraging's subjects at once: a source that must
    /// first catch up with changes does so once. A source that reads its files at every
    /// question keeps the default.
    fn knows_remembered(
        &self,
        _subjects: &[Pseudonym],
        _categories: &[Category],
    ) -> Option<Vec<bool>> {
        None
    }

    /// Every record about `subject` in `categories`. A category without records gives
    /// nothing, not an error.
    fn records(
        &self,
        subject: &Pseudonym,
        categories: &[Category],
    ) -> Result<Vec<SourceRecord>, SourceError>;

    /// Rebuilds whatever the source keeps in memory (pseudonym indexes); a source that
    /// reads its files at every question has nothing to do.
    fn refresh(&self) -> Result<Vec<IndexReport>, SourceError> {
        Ok(Vec::new())
    }

    /// What the source would share for `category`, for `check-config`; `None` when it
    /// does not serve it.
    fn plan(&self, category: Category) -> Option<CategoryPlan> {
        self.categories().contains(&category).then(|| CategoryPlan {
            source: self.describe(),
            fields: Vec::new(),
            never_sent: Vec::new(),
            subjects: None,
            skipped: 0,
        })
    }
}
