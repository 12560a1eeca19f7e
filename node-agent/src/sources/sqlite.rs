//! A category read from a SQLite database: a configured read-only query, the subject
//! found through a local pseudonym index, columns mapped to covenant field names.
//!
//! ```toml
//! pseudonym_key = "pseudonym.key"
//!
//! [category.politie-incidenten]
//! kind = "sqlite"
//! database = "bvh.sqlite"
//! identity_query = "SELECT p.id, p.naam, p.geboortedatum, p.postcode, p.huisnummer FROM personen p WHERE EXISTS (SELECT 1 FROM incidenten i WHERE i.persoon_id = p.id)"
//! records_query = "SELECT registratie, geregistreerd_op, datum, soort, notitie FROM incidenten WHERE persoon_id = ?1"
//! reference_column = "registratie"
//! recorded_at_column = "geregistreerd_op"
//! [category.politie-incidenten.fields]
//! datum = "datum"
//! soort = "incidentsoort"
//! ```
//!
//! - The database is opened **read-only** (and `query_only`); both queries must be
//!   read-only statements, checked when the source opens.
//! - `identity_query` returns one row per person the category has records about:
//!   the row key, then name, date of birth, postcode and house number. The agent
//!   computes each person's keyed pseudonym (article 8.4, normalisation of
//!   [`treiter_pseudonym`], identical to every other party's) and keeps an
//!   in-memory index pseudonym → row keys, rebuilt every `index.refresh_seconds`. A
//!   bevraging is a lookup in that index; a share request runs `records_query` once
//!   per row key of the subject.
//! - `records_query` has exactly one parameter (`?1`, `?` or `:key`), always *bound* to
//!   the row key: no SQL is ever built from a question.
//! - `fields` maps result columns to the category's covenant field names. A column
//!   that is not mapped (nor the reference or recorded-at column) is dropped while the
//!   row is read, before the pre-check: it never leaves the agent. A mapped field the
//!   covenant does not list for the category is refused at start-up.
//! - A NULL value means the field is not offered. The reference is text or an integer;
//!   `recorded_at` is RFC 3339, `YYYY-MM-DD HH:MM:SS` (SQLite's `datetime()`, UTC),
//!   `YYYY-MM-DD` (a day of the covenant's calendar: it starts at Amsterdam's midnight)
//!   or Unix seconds.
//!
//! Errors name the setting (`category.<name>.records_query`), the database file and
//! the column, never a value (article 12.3). Rows whose identity cannot be
//! normalised are left out of the index and counted; the count is logged, not the row.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, OpenFlags};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use treiter_policies::Category;
use treiter_pseudonym::{Identity, Pseudonym, PseudonymKey};

use super::{CategoryPlan, IndexReport, Source, SourceError, SourceField, SourceRecord};
use crate::config::SqliteSettings;

/// How long a query waits for a lock held by the partner's own writer.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// The most records one subject may have in one category: an answer must fit a gRPC
/// message, and more is a wrong query (a missing `WHERE`).
pub const MAX_RECORDS_PER_SUBJECT: usize = 1000;
/// Identity rows whose normalisation failed, listed by kind in the log (no values).
const SHOWN_IDENTITY_PROBLEMS: usize = 5;

/// A row key: what `identity_query` returns first and `records_query` takes. Not shown
/// in `Debug`: a partner may key its rows with a personal number.
#[derive(Clone, PartialEq)]
struct RowKey(Value);

impl std::fmt::Debug for RowKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RowKey(..)")
    }
}

/// The pseudonym index of one category.
#[derive(Debug, Default)]
struct Index {
    keys: HashMap<Pseudonym, Vec<RowKey>>,
    /// Identity rows read.
    rows: usize,
    /// Rows left out: their identity could not be normalised.
    skipped: usize,
    built_at: Option<SystemTime>,
}

/// One category from a SQLite database.
pub struct SqliteSource {
    category: Category,
    settings: SqliteSettings,
    key: PseudonymKey,
    /// One connection per category; a std mutex: queries run on blocking threads, and
    /// answers are bounded (link::MAX_CONCURRENT_ANSWERS) so contention is small.
    connection: Mutex<Connection>,
    /// The result columns of `records_query`, in order.
    columns: Vec<String>,
    /// Swapped whole on refresh, so a lookup never sees a half-built index.
    index: RwLock<Arc<Index>>,
}

impl std::fmt::Debug for SqliteSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteSource")
            .field("category", &self.category)
            .field("database", &self.settings.database)
            .finish()
    }
}

fn sqlite_error(setting: &str, path: &Path, error: &rusqlite::Error) -> SourceError {
    SourceError::Sqlite {
        setting: setting.to_owned(),
        path: path.to_path_buf(),
        detail: error.to_string(),
    }
}

impl SqliteSource {
    /// Opens the database read-only, checks both queries and the column mapping, and
    /// builds the pseudonym index.
    pub fn open(
        category: Category,
        settings: SqliteSettings,
        key: PseudonymKey,
    ) -> Result<SqliteSource, SourceError> {
        let path = settings.database.clone();
        let setting = &settings.setting;
        // SQLite's own message for a missing file is "unable to open database file";
        // say which setting names it.
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => {}
            Ok(_) => {
                return Err(SourceError::DatabaseMissing {
                    setting: format!("{setting}.database"),
                    path,
                    why: "is not a file".into(),
                });
            }
            Err(e) => {
                return Err(SourceError::DatabaseMissing {
                    setting: format!("{setting}.database"),
                    path,
                    why: e.to_string(),
                });
            }
        }
        let connection = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| sqlite_error(&format!("{setting}.database"), &path, &e))?;
        connection
            .busy_timeout(BUSY_TIMEOUT)
            .and_then(|()| connection.pragma_update(None, "query_only", true))
            .map_err(|e| sqlite_error(&format!("{setting}.database"), &path, &e))?;
        // Reading the schema here turns "file is not a database" into an error at
        // start-up rather than at the first question.
        connection
            .query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))
            .map_err(|e| sqlite_error(&format!("{setting}.database"), &path, &e))?;
        let columns = {
            let records_setting = format!("{setting}.records_query");
            let statement = connection
                .prepare(&settings.records_query)
                .map_err(|e| sqlite_error(&records_setting, &path, &e))?;
            check_read_only(&records_setting, &path, statement.readonly())?;
            if statement.parameter_count() != 1 {
                return Err(SourceError::Query {
                    setting: records_setting,
                    path: path.clone(),
                    problem: format!(
                        "has {} parameters; it needs exactly one (?1 or :key), bound to the row key from identity_query",
                        statement.parameter_count()
                    ),
                });
            }
            let columns: Vec<String> = statement
                .column_names()
                .into_iter()
                .map(str::to_owned)
                .collect();
            for (label, column) in [
                ("reference_column", &settings.reference_column),
                ("recorded_at_column", &settings.recorded_at_column),
            ]
            .into_iter()
            .chain(settings.fields.iter().map(|(column, _)| ("fields", column)))
            {
                if !columns.contains(column) {
                    let at = if label == "fields" {
                        format!("{setting}.fields.{column}")
                    } else {
                        format!("{setting}.{label}")
                    };
                    return Err(SourceError::Query {
                        setting: at,
                        path: path.clone(),
                        problem: format!(
                            "names the column '{column}', which records_query does not return (it returns {})",
                            columns.join(", ")
                        ),
                    });
                }
            }
            columns
        };
        {
            let identity_setting = format!("{setting}.identity_query");
            let statement = connection
                .prepare(&settings.identity_query)
                .map_err(|e| sqlite_error(&identity_setting, &path, &e))?;
            check_read_only(&identity_setting, &path, statement.readonly())?;
            if statement.parameter_count() != 0 || statement.column_count() != 5 {
                return Err(SourceError::Query {
                    setting: identity_setting,
                    path: path.clone(),
                    problem: format!(
                        "returns {} columns and takes {} parameters; it must take none and return 5: row key, name, date of birth, postcode, house number",
                        statement.column_count(),
                        statement.parameter_count()
                    ),
                });
            }
        }
        let source = SqliteSource {
            category,
            settings,
            key,
            connection: Mutex::new(connection),
            columns,
            index: RwLock::new(Arc::new(Index::default())),
        };
        source.rebuild_index()?;
        Ok(source)
    }

    /// The category served.
    pub fn category(&self) -> Category {
        self.category
    }

    /// The settings.
    pub fn settings(&self) -> &SqliteSettings {
        &self.settings
    }

    /// Result columns of `records_query` that are not mapped: they never leave the
    /// agent.
    pub fn unmapped_columns(&self) -> Vec<String> {
        self.columns
            .iter()
            .filter(|c| {
                **c != self.settings.reference_column
                    && **c != self.settings.recorded_at_column
                    && !self.settings.fields.iter().any(|(col, _)| col == *c)
            })
            .cloned()
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic during a query leaves nothing half-written (read-only): keep using it.
        self.connection.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn current_index(&self) -> Arc<Index> {
        self.index.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Reads every identity row, pseudonymises it, and swaps the new index in.
    pub fn rebuild_index(&self) -> Result<IndexReport, SourceError> {
        let setting = format!("{}.identity_query", self.settings.setting);
        let path = &self.settings.database;
        let err = |e: rusqlite::Error| sqlite_error(&setting, path, &e);
        let mut index = Index::default();
        let mut problems: Vec<(String, usize)> = Vec::new();
        {
            let connection = self.lock();
            let mut statement = connection
                .prepare_cached(&self.settings.identity_query)
                .map_err(err)?;
            let mut rows = statement.query([]).map_err(err)?;
            while let Some(row) = rows.next().map_err(err)? {
                index.rows += 1;
                let key: Value = row.get(0).map_err(err)?;
                if matches!(key, Value::Null | Value::Blob(_) | Value::Real(_)) {
                    count(
                        &mut problems,
                        "the row key is NULL, a blob or a real number",
                    );
                    index.skipped += 1;
                    continue;
                }
                let text = |i: usize| -> Result<Option<String>, SourceError> {
                    Ok(match row.get_ref(i).map_err(err)? {
                        ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
                        ValueRef::Integer(n) => Some(n.to_string()),
                        ValueRef::Null | ValueRef::Real(_) | ValueRef::Blob(_) => None,
                    })
                };
                let (Some(name), Some(birth_date), Some(postcode), Some(house_number)) =
                    (text(1)?, text(2)?, text(3)?, text(4)?)
                else {
                    count(
                        &mut problems,
                        "a name, date of birth, postcode or house number is NULL or not text",
                    );
                    index.skipped += 1;
                    continue;
                };
                match self.key.pseudonym(&Identity {
                    name: &name,
                    birth_date: &birth_date,
                    postcode: &postcode,
                    house_number: &house_number,
                }) {
                    Ok(p) => index.keys.entry(p).or_default().push(RowKey(key)),
                    Err(e) => {
                        count(&mut problems, &e.to_string());
                        index.skipped += 1;
                    }
                }
            }
        }
        index.built_at = Some(SystemTime::now());
        let report = IndexReport {
            category: self.category,
            rows: index.rows,
            subjects: index.keys.len(),
            skipped: index.skipped,
            problems,
        };
        *self.index.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(index);
        if report.skipped > 0 {
            tracing::warn!(
                category = %self.category,
                skipped = report.skipped,
                problems = ?report.problems.iter().take(SHOWN_IDENTITY_PROBLEMS).collect::<Vec<_>>(),
                "identity rows left out of the pseudonym index: they cannot be normalised"
            );
        }
        tracing::info!(
            category = %self.category,
            rows = report.rows,
            subjects = report.subjects,
            "pseudonym index built"
        );
        Ok(report)
    }

    /// The records of the rows with this key.
    fn read_records(&self, key: &RowKey, out: &mut Vec<SourceRecord>) -> Result<(), SourceError> {
        let setting = format!("{}.records_query", self.settings.setting);
        let path = &self.settings.database;
        let err = |e: rusqlite::Error| sqlite_error(&setting, path, &e);
        let connection = self.lock();
        let mut statement = connection
            .prepare_cached(&self.settings.records_query)
            .map_err(err)?;
        let mut rows = statement.query([&key.0]).map_err(err)?;
        let position = |name: &str| self.columns.iter().position(|c| c == name);
        let reference_at = position(&self.settings.reference_column);
        let recorded_at = position(&self.settings.recorded_at_column);
        let mapped: Vec<(usize, &str)> = self
            .settings
            .fields
            .iter()
            .filter_map(|(column, field)| position(column).map(|i| (i, field.as_str())))
            .collect();
        let (Some(reference_at), Some(recorded_at)) = (reference_at, recorded_at) else {
            // Checked at open; the statement cannot change its columns.
            return Err(SourceError::Query {
                setting,
                path: path.clone(),
                problem: "lost its reference or recorded_at column".into(),
            });
        };
        let bad = |column: &str, problem: &str| SourceError::Value {
            setting: setting.clone(),
            path: path.clone(),
            column: column.to_owned(),
            problem: problem.to_owned(),
        };
        while let Some(row) = rows.next().map_err(err)? {
            if out.len() >= MAX_RECORDS_PER_SUBJECT {
                return Err(SourceError::Query {
                    setting,
                    path: path.clone(),
                    problem: format!(
                        "returns more than {MAX_RECORDS_PER_SUBJECT} records for one subject; check its WHERE clause"
                    ),
                });
            }
            let reference = match row.get_ref(reference_at).map_err(err)? {
                ValueRef::Text(t) if !t.is_empty() && t.len() <= 256 => {
                    String::from_utf8_lossy(t).into_owned()
                }
                ValueRef::Integer(n) => n.to_string(),
                _ => {
                    return Err(bad(
                        &self.settings.reference_column,
                        "a reference must be text of 1 to 256 bytes or an integer",
                    ));
                }
            };
            let recorded =
                parse_recorded_at(row.get_ref(recorded_at).map_err(err)?).ok_or_else(|| {
                    bad(
                        &self.settings.recorded_at_column,
                        "must be RFC 3339, YYYY-MM-DD HH:MM:SS (UTC), YYYY-MM-DD or Unix seconds",
                    )
                })?;
            let mut fields = Vec::with_capacity(mapped.len());
            // Only mapped columns are read: the others are never copied out of SQLite.
            for (i, field) in &mapped {
                let value = match row.get_ref(*i).map_err(err)? {
                    ValueRef::Null => continue,
                    ValueRef::Integer(n) => n.to_string(),
                    ValueRef::Real(r) => r.to_string(),
                    ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                    ValueRef::Blob(_) => {
                        return Err(bad(
                            self.columns.get(*i).map_or("?", String::as_str),
                            "is a blob; map only text and number columns",
                        ));
                    }
                };
                fields.push(SourceField {
                    name: (*field).to_owned(),
                    value,
                });
            }
            fields.sort_by(|a, b| a.name.cmp(&b.name));
            out.push(SourceRecord {
                category: self.category,
                reference,
                recorded_at: recorded,
                fields,
            });
        }
        Ok(())
    }
}

fn check_read_only(setting: &str, path: &Path, read_only: bool) -> Result<(), SourceError> {
    if read_only {
        Ok(())
    } else {
        Err(SourceError::Query {
            setting: setting.to_owned(),
            path: path.to_path_buf(),
            problem: "is not a read-only statement; the agent only reads (use SELECT)".into(),
        })
    }
}

fn count(problems: &mut Vec<(String, usize)>, what: &str) {
    match problems.iter_mut().find(|(p, _)| p == what) {
        Some((_, n)) => *n += 1,
        None => problems.push((what.to_owned(), 1)),
    }
}

/// A `recorded_at` value: RFC 3339, `YYYY-MM-DD HH:MM:SS` (UTC, as SQLite's
/// `datetime()` writes it), `YYYY-MM-DD` (the start of that day in Amsterdam, where the
/// partner recorded it) or Unix seconds.
fn parse_recorded_at(value: ValueRef<'_>) -> Option<OffsetDateTime> {
    match value {
        ValueRef::Integer(n) => OffsetDateTime::from_unix_timestamp(n).ok(),
        ValueRef::Text(t) => {
            let s = std::str::from_utf8(t).ok()?.trim();
            if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
                return Some(t);
            }
            let sql =
                time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
            if let Ok(t) = time::PrimitiveDateTime::parse(s, &sql) {
                return Some(t.assume_utc());
            }
            treiter_proto::calendar::parse_date(s).map(treiter_proto::calendar::start_of_day)
        }
        _ => None,
    }
}

impl Source for SqliteSource {
    fn describe(&self) -> String {
        format!(
            "sqlite {} ({})",
            self.settings.database.display(),
            self.category
        )
    }

    fn categories(&self) -> Vec<Category> {
        vec![self.category]
    }

    fn knows(&self, subject: &Pseudonym, categories: &[Category]) -> Result<bool, SourceError> {
        Ok(categories.contains(&self.category) && self.current_index().keys.contains_key(subject))
    }

    /// The index is swapped in whole by a rebuild; reading it takes a lock held only
    /// for the swap.
    fn knows_remembered(
        &self,
        subjects: &[Pseudonym],
        categories: &[Category],
    ) -> Option<Vec<bool>> {
        // Lookups in the index; a failure is reported by `knows` on a blocking thread.
        subjects
            .iter()
            .map(|subject| self.knows(subject, categories).ok())
            .collect()
    }

    fn records(
        &self,
        subject: &Pseudonym,
        categories: &[Category],
    ) -> Result<Vec<SourceRecord>, SourceError> {
        let mut out = Vec::new();
        if !categories.contains(&self.category) {
            return Ok(out);
        }
        let index = self.current_index();
        if let Some(keys) = index.keys.get(subject) {
            for key in keys {
                self.read_records(key, &mut out)?;
            }
        }
        Ok(out)
    }

    fn refresh(&self) -> Result<Vec<IndexReport>, SourceError> {
        self.rebuild_index().map(|r| vec![r])
    }

    fn plan(&self, category: Category) -> Option<CategoryPlan> {
        if category != self.category {
            return None;
        }
        let index = self.current_index();
        Some(CategoryPlan {
            source: self.describe(),
            fields: self
                .settings
                .fields
                .iter()
                .map(|(column, field)| (column.clone(), field.clone()))
                .collect(),
            never_sent: self.unmapped_columns(),
            subjects: Some(index.keys.len()),
            skipped: index.skipped,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn recorded_at_reads_every_form() {
        let text = |s: &'static str| parse_recorded_at(ValueRef::Text(s.as_bytes()));
        assert_eq!(
            text("2026-07-01T09:00:00+02:00"),
            Some(datetime!(2026-07-01 07:00 UTC))
        );
        assert_eq!(
            text("2026-07-01 09:00:00"),
            Some(datetime!(2026-07-01 09:00 UTC))
        );
        assert_eq!(
            parse_recorded_at(ValueRef::Integer(1_782_864_000)),
            Some(datetime!(2026-07-01 00:00 UTC))
        );
        assert_eq!(text("1 juli"), None);
    }

    #[test]
    fn a_recorded_date_starts_at_amsterdam_midnight() {
        // A day recorded in Amsterdam begins there: 1 July at 00:00 CEST, 1 December
        // at 00:00 CET, not at UTC's midnight (02:00 and 01:00 in Amsterdam).
        let text = |s: &'static str| parse_recorded_at(ValueRef::Text(s.as_bytes()));
        assert_eq!(text("2026-07-01"), Some(datetime!(2026-06-30 22:00 UTC)));
        assert_eq!(text("2026-12-01"), Some(datetime!(2026-11-30 23:00 UTC)));
    }
}
