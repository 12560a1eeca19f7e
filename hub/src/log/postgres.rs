//! The decision log in PostgreSQL (`[store] backend = "postgres"`, issue 21): the same
//! [`Log`] handle, its records in three tables of the data database
//! (`migrations/data/0002_decision_log.sql`, `0003_checkpoint_signer.sql`), shared by
//! every hub replica.
//!
//! **Sequencing.** A replica's committer gathers a batch as the file log's does and
//! appends it in one transaction that first locks the head row (`hub_log_head`, `SELECT
//! … FOR UPDATE`): it reads the entries other replicas appended since it last looked,
//! inserts its own at the next indices, and moves `appended`. The commit is the
//! durability point (the server's `fsync` and `synchronous_commit` are checked at open,
//! [`crate::store::postgres::migrate::check_durability`]); only then are the indices
//! handed out. So indices are consecutive across replicas, and an entry exists exactly
//! when its caller could have been told its index.
//!
//! **One signer at a time, never two views.** A checkpoint is signed inside the same
//! kind of transaction, under the head row's lock, over the tree the replica rebuilt
//! from every committed entry (each checked against its record tag, and every stored
//! checkpoint checked against that tree first). It is published by compare-and-swap:
//! `UPDATE hub_log_head SET signed = new WHERE signed = old`. Whichever replica signs,
//! the checkpoint of a size is over the same entries, and sizes only grow: two replicas
//! cannot sign different views. Each published checkpoint names the replica that signed
//! it (`signed_by`, the replica id of [`open_as_replica`]), so that a leader change can
//! be followed ([`checkpoint_signers`], printed by `hub log verify`).
//!
//! **Every replica serves proofs.** Each replica keeps the whole tree in memory, as
//! the file log does. Its committer catches up with the other replicas' entries and
//! checkpoints (and cosignatures) every [`CATCH_UP_EVERY`] while idle, and always
//! before it appends or signs.
//!
//! **Fails closed.** A batch whose transaction does not commit (database unreachable,
//! statement timeout, the fault switch in tests) fails for every caller in it, and no
//! index is used. A commit whose answer is lost can leave the batch in the log while its
//! callers got an error: as with files, the log can hold more than what took effect,
//! never less.
//!
//! The tables cannot be altered unseen: entries carry the same record tags as segment
//! records, checkpoints are signed (and cosigned by the agents, who keep them), and
//! [`verify_database`] (`hub log verify`) names the first changed, removed or inserted
//! entry, as [`super::verify_dir`] does for files.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use deadpool_postgres::GenericClient;

use super::checkpoint::{Checkpoint, SignedCheckpoint, open_checkpoint};
use super::entry::Entry;
use super::faults::FaultSwitch;
use super::hash::{Hash, leaf_hash};
use super::key::LogKey;
use super::segment::{KIND_ENTRY, tag};
use super::store::{
    Counters, Inner, Log, LogError, LogOptions, OpenReport, Place, Request, Shared, State,
    StoredEntry, fail_requests, gather, read_state, write_state,
};
use super::tree::MerkleTree;
use super::verify::{Finding, Problem, VerifyError, VerifyReport};
use crate::store::RecordRows;
use crate::store::postgres::{
    Database, database::db_error, database::pool_error, database::prepared, write_rows,
};

/// How often an idle replica reads what the others appended and signed.
pub const CATCH_UP_EVERY: Duration = Duration::from_millis(250);
/// Entries read per statement when catching up or verifying.
const READ_CHUNK: i64 = 10_000;

/// Where the log lives, for messages (`postgres: <database>`).
fn place_name(database: &Database) -> PathBuf {
    PathBuf::from(format!("postgres: {}", database.name()))
}

fn db_failure(database: &Database, detail: String) -> LogError {
    LogError::Write {
        path: place_name(database),
        source: Arc::new(std::io::Error::other(detail)),
    }
}

fn to_i64(n: u64) -> Result<i64, String> {
    i64::try_from(n).map_err(|_| format!("index {n} is beyond the database's bigint"))
}

fn to_u64(n: i64) -> Result<u64, String> {
    u64::try_from(n).map_err(|_| format!("a negative index ({n}) is stored"))
}

/// A finding at entry `index` that shows in no file.
fn finding(index: u64, problem: Problem) -> Finding {
    Finding {
        index,
        problem,
        segment: None,
        offset: None,
    }
}

/// What reading the tables found: the entries from a given index (their leaves), the
/// checkpoints, and the first problem.
struct Read {
    leaves: Vec<Hash>,
    /// Checkpoints read (opened with the log's key), by size.
    checkpoints: BTreeMap<u64, SignedCheckpoint>,
    /// The largest `changed` of the checkpoints read.
    changed: i64,
    /// The head row's `appended` and `signed`.
    appended: u64,
    signed: u64,
    finding: Option<Finding>,
}

/// The head row's `appended` and `signed`; with `lock`, locked until the transaction
/// ends (the sequencer's and the signer's lock).
async fn read_head(client: &impl GenericClient, lock: bool) -> Result<(u64, u64), String> {
    let statement = prepared(
        client,
        if lock {
            "SELECT appended, signed FROM hub_log_head WHERE id = 1 FOR UPDATE"
        } else {
            "SELECT appended, signed FROM hub_log_head WHERE id = 1"
        },
    )
    .await?;
    let head = client
        .query_opt(&statement, &[])
        .await
        .map_err(|e| db_error(&e))?
        .ok_or("the decision log's head row is missing (hub_log_head)")?;
    Ok((to_u64(head.get(0))?, to_u64(head.get(1))?))
}

/// Opens the checkpoint stored as `size` with the log's key; a finding (at `size`, or
/// the log's end if that is smaller) when it does not open or is of another size.
fn open_stored(
    key: &LogKey,
    size: u64,
    note: &[u8],
    appended: u64,
) -> Result<SignedCheckpoint, Finding> {
    let detail = match open_checkpoint(key.origin(), &[key.verifier().clone()], note) {
        Ok(opened) if opened.checkpoint().size == size => return Ok(opened.note),
        Ok(opened) => format!(
            "the checkpoint stored as size {size} is of size {}",
            opened.checkpoint().size
        ),
        Err(e) => format!("the checkpoint stored as size {size}: {e}"),
    };
    Err(finding(
        size.min(appended),
        Problem::BadCheckpoint { detail },
    ))
}

/// Reads, in `client`'s transaction or session, the checkpoints changed after
/// `changed_after`, then the entries from `from` up to the head row's `appended`
/// (checkpoints first: one committed before that read covers only entries committed
/// before it). Checks every entry's tag and index; `lock` takes the head row's lock.
async fn read_since(
    client: &impl GenericClient,
    key: &LogKey,
    from: u64,
    changed_after: i64,
    lock: bool,
) -> Result<Read, String> {
    let (appended, signed) = read_head(client, lock).await?;
    let mut read = Read {
        leaves: Vec::new(),
        checkpoints: BTreeMap::new(),
        changed: changed_after,
        appended,
        signed,
        finding: None,
    };
    let rows = client
        .query(
            &prepared(
                client,
                "SELECT tree_size, note, changed FROM hub_log_checkpoints \
             WHERE changed > $1 ORDER BY changed",
            )
            .await?,
            &[&changed_after],
        )
        .await
        .map_err(|e| db_error(&e))?;
    for row in rows {
        let size = to_u64(row.get(0))?;
        let note: Vec<u8> = row.get(1);
        read.changed = read.changed.max(row.get(2));
        match open_stored(key, size, &note, appended) {
            Ok(cp) => {
                read.checkpoints.insert(size, cp);
            }
            Err(f) => {
                read.finding.get_or_insert(f);
            }
        }
    }
    let mut next = from;
    while next < appended && read.finding.is_none() {
        let rows = client
            .query(
                &prepared(
                    client,
                    "SELECT idx, body, tag FROM hub_log_entries WHERE idx >= $1 AND idx < $2 \
                 ORDER BY idx LIMIT $3",
                )
                .await?,
                &[&to_i64(next)?, &to_i64(appended)?, &READ_CHUNK],
            )
            .await
            .map_err(|e| db_error(&e))?;
        if rows.is_empty() {
            read.finding = Some(finding(
                next,
                Problem::Cut {
                    reached: appended,
                    evidence: super::Evidence::Appended,
                },
            ));
            break;
        }
        for row in rows {
            let idx = to_u64(row.get(0))?;
            if idx != next {
                // Index `next` is missing: removed (the sequencer never skips one).
                read.finding = Some(finding(next, Problem::Removed { found: idx }));
                break;
            }
            let body: Vec<u8> = row.get(1);
            let stored_tag: Vec<u8> = row.get(2);
            if !entry_authentic(key, idx, &body, &stored_tag) {
                read.finding = Some(finding(idx, Problem::Changed));
                break;
            }
            read.leaves.push(leaf_hash(&body));
            next += 1;
        }
    }
    Ok(read)
}

fn entry_authentic(key: &LogKey, idx: u64, body: &[u8], stored_tag: &[u8]) -> bool {
    let Ok(len) = u32::try_from(body.len()) else {
        return false;
    };
    body.len() <= super::segment::MAX_BODY
        && stored_tag == tag(key, KIND_ENTRY, len, idx, body).as_slice()
}

/// Entries stored beyond the head row's `appended`: only a writer that bypassed the
/// sequencer puts them there.
async fn first_unsequenced(
    client: &impl GenericClient,
    appended: u64,
) -> Result<Option<u64>, String> {
    let row = client
        .query_one(
            &prepared(
                client,
                "SELECT min(idx) FROM hub_log_entries WHERE idx >= $1",
            )
            .await?,
            &[&to_i64(appended)?],
        )
        .await
        .map_err(|e| db_error(&e))?;
    row.get::<_, Option<i64>>(0).map(to_u64).transpose()
}

/// Checks each checkpoint of `read` against `tree` (which holds every entry read): the
/// first one the tree does not match, as a finding.
fn check_checkpoints(
    tree: &MerkleTree,
    checkpoints: &BTreeMap<u64, SignedCheckpoint>,
    head_signed: u64,
) -> Option<Finding> {
    for (&size, cp) in checkpoints {
        if size > tree.len() {
            return Some(finding(
                tree.len(),
                Problem::Missing {
                    checkpoint_size: size,
                },
            ));
        }
        if tree.root_at(size).ok() != Some(cp.checkpoint().root) {
            return Some(finding(
                good_size_below(tree, checkpoints, size),
                Problem::RootMismatch {
                    checkpoint_size: size,
                },
            ));
        }
    }
    // The head row names the largest published checkpoint; it must be stored.
    if head_signed > 0 && !checkpoints.contains_key(&head_signed) {
        return Some(finding(
            head_signed.min(tree.len()),
            Problem::BadCheckpoint {
                detail: format!(
                    "the head row says a checkpoint of size {head_signed} was published, and none is stored"
                ),
            },
        ));
    }
    None
}

/// The largest checkpoint size below `size` the tree still matches: the rewritten
/// entries are after it.
fn good_size_below(
    tree: &MerkleTree,
    checkpoints: &BTreeMap<u64, SignedCheckpoint>,
    size: u64,
) -> u64 {
    checkpoints
        .range(..size)
        .rev()
        .find(|(s, cp)| tree.root_at(**s).ok() == Some(cp.checkpoint().root))
        .map_or(0, |(s, _)| *s)
}

/// Opens the decision log kept in `database` (whose data schema is migrated): claims
/// the head row for this log's key on first use (another key is refused), reads and
/// checks every entry and checkpoint, and starts the committer thread. Blocking; call
/// it at start-up. A log that does not verify is not opened ([`LogError::Tampered`]).
/// The checkpoints it publishes name no signer: a hub replica opens the log with
/// [`open_as_replica`].
pub fn open(
    database: Database,
    key: LogKey,
    options: LogOptions,
) -> Result<(Log, OpenReport), LogError> {
    open_signing_as(database, key, options, None)
}

/// [`open`] for the hub replica `replica` (its replica id, [`crate::relay::Relay::replica`]):
/// every checkpoint this handle publishes names it as its signer
/// (`hub_log_checkpoints.signed_by`).
pub fn open_as_replica(
    database: Database,
    key: LogKey,
    options: LogOptions,
    replica: &str,
) -> Result<(Log, OpenReport), LogError> {
    open_signing_as(database, key, options, Some(replica.to_owned()))
}

fn open_signing_as(
    database: Database,
    key: LogKey,
    options: LogOptions,
    signer: Option<String>,
) -> Result<(Log, OpenReport), LogError> {
    let origin = key.origin().to_owned();
    let verifier = key.verifier().to_string();
    let claimed = database
        .run(move |pool| async move {
            let client = pool.get().await.map_err(|e| pool_error(&e))?;
            client
                .execute(
                    &prepared(
                        &client,
                        "INSERT INTO hub_log_head (id, origin, verifier, appended, signed) \
                     VALUES (1, $1, $2, 0, 0) ON CONFLICT (id) DO NOTHING",
                    )
                    .await?,
                    &[&origin, &verifier],
                )
                .await
                .map_err(|e| db_error(&e))?;
            let row = client
                .query_one(
                    &prepared(
                        &client,
                        "SELECT origin, verifier FROM hub_log_head WHERE id = 1",
                    )
                    .await?,
                    &[],
                )
                .await
                .map_err(|e| db_error(&e))?;
            Ok((row.get::<_, String>(0), row.get::<_, String>(1)))
        })
        .map_err(|e| db_failure(&database, e.detail))?;
    if claimed.1 != key.verifier().to_string() {
        return Err(LogError::OtherKey {
            place: place_name(&database),
            stored: claimed.1,
            ours: key.verifier().to_string(),
        });
    }
    let (tree, checkpoints, changed) = read_all(&database, &key).map_err(|e| match e {
        VerifyError::Tampered(f) => LogError::Tampered(f),
        VerifyError::Storage(e) => e,
    })?;
    let report = OpenReport {
        entries: tree.len(),
        segments: 0,
        checkpoints: checkpoints.len(),
        torn_tail: None,
    };
    let mut options = options;
    options.max_batch_entries = options.max_batch_entries.max(1);
    let shared = Arc::new(Shared {
        dir: place_name(&database),
        key,
        options,
        faults: FaultSwitch::new(),
        state: RwLock::new(State {
            tree,
            locations: Vec::new(),
            segments: Vec::new(),
            last_len: 0,
            latest: checkpoints.values().next_back().cloned(),
            by_size: checkpoints,
        }),
        counters: Counters::default(),
        rng: ring::rand::SystemRandom::new(),
        place: Place::Postgres(database.clone()),
    });
    let (tx, rx) = mpsc::channel();
    let committer = Committer {
        shared: Arc::clone(&shared),
        database,
        changed,
        catch_up_failing: false,
        signer,
    };
    let thread = std::thread::Builder::new()
        .name("decision-log-pg".into())
        .spawn(move || committer.run(rx))
        .map_err(|e| LogError::write(&shared.dir, e))?;
    let log = Log {
        inner: Arc::new(Inner {
            shared,
            tx: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
        }),
    };
    Ok((log, report))
}

/// Reads the whole log from `database` and checks it: every entry's tag and index, no
/// entry beyond the sequencer's `appended`, every checkpoint against the tree. Returns
/// the tree, the checkpoints by size and the largest `changed` read.
fn read_all(
    database: &Database,
    key: &LogKey,
) -> Result<(MerkleTree, BTreeMap<u64, SignedCheckpoint>, i64), VerifyError> {
    // The reads run on the database's runtime, which needs the key: a copy of its
    // verifier for checkpoints, and the record key through a borrowed closure is not
    // 'static; so the rows are fetched there and checked here.
    let rows = fetch_all(database)?;
    let mut tree = MerkleTree::new();
    let mut checkpoints = BTreeMap::new();
    let mut first: Option<Finding> = None;
    for (size, note) in &rows.checkpoints {
        match open_stored(key, *size, note, rows.appended) {
            Ok(cp) => {
                checkpoints.insert(*size, cp);
            }
            Err(f) => {
                first.get_or_insert(f);
            }
        }
    }
    for (expected, (idx, body, stored_tag)) in (0u64..).zip(&rows.entries) {
        if *idx != expected {
            let problem = if *idx > expected {
                Problem::Removed { found: *idx }
            } else {
                Problem::Duplicated { found: *idx }
            };
            first = Some(earliest(first, finding(expected, problem)));
            break;
        }
        if !entry_authentic(key, *idx, body, stored_tag) {
            first = Some(earliest(first, finding(*idx, Problem::Changed)));
            break;
        }
        if Entry::from_canonical(body).is_err() {
            first = Some(earliest(first, finding(*idx, Problem::NotAnEntry)));
            break;
        }
        tree.push(leaf_hash(body));
    }
    if first.is_none() {
        if tree.len() < rows.appended {
            first = Some(finding(
                tree.len(),
                Problem::Cut {
                    reached: rows.appended,
                    evidence: super::Evidence::Appended,
                },
            ));
        } else if let Some(extra) = rows.unsequenced {
            first = Some(finding(
                extra,
                Problem::BadCheckpoint {
                    detail: format!(
                        "entry {extra} is stored beyond the {} the sequencer handed out: \
                         it was inserted outside the hub",
                        rows.appended
                    ),
                },
            ));
        } else {
            first = check_checkpoints(&tree, &checkpoints, rows.signed);
        }
    }
    match first {
        Some(f) => Err(VerifyError::Tampered(f)),
        None => Ok((tree, checkpoints, rows.changed)),
    }
}

fn earliest(a: Option<Finding>, b: Finding) -> Finding {
    match a {
        Some(a) if a.index <= b.index => a,
        _ => b,
    }
}

/// Every row of the log's tables, in order, read in one snapshot (a repeatable-read,
/// read-only transaction), so a replica appending meanwhile changes nothing read.
struct AllRows {
    appended: u64,
    signed: u64,
    entries: Vec<(u64, Vec<u8>, Vec<u8>)>,
    /// The smallest index stored at or beyond `appended`, if any.
    unsequenced: Option<u64>,
    checkpoints: Vec<(u64, Vec<u8>)>,
    changed: i64,
}

fn fetch_all(database: &Database) -> Result<AllRows, VerifyError> {
    database
        .run(|pool| async move {
            let mut client = pool.get().await.map_err(|e| pool_error(&e))?;
            let tx = client
                .build_transaction()
                .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await
                .map_err(|e| db_error(&e))?;
            let (appended, signed) = read_head(&tx, false).await?;
            let mut entries = Vec::new();
            let mut after: i64 = -1;
            loop {
                let rows = tx
                    .query(
                        &prepared(&tx, "SELECT idx, body, tag FROM hub_log_entries WHERE idx > $1 AND idx < $2 \
                         ORDER BY idx LIMIT $3").await?,
                        &[&after, &to_i64(appended)?, &READ_CHUNK],
                    )
                    .await
                    .map_err(|e| db_error(&e))?;
                let Some(last) = rows.last() else { break };
                after = last.get(0);
                for row in &rows {
                    entries.push((to_u64(row.get(0))?, row.get(1), row.get(2)));
                }
            }
            let unsequenced = first_unsequenced(&tx, appended).await?;
            let mut checkpoints = Vec::new();
            let mut changed = 0i64;
            for row in tx
                .query(
                    &prepared(&tx, "SELECT tree_size, note, changed FROM hub_log_checkpoints ORDER BY tree_size").await?,
                    &[],
                )
                .await
                .map_err(|e| db_error(&e))?
            {
                checkpoints.push((to_u64(row.get(0))?, row.get(1)));
                changed = changed.max(row.get(2));
            }
            tx.commit().await.map_err(|e| db_error(&e))?;
            Ok(AllRows {
                appended,
                signed,
                entries,
                unsequenced,
                checkpoints,
                changed,
            })
        })
        .map_err(|e| VerifyError::Storage(db_failure(database, e.detail)))
}

/// `hub log verify` for a log in PostgreSQL (the hub may be running or not): every
/// entry against its tag and index, every stored checkpoint and each of
/// `extra_checkpoints` (notes a party holds) against the recomputed tree; names the
/// first entry that was changed, removed or inserted.
pub fn verify_database(
    database: &Database,
    key: &LogKey,
    extra_checkpoints: &[Vec<u8>],
) -> Result<VerifyReport, VerifyError> {
    let (tree, mut checkpoints, _) = read_all(database, key)?;
    let stored_checkpoints = checkpoints.len();
    for note in extra_checkpoints {
        let opened =
            open_checkpoint(key.origin(), &[key.verifier().clone()], note).map_err(|e| {
                VerifyError::Tampered(finding(
                    0,
                    Problem::BadCheckpoint {
                        detail: format!("a supplied checkpoint: {e}"),
                    },
                ))
            })?;
        let size = opened.checkpoint().size;
        if let Some(f) = check_checkpoints(&tree, &BTreeMap::from([(size, opened.note.clone())]), 0)
        {
            return Err(VerifyError::Tampered(f));
        }
        checkpoints.insert(size, opened.note);
    }
    Ok(VerifyReport {
        entries: tree.len(),
        root: tree.root(),
        checkpoints: stored_checkpoints + extra_checkpoints.len(),
        covered_by_checkpoint: checkpoints.keys().next_back().copied().unwrap_or(0),
        torn_tail: None,
    })
}

/// The checkpoints one replica signed ([`checkpoint_signers`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerCount {
    /// The replica id (as stored: text from the database, escape it before printing);
    /// `None` for checkpoints published before signers were recorded (data schema
    /// version 2) or by a log opened outside a hub replica.
    pub signer: Option<String>,
    /// How many stored checkpoints it signed.
    pub checkpoints: u64,
    /// The smallest and the largest tree size it signed.
    pub first_size: u64,
    pub last_size: u64,
}

/// Who signed the checkpoints stored in `database` (`hub_log_checkpoints.signed_by`):
/// one [`SignerCount`] per signer, ordered by the largest size each signed, so the
/// last is the signer of the latest checkpoint. What it says is only as good as the
/// table: [`verify_database`] checks the checkpoints themselves.
pub fn checkpoint_signers(database: &Database) -> Result<Vec<SignerCount>, LogError> {
    database
        .run(|pool| async move {
            let client = pool.get().await.map_err(|e| pool_error(&e))?;
            let rows = client
                .query(
                    &prepared(
                        &client,
                        "SELECT signed_by, count(*), min(tree_size), max(tree_size) \
                     FROM hub_log_checkpoints GROUP BY signed_by ORDER BY max(tree_size)",
                    )
                    .await?,
                    &[],
                )
                .await
                .map_err(|e| db_error(&e))?;
            rows.iter()
                .map(|row| {
                    Ok(SignerCount {
                        signer: row.get(0),
                        checkpoints: to_u64(row.get(1))?,
                        first_size: to_u64(row.get(2))?,
                        last_size: to_u64(row.get(3))?,
                    })
                })
                .collect()
        })
        .map_err(|e| LogError::Read {
            path: place_name(database),
            source: Arc::new(std::io::Error::other(e.detail)),
        })
}

/// [`Log::verify`] of a running log in PostgreSQL: [`verify_database`], and every
/// stored entry the one this replica holds in its tree.
pub(super) fn verify_running(log: &Log, database: &Database) -> Result<VerifyReport, VerifyError> {
    let shared = &log.inner.shared;
    let (tree, _, _) = read_all(database, &shared.key)?;
    let st = read_state(shared);
    let size = st.tree.len();
    let differs = (0..size.min(tree.len())).find(|&i| tree.leaf(i) != st.tree.leaf(i));
    if let Some(i) = differs {
        return Err(VerifyError::Tampered(finding(
            i,
            Problem::DiffersFromAppended,
        )));
    }
    if tree.len() < size {
        return Err(VerifyError::Tampered(finding(
            tree.len(),
            Problem::MissingSinceAppended { appended: size },
        )));
    }
    drop(st);
    verify_database(database, &shared.key, &[])
}

/// Reads entry `index` of a log in PostgreSQL, checking its tag and that it is the
/// entry this replica holds at that index.
pub(super) fn read_entries(
    log: &Log,
    database: &Database,
    from: u64,
    to: u64,
) -> Result<Vec<StoredEntry>, LogError> {
    let shared = &log.inner.shared;
    let size = read_state(shared).tree.len();
    let to = to.min(size);
    if from >= to {
        return Ok(Vec::new());
    }
    let (from_i, to_i) = (
        to_i64(from).map_err(|e| db_failure(database, e))?,
        to_i64(to).map_err(|e| db_failure(database, e))?,
    );
    let rows = database
        .run(move |pool| async move {
            let client = pool.get().await.map_err(|e| pool_error(&e))?;
            let rows = client
                .query(
                    &prepared(&client, "SELECT idx, body, tag FROM hub_log_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx").await?,
                    &[&from_i, &to_i],
                )
                .await
                .map_err(|e| db_error(&e))?;
            rows.iter()
                .map(|r| Ok((to_u64(r.get(0))?, r.get::<_, Vec<u8>>(1), r.get::<_, Vec<u8>>(2))))
                .collect::<Result<Vec<_>, String>>()
        })
        .map_err(|e| LogError::Read {
            path: place_name(database),
            source: Arc::new(std::io::Error::other(e.detail)),
        })?;
    let corrupt = |index| LogError::Corrupt {
        index,
        path: place_name(database),
        offset: 0,
    };
    let mut out = Vec::with_capacity(rows.len());
    for (expected, (idx, body, stored_tag)) in (from..to).zip(rows) {
        if idx != expected {
            return Err(corrupt(expected));
        }
        let held = read_state(shared).tree.leaf(idx);
        if !entry_authentic(&shared.key, idx, &body, &stored_tag) || held != Some(leaf_hash(&body))
        {
            return Err(corrupt(idx));
        }
        let (entry, salt) = Entry::from_canonical(&body)?;
        out.push(StoredEntry {
            index: idx,
            bytes: body,
            entry,
            salt,
        });
    }
    if (out.len() as u64) < to - from {
        return Err(corrupt(from + out.len() as u64));
    }
    Ok(out)
}

/// The committer thread of a log in PostgreSQL.
struct Committer {
    shared: Arc<Shared>,
    database: Database,
    /// The largest `changed` of the checkpoints this replica has read.
    changed: i64,
    /// Whether the last catch-up failed (logged once, not every interval).
    catch_up_failing: bool,
    /// The replica id written beside each checkpoint this replica publishes.
    signer: Option<String>,
}

/// What one batch's transaction did.
struct Committed {
    /// The indices each append of the batch got, in order; or why one (a change that
    /// could not be formed) was left out of the transaction.
    appended: Vec<Result<Vec<u64>, LogError>>,
    leaves: Vec<Hash>,
    checkpoint: Option<SignedCheckpoint>,
    notes: Vec<SignedCheckpoint>,
}

/// One caller's entries in a batch, with the change they record, if any
/// ([`super::recording`]).
struct Appending {
    entries: Vec<Vec<u8>>,
    records: Option<super::recording::RecordsOf>,
}

/// Where a caller's indices go: one entry's, or a group's.
enum AppendReply {
    One(tokio::sync::oneshot::Sender<Result<u64, LogError>>),
    Group(tokio::sync::oneshot::Sender<Result<Vec<u64>, LogError>>),
}

impl AppendReply {
    fn send(self, result: Result<Vec<u64>, LogError>) {
        match self {
            AppendReply::One(reply) => {
                let one =
                    result.and_then(|indices| indices.first().copied().ok_or(LogError::Closed));
                let _ = reply.send(one);
            }
            AppendReply::Group(reply) => {
                let _ = reply.send(result);
            }
        }
    }
}

impl Committer {
    fn run(mut self, rx: mpsc::Receiver<Vec<Request>>) {
        let max = self.shared.options.max_batch_entries;
        loop {
            let first = match rx.recv_timeout(CATCH_UP_EVERY) {
                Ok(first) => first,
                Err(RecvTimeoutError::Timeout) => {
                    self.catch_up_idle();
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            };
            let batch = gather(&rx, first, max);
            self.commit(batch);
        }
    }

    /// Reads what other replicas appended and signed (outside any lock).
    fn catch_up_idle(&mut self) {
        match self.catch_up() {
            Ok(()) => self.catch_up_failing = false,
            Err(e) => {
                if !self.catch_up_failing {
                    tracing::warn!(error = %e, "cannot read the other replicas' decision-log entries; retrying");
                }
                self.catch_up_failing = true;
            }
        }
    }

    fn catch_up(&mut self) -> Result<(), LogError> {
        let from = read_state(&self.shared).tree.len();
        let changed = self.changed;
        let shared = Arc::clone(&self.shared);
        let read = self
            .database
            .run(move |pool| async move {
                let client = pool.get().await.map_err(|e| pool_error(&e))?;
                read_since(&client, &shared.key, from, changed, false).await
            })
            .map_err(|e| db_failure(&self.database, e.detail))?;
        self.absorb(from, read)
    }

    /// Adds entries and checkpoints read from the tables to the replica's state, after
    /// checking each checkpoint against the tree.
    fn absorb(&mut self, from: u64, read: Read) -> Result<(), LogError> {
        if let Some(f) = read.finding {
            tracing::error!(finding = %f, "the decision log in the database does not verify");
            return Err(LogError::Tampered(f));
        }
        let mut st = write_state(&self.shared);
        if st.tree.len() != from {
            // Only this thread grows the tree; nothing to do if it moved meanwhile.
            return Ok(());
        }
        for leaf in read.leaves {
            st.tree.push(leaf);
        }
        if let Some(f) = check_checkpoints(&st.tree, &read.checkpoints, 0) {
            tracing::error!(finding = %f, "a checkpoint in the database does not match the log");
            return Err(LogError::Tampered(f));
        }
        for (size, cp) in read.checkpoints {
            merge_into(&mut st, size, cp);
        }
        self.changed = read.changed;
        Ok(())
    }

    fn fail_all(&self, batch: Vec<Request>, e: &LogError) {
        fail_requests(&self.shared.counters, batch, e);
    }

    fn commit(&mut self, batch: Vec<Request>) {
        let faults = &self.shared.faults;
        let checked = faults
            .check_write()
            .and_then(|()| faults.check_sync())
            .map_err(|e| LogError::write(&self.shared.dir, e));
        if let Err(e) = checked {
            self.fail_all(batch, &e);
            return;
        }
        let mut appends = Vec::new();
        let mut entry_replies = Vec::new();
        let mut checkpoint_replies = Vec::new();
        let mut notes = Vec::new();
        let mut note_replies = Vec::new();
        for request in batch {
            match request {
                Request::Append { bytes, reply } => {
                    appends.push(Appending {
                        entries: vec![bytes],
                        records: None,
                    });
                    entry_replies.push(AppendReply::One(reply));
                }
                Request::AppendRecording {
                    entries,
                    records,
                    reply,
                } => {
                    appends.push(Appending {
                        entries,
                        records: Some(records),
                    });
                    entry_replies.push(AppendReply::Group(reply));
                }
                Request::Checkpoint { reply } => checkpoint_replies.push(reply),
                Request::StoreNote { note, reply } => {
                    notes.push(note);
                    note_replies.push(reply);
                }
            }
        }
        let wants_checkpoint = !checkpoint_replies.is_empty();
        let result = self.transaction(appends, wants_checkpoint, notes);
        let committed = match result {
            Ok(c) => c,
            Err(e) => {
                self.shared.counters.batch_failed(&e);
                tracing::error!(error = %e, "decision log append failed; the batch was not appended");
                for r in entry_replies {
                    r.send(Err(e.clone()));
                }
                for r in checkpoint_replies.into_iter().chain(note_replies) {
                    let _ = r.send(Err(e.clone()));
                }
                return;
            }
        };
        let n = committed.leaves.len() as u64;
        let counters = &self.shared.counters;
        counters.batch_written();
        counters.appended.fetch_add(n, Ordering::Relaxed);
        counters.max_batch.fetch_max(n, Ordering::Relaxed);
        let stored_notes = {
            let mut st = write_state(&self.shared);
            for leaf in &committed.leaves {
                st.tree.push(*leaf);
            }
            if let Some(cp) = &committed.checkpoint {
                merge_into(&mut st, cp.checkpoint().size, cp.clone());
            }
            committed
                .notes
                .into_iter()
                .map(|note| {
                    let size = note.checkpoint().size;
                    merge_into(&mut st, size, note);
                    st.by_size.get(&size).cloned()
                })
                .collect::<Vec<_>>()
        };
        for (reply, indices) in entry_replies.into_iter().zip(committed.appended) {
            reply.send(indices);
        }
        for reply in checkpoint_replies {
            let _ = reply.send(committed.checkpoint.clone().ok_or(LogError::Closed));
        }
        for (reply, note) in note_replies.into_iter().zip(stored_notes) {
            let _ = reply.send(note.ok_or(LogError::Closed));
        }
    }

    /// One batch in one transaction under the head row's lock: catch up, insert the
    /// entries, sign and publish a checkpoint (compare-and-swap), merge cosignatures.
    fn transaction(
        &mut self,
        appends: Vec<Appending>,
        wants_checkpoint: bool,
        notes: Vec<SignedCheckpoint>,
    ) -> Result<Committed, LogError> {
        // Phase 1, under the lock: what the others appended. The lock is held by the
        // open transaction, which phase 2 continues; the database runtime keeps the
        // connection between the two calls.
        let session = Arc::new(tokio::sync::Mutex::new(None::<Session>));
        let from = read_state(&self.shared).tree.len();
        let changed = self.changed;
        let shared = Arc::clone(&self.shared);
        let held = Arc::clone(&session);
        let read = self
            .database
            .run(move |pool| async move {
                let client = pool.get().await.map_err(|e| pool_error(&e))?;
                client
                    .batch_execute("BEGIN")
                    .await
                    .map_err(|e| db_error(&e))?;
                let read = read_since(&client, &shared.key, from, changed, true).await;
                let appended_ok = match &read {
                    Ok(r) => first_unsequenced(&client, r.appended).await.map(|u| (r.appended, u)),
                    Err(e) => Err(e.clone()),
                };
                *held.lock().await = Some(Session { client });
                match (read, appended_ok) {
                    (Ok(mut r), Ok((_, Some(extra)))) => {
                        r.finding.get_or_insert(finding(
                            extra,
                            Problem::BadCheckpoint {
                                detail: format!(
                                    "entry {extra} is stored beyond the {} the sequencer handed out",
                                    r.appended
                                ),
                            },
                        ));
                        Ok(r)
                    }
                    (Ok(r), Ok(_)) => Ok(r),
                    (Err(e), _) | (_, Err(e)) => Err(e),
                }
            })
            .map_err(|e| db_failure(&self.database, e.detail));
        let result = read.and_then(|read| {
            let (appended, signed) = (read.appended, read.signed);
            self.absorb(from, read)?;
            self.write_batch(&session, appended, signed, appends, wants_checkpoint, notes)
        });
        if result.is_err() {
            // End the transaction (and its lock) at once. A connection that cannot roll
            // back is closed rather than returned to the pool inside a transaction.
            let _ = self.database.run(move |_| async move {
                if let Some(s) = session.lock().await.take()
                    && s.client.batch_execute("ROLLBACK").await.is_err()
                {
                    drop(deadpool_postgres::Object::take(s.client));
                }
                Ok(())
            });
        }
        result
    }

    /// Phase 2 of [`Self::transaction`]: the tree holds every committed entry.
    fn write_batch(
        &mut self,
        session: &Arc<tokio::sync::Mutex<Option<Session>>>,
        appended: u64,
        signed: u64,
        appending: Vec<Appending>,
        wants_checkpoint: bool,
        notes: Vec<SignedCheckpoint>,
    ) -> Result<Committed, LogError> {
        let key = &self.shared.key;
        let (mut frontier, tree_len, known) = {
            let st = read_state(&self.shared);
            (
                st.tree.compact_range(),
                st.tree.len(),
                st.by_size.get(&signed).cloned(),
            )
        };
        if tree_len != appended {
            return Err(db_failure(
                &self.database,
                format!("the log read {tree_len} entries where the head row says {appended}"),
            ));
        }
        let mut appends = Vec::new();
        let mut indices = Vec::new();
        let mut tags = Vec::new();
        let mut leaves = Vec::new();
        let mut outcomes = Vec::with_capacity(appending.len());
        let mut rows = RecordRows::default();
        for Appending { entries, records } in appending {
            let next = appended + appends.len() as u64;
            let theirs: Vec<u64> = (next..next + entries.len() as u64).collect();
            // The change is formed with its entries' indices; one that cannot be is
            // left out with its entries, and the indices go to the next caller.
            if let Some(records) = records {
                match records(&theirs) {
                    Ok(more) => rows.extend(more),
                    Err(detail) => {
                        outcomes.push(Err(LogError::Recording(detail)));
                        continue;
                    }
                }
            }
            for (idx, body) in theirs.iter().copied().zip(entries) {
                let len = u32::try_from(body.len()).map_err(|_| {
                    db_failure(&self.database, "an entry is larger than 4 GiB".into())
                })?;
                indices.push(to_i64(idx).map_err(|e| db_failure(&self.database, e))?);
                tags.push(tag(key, KIND_ENTRY, len, idx, &body).to_vec());
                let leaf = leaf_hash(&body);
                frontier.push(leaf);
                leaves.push(leaf);
                appends.push(body);
            }
            outcomes.push(Ok(theirs));
        }
        let new_size = appended + appends.len() as u64;
        // The checkpoint: the published one when nothing was added, else a new one
        // over the whole tree, which this replica has just rebuilt from the tables.
        let checkpoint = match (wants_checkpoint, known) {
            (false, _) => None,
            (true, Some(cp)) if appends.is_empty() && cp.checkpoint().size == new_size => Some(cp),
            (true, _) if new_size == 0 => None,
            (true, _) => Some(
                key.sign_checkpoint(Checkpoint {
                    origin: key.origin().to_owned(),
                    size: new_size,
                    root: frontier.root(),
                })
                .map_err(LogError::Checkpoint)?,
            ),
        };
        let publish = checkpoint
            .as_ref()
            .filter(|cp| cp.checkpoint().size > signed)
            .map(|cp| cp.to_bytes());
        let (new_size_i, signed_i) = (
            to_i64(new_size).map_err(|e| db_failure(&self.database, e))?,
            to_i64(signed).map_err(|e| db_failure(&self.database, e))?,
        );
        let note_rows: Vec<(i64, SignedCheckpoint)> = notes
            .into_iter()
            .map(|n| Ok((to_i64(n.checkpoint().size)?, n)))
            .collect::<Result<_, String>>()
            .map_err(|e| db_failure(&self.database, e))?;
        let origin = key.origin().to_owned();
        let verifier = key.verifier().clone();
        let signer = self.signer.clone();
        let session = Arc::clone(session);
        let merged = self
            .database
            .run(move |_| async move {
                let guard = session.lock().await;
                let client = &guard.as_ref().ok_or("the transaction was lost")?.client;
                if !appends.is_empty() {
                    client
                        .execute(
                            &prepared(client, "INSERT INTO hub_log_entries (idx, body, tag)                              SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::bytea[])").await?,
                            &[&indices, &appends, &tags],
                        )
                        .await
                        .map_err(|e| db_error(&e))?;
                }
                // The state the entries record, in their transaction (`recording`).
                write_rows(client, &rows).await?;
                client
                    .execute(
                        &prepared(client, "UPDATE hub_log_head SET appended = $1 WHERE id = 1").await?,
                        &[&new_size_i],
                    )
                    .await
                    .map_err(|e| db_error(&e))?;
                if let Some(note) = &publish {
                    client
                        .execute(
                            &prepared(client, "INSERT INTO hub_log_checkpoints (tree_size, note, signed_by) \
                             VALUES ($1, $2, $3)").await?,
                            &[&new_size_i, note, &signer],
                        )
                        .await
                        .map_err(|e| db_error(&e))?;
                    // Compare-and-swap: the published size moves only from the value
                    // this replica read (under the lock it cannot have moved; if it
                    // has, nothing is published).
                    let swapped = client
                        .execute(
                            &prepared(client, "UPDATE hub_log_head SET signed = $1 WHERE id = 1 AND signed = $2").await?,
                            &[&new_size_i, &signed_i],
                        )
                        .await
                        .map_err(|e| db_error(&e))?;
                    if swapped != 1 {
                        return Err(format!(
                            "another replica published a checkpoint after size {signed}; this one (size \
                             {new_size}) was not published"
                        ));
                    }
                }
                let mut merged = Vec::with_capacity(note_rows.len());
                for (size, note) in note_rows {
                    let stored = client
                        .query_opt(
                            &prepared(client, "SELECT note FROM hub_log_checkpoints WHERE tree_size = $1 FOR UPDATE").await?,
                            &[&size],
                        )
                        .await
                        .map_err(|e| db_error(&e))?;
                    let mut combined = match stored {
                        Some(row) => {
                            let bytes: Vec<u8> = row.get(0);
                            open_checkpoint(&origin, std::slice::from_ref(&verifier), &bytes)
                                .map_err(|e| format!("the stored checkpoint of size {size}: {e}"))?
                                .note
                        }
                        None => {
                            return Err(format!(
                                "no checkpoint of size {size} is stored to add cosignatures to"
                            ));
                        }
                    };
                    combined
                        .merge(&note)
                        .map_err(|e| format!("the cosignatures of size {size}: {e}"))?;
                    client
                        .execute(
                            &prepared(client, "UPDATE hub_log_checkpoints                              SET note = $2, changed = nextval('hub_log_checkpoint_changes')                              WHERE tree_size = $1").await?,
                            &[&size, &combined.to_bytes()],
                        )
                        .await
                        .map_err(|e| db_error(&e))?;
                    merged.push(combined);
                }
                client
                    .batch_execute("COMMIT")
                    .await
                    .map_err(|e| db_error(&e))?;
                Ok(merged)
            })
            .map_err(|e| db_failure(&self.database, e.detail))?;
        // The session's connection goes back to the pool when `session` is dropped.
        Ok(Committed {
            appended: outcomes,
            leaves,
            checkpoint,
            notes: merged,
        })
    }
}

/// A connection with an open transaction, held across the two phases of a batch.
struct Session {
    client: deadpool_postgres::Object,
}

/// Adds `cp` to the known checkpoints (merging cosignatures into one of the same size)
/// and keeps the largest as the latest.
fn merge_into(st: &mut State, size: u64, cp: SignedCheckpoint) {
    match st.by_size.get_mut(&size) {
        Some(known) => {
            let _ = known.merge(&cp);
        }
        None => {
            st.by_size.insert(size, cp);
        }
    }
    st.latest = st.by_size.values().next_back().cloned();
}
