//! Fault injection into the log's writes and syncs: the switch the fail-closed tests
//! flip to make the disk look full or failing.
//!
//! The switch exists only in test builds: the hub's own unit tests (`cfg(test)`) and
//! builds with the `fault-injection` feature, which the workspace's end-to-end tests
//! (`tests/`) enable. The hub built for use (`cargo build -p treiter-hub`) gets the
//! inert stand-in below, whose checks always pass and compile away, and has no way to
//! reach a switch at all.

#[cfg(any(test, feature = "fault-injection"))]
mod switch {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU8, Ordering};

    const FAULT_NONE: u8 = 0;
    const FAULT_WRITE: u8 = 1;
    const FAULT_SYNC: u8 = 2;

    /// A switch to make the log's writes or syncs fail (a full or failing disk). Inert
    /// unless set. Every clone flips the same switch; the log's own is
    /// [`Log::faults`](crate::log::Log::faults).
    #[derive(Debug, Clone, Default)]
    pub struct FaultSwitch(Arc<AtomicU8>);

    impl FaultSwitch {
        /// A switch in the off position.
        pub fn new() -> Self {
            Self::default()
        }
        /// Every write fails as on a full disk (ENOSPC).
        pub fn fail_writes(&self) {
            self.0.store(FAULT_WRITE, Ordering::SeqCst);
        }
        /// Every sync fails as on a failing disk (EIO).
        pub fn fail_syncs(&self) {
            self.0.store(FAULT_SYNC, Ordering::SeqCst);
        }
        /// Back to normal.
        pub fn clear(&self) {
            self.0.store(FAULT_NONE, Ordering::SeqCst);
        }
        /// Before a write: fails while writes are switched to fail.
        pub(in crate::log) fn check_write(&self) -> std::io::Result<()> {
            if self.0.load(Ordering::SeqCst) == FAULT_WRITE {
                Err(std::io::Error::new(
                    std::io::ErrorKind::StorageFull,
                    "injected fault",
                ))
            } else {
                Ok(())
            }
        }
        /// Before a sync: fails while syncs are switched to fail.
        pub(in crate::log) fn check_sync(&self) -> std::io::Result<()> {
            if self.0.load(Ordering::SeqCst) == FAULT_SYNC {
                Err(std::io::Error::other("injected fault"))
            } else {
                Ok(())
            }
        }
    }
}

#[cfg(not(any(test, feature = "fault-injection")))]
mod switch {
    /// The inert stand-in of the switch in a hub built for use: nothing can set it.
    #[derive(Debug, Clone, Default)]
    pub struct FaultSwitch;

    impl FaultSwitch {
        pub(in crate::log) fn new() -> Self {
            FaultSwitch
        }
        #[inline(always)]
        pub(in crate::log) fn check_write(&self) -> std::io::Result<()> {
            Ok(())
        }
        #[inline(always)]
        pub(in crate::log) fn check_sync(&self) -> std::io::Result<()> {
            Ok(())
        }
    }
}

pub use switch::FaultSwitch;
