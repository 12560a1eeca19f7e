//! End-to-end tests: real hubs and real agents, talking mTLS over 127.0.0.1, with a
//! development PKI generated per test by `certs-dev`.
//!
//! # Layout
//! - `support`: PKI, hub and agent set-up, and waiting helpers.
//! - `casefile`: case files with a real agent per party answering from JSON exports.
//! - `covenant_approval`: the other parties' officers notified of a proposal; hubctl's
//!   approval prompt ("ja"), and a second approval refused before the diff.
//! - `covenant_versions`: proposing and approving covenant versions (article 13), the
//!   switch of hub and agents, and the version in force across a restart.
//! - `demo`: the README's demo script, run to the end.
//! - `encrypted_keys`: an agent and hubctl with passphrase-protected keys (encrypted
//!   PKCS#8, PKCS#12).
//! - `packaging`: the systemd units, sysusers.d files, example paths under
//!   `ProtectSystem=strict`, container ignore files and hubctl's install notes agree.
//! - `docs`: every file the READMEs, docs/, comments and `--help` texts name exists.
//! - `cases`: the coordinator API's case rules, with person certificates.
//! - `connection_test`: `node-agent test-connection` against hubs that accept, refuse
//!   and are not trusted, and against no hub.
//! - `console`: `hubctl console` in headless Chromium (WebDriver, axe-core, keyboard
//!   walk, screenshots) and every forged request its door refuses.
//! - `inbox`: a completed case file reaches the recipient party's agent inbox, is
//!   re-delivered until stored, gets its retention term, and is deleted on time.
//! - `hubctl_officer`: hubctl's privacy-officer commands (log, inzage, notifications).
//! - `hubctl_words`: what hubctl says: every documented exit code, people by name,
//!   subjects by label, a wrong trust anchor or key in words.
//! - `officer`: the privacy-officer API: the log per party (10.3), proofs, inzage,
//!   notifications.
//! - `party_join_leave`: a party joins and leaves by approved versions while the hub
//!   runs: its agent links and answers, then is disconnected and refused.
//! - `link`: Hello first, heartbeats or close, one link per party, TLS 1.3 only.
//! - `refusal`: one test per refused identity, asserting both ends' reasons.
//! - `limits`: idle connections closed, connections per address and identity bounded.
//! - `status`: accepted agents are listed by OIN (gRPC, admin endpoint).
//! - `metrics`: the hub's `/metrics` scraped after a real case file and parsed.
//! - `restart`: agents come back by themselves after the hub is killed and restarted.
//! - `questions`: asking agents, fan-out with one deadline, store-and-forward.
//! - `partner_answers`: a late answer under a failing decision log is kept and joins
//!   once the log writes; a record about someone outside the case is dropped and
//!   counted.
//! - `retention`: deletion after the retention period by the hub's clock, logged first
//!   (fail closed); encryption at rest and crypto-shredding of old copies.
//! - `reliability`: the reliability suite (issue 22): every fail-closed path with the log
//!   failing, identity claimed by the client ignored, bounded fuzzing of every parser of
//!   outside input; each test adds its counts to the summary `.ci/run` prints.
//! - `agent_ops`: the agent in operation: SQLite source, network cut and hub restart
//!   without a lost answer, certificate renewal on disk.
//! - `auditor`: the read-only auditor of covenant version 2 (art. 5.5): every party's
//!   log metadata, no case data, every other RPC of every service refused.
//! - `hsm`: the hub's log key and master key in SoftHSM2 (PKCS#11).
//! - `evidence`: a case's evidence bundle verified offline by `treiter-verify`, each
//!   tampering named; coordinators and other parties' entries refused; the Logboek
//!   Dataverwerkingen export against its documented fields.
//! - `leader_change`: three hub replicas on one PostgreSQL under load, the replica that
//!   signed the latest checkpoint killed with `kill -9`: nothing acknowledged lost, every
//!   checkpoint stored or witnessed of one tree, the survivors sign on (issue 21).

mod agent_ops;
mod case_log;
mod casefile;
mod cases;
mod connection_test;
mod console;
mod covenant_approval;
mod covenant_versions;
mod demo;
mod docs;
mod encrypted_keys;
mod hubctl;
mod hubctl_officer;
mod hubctl_words;
mod inbox;
mod limits;
mod link;
mod metrics;
mod officer;
mod packaging;
mod partner_answers;
mod party_join_leave;
mod postgres;
mod privacy_scan;
mod questions;
mod refusal;
mod reliability;
mod restart;
mod retention;
mod status;
mod support;
mod witness;
// Issue 23 (keys in hardware, the auditor role).
mod auditor;
mod hsm;
// `hubctl evidence` with `treiter-verify`, and `hubctl log logboek` (issue 23).
mod evidence;
// A leader change of the decision log on PostgreSQL under load (issue 21).
mod leader_change;
