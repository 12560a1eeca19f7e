//! A source that is a directory of JSON files: one folder per category, one file per
//! subject, named by the subject's pseudonym.
//!
//! ```text
//! <dir>/politie-incidenten/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.json
//! <dir>/huurgegevens/...
//! ```
//!
//! Each file holds a JSON array of records:
//!
//! ```json
//! [
//!   { "reference": "BVH-2026-001234",
//!     "recorded_at": "2026-11-01T09:00:00Z",
//!     "fields": { "datum": "2026-10-30", "incidentsoort": "bedreiging" } }
//! ]
//! ```
//!
//! - `reference`: the source's own reference (not personal data), 1 to 256 characters.
//! - `recorded_at`: RFC 3339.
//! - `fields`: field name to value; a value is text, a number or true/false (sent as
//!   text); `null` means the field is absent. Field names are free (article 8.1): the
//!   gate strips the ones the category does not list.
//!
//! A missing file means no records. Folder names must be categories of the covenant, so
//! that a typo ("politie-incident") is an error at start-up rather than a silent
//! "no hit" for every subject. A new export is answered from at once: a file is read
//! at every question, except for a bevraging about a file that has not changed since
//! it was last read, which is answered from what it held then (kept exact by the
//! kernel's change notifications, [`super::known_files`]). A file is replaced
//! atomically by writing it elsewhere in the same folder and renaming it.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use treiter_policies::Category;
use treiter_pseudonym::Pseudonym;

use super::known_files::{self, Rewatch, Watch};
use super::{Source, SourceError, SourceField, SourceRecord};

/// The largest record file read, in bytes. One subject's records in one category are
/// kilobytes; a bigger file is a mistake, and the answer must fit a gRPC message.
pub const MAX_FILE_BYTES: u64 = 4 << 20;
/// The longest `reference`, in characters.
pub const MAX_REFERENCE_CHARS: usize = 256;
/// The longest field name, in characters.
pub const MAX_FIELD_NAME_CHARS: usize = 128;

/// A directory of JSON files per category, keyed by pseudonym.
#[derive(Debug)]
pub struct JsonDirSource {
    root: PathBuf,
    /// The category folders found when the source was opened.
    present: Vec<Category>,
    /// What the files of those folders held when last read, while unchanged. Held
    /// only for lookups and bookkeeping, never across a file read.
    watch: Mutex<Watch>,
    /// Files read so far (the tests' view of what was answered from memory).
    #[cfg(test)]
    files_read: std::sync::atomic::AtomicUsize,
}

impl JsonDirSource {
    /// Opens the directory and checks that every folder in it is named after a
    /// category. Hidden entries (`.name`) and plain files (a README) are ignored.
    pub fn open(root: &Path) -> Result<JsonDirSource, SourceError> {
        let dir_err = |source| SourceError::Directory {
            path: root.to_path_buf(),
            source,
        };
        let mut present = Vec::new();
        for entry in std::fs::read_dir(root).map_err(dir_err)? {
            let entry = entry.map_err(dir_err)?;
            let is_dir = std::fs::metadata(entry.path()).map_err(dir_err)?.is_dir();
            let name = entry.file_name().to_string_lossy().into_owned();
            if !is_dir || name.starts_with('.') {
                continue;
            }
            match name.parse::<Category>() {
                Ok(category) => present.push(category),
                Err(unknown) => {
                    return Err(SourceError::UnknownCategory {
                        path: root.to_path_buf(),
                        name,
                        hint: unknown
                            .suggestion
                            .map(|s| format!(" (did you mean '{s}'?)"))
                            .unwrap_or_default(),
                        expected: unknown.expected,
                    });
                }
            }
        }
        present.sort();
        Ok(JsonDirSource {
            watch: Mutex::new(Watch::start(root, &present)),
            root: root.to_path_buf(),
            present,
            #[cfg(test)]
            files_read: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    fn lock_watch(&self) -> MutexGuard<'_, Watch> {
        // What it holds is rebuilt from the files on any doubt; a panic elsewhere
        // leaves nothing half-done that matters.
        self.watch.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file that holds `subject`'s records of `category`. The pseudonym is 64 hex
    /// characters by construction, so it cannot climb out of the folder.
    pub fn file(&self, category: Category, subject: &Pseudonym) -> PathBuf {
        known_files::subject_file(&self.root.join(category.as_str()), subject)
    }

    /// The records in one file; none when it does not exist.
    fn read_file(
        &self,
        category: Category,
        subject: &Pseudonym,
    ) -> Result<Vec<SourceRecord>, SourceError> {
        let path = self.file(category, subject);
        #[cfg(test)]
        self.files_read
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let read_err = |source| SourceError::Read {
            path: path.clone(),
            source,
        };
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(read_err(e)),
        };
        let mut bytes = Vec::new();
        // Read one byte past the limit to tell "at the limit" from "over it" without
        // trusting a size the file may change under us.
        file.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(read_err)?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(SourceError::TooLarge {
                path,
                max: MAX_FILE_BYTES,
            });
        }
        parse_records(&path, category, &bytes)
    }
}

impl Source for JsonDirSource {
    fn describe(&self) -> String {
        let categories: Vec<&str> = self.present.iter().map(|c| c.as_str()).collect();
        format!(
            "json-dir {} (category folders: {})",
            self.root.display(),
            if categories.is_empty() {
                "none".to_owned()
            } else {
                categories.join(", ")
            }
        )
    }

    fn categories(&self) -> Vec<Category> {
        self.present.clone()
    }

    /// In the order of `categories`, as reading every file would: a file remembered
    /// unchanged is not read again ([`super::known_files`]).
    fn knows(&self, subject: &Pseudonym, categories: &[Category]) -> Result<bool, SourceError> {
        let (remembered, mark) = {
            let mut watch = self.lock_watch();
            match watch.caught_up(&self.root, &self.present, Rewatch::Allowed) {
                Some(known) => (
                    categories
                        .iter()
                        .map(|c| known.lookup(*c, subject))
                        .collect(),
                    Some(known.mark()),
                ),
                None => (vec![None; categories.len()], None),
            }
        };
        let mut read = Vec::new();
        let mut hit = false;
        for (&category, remembered) in categories.iter().zip(remembered) {
            let held = match remembered {
                Some(held) => held,
                None => {
                    let path = self.file(category, subject);
                    // Looked at before the read: a change through another name while
                    // it is read shows as a changed stamp after it.
                    let before = mark.map(|_| known_files::look(&path));
                    let held = !self.read_file(category, subject)?.is_empty();
                    read.push((category, path, before, held));
                    held
                }
            };
            if held {
                hit = true;
                break;
            }
        }
        if let Some(mark) = mark
            && !read.is_empty()
        {
            let mut watch = self.lock_watch();
            if let Some(known) = watch.caught_up(&self.root, &self.present, Rewatch::Not) {
                for (category, path, before, held) in read {
                    if let Some(before) = before {
                        known.remember(mark, category, subject, &path, before, held);
                    }
                }
            }
        }
        Ok(hit)
    }

    /// From the files remembered unchanged alone; `None` when one is not, or the
    /// watch is busy (never waits on the lock that a reading thread may hold).
    fn knows_remembered(
        &self,
        subjects: &[Pseudonym],
        categories: &[Category],
    ) -> Option<Vec<bool>> {
        let mut watch = match self.watch.try_lock() {
            Ok(watch) => watch,
            // See `lock_watch`: nothing half-done to fear after a panic.
            Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return None,
        };
        // Caught up with the changes once for all the subjects.
        let known = watch.caught_up(&self.root, &self.present, Rewatch::Not)?;
        let mut hits = Vec::with_capacity(subjects.len());
        for subject in subjects {
            let mut hit = false;
            for &category in categories {
                if known.lookup(category, subject)? {
                    hit = true;
                    break;
                }
            }
            hits.push(hit);
        }
        Some(hits)
    }

    fn records(
        &self,
        subject: &Pseudonym,
        categories: &[Category],
    ) -> Result<Vec<SourceRecord>, SourceError> {
        let mut out = Vec::new();
        for category in categories {
            out.extend(self.read_file(*category, subject)?);
        }
        Ok(out)
    }
}

/// Parses a record file's content.
pub fn parse_records(
    path: &Path,
    category: Category,
    bytes: &[u8],
) -> Result<Vec<SourceRecord>, SourceError> {
    // Parse to a Value first: serde's messages for a type mismatch quote the value
    // ("invalid type: string \"Jansen\""), which must not reach a log (article 12.3).
    // A syntax error's position is enough to find the problem.
    let value: Value = serde_json::from_slice(bytes).map_err(|e| SourceError::Json {
        path: path.to_path_buf(),
        kind: match e.classify() {
            serde_json::error::Category::Syntax => "syntax",
            serde_json::error::Category::Eof => "end of file",
            serde_json::error::Category::Data => "data",
            serde_json::error::Category::Io => "read",
        },
        line: e.line(),
        column: e.column(),
    })?;
    let bad = |at: String, problem: &str| SourceError::Record {
        path: path.to_path_buf(),
        at,
        problem: problem.to_owned(),
    };
    let Value::Array(items) = value else {
        return Err(bad(
            ".".into(),
            "the file must hold a JSON array of records ([{\"reference\": ..., \"recorded_at\": ..., \"fields\": {...}}])",
        ));
    };
    let mut records = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let Value::Object(mut object) = item else {
            return Err(bad(format!("[{i}]"), "a record must be a JSON object"));
        };
        let reference = match object.remove("reference") {
            Some(Value::String(s))
                if !s.trim().is_empty() && s.chars().count() <= MAX_REFERENCE_CHARS =>
            {
                s
            }
            Some(_) => {
                return Err(bad(
                    format!("[{i}].reference"),
                    "must be text of 1 to 256 characters",
                ));
            }
            None => return Err(bad(format!("[{i}]"), "missing \"reference\"")),
        };
        let recorded_at = match object.remove("recorded_at") {
            Some(Value::String(s)) => OffsetDateTime::parse(&s, &Rfc3339).map_err(|_| {
                bad(
                    format!("[{i}].recorded_at"),
                    "must be an RFC 3339 timestamp, e.g. 2026-11-01T09:00:00Z",
                )
            })?,
            Some(_) => {
                return Err(bad(
                    format!("[{i}].recorded_at"),
                    "must be an RFC 3339 timestamp, e.g. 2026-11-01T09:00:00Z",
                ));
            }
            None => return Err(bad(format!("[{i}]"), "missing \"recorded_at\"")),
        };
        let fields = match object.remove("fields") {
            Some(Value::Object(map)) => {
                let mut fields = Vec::with_capacity(map.len());
                for (name, value) in map {
                    if name.trim().is_empty() || name.chars().count() > MAX_FIELD_NAME_CHARS {
                        return Err(bad(
                            format!("[{i}].fields"),
                            "a field name is empty or longer than 128 characters",
                        ));
                    }
                    let at = || format!("[{i}].fields.{}", shown_name(&name));
                    let value = match value {
                        Value::String(s) => s,
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        // An export writes null for "not known": not offered at all.
                        Value::Null => continue,
                        Value::Array(_) | Value::Object(_) => {
                            return Err(bad(
                                at(),
                                "a field value must be text, a number or true/false",
                            ));
                        }
                    };
                    fields.push(SourceField { name, value });
                }
                fields
            }
            Some(_) => {
                return Err(bad(
                    format!("[{i}].fields"),
                    "must be an object of field names to values",
                ));
            }
            None => return Err(bad(format!("[{i}]"), "missing \"fields\"")),
        };
        if let Some(key) = object.keys().next() {
            return Err(bad(
                format!("[{i}]"),
                &format!(
                    "unknown key {}; a record has only \"reference\", \"recorded_at\" and \"fields\"",
                    if looks_like_a_name(key) {
                        format!("\"{key}\"")
                    } else {
                        "(not shown)".to_owned()
                    }
                ),
            ));
        }
        records.push(SourceRecord {
            category,
            reference,
            recorded_at,
            fields,
        });
    }
    Ok(records)
}

/// Whether a key is shaped like a field name (so quoting it cannot reveal a value).
fn looks_like_a_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A field name for an error message: itself when it looks like one, otherwise a
/// placeholder (a misplaced value may sit where a name belongs).
fn shown_name(name: &str) -> String {
    if looks_like_a_name(name) {
        name.to_owned()
    } else {
        "(name not shown)".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUBJECT: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    fn subject() -> Pseudonym {
        Pseudonym::parse(SUBJECT).unwrap()
    }

    fn write(root: &Path, category: &str, subject: &str, text: &str) {
        std::fs::create_dir_all(root.join(category)).unwrap();
        std::fs::write(root.join(category).join(format!("{subject}.json")), text).unwrap();
    }

    fn parse(text: &str) -> Result<Vec<SourceRecord>, SourceError> {
        parse_records(Path::new("x.json"), Category::Huurgegevens, text.as_bytes())
    }

    fn problem(text: &str) -> (String, String) {
        match parse(text) {
            Err(SourceError::Record { at, problem, .. }) => (at, problem),
            other => panic!("expected a record error, got {other:?}"),
        }
    }

    const RECORD: &str = r#"[{"reference": "R-1", "recorded_at": "2026-11-01T09:00:00Z", "fields": {"huurstatus": "lopend"}}]"#;

    fn reads(source: &JsonDirSource) -> usize {
        source.files_read.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Replaces a file as an export should: written beside it, then renamed over it.
    fn replace(root: &Path, category: &str, subject: &str, text: &str) {
        let tmp = root.join(category).join(".export.tmp");
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, root.join(category).join(format!("{subject}.json"))).unwrap();
    }

    /// What a bevraging about the subject is answered from memory (checked to read no
    /// file), if it is.
    fn from_memory(source: &JsonDirSource, categories: &[Category]) -> Option<bool> {
        let before = reads(source);
        let hit = source
            .knows_remembered(&[subject()], categories)
            .map(|hits| hits == [true]);
        assert_eq!(
            reads(source),
            before,
            "answered from memory, yet read a file"
        );
        hit
    }

    #[test]
    fn a_file_unchanged_since_it_was_read_is_not_read_again_and_every_change_is_seen() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("huurgegevens")).unwrap();
        std::fs::create_dir_all(root.join("handhaving")).unwrap();
        let source = JsonDirSource::open(root).unwrap();
        let both = [Category::Handhaving, Category::Huurgegevens];

        // Absent in both folders: read once, then known.
        assert_eq!(from_memory(&source, &both), None);
        assert!(!source.knows(&subject(), &both).unwrap());
        assert_eq!(reads(&source), 2);
        assert_eq!(from_memory(&source, &both), Some(false));

        // Each way an export changes a file is seen by the next question.
        let huur = |text: &str| write(root, "huurgegevens", SUBJECT, text);
        let changes: [(&str, &dyn Fn(), bool); 5] = [
            (
                "created by a rename",
                &|| replace(root, "huurgegevens", SUBJECT, RECORD),
                true,
            ),
            ("emptied in place", &|| huur("[]"), false),
            ("written in place", &|| huur(RECORD), true),
            (
                "removed",
                &|| {
                    std::fs::remove_file(root.join("huurgegevens").join(format!("{SUBJECT}.json")))
                        .unwrap()
                },
                false,
            ),
            (
                "created in the other folder",
                &|| write(root, "handhaving", SUBJECT, RECORD),
                true,
            ),
        ];
        for (what, change, hit) in changes {
            change();
            assert_eq!(
                from_memory(&source, &both),
                None,
                "{what}: still taken as known"
            );
            assert_eq!(source.knows(&subject(), &both).unwrap(), hit, "{what}");
            assert_eq!(
                from_memory(&source, &both),
                Some(hit),
                "{what}: not remembered"
            );
        }

        // A hidden temporary file changes nothing that is known; any other name may be
        // the subject's file on a case-insensitive folder: the folder is forgotten.
        let huur = [Category::Huurgegevens];
        assert!(!source.knows(&subject(), &huur).unwrap());
        std::fs::write(root.join("huurgegevens").join(".export.tmp"), "x").unwrap();
        assert_eq!(from_memory(&source, &huur), Some(false));
        std::fs::write(root.join("huurgegevens").join("other.txt"), "x").unwrap();
        assert_eq!(from_memory(&source, &huur), None);
        assert_eq!(from_memory(&source, &[Category::Handhaving]), Some(true));

        // A mode change may make a file unreadable: read again.
        let file = root.join("handhaving").join(format!("{SUBJECT}.json"));
        let mut mode = std::fs::metadata(&file).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut mode, 0o600);
        std::fs::set_permissions(&file, mode).unwrap();
        assert_eq!(from_memory(&source, &both), None);
    }

    #[test]
    fn a_replaced_folder_or_export_is_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir_all(a.join("huurgegevens")).unwrap();
        write(&b, "huurgegevens", SUBJECT, RECORD);
        let export = dir.path().join("export");
        std::os::unix::fs::symlink(&a, &export).unwrap();
        let source = JsonDirSource::open(&export).unwrap();
        let huur = [Category::Huurgegevens];
        // Absent: remembered without a stamp (its creation would be an event).
        assert!(!source.knows(&subject(), &huur).unwrap());
        assert_eq!(from_memory(&source, &huur), Some(false));

        // The export switched to another directory by its link.
        let link = dir.path().join("export.new");
        std::os::unix::fs::symlink(&b, &link).unwrap();
        std::fs::rename(&link, &export).unwrap();
        assert_eq!(from_memory(&source, &huur), None);
        assert!(source.knows(&subject(), &huur).unwrap());

        // A category folder replaced by a rename, after the watch is set up again.
        std::thread::sleep(super::super::known_files::REWATCH_AFTER);
        assert!(source.knows(&subject(), &huur).unwrap());
        assert_eq!(from_memory(&source, &huur), Some(true));
        let fresh = dir.path().join("fresh");
        std::fs::create_dir_all(fresh.join("huurgegevens")).unwrap();
        std::fs::rename(b.join("huurgegevens"), dir.path().join("old")).unwrap();
        std::fs::rename(fresh.join("huurgegevens"), b.join("huurgegevens")).unwrap();
        assert_eq!(from_memory(&source, &huur), None);
        assert!(!source.knows(&subject(), &huur).unwrap());
    }

    #[test]
    fn a_file_with_another_name_is_read_at_every_question() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("huurgegevens")).unwrap();
        let elsewhere = root.join("elsewhere.json");
        std::fs::write(&elsewhere, RECORD).unwrap();
        let file = root.join("huurgegevens").join(format!("{SUBJECT}.json"));
        let source = JsonDirSource::open(root).unwrap();
        let huur = [Category::Huurgegevens];
        let hard: &dyn Fn() = &|| std::fs::hard_link(&elsewhere, &file).unwrap();
        let symbolic: &dyn Fn() = &|| std::os::unix::fs::symlink(&elsewhere, &file).unwrap();
        for (what, link) in [("a hard link", hard), ("a symbolic link", symbolic)] {
            let _ = std::fs::remove_file(&file);
            link();
            assert!(source.knows(&subject(), &huur).unwrap(), "{what}");
            assert_eq!(from_memory(&source, &huur), None, "{what}: remembered");
            // A change through the other name, which this folder's watch does not see.
            std::fs::write(&elsewhere, "[]").unwrap();
            assert!(!source.knows(&subject(), &huur).unwrap(), "{what}");
            std::fs::write(&elsewhere, RECORD).unwrap();
        }
    }

    /// A second name made after the file was read, and a change through it, which the
    /// folder's watch does not hear of: the file's changed stamp is seen.
    #[test]
    fn a_change_through_a_name_made_later_elsewhere_is_seen() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("export");
        write(&root, "huurgegevens", SUBJECT, RECORD);
        let source = JsonDirSource::open(&root).unwrap();
        let huur = [Category::Huurgegevens];
        assert!(source.knows(&subject(), &huur).unwrap());
        assert_eq!(from_memory(&source, &huur), Some(true));
        let other = dir.path().join("backup.json");
        std::fs::hard_link(
            root.join("huurgegevens").join(format!("{SUBJECT}.json")),
            &other,
        )
        .unwrap();
        // Truncated and written in place, through the other name only, to the same
        // size (no record, the rest blank), which is then removed again: one name and
        // one size, as when it was read.
        std::fs::write(&other, format!("[]{}", " ".repeat(RECORD.len() - 2))).unwrap();
        std::fs::remove_file(&other).unwrap();
        assert_eq!(from_memory(&source, &huur), None);
        assert!(!source.knows(&subject(), &huur).unwrap());
    }

    /// Two category folders that are one folder (linked): a change heard for one is a
    /// change of both.
    #[test]
    fn a_folder_that_two_categories_share_forgets_for_both() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("huurgegevens")).unwrap();
        std::os::unix::fs::symlink(root.join("huurgegevens"), root.join("handhaving")).unwrap();
        let source = JsonDirSource::open(root).unwrap();
        let (huur, handhaving) = ([Category::Huurgegevens], [Category::Handhaving]);
        assert!(!source.knows(&subject(), &huur).unwrap());
        assert!(!source.knows(&subject(), &handhaving).unwrap());
        assert_eq!(from_memory(&source, &handhaving), Some(false));
        write(root, "huurgegevens", SUBJECT, RECORD);
        assert_eq!(from_memory(&source, &handhaving), None);
        assert!(source.knows(&subject(), &handhaving).unwrap());
    }

    /// When the kernel's queue of events overflows, the events lost may have named any
    /// file: nothing remembered is used.
    #[test]
    fn lost_events_forget_everything() {
        let limit: usize = std::fs::read_to_string("/proc/sys/fs/inotify/max_queued_events")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(16_384);
        assert!(
            limit <= 1 << 20,
            "an unusually long event queue ({limit}); the test would take long"
        );
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("huurgegevens")).unwrap();
        let source = JsonDirSource::open(root).unwrap();
        let huur = [Category::Huurgegevens];
        // Absent: remembered without a stamp, on the folder's events alone.
        assert!(!source.knows(&subject(), &huur).unwrap());
        assert_eq!(from_memory(&source, &huur), Some(false));
        // Fill the queue with hidden files' events (two files in turn: the kernel
        // merges a repeat of the last event), then create the subject's file: its
        // event is lost.
        let noise = [
            root.join("huurgegevens").join(".a.tmp"),
            root.join("huurgegevens").join(".b.tmp"),
        ];
        for i in 0..=limit {
            std::fs::write(&noise[i % 2], "x").unwrap();
        }
        write(root, "huurgegevens", SUBJECT, RECORD);
        assert_eq!(from_memory(&source, &huur), None);
        assert!(source.knows(&subject(), &huur).unwrap());
    }

    #[test]
    fn reads_records_and_finds_hits() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "huurgegevens",
            SUBJECT,
            r#"[{"reference": "R-1", "recorded_at": "2026-11-01T09:00:00Z",
                 "fields": {"huurstatus": "lopend", "huurachterstand": 2, "overlastdossier": true, "huurder_sinds": null}}]"#,
        );
        std::fs::create_dir_all(dir.path().join("handhaving")).unwrap();
        std::fs::write(dir.path().join("README.txt"), "export of 2026-11-01").unwrap();
        std::fs::create_dir_all(dir.path().join(".tmp")).unwrap();
        let source = JsonDirSource::open(dir.path()).unwrap();
        assert_eq!(
            source.categories(),
            [Category::Huurgegevens, Category::Handhaving]
        );
        let all = Category::ALL;
        assert!(source.knows(&subject(), all).unwrap());
        assert!(!source.knows(&subject(), &[Category::Handhaving]).unwrap());
        let other = Pseudonym::parse(&"ab".repeat(32)).unwrap();
        assert!(!source.knows(&other, all).unwrap());
        let records = source.records(&subject(), all).unwrap();
        assert_eq!(records.len(), 1);
        let r = records.first().unwrap();
        assert_eq!(r.category, Category::Huurgegevens);
        assert_eq!(r.reference, "R-1");
        let fields: Vec<(&str, &str)> = r
            .fields
            .iter()
            .map(|f| (f.name.as_str(), f.value.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("huurachterstand", "2"),
                ("huurstatus", "lopend"),
                ("overlastdossier", "true")
            ]
        );
        assert!(!format!("{r:?}").contains("lopend"));
        assert!(
            source
                .records(&subject(), &[Category::Handhaving])
                .unwrap()
                .is_empty()
        );
        assert!(
            source.describe().contains("huurgegevens, handhaving"),
            "{}",
            source.describe()
        );
    }

    #[test]
    fn refuses_a_folder_that_is_not_a_category() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("politie-incident")).unwrap();
        let err = JsonDirSource::open(dir.path()).unwrap_err();
        assert!(
            matches!(&err, SourceError::UnknownCategory { name, .. } if name == "politie-incident"),
            "{err}"
        );
        assert!(
            err.to_string()
                .contains("did you mean 'politie-incidenten'"),
            "{err}"
        );
    }

    #[test]
    fn refuses_a_missing_directory() {
        let dir = tempfile::tempdir().unwrap();
        let err = JsonDirSource::open(&dir.path().join("nope")).unwrap_err();
        assert!(matches!(err, SourceError::Directory { .. }), "{err}");
    }

    #[test]
    fn malformed_files_name_the_place_not_the_value() {
        let err = parse("[{\"reference\": \"Jansen\",").unwrap_err();
        assert!(
            matches!(
                err,
                SourceError::Json {
                    kind: "end of file",
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(problem("{}").0, ".");
        assert_eq!(
            problem("[1]"),
            ("[0]".into(), "a record must be a JSON object".into())
        );
        let ok = r#""reference": "R", "recorded_at": "2026-11-01T09:00:00Z""#;
        assert_eq!(
            problem(&format!(
                "[{{{ok}, \"fields\": {{\"naam\": [\"Jansen\"]}}}}]"
            )),
            (
                "[0].fields.naam".into(),
                "a field value must be text, a number or true/false".into()
            )
        );
        assert_eq!(
            problem(&format!("[{{{ok}, \"fields\": {{\"Jan Jansen\": {{}}}}}}]")).0,
            "[0].fields.(name not shown)"
        );
        assert_eq!(
            problem(&format!("[{{{ok}, \"fields\": {{}}, \"extra\": 1}}]")).1,
            "unknown key \"extra\"; a record has only \"reference\", \"recorded_at\" and \"fields\""
        );
        assert_eq!(
            problem(r#"[{"reference": "R", "recorded_at": "1 nov", "fields": {}}]"#).0,
            "[0].recorded_at"
        );
        assert_eq!(
            problem(r#"[{"reference": "", "recorded_at": "2026-11-01T09:00:00Z", "fields": {}}]"#)
                .0,
            "[0].reference"
        );
        assert_eq!(
            problem(r#"[{"recorded_at": "2026-11-01T09:00:00Z", "fields": {}}]"#).1,
            "missing \"reference\""
        );
        for text in [
            "[{\"reference\": \"Jansen\", \"recorded_at\": \"Jansen\", \"fields\": {}}]",
            "[{\"reference\": \"R\", \"recorded_at\": \"2026-11-01T09:00:00Z\", \"fields\": \"Jansen\"}]",
            "[\"Jansen\"]",
        ] {
            let e = parse(text).unwrap_err().to_string();
            assert!(!e.contains("Jansen"), "{e}");
        }
    }

    #[test]
    fn a_malformed_file_is_an_error_when_read() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "huurgegevens", SUBJECT, "not json");
        let source = JsonDirSource::open(dir.path()).unwrap();
        let err = source
            .records(&subject(), &[Category::Huurgegevens])
            .unwrap_err();
        assert!(
            matches!(
                err,
                SourceError::Json {
                    kind: "syntax",
                    line: 1,
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            err.to_string().contains(SUBJECT),
            "the error names the file: {err}"
        );
    }

    #[test]
    fn an_oversized_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let big = format!("[{}]", " ".repeat(MAX_FILE_BYTES as usize));
        write(dir.path(), "huurgegevens", SUBJECT, &big);
        let source = JsonDirSource::open(dir.path()).unwrap();
        let err = source
            .records(&subject(), &[Category::Huurgegevens])
            .unwrap_err();
        assert!(matches!(err, SourceError::TooLarge { .. }), "{err}");
    }
}
