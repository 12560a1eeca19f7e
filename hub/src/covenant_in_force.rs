//! The covenant in force (article 13.2): one value every decision reads, replaced
//! atomically when an approved version takes effect.

use std::sync::{Arc, RwLock};

use treiter_policies::Covenant;

/// The encoded covenant the hub decides with now. Readers take an `Arc` snapshot and
/// decide a whole request with it, so a switch never mixes two versions within one
/// decision.
#[derive(Debug)]
pub struct CovenantInForce(RwLock<Arc<Covenant>>);

impl CovenantInForce {
    pub fn new(covenant: Arc<Covenant>) -> Self {
        CovenantInForce(RwLock::new(covenant))
    }

    /// A snapshot of the covenant in force.
    pub fn current(&self) -> Arc<Covenant> {
        // A poisoned lock still holds a whole Arc: a panic cannot leave half a swap.
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The version number in force.
    pub fn version(&self) -> u32 {
        self.current().version()
    }

    /// Puts `covenant` in force, returning the one it replaces.
    pub fn replace(&self, covenant: Arc<Covenant>) -> Arc<Covenant> {
        let mut slot = self
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        std::mem::replace(&mut *slot, covenant)
    }
}
