//! Cross-partner case files (articles 8.4, 10.1 and the covenant's "Outcomes").
//!
//! A coordinator asks for a case file; the hub works out which partners could provide
//! anything this requester may receive (the engine decides an empty share per party,
//! category and subject: a partner for whom every such share is denied is not asked,
//! and so learns nothing), asks those partners whether they know each subject
//! (bevraging, hit / no hit), asks the ones with a hit for their records, and decides
//! EVERY record with the covenant engine before anything passes: stripped fields never
//! leave the hub, refused records become "withheld, article X" lines without data, and
//! a rejected record (article 7) notifies the source party's privacy officer.
//!
//! Partners are asked concurrently under one deadline ([`crate::fanout`]); a slow or
//! offline partner never holds up the others. Questions to an offline partner are
//! queued; their answers are decided when they arrive, against the case as it is then,
//! and join the stored file.
//!
//! Everything here returns a [`CaseFileError`]; `service/` alone turns it into a gRPC
//! status.
//!
//! # Layout
//! - [`plan`]: the requester's context, the deadline, and who could provide what
//!   (planning; nothing is asked).
//! - [`decide`]: the decision request for one share and its log entry.
//! - [`ask`]: asking one partner about one subject (bevraging, then share request).
//! - [`records`]: deciding and logging what a partner sent, before any of it passes.
//! - [`file_log`]: one log batch for the decisions of a file's partners that settle
//!   about the same time.
//! - [`settle`]: partners' statuses and the file's summary.
//! - [`assemble`]: a case file from request to stored file, partners fanned out.
//! - [`bevraag`](mod@bevraag): a bevraging on its own.
//! - [`late`]: late answers joining their stored files; the lock over file writes.
//! - [`read`]: reading stored files (and ones being assembled).
//! - [`progress`]: case files while they are assembled, as GetCaseFile shows them
//!   before they are stored.
//! - [`record`]: case files in the store (the case-files keyspace: the file, the requester
//!   index, queued requests); the only code that touches that space.
//! - [`repeat`]: a repeated request (same `client_request_id`) gets the first one's file.
//! - [`resume`]: case files whose assembler died, finished by another hub process.
//! - [`late_record`]: answers to queued questions kept in the store
//!   (the late-answers keyspace); the only code that touches that space.
//! - [`notices`]: the privacy officers' notifications a file causes.
//! - [`error`]: the error type, [`CaseFileError`].

pub mod ask;
pub mod assemble;
pub mod bevraag;
pub mod decide;
pub mod error;
pub mod file_log;
pub mod late;
pub mod late_record;
pub mod notices;
pub mod plan;
pub mod progress;
pub mod read;
pub mod record;
pub mod records;
pub mod repeat;
pub mod resume;
pub mod settle;

pub use assemble::request_case_file;
pub use bevraag::bevraag;
pub use error::CaseFileError;
pub use late::{FileWrites, run_late_answers};
pub use read::{get_case_file, list_case_files};

use treiter_proto::v1 as wire;

/// A subject pseudonym (hex) in wire form.
fn subject_hex(hex: &str) -> Option<wire::SubjectPseudonym> {
    Some(wire::SubjectPseudonym {
        hex: hex.to_owned(),
    })
}
