//! [`Store`] on sled 0.34.
//!
//! sled 0.34 makes writes durable only on an explicit `flush()` (its background flush
//! runs every 500 ms), so [`SledStore::apply`] applies the batch atomically with
//! `apply_batch` and then flushes before it returns. `store/durability.rs` proves the
//! claim with `kill -9`.

use std::path::Path;

use super::{Batch, Entry, Space, Store, StoreError};

/// The sled-backed store: one sled tree, keyspaces as one-byte key prefixes, so that a
/// batch spanning keyspaces is still one atomic `apply_batch`.
#[derive(Clone, Debug)]
pub struct SledStore {
    db: sled::Db,
    tree: sled::Tree,
}

impl SledStore {
    /// Opens (or creates) the store in `dir` with the default page cache.
    pub fn open(dir: &Path) -> Result<SledStore, StoreError> {
        SledStore::open_with_cache(dir, crate::config::DEFAULT_STORE_CACHE_BYTES)
    }

    /// Opens (or creates) the store in `dir`, its page cache bounded to `cache_bytes`
    /// (`[store] cache_bytes`).
    pub fn open_with_cache(dir: &Path, cache_bytes: u64) -> Result<SledStore, StoreError> {
        let open_error = |detail: String| StoreError::Open {
            path: dir.to_path_buf(),
            detail,
        };
        std::fs::create_dir_all(dir).map_err(|e| open_error(e.to_string()))?;
        let db = sled::Config::new()
            .path(dir)
            // Our own flushes are the durability barrier; the periodic one only adds
            // background I/O.
            .flush_every_ms(None)
            .cache_capacity(cache_bytes)
            .open()
            .map_err(|e| open_error(e.to_string()))?;
        let tree = db.open_tree("hub").map_err(|e| open_error(e.to_string()))?;
        Ok(SledStore { db, tree })
    }
}

impl Store for SledStore {
    fn get(&self, space: Space, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.tree
            .get(space.key(key))
            .map(|v| v.map(|v| v.to_vec()))
            .map_err(|e| StoreError::Io {
                operation: "read",
                space,
                detail: e.to_string(),
            })
    }

    fn contains(&self, space: Space, key: &[u8]) -> Result<bool, StoreError> {
        self.tree
            .contains_key(space.key(key))
            .map_err(|e| StoreError::Io {
                operation: "read",
                space,
                detail: e.to_string(),
            })
    }

    /// Only the keys are copied out, not the values beside them.
    fn scan_keys(&self, space: Space, prefix: &[u8]) -> Result<Vec<Vec<u8>>, StoreError> {
        self.tree
            .scan_prefix(space.key(prefix))
            .keys()
            .map(|key| {
                key.map(|k| k.get(1..).unwrap_or_default().to_vec())
                    .map_err(|e| StoreError::Io {
                        operation: "scan",
                        space,
                        detail: e.to_string(),
                    })
            })
            .collect()
    }

    fn scan(&self, space: Space, prefix: &[u8]) -> Result<Vec<Entry>, StoreError> {
        self.tree
            .scan_prefix(space.key(prefix))
            .map(|entry| {
                entry
                    .map(|(k, v)| (k.get(1..).unwrap_or_default().to_vec(), v.to_vec()))
                    .map_err(|e| StoreError::Io {
                        operation: "scan",
                        space,
                        detail: e.to_string(),
                    })
            })
            .collect()
    }

    fn apply(&self, batch: Batch) -> Result<(), StoreError> {
        let Some(first_space) = batch.ops.first().map(|op| op.0) else {
            return Ok(());
        };
        let mut sled_batch = sled::Batch::default();
        for (space, key, value, _case) in batch.ops {
            match value {
                Some(value) => sled_batch.insert(space.key(&key), value),
                None => sled_batch.remove(space.key(&key)),
            }
        }
        self.tree
            .apply_batch(sled_batch)
            .map_err(|e| StoreError::Io {
                operation: "write",
                space: first_space,
                detail: e.to_string(),
            })?;
        self.db
            .flush()
            .map_err(|e| StoreError::Flush(e.to_string()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_count_from_one_only_when_applied_and_refuse_a_damaged_value() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let mut batch = Batch::new();
        assert_eq!(
            crate::tables::meta::next_counter(&store, "seq", &mut batch).unwrap(),
            1
        );
        // Not applied: the number is not taken.
        let mut again = Batch::new();
        assert_eq!(
            crate::tables::meta::next_counter(&store, "seq", &mut again).unwrap(),
            1
        );
        store.apply(again).unwrap();
        let mut batch = Batch::new();
        assert_eq!(
            crate::tables::meta::next_counter(&store, "seq", &mut batch).unwrap(),
            2
        );
        let mut damage = Batch::new();
        damage.put(Space::Meta, b"seq".to_vec(), b"xyz".to_vec());
        store.apply(damage).unwrap();
        assert!(matches!(
            crate::tables::meta::next_counter(&store, "seq", &mut Batch::new()),
            Err(StoreError::Damaged { .. })
        ));
    }

    #[test]
    fn spaces_do_not_collide_and_batches_apply_whole() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let mut batch = Batch::new();
        batch.put(Space::Cases, b"C-1".to_vec(), b"case".to_vec());
        batch.put(Space::Outbox, b"C-1".to_vec(), b"question".to_vec());
        batch.put(Space::Cases, b"C-2".to_vec(), b"other".to_vec());
        store.apply(batch).unwrap();
        assert_eq!(store.get(Space::Cases, b"C-1").unwrap().unwrap(), b"case");
        assert_eq!(
            store.get(Space::Outbox, b"C-1").unwrap().unwrap(),
            b"question"
        );
        let cases = store.scan(Space::Cases, b"C-").unwrap();
        assert_eq!(
            cases,
            vec![
                (b"C-1".to_vec(), b"case".to_vec()),
                (b"C-2".to_vec(), b"other".to_vec())
            ]
        );
        let mut batch = Batch::new();
        batch.delete(Space::Cases, b"C-1".to_vec());
        store.apply(batch).unwrap();
        assert_eq!(store.get(Space::Cases, b"C-1").unwrap(), None);
        assert!(store.get(Space::Outbox, b"C-1").unwrap().is_some());
    }

    #[test]
    fn reopening_finds_what_was_applied() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = SledStore::open(dir.path()).unwrap();
            let mut batch = Batch::new();
            batch.put(
                Space::Meta,
                b"next-case".to_vec(),
                7u64.to_be_bytes().to_vec(),
            );
            store.apply(batch).unwrap();
        }
        let store = SledStore::open(dir.path()).unwrap();
        assert_eq!(
            store.get(Space::Meta, b"next-case").unwrap().unwrap(),
            7u64.to_be_bytes()
        );
    }
}
