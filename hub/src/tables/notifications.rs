//! Notifications to privacy officers (articles 7.1, 7.2, 15.2, 13.1) and what the
//! officer did with each.
//!
//! - Keyspace: [`Space::Notifications`].
//! - Keys, two kinds (UTF-8):
//!   - a notice: `<party OIN>/<time, ns, 24 digits>/<case file id>/<n, 4 digits>`, so a
//!     scan of `<party OIN>/` returns a party's notices oldest first; its id
//!     ([`id_of`]) is the key without the OIN, as `<time>.<file>.<n>` without leading
//!     zeros;
//!   - its review state: `state/<party OIN>/<notice id>`, beside it, so the notice
//!     written with the decision is never rewritten.
//! - Values: JSON, a [`Notice`]; the review state as its writer encodes it.
//! - Owner: the notice's case, so it is shredded with the case; a notice that names no
//!   case (a covenant proposal, [`crate::covenants::notify`]) is sealed under the
//!   transit key. A review state has its notice's owner (it may hold the reviewer's
//!   note).
//!
//! The notices of a decided share are written with its case file
//! ([`crate::casefile::notices`]) through [`put_notice`].

use super::{Ownership, Table};
use crate::casefile::notices::Notice;
use crate::store::{Batch, Owner, Space, Store, StoreError};

pub const TABLE: Table = Table {
    space: Space::Notifications,
    ownership: Ownership::Sealed("the notice's case; transit for a notice of no case"),
};

/// A stored notice as it reads back: the notice, or why its JSON does not decode.
pub type Decoded = Result<Notice, serde_json::Error>;

/// The owner of `notice` and of its review state.
fn owner(notice: &Notice) -> Owner {
    if notice.case_id.is_empty() {
        Owner::Transit
    } else {
        Owner::case(&notice.case_id)
    }
}

fn notice_key(party: &str, notice: &Notice, n: usize) -> Vec<u8> {
    format!(
        "{party}/{:024}/{}/{n:04}",
        notice.at.unix_timestamp_nanos(),
        notice.file_id
    )
    .into_bytes()
}

fn state_key(party: &str, id: &str) -> Vec<u8> {
    format!("state/{party}/{id}").into_bytes()
}

/// The id of the notification stored under `key` (without the party's OIN and `/`):
/// `<time, 24 digits>/<file>/<n, 4 digits>` becomes `<time>.<file>.<n>` without the
/// leading zeros (one word on a command line).
pub(crate) fn id_of(key_rest: &str) -> String {
    let mut parts = key_rest.splitn(3, '/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(time), Some(file), Some(n)) => {
            let trim = |s: &str| {
                let t = s.trim_start_matches('0');
                if t.is_empty() {
                    "0".to_owned()
                } else {
                    t.to_owned()
                }
            };
            format!("{}.{file}.{}", trim(time), trim(n))
        }
        _ => key_rest.replace('/', "."),
    }
}

/// The store key of a notification id; `None` for text that is not one.
pub(crate) fn key_of(party: &str, id: &str) -> Option<Vec<u8>> {
    let (time, rest) = id.split_once('.')?;
    let (file, n) = rest.rsplit_once('.')?;
    let time: u128 = time.parse().ok()?;
    let n: u32 = n.parse().ok()?;
    if file.is_empty() || file.contains('/') {
        return None;
    }
    Some(format!("{party}/{time:024}/{file}/{n:04}").into_bytes())
}

/// Adds notice `n` of a batch of notices to `party` to `batch` (`n` keeps two notices
/// of one moment and one file apart), sealed under its owner's key.
pub fn put_notice(batch: &mut Batch, party: &str, notice: &Notice, n: usize) {
    // Serialising strings, numbers and a time cannot fail.
    let value = serde_json::to_vec(notice).unwrap_or_default();
    batch.put_sealed(
        Space::Notifications,
        notice_key(party, notice, n),
        value,
        owner(notice),
    );
}

/// Every notice to `party`, oldest first: its id, and the notice or why it does not
/// decode.
pub fn notices(store: &dyn Store, party: &str) -> Result<Vec<(String, Decoded)>, StoreError> {
    let prefix = format!("{party}/");
    let mut out = Vec::new();
    for (key, value) in store.scan(Space::Notifications, prefix.as_bytes())? {
        let Some(rest) = std::str::from_utf8(&key)
            .ok()
            .and_then(|k| k.strip_prefix(&prefix))
        else {
            continue;
        };
        out.push((id_of(rest), serde_json::from_slice(&value)));
    }
    Ok(out)
}

/// The notice `id` to `party`, if `id` names one that is stored.
pub fn notice(store: &dyn Store, party: &str, id: &str) -> Result<Option<Decoded>, StoreError> {
    let Some(key) = key_of(party, id) else {
        return Ok(None);
    };
    Ok(store
        .get(Space::Notifications, &key)?
        .map(|value| serde_json::from_slice(&value)))
}

/// The stored review state of notice `id` to `party`, if any.
pub fn state(store: &dyn Store, party: &str, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
    store.get(Space::Notifications, &state_key(party, id))
}

/// Adds the review state `value` of `notice` (id `id`, to `party`) to `batch`, sealed
/// under the notice's owner's key.
pub fn put_state(batch: &mut Batch, party: &str, id: &str, notice: &Notice, value: Vec<u8>) {
    batch.put_sealed(
        Space::Notifications,
        state_key(party, id),
        value,
        owner(notice),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_short_and_lead_back_to_their_key() {
        let rest = "000001795000000000000000/CF-2026-0001-0002/0003";
        let id = id_of(rest);
        assert_eq!(id, "1795000000000000000.CF-2026-0001-0002.3");
        assert_eq!(
            key_of("00000005000000000006", &id),
            Some(format!("00000005000000000006/{rest}").into_bytes())
        );
        for bad in ["", "x", "1.2", "a.CF.1", "1./.1", "1.CF.x"] {
            assert_eq!(key_of("p", bad), None, "{bad}");
        }
    }
}
