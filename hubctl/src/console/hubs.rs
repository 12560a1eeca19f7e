//! The console's connections to the hub: the same [`Hub`] hubctl's commands use (the
//! person's own certificate, one retry with the same request id, refusals explained),
//! a few of them, so that a slow call does not hold up another page. Each page leases
//! one for the length of a request; it goes back for reuse afterwards.
//!
//! Nothing else is kept: every page asks the hub again, so the console never shows
//! what the hub no longer holds.

use std::ops::{Deref, DerefMut};
use std::sync::Mutex;

use crate::hub::Hub;

/// How many idle connections are kept for reuse.
const SPARE: usize = 4;

/// The pool.
pub struct Hubs {
    /// The first connection, whose checked TLS configuration the others share.
    model: Hub,
    spare: Mutex<Vec<Hub>>,
}

impl Hubs {
    /// A pool of connections like `hub`.
    pub fn new(hub: Hub) -> Hubs {
        Hubs {
            model: hub,
            spare: Mutex::new(Vec::new()),
        }
    }

    /// A connection for one request: an idle one, or a new one.
    pub fn lease(&self) -> Lease<'_> {
        let idle = self.spare.lock().unwrap_or_else(|e| e.into_inner()).pop();
        Lease {
            hub: Some(idle.unwrap_or_else(|| self.model.fresh())),
            pool: self,
        }
    }
}

/// A leased connection; it returns to the pool when dropped.
pub struct Lease<'a> {
    hub: Option<Hub>,
    pool: &'a Hubs,
}

impl Deref for Lease<'_> {
    type Target = Hub;
    fn deref(&self) -> &Hub {
        // Present until drop.
        self.hub.as_ref().unwrap_or(&self.pool.model)
    }
}

impl DerefMut for Lease<'_> {
    fn deref_mut(&mut self) -> &mut Hub {
        self.hub.get_or_insert_with(|| self.pool.model.fresh())
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(hub) = self.hub.take() {
            let mut spare = self.pool.spare.lock().unwrap_or_else(|e| e.into_inner());
            if spare.len() < SPARE {
                spare.push(hub);
            }
        }
    }
}
