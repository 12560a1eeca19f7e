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
//! Partners are asked concurrently under one deadline; a slow or offline partner never
//! holds up the others. Questions to an offline partner are queued; their answers are
//! decided when they arrive, against the case as it is then, and join the stored file.
//!
//! # Layout
//! - [`decide`]: the decision request for one share and the decision in wire form.
//! - [`assemble`]: asking the partners and building the file.
//! - [`files`]: storing case files, their queued requests, and notifications.
//! - [`progress`]: case files while they are assembled, as GetCaseFile shows them
//!   before they are stored.

pub mod assemble;
pub mod decide;
pub mod files;
pub mod progress;

pub use assemble::{bevraag, get_case_file, list_case_files, request_case_file, run_late_answers};
