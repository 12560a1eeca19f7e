//! Case-file records queued for the recipient party's agent until it acknowledges them
//! ([`crate::deliveries`]).
//!
//! - Keyspace: [`Space::Deliveries`].
//! - Key: `<party OIN>/<case id>/<delivery id>`, UTF-8, so a scan of `<party OIN>/`
//!   finds everything queued for one party.
//! - Value: the `Delivery` wire message, prost-encoded.
//! - Owner: the delivery's case: it holds field values, so it is shredded with the case.

use prost::Message;
use treiter_proto::v1::Delivery;

use super::{Ownership, Table};
use crate::store::{Batch, Owner, Space, Store, StoreError};

pub const TABLE: Table = Table {
    space: Space::Deliveries,
    ownership: Ownership::Sealed("the delivery's case"),
};

fn key(party: &str, case: &str, id: &str) -> Vec<u8> {
    format!("{party}/{case}/{id}").into_bytes()
}

fn party_prefix(party: &str) -> String {
    format!("{party}/")
}

/// A queued delivery as it reads back: the message, or why it does not decode.
pub type Decoded = Result<Delivery, prost::DecodeError>;

/// The stored key of a queued delivery, for deleting it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedKey(Vec<u8>);

/// Adds queueing `delivery` for `party` to `batch`, sealed under its case's key.
pub fn put(batch: &mut Batch, party: &str, delivery: &Delivery) {
    batch.put_sealed(
        Space::Deliveries,
        key(party, &delivery.case_id, &delivery.delivery_id),
        delivery.encode_to_vec(),
        Owner::case(&delivery.case_id),
    );
}

/// What is queued for `party`, in key order: each delivery, or why it does not decode.
pub fn queued(store: &dyn Store, party: &str) -> Result<Vec<(QueuedKey, Decoded)>, StoreError> {
    Ok(store
        .scan(Space::Deliveries, party_prefix(party).as_bytes())?
        .into_iter()
        .map(|(key, value)| (QueuedKey(key), Delivery::decode(value.as_slice())))
        .collect())
}

/// The case a delivery id names, for the hub's own ids (`D-<case-file id>`, the file
/// `CF-<year>-<n>-<m>` of case `C-<year>-<n>`); `None` for any other shape.
fn case_of(id: &str) -> Option<String> {
    let file = id.strip_prefix("D-CF-")?;
    let (case, _) = file.rsplit_once('-')?;
    Some(format!("C-{case}"))
}

/// The key of the delivery `id` queued for `party`, if it is queued. Only keys are
/// read: an acknowledgement opens none of the party's other queued deliveries. An id
/// of the hub's own shape is looked up directly (one key, whatever the party has
/// queued: an agent that falls behind must not make each acknowledgement dearer);
/// any other shape by the party's keys.
pub fn find(store: &dyn Store, party: &str, id: &str) -> Result<Option<QueuedKey>, StoreError> {
    if let Some(case) = case_of(id) {
        let direct = key(party, &case, id);
        if store.contains(Space::Deliveries, &direct)? {
            return Ok(Some(QueuedKey(direct)));
        }
    }
    let suffix = format!("/{id}");
    Ok(store
        .scan_keys(Space::Deliveries, party_prefix(party).as_bytes())?
        .into_iter()
        .find(|key| key.ends_with(suffix.as_bytes()))
        .map(QueuedKey))
}

/// Adds removing a queued delivery to `batch`.
pub fn delete(batch: &mut Batch, key: QueuedKey) {
    batch.delete(Space::Deliveries, key.0);
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::seal::{KeyStore, SealedStore};
    use crate::store::SledStore;

    const PARTY: &str = "00000001000000000001";

    fn delivery(case: &str, id: &str) -> Delivery {
        Delivery {
            delivery_id: id.into(),
            case_id: case.into(),
            ..Default::default()
        }
    }

    /// Acknowledging one delivery reads only keys: it opens none of the party's other
    /// queued deliveries, so one that cannot be opened (damaged here) neither costs a
    /// decryption nor stops the acknowledgement of another.
    #[test]
    fn finding_a_delivery_opens_no_other() {
        let dir = tempfile::tempdir().unwrap();
        let inner: Arc<dyn Store> = Arc::new(SledStore::open(&dir.path().join("state")).unwrap());
        let keys = Arc::new(
            KeyStore::open(
                &dir.path().join("keys"),
                crate::seal::MasterKey::from_bytes(&[7; 32]),
            )
            .unwrap(),
        );
        let store = SealedStore::new(inner.clone(), keys);
        let mut batch = Batch::new();
        put(&mut batch, PARTY, &delivery("C-2026-0001", "D-1"));
        put(&mut batch, PARTY, &delivery("C-2026-0002", "D-2"));
        store.apply(batch).unwrap();
        // D-1's sealed bytes are damaged underneath the sealing layer.
        let mut damage = Batch::new();
        damage.put(
            Space::Deliveries,
            key(PARTY, "C-2026-0001", "D-1"),
            b"damaged".to_vec(),
        );
        inner.apply(damage).unwrap();
        assert!(matches!(
            queued(&store, PARTY),
            Err(StoreError::Unseal { .. })
        ));
        let found = find(&store, PARTY, "D-2").unwrap();
        assert_eq!(found, Some(QueuedKey(key(PARTY, "C-2026-0002", "D-2"))));
        assert_eq!(find(&store, PARTY, "D-3").unwrap(), None);
    }

    /// A store that refuses to scan: what `find` may not need for the hub's own ids.
    #[derive(Debug)]
    struct NoScan(Arc<dyn Store>);

    impl Store for NoScan {
        fn get(&self, space: Space, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
            self.0.get(space, key)
        }
        fn scan(&self, space: Space, _: &[u8]) -> Result<Vec<crate::store::Entry>, StoreError> {
            Err(StoreError::Damaged {
                space,
                key: String::new(),
                detail: "scanned",
            })
        }
        fn scan_keys(&self, space: Space, _: &[u8]) -> Result<Vec<Vec<u8>>, StoreError> {
            Err(StoreError::Damaged {
                space,
                key: String::new(),
                detail: "scanned",
            })
        }
        fn apply(&self, batch: Batch) -> Result<(), StoreError> {
            self.0.apply(batch)
        }
    }

    /// An acknowledgement of a delivery the hub made (`D-<case-file id>`) finds it by
    /// its one key, scanning none of the party's queue: an agent that falls behind does
    /// not make each acknowledgement cost more. Other ids are still found by scanning.
    #[test]
    fn a_hub_delivery_is_found_by_its_key_without_a_scan() {
        let dir = tempfile::tempdir().unwrap();
        let inner: Arc<dyn Store> = Arc::new(SledStore::open(&dir.path().join("state")).unwrap());
        let mut batch = Batch::new();
        for n in 1..=3 {
            put(
                &mut batch,
                PARTY,
                &delivery("C-2026-0007", &format!("D-CF-2026-0007-000{n}")),
            );
        }
        put(&mut batch, PARTY, &delivery("C-2026-0007", "other-shape"));
        inner.apply(batch).unwrap();
        let store = NoScan(inner.clone());
        assert_eq!(
            find(&store, PARTY, "D-CF-2026-0007-0002").unwrap(),
            Some(QueuedKey(key(PARTY, "C-2026-0007", "D-CF-2026-0007-0002")))
        );
        assert_eq!(
            case_of("D-CF-2026-0007-0002").as_deref(),
            Some("C-2026-0007")
        );
        assert_eq!(case_of("other-shape"), None);
        // Not queued (already acknowledged), or another shape: the scan decides.
        assert!(matches!(
            find(&store, PARTY, "D-CF-2026-0007-0009"),
            Err(StoreError::Damaged {
                detail: "scanned",
                ..
            })
        ));
        assert_eq!(
            find(inner.as_ref(), PARTY, "D-CF-2026-0007-0009").unwrap(),
            None
        );
        assert_eq!(
            find(inner.as_ref(), PARTY, "other-shape").unwrap(),
            Some(QueuedKey(key(PARTY, "C-2026-0007", "other-shape")))
        );
    }
}
