//! Message size limits both ends of a connection agree on.

/// The largest message either end of the agent link sends or accepts, and the largest
/// answer the hub sends a client: 4 MiB, tonic's default for what it accepts, made
/// explicit so the hub never sends what the other end would refuse. An agent's
/// answer (records for a case file) and a covenant update (at most 1 MiB of text) fit
/// many times over.
pub const MAX_LINK_MESSAGE: usize = 4 * 1024 * 1024;

/// The most subjects one Bevraging asks about, or one ShareRequest asks records of
/// (`subject` and `more_subjects`): far more than a case has, and a bound on the work
/// one question makes an agent do.
pub const MAX_BEVRAGING_SUBJECTS: usize = 64;
