//! Case-file numbers: `CF-<year>-<n>-<m>` for case `C-<year>-<n>`, where `m` counts the
//! files of that case.
//!
//! The numbers are reserved in the store a block at a time ([`BLOCK`]) and handed out
//! from memory, so a case file costs no store write (and flush) of its own before it
//! is asked: before, every case file began with a durable counter write. The stored
//! counter (`casefile-seq/<case>`, [`crate::tables::meta`]) holds the highest number
//! reserved, so no number is ever handed out twice, also not after a crash or restart,
//! nor by two replicas on one database (each reserves its own blocks under the shared
//! lock). What a restart costs is a gap: the rest of a block is never used.

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::sync::Mutex;

use crate::store::{Batch, Space, Store, StoreError};

/// How many numbers one store write reserves.
pub const BLOCK: u64 = 64;

/// The cases whose blocks are kept at most; beyond it the kept blocks are dropped (their
/// unused numbers become gaps), so that the map stays small however many cases there
/// are.
const MAX_CASES: usize = 4096;

/// The blocks of case-file numbers this process reserved, per case.
#[derive(Debug, Default)]
pub struct FileIds {
    blocks: Mutex<HashMap<String, RangeInclusive<u64>>>,
}

fn counter_key(case_id: &str) -> String {
    format!("casefile-seq/{case_id}")
}

impl FileIds {
    /// The next case-file number of `case_id` (1 for its first file); reserves a new
    /// block in `store`, durably, when this process has none left for the case.
    pub fn next(&self, store: &dyn Store, case_id: &str) -> Result<u64, StoreError> {
        let mut blocks = self
            .blocks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = blocks.get_mut(case_id).and_then(Iterator::next) {
            return Ok(n);
        }
        let reserved = reserve(store, case_id)?;
        if blocks.len() >= MAX_CASES {
            blocks.clear();
        }
        let mut block = reserved;
        let first = block.next().ok_or_else(|| StoreError::Damaged {
            space: Space::Meta,
            key: counter_key(case_id),
            detail: "the counter cannot grow",
        })?;
        blocks.insert(case_id.to_owned(), block);
        Ok(first)
    }

    /// The case-file id of the next file of `case_id`.
    pub fn next_id(&self, store: &dyn Store, case_id: &str) -> Result<String, StoreError> {
        let next = self.next(store, case_id)?;
        Ok(format!("CF-{}-{next:04}", case_id.trim_start_matches("C-")))
    }
}

/// Reserves the next [`BLOCK`] numbers of `case_id` durably; returns them.
fn reserve(store: &dyn Store, case_id: &str) -> Result<RangeInclusive<u64>, StoreError> {
    // Replicas on one database reserve one block at a time.
    let _replicas = store.lock_shared("case-file ids")?;
    let key = counter_key(case_id);
    let highest = match store.get(Space::Meta, key.as_bytes())? {
        None => 0,
        Some(bytes) => {
            let raw = <[u8; 8]>::try_from(bytes.as_slice()).map_err(|_| StoreError::Damaged {
                space: Space::Meta,
                key: key.clone(),
                detail: "not an 8-byte counter",
            })?;
            u64::from_be_bytes(raw)
        }
    };
    let last = highest.checked_add(BLOCK).ok_or(StoreError::Damaged {
        space: Space::Meta,
        key: key.clone(),
        detail: "the counter cannot grow",
    })?;
    let mut batch = Batch::new();
    batch.put(Space::Meta, key.into_bytes(), last.to_be_bytes().to_vec());
    store.apply(batch)?;
    Ok(highest + 1..=last)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::store::sled_store::SledStore;

    /// A store that counts its writes.
    #[derive(Debug)]
    struct Counting {
        inner: SledStore,
        applied: AtomicUsize,
    }

    impl Store for Counting {
        fn get(&self, space: Space, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
            self.inner.get(space, key)
        }
        fn scan(
            &self,
            space: Space,
            prefix: &[u8],
        ) -> Result<Vec<crate::store::Entry>, StoreError> {
            self.inner.scan(space, prefix)
        }
        fn apply(&self, batch: Batch) -> Result<(), StoreError> {
            self.applied.fetch_add(1, Ordering::SeqCst);
            self.inner.apply(batch)
        }
    }

    fn counting(dir: &std::path::Path) -> Counting {
        Counting {
            inner: SledStore::open(dir).unwrap(),
            applied: AtomicUsize::new(0),
        }
    }

    #[test]
    fn numbers_count_from_one_and_a_block_costs_one_write() {
        let dir = tempfile::tempdir().unwrap();
        let store = counting(dir.path());
        let ids = FileIds::default();
        let numbers: Vec<u64> = (0..100)
            .map(|_| ids.next(&store, "C-2026-0001").unwrap())
            .collect();
        assert_eq!(numbers, (1..=100).collect::<Vec<_>>());
        // 100 numbers from blocks of 64: two writes, not one per case file.
        assert_eq!(store.applied.load(Ordering::SeqCst), 2);
        assert_eq!(
            ids.next_id(&store, "C-2026-0001").unwrap(),
            "CF-2026-0001-0101"
        );
        // Each case counts on its own.
        assert_eq!(ids.next(&store, "C-2026-0002").unwrap(), 1);
    }

    #[test]
    fn a_restart_never_hands_out_a_number_again() {
        let dir = tempfile::tempdir().unwrap();
        let used: Vec<u64> = {
            let store = counting(dir.path());
            let ids = FileIds::default();
            (0..3)
                .map(|_| ids.next(&store, "C-2026-0001").unwrap())
                .collect()
        };
        // A new process (a restart, or a second replica) on the same store.
        let store = counting(dir.path());
        let ids = FileIds::default();
        let next = ids.next(&store, "C-2026-0001").unwrap();
        assert!(
            used.iter().all(|&n| n < next),
            "{next} after {used:?}: the rest of the first block is skipped, never reused"
        );
        assert_eq!(next, BLOCK + 1);
    }

    #[test]
    fn a_counter_written_before_blocks_continues_after_its_value() {
        // A data directory from before the blocks holds the last number used.
        let dir = tempfile::tempdir().unwrap();
        let store = counting(dir.path());
        let mut batch = Batch::new();
        batch.put(
            Space::Meta,
            b"casefile-seq/C-2026-0001".to_vec(),
            7u64.to_be_bytes().to_vec(),
        );
        store.apply(batch).unwrap();
        let ids = FileIds::default();
        assert_eq!(ids.next(&store, "C-2026-0001").unwrap(), 8);
    }

    #[test]
    fn a_damaged_counter_is_an_error_not_a_restart_at_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = counting(dir.path());
        let mut batch = Batch::new();
        batch.put(
            Space::Meta,
            b"casefile-seq/C-2026-0001".to_vec(),
            b"xyz".to_vec(),
        );
        store.apply(batch).unwrap();
        assert!(FileIds::default().next(&store, "C-2026-0001").is_err());
    }
}
