//! Answering the hub's questions, without the hub: a bevraging from the source's
//! hit/no-hit, a share request record by record through the gate, every answer kept
//! by request id so that a re-delivered question gets the same answer.
//!
//! [`Answerer::answer`] is a plain function of the question, the agent's own party and
//! the time, so tests call it directly; the link ([`crate::link`]) calls it on a
//! blocking thread for every question.
//!
//! Logs name request ids, pseudonyms, categories, field names, outcomes and articles,
//! never a field value (article 12.3).

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use time::OffsetDateTime;
use treiter_policies::{Category, Covenant, Outcome};
use treiter_proto::limits::{MAX_BEVRAGING_SUBJECTS, MAX_LINK_MESSAGE};
use treiter_proto::v1::{
    Answer, Bevraging, BevragingAnswer, Field, Question, Record, ShareAnswer, SubjectPseudonym,
    Unanswerable, WithheldAtSource, answer, question,
};
use treiter_pseudonym::Pseudonym;

use crate::cache::{self, AnswerCache};
use crate::config::{AgentConfig, CategorySource, SourceConfig};
use crate::error::SetupError;
use crate::gate::{self, Gate, OwnParty, ShareContext};
use crate::metrics::{CategoryLabels, Metrics, RefusalLabels};
use crate::receipts::{Event, ReceiptLog};
use crate::sources::{
    CategoryPlan, IndexReport, JsonDirSource, RoutedSource, Source, SourceError, SourceRecord,
    SqliteSource,
};
use prost::Message as _;
use treiter_pseudonym::PseudonymKey;

/// The largest answer about several subjects sent as one (encoded `ShareAnswer`): a
/// link message holds 4 MiB ([`MAX_LINK_MESSAGE`]), and the Answer around it and the
/// HTTP/2 framing need a little of it.
pub const MAX_COMBINED_ANSWER: usize = MAX_LINK_MESSAGE - 64 * 1024;

/// The stable words of [`Unanswerable::reason`].
pub mod reason {
    /// The question arrived after its deadline.
    pub const EXPIRED: &str = "expired";
    /// The agent has no source, or the source failed.
    pub const SOURCE_UNAVAILABLE: &str = "source-unavailable";
    /// The question cannot be read: a missing part, a word outside the covenant's
    /// vocabulary, a malformed pseudonym or OIN. Not in the proto's list (yet): the
    /// pre-check cannot run on such a question, and guessing would be worse.
    pub const MALFORMED_QUESTION: &str = "malformed-question";
    /// The share request was asked under another covenant version than the one this
    /// agent pre-checks with (article 13.2); the hub sends its version in force.
    pub const COVENANT_VERSION_MISMATCH: &str = "covenant-version-mismatch";
}

/// Answers questions from a source, through the gate.
pub struct Answerer {
    gate: Gate,
    source: Option<Box<dyn Source>>,
    /// The categories this agent serves, announced in Hello.
    categories: Vec<Category>,
    /// Recent answers by request id. A std mutex: it is held only to look up or insert,
    /// never across the source read.
    cache: Mutex<AnswerCache>,
    /// What is counted for `/metrics`.
    metrics: Arc<Metrics>,
    /// The receipt log (article 10.3), when configured.
    receipts: Option<Arc<ReceiptLog>>,
    /// The share receipts of answers given before this start that the hub never
    /// acknowledged, by request id ([`crate::receipts::unacknowledged_answers`]): when
    /// the hub asks one again, the receipts already written are not written twice.
    receipted_before: Mutex<std::collections::HashMap<String, Vec<Event>>>,
    /// The request ids being answered now, each with the lock its answerers take
    /// turns on ([`Answerer::one_at_a_time`]).
    answering: Mutex<std::collections::HashMap<String, Arc<Mutex<()>>>>,
    /// The inbox for delivered case data, when configured.
    inbox: Option<Arc<crate::inbox::Inbox>>,
}

impl std::fmt::Debug for Answerer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answerer")
            .field("covenant_version", &self.gate.covenant_version())
            .field("source", &self.source.as_ref().map(|s| s.describe()))
            .field("categories", &self.categories)
            .finish()
    }
}

impl Answerer {
    /// An answerer serving `categories` from `source` (or from nothing), deciding with
    /// `covenant`; the answer cache has the default bounds.
    pub fn new(
        covenant: Covenant,
        source: Option<Box<dyn Source>>,
        categories: Vec<Category>,
    ) -> Answerer {
        let metrics = Arc::new(Metrics::new());
        metrics.covenant_version.set(i64::from(covenant.version()));
        Answerer {
            gate: Gate::new(covenant),
            source,
            categories,
            cache: Mutex::new(AnswerCache::new(
                cache::DEFAULT_ENTRIES,
                cache::DEFAULT_BYTES,
            )),
            metrics,
            receipts: None,
            receipted_before: Mutex::default(),
            answering: Mutex::default(),
            inbox: None,
        }
    }

    /// Keeps delivered case data in `inbox`.
    pub fn with_inbox(self, inbox: Arc<crate::inbox::Inbox>) -> Answerer {
        Answerer {
            inbox: Some(inbox),
            ..self
        }
    }

    /// The inbox, if any.
    pub fn inbox(&self) -> Option<&Arc<crate::inbox::Inbox>> {
        self.inbox.as_ref()
    }

    /// Writes a receipt for every share answered to `receipts` (article 10.3). Reads
    /// the log's end first for answers the hub may ask for again
    /// ([`crate::receipts::unacknowledged_answers`]).
    pub fn with_receipts(
        self,
        receipts: Arc<ReceiptLog>,
    ) -> Result<Answerer, crate::receipts::ReceiptError> {
        let before = crate::receipts::unacknowledged_answers(receipts.path())?;
        if !before.is_empty() {
            tracing::info!(
                answers = before.len(),
                "answers the hub did not acknowledge before the agent stopped; asked again, their receipts are not written twice"
            );
        }
        Ok(Answerer {
            receipts: Some(receipts),
            receipted_before: Mutex::new(before),
            ..self
        })
    }

    /// The metrics this answerer counts into (shared with the link and `/metrics`).
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// The receipt log, if any.
    pub fn receipts(&self) -> Option<&Arc<ReceiptLog>> {
        self.receipts.as_ref()
    }

    /// Rebuilds the sources' in-memory indexes (SQLite pseudonym indexes).
    pub fn refresh_sources(&self) -> Result<Vec<IndexReport>, SourceError> {
        let Some(source) = &self.source else {
            return Ok(Vec::new());
        };
        let reports = source.refresh()?;
        for r in &reports {
            self.metrics
                .index_subjects
                .get_or_create(&CategoryLabels {
                    category: r.category.as_str().into(),
                })
                .set(i64::try_from(r.subjects).unwrap_or(i64::MAX));
        }
        Ok(reports)
    }

    /// What the agent would share for each served category: its source, the mapping,
    /// the columns that never leave, and the fields the covenant lists for it.
    pub fn plans(&self) -> Vec<(Category, Option<CategoryPlan>, Vec<String>)> {
        self.categories
            .iter()
            .map(|c| {
                let plan = self.source.as_ref().and_then(|s| s.plan(*c));
                (*c, plan, covenant_fields(&self.gate.covenant(), *c))
            })
            .collect()
    }

    /// Replaces the answer cache's bounds (entries, total encoded bytes).
    pub fn with_cache_limits(self, entries: usize, bytes: usize) -> Answerer {
        Answerer {
            cache: Mutex::new(AnswerCache::new(entries, bytes)),
            ..self
        }
    }

    /// Loads the covenant and opens the source named by the configuration. The served
    /// categories are the configured ones, or else every category folder of the source.
    pub fn from_config(config: &AgentConfig) -> Result<Answerer, SetupError> {
        let covenant = crate::covenant_update::load_in_force(config)?;
        let default: Option<Box<dyn Source>> = match &config.source {
            None => None,
            Some(SourceConfig::JsonDir { path }) => Some(Box::new(JsonDirSource::open(path)?)),
        };
        let key = match &config.pseudonym_key {
            Some(path) => Some(PseudonymKey::load(path)?),
            None => None,
        };
        let mut routes: Vec<(Category, Box<dyn Source>)> = Vec::new();
        for (category, chosen) in &config.category_sources {
            let source: Box<dyn Source> = match chosen {
                CategorySource::JsonDir { path } => Box::new(JsonDirSource::open(path)?),
                CategorySource::Sqlite(settings) => {
                    let listed = covenant_fields(&covenant, *category);
                    for (column, field) in &settings.fields {
                        if !listed.contains(field) {
                            return Err(SetupError::UnknownField {
                                setting: format!("{}.fields.{column}", settings.setting),
                                field: field.clone(),
                                category: *category,
                                listed: listed.join(", "),
                            });
                        }
                    }
                    // The configuration refuses a SQLite category without a key.
                    let Some(key) = &key else {
                        return Err(SetupError::MissingPseudonymKey {
                            setting: settings.setting.clone(),
                        });
                    };
                    Box::new(SqliteSource::open(
                        *category,
                        settings.clone(),
                        key.clone(),
                    )?)
                }
            };
            routes.push((*category, source));
        }
        let source: Option<Box<dyn Source>> = if routes.is_empty() {
            default
        } else {
            Some(Box::new(RoutedSource::new(routes, default)))
        };
        let categories = match (&config.categories, &source) {
            (Some(listed), _) => listed.clone(),
            (None, Some(source)) => source.categories(),
            (None, None) => Vec::new(),
        };
        let mut answerer = Answerer::new(covenant, source, categories);
        if let Some(path) = &config.receipts {
            answerer = answerer.with_receipts(Arc::new(ReceiptLog::open(path)?))?;
        }
        if let Some(settings) = &config.inbox {
            let mut inbox = crate::inbox::Inbox::open(&settings.dir, &settings.key_file)?
                .with_metrics(answerer.metrics.clone());
            if let Some(receipts) = &answerer.receipts {
                inbox = inbox.with_receipts(receipts.clone());
            }
            answerer = answerer.with_inbox(Arc::new(inbox));
        }
        // Publishes the index sizes the sources built while opening.
        if let Some(source) = &answerer.source {
            for category in &answerer.categories {
                if let Some(CategoryPlan {
                    subjects: Some(n), ..
                }) = source.plan(*category)
                {
                    answerer
                        .metrics
                        .index_subjects
                        .get_or_create(&CategoryLabels {
                            category: category.as_str().into(),
                        })
                        .set(i64::try_from(n).unwrap_or(i64::MAX));
                }
            }
        }
        Ok(answerer)
    }

    /// The covenant the agent decides with now.
    pub fn covenant(&self) -> Arc<Covenant> {
        self.gate.covenant()
    }

    /// The gate, whose covenant a CovenantUpdate replaces.
    pub fn gate(&self) -> &Gate {
        &self.gate
    }

    /// Whether a party of `kind` may provide `category` at all (article 8.2).
    pub fn may_provide(&self, kind: treiter_policies::PartyKind, category: Category) -> bool {
        self.gate
            .covenant()
            .compiled()
            .category(category)
            .is_some_and(|rules| treiter_policies::compile::has(rules.sources, kind.bit()))
    }

    /// The covenant version the agent decides with (Hello.covenant_version).
    pub fn covenant_version(&self) -> u32 {
        self.gate.covenant_version()
    }

    /// The categories this agent serves (Hello.categories).
    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    /// The source, described in one line; `None` without a source.
    pub fn source_description(&self) -> Option<String> {
        self.source.as_ref().map(|s| s.describe())
    }

    /// The categories the agent serves but its source has no folder for (worth a
    /// warning: they always yield nothing).
    pub fn categories_without_data(&self) -> Vec<Category> {
        match &self.source {
            None => Vec::new(),
            Some(source) => {
                let present = source.categories();
                self.categories
                    .iter()
                    .filter(|c| !present.contains(c))
                    .copied()
                    .collect()
            }
        }
    }

    /// The answer to `question` if it can be given without reading a file or waiting
    /// for I/O, on the link's event loop: a bevraging of a source that knows its
    /// subjects from memory ([`Source::knows_remembered`]), or of none. `None`: answer
    /// it with [`Answerer::answer`] on a blocking thread (a share request reads records
    /// and syncs receipts; it never qualifies; nor does a malformed question).
    pub fn answer_from_memory(
        &self,
        question: &Question,
        own: &OwnParty,
        now: SystemTime,
    ) -> Option<Answer> {
        let Some(question::Kind::Bevraging(b)) = &question.kind else {
            return None;
        };
        let id = question.request_id.as_str();
        if let Some(kept) = self.lock_cache().get(id) {
            tracing::info!(request = %id, "question delivered again; sending the same answer");
            return Some(kept.clone());
        }
        // Its first delivery is being answered on a blocking thread (a relink sent it
        // again): waiting for that here would hold up the link.
        if self.lock_answering().contains_key(id) {
            return None;
        }
        let Some(source) = &self.source else {
            return Some(self.answer_knowing(question, own, now, None));
        };
        let subjects = bevraging_subjects(b).ok()?;
        let hits = source.knows_remembered(&subjects, &self.categories)?;
        let remembered = Remembered {
            subjects: &subjects,
            hits: &hits,
        };
        Some(self.answer_knowing(question, own, now, Some(remembered)))
    }

    /// The answer to `question`, as the agent's own party `own`, at `now`. A question
    /// whose request id was answered before gets that answer again, unchanged, even
    /// when it arrives after its deadline or the source changed since.
    pub fn answer(&self, question: &Question, own: &OwnParty, now: SystemTime) -> Answer {
        self.answer_knowing(question, own, now, None)
    }

    /// [`Answerer::answer`], with a bevraging's hits already `remembered` (one per
    /// subject, in order) or to be asked of the source.
    fn answer_knowing(
        &self,
        question: &Question,
        own: &OwnParty,
        now: SystemTime,
        remembered: Option<Remembered<'_>>,
    ) -> Answer {
        let id = question.request_id.as_str();
        if let Some(kept) = self.lock_cache().get(id) {
            tracing::info!(request = %id, "question delivered again; sending the same answer");
            return kept.clone();
        }
        self.one_at_a_time(id, || {
            // Looked again: it may have been answered while this call waited its turn.
            if let Some(kept) = self.lock_cache().get(id) {
                tracing::info!(request = %id, "question delivered again while it was answered; sending the same answer");
                return kept.clone();
            }
            self.answer_afresh(question, own, now, remembered)
        })
    }

    /// Runs `answer` for request `id` while no other call answers the same id: a
    /// question delivered again while its first delivery is still being answered (the
    /// old link's answer task runs on after a relink) waits, and finds the first's
    /// answer in the cache, so its receipts are written once.
    fn one_at_a_time(&self, id: &str, answer: impl FnOnce() -> Answer) -> Answer {
        let turn = self
            .lock_answering()
            .entry(id.to_owned())
            .or_default()
            .clone();
        let answered = {
            let _mine = turn.lock().unwrap_or_else(|e| e.into_inner());
            answer()
        };
        let mut answering = self.lock_answering();
        // The map's and this call's: nobody else waits for a turn on this id.
        if Arc::strong_count(&turn) == 2 {
            answering.remove(id);
        }
        answered
    }

    fn lock_answering(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, Arc<Mutex<()>>>> {
        // Only ids and their locks: nothing half-changed to fear after a panic.
        self.answering.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Computes the answer to `question`, writes its receipts and keeps it in the cache.
    fn answer_afresh(
        &self,
        question: &Question,
        own: &OwnParty,
        now: SystemTime,
        remembered: Option<Remembered<'_>>,
    ) -> Answer {
        let id = question.request_id.as_str();
        let kind = self.compute(question, own, OffsetDateTime::from(now), remembered);
        let answer = Answer {
            request_id: id.to_owned(),
            kind: Some(kind),
        };
        // The receipt is on disk before the answer can leave: a share the party cannot
        // account for is not sent (article 10.3).
        if let Err(error) = self.write_receipts(&answer, question, now) {
            tracing::error!(request = %id, %error, "cannot write the receipt log; the answer is not sent");
            return Answer {
                request_id: id.to_owned(),
                kind: Some(unanswerable(
                    reason::SOURCE_UNAVAILABLE,
                    "the partner's agent cannot write its receipt log; the partner's agent log has the details".into(),
                )),
            };
        }
        let kept = self.lock_cache().insert_or_get(id, answer);
        self.metrics.answered(match &kept.kind {
            Some(answer::Kind::Bevraging(_)) => "bevraging",
            Some(answer::Kind::Shares(_)) => "shares",
            Some(answer::Kind::Unanswerable(_)) | None => "unanswerable",
        });
        kept
    }

    /// Writes the receipts of a freshly computed answer: one per record sent or
    /// withheld. A bevraging or an unanswerable question shares nothing. An answer
    /// given before the agent restarted and asked again (its first went down with the
    /// link) writes only the receipts not written then: the log holds each share of a
    /// request once, however often its answer had to be sent.
    fn write_receipts(
        &self,
        answer: &Answer,
        question: &Question,
        now: SystemTime,
    ) -> Result<(), crate::receipts::ReceiptError> {
        let (Some(log), Some(answer::Kind::Shares(shares))) = (&self.receipts, &answer.kind) else {
            return Ok(());
        };
        let asked = match &question.kind {
            Some(question::Kind::ShareRequest(r)) => r
                .subject
                .as_ref()
                .map(|s| s.hex.clone())
                .unwrap_or_default(),
            _ => String::new(),
        };
        // A share request for several subjects: each record and withheld line names
        // its own.
        let subject = |named: Option<&SubjectPseudonym>| {
            named.map_or_else(|| asked.clone(), |s| s.hex.clone())
        };
        let mut events = Vec::new();
        for record in &shares.records {
            events.push(Event::ShareSent {
                request: answer.request_id.clone(),
                category: record.category.clone(),
                subject: subject(record.subject.as_ref()),
                reference: record.source_reference.clone(),
                fields: record.fields.iter().map(|f| f.name.clone()).collect(),
                stripped: record.stripped_at_source.clone(),
            });
        }
        for withheld in &shares.withheld {
            let decision = withheld.decision.clone().unwrap_or_default();
            events.push(Event::ShareWithheld {
                request: answer.request_id.clone(),
                category: withheld.category.clone(),
                subject: subject(withheld.subject.as_ref()),
                outcome: decision.outcome,
                articles: decision.articles,
                offered: decision.stripped,
            });
        }
        let before = self
            .receipted_before
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&answer.request_id);
        if let Some(before) = before {
            let written = events.len();
            events.retain(|e| !before.contains(e));
            tracing::info!(request = %answer.request_id, already = written - events.len(), new = events.len(),
                "question answered before the agent restarted; receipts written then are not written again");
            if events.is_empty() {
                return Ok(());
            }
        }
        log.append(OffsetDateTime::from(now), events)
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, AnswerCache> {
        // A panic while holding the lock cannot leave the cache half-updated in a way
        // that matters (worst case an entry is missing): keep using it.
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn compute(
        &self,
        question: &Question,
        own: &OwnParty,
        now: OffsetDateTime,
        remembered: Option<Remembered<'_>>,
    ) -> answer::Kind {
        let id = question.request_id.as_str();
        if let Some(deadline) = &question.deadline {
            match gate::timestamp(deadline) {
                Some(deadline) if now > deadline => {
                    tracing::info!(request = %id, %deadline, "question arrived after its deadline");
                    return unanswerable(
                        reason::EXPIRED,
                        "the question arrived after its deadline".into(),
                    );
                }
                Some(_) => {}
                None => {
                    return malformed(
                        id,
                        &gate::MalformedQuestion {
                            field: "deadline".into(),
                            problem: "not a valid timestamp".into(),
                        },
                    );
                }
            }
        }
        match &question.kind {
            None => malformed(
                id,
                &gate::MalformedQuestion {
                    field: "kind".into(),
                    problem: "neither a bevraging nor a share request".into(),
                },
            ),
            Some(question::Kind::Bevraging(b)) => match remembered {
                Some(r) => self.bevraging(id, r.subjects, Some(r.hits)),
                None => match bevraging_subjects(b) {
                    Ok(subjects) => self.bevraging(id, &subjects, None),
                    Err(e) => malformed(id, &e),
                },
            },
            Some(question::Kind::ShareRequest(r)) => {
                // One snapshot for the whole request: a switch meanwhile cannot mix
                // two versions in one answer.
                let covenant = self.gate.covenant();
                if r.covenant_version != covenant.version() {
                    tracing::warn!(
                        request = %id,
                        hub = r.covenant_version,
                        agent = covenant.version(),
                        "share request asked under another covenant version; not pre-checked (article 13.2)"
                    );
                    return unanswerable(
                        reason::COVENANT_VERSION_MISMATCH,
                        format!(
                            "the hub asked under covenant version {}, this agent pre-checks with version {}; it switches when the hub sends its version in force",
                            r.covenant_version,
                            covenant.version()
                        ),
                    );
                }
                if r.more_subjects.len() >= MAX_BEVRAGING_SUBJECTS {
                    return malformed(
                        id,
                        &gate::MalformedQuestion {
                            field: "share_request.more_subjects".into(),
                            problem: format!(
                                "{} subjects, more than the {MAX_BEVRAGING_SUBJECTS} one share request may ask for",
                                r.more_subjects.len() + 1
                            ),
                        },
                    );
                }
                match ShareContext::all_from_request(r, own) {
                    Ok(contexts) => self.shares(id, &contexts, &covenant),
                    Err(e) => malformed(id, &e),
                }
            }
        }
    }

    /// Hit or no hit (article 8.4) for each subject asked about, over the served
    /// categories only; the first subject's in `hit`, the others' in `more_hits`.
    fn bevraging(
        &self,
        id: &str,
        subjects: &[Pseudonym],
        remembered: Option<&[bool]>,
    ) -> answer::Kind {
        let Some(source) = &self.source else {
            return no_source();
        };
        let hits = match remembered {
            // Never the source's own `knows` then: this may run on the event loop.
            Some(hits) => {
                debug_assert_eq!(hits.len(), subjects.len(), "one hit per subject");
                hits.to_vec()
            }
            None => {
                let mut hits = Vec::with_capacity(subjects.len());
                for subject in subjects {
                    match source.knows(subject, &self.categories) {
                        Ok(hit) => hits.push(hit),
                        Err(e) => return source_failed(id, &e),
                    }
                }
                hits
            }
        };
        for (subject, hit) in subjects.iter().zip(&hits) {
            tracing::info!(request = %id, %subject, hit, "bevraging answered");
        }
        let mut hits = hits.into_iter();
        let hit = hits.next().unwrap_or(false);
        answer::Kind::Bevraging(BevragingAnswer {
            hit,
            more_hits: hits.collect(),
        })
    }

    /// The records of a share request about each of its subjects (`contexts`, the
    /// request's `subject` first), in one answer that says it covers them all. One
    /// that would not fit a link message ([`MAX_COMBINED_ANSWER`]) is the first
    /// subject's alone, not saying so: the hub then asks for the others one by one.
    fn shares(&self, id: &str, contexts: &[ShareContext], covenant: &Covenant) -> answer::Kind {
        let mut out = ShareAnswer {
            more_subjects_answered: contexts.len() > 1,
            ..ShareAnswer::default()
        };
        // How many records and withheld lines are the first subject's.
        let mut first = None;
        for context in contexts {
            match self.share(id, context, covenant) {
                answer::Kind::Shares(one) => {
                    out.records.extend(one.records);
                    out.withheld.extend(one.withheld);
                    first.get_or_insert((out.records.len(), out.withheld.len()));
                }
                // The source failed: no answer about any of them.
                other => return other,
            }
        }
        if let Some((records, withheld)) = first
            && out.more_subjects_answered
            && out.encoded_len() > MAX_COMBINED_ANSWER
        {
            tracing::info!(request = %id, subjects = contexts.len(),
                "the records of all subjects asked for do not fit one answer; only the first's are sent, the hub asks for the others one by one");
            out.records.truncate(records);
            out.withheld.truncate(withheld);
            out.more_subjects_answered = false;
        }
        // Counted as sent once the answer is final: the records of subjects cut from
        // it are counted when they are asked for alone.
        for record in &out.records {
            self.metrics
                .shares_sent
                .get_or_create(&CategoryLabels {
                    category: record.category.clone(),
                })
                .inc();
        }
        answer::Kind::Shares(out)
    }

    /// The records of one subject of a share request: each decided by the gate, sent
    /// stripped or withheld. A category the agent does not serve yields nothing.
    fn share(&self, id: &str, context: &ShareContext, covenant: &Covenant) -> answer::Kind {
        let Some(source) = &self.source else {
            return no_source();
        };
        let served: Vec<Category> = context
            .categories
            .iter()
            .filter(|c| self.categories.contains(c))
            .copied()
            .collect();
        if context.unknown_categories > 0 {
            tracing::warn!(
                request = %id,
                count = context.unknown_categories,
                "the share request names categories outside the covenant's vocabulary; they yield nothing"
            );
        }
        let records = match source.records(&context.subject, &served) {
            Ok(records) => records,
            Err(e) => return source_failed(id, &e),
        };
        let subject = SubjectPseudonym {
            hex: context.subject.to_hex(),
        };
        let mut out = ShareAnswer::default();
        for record in records {
            let offered = record.field_names();
            let decision = gate::decide_with(covenant, context, record.category, &offered);
            match decision.outcome {
                Outcome::Permit => {
                    tracing::info!(
                        request = %id,
                        subject = %context.subject,
                        category = %record.category,
                        reference = %record.reference,
                        passed = ?decision.passed,
                        stripped = ?decision.stripped,
                        articles = ?articles(&decision.articles),
                        "record permitted by the pre-check"
                    );
                    out.records.push(to_wire(
                        &record,
                        &decision.passed,
                        &decision.stripped,
                        &subject,
                    ));
                }
                Outcome::Deny | Outcome::Reject => {
                    let level_reject = decision.outcome == Outcome::Reject;
                    if level_reject {
                        // Prohibited content in the partner's own export (article 7):
                        // the partner's privacy officer should look at the source.
                        tracing::warn!(
                            request = %id,
                            subject = %context.subject,
                            category = %record.category,
                            reference = %record.reference,
                            offered = ?offered,
                            articles = ?articles(&decision.articles),
                            "record REJECTED by the pre-check and withheld: it carries prohibited content"
                        );
                    } else {
                        tracing::info!(
                            request = %id,
                            subject = %context.subject,
                            category = %record.category,
                            reference = %record.reference,
                            offered = ?offered,
                            articles = ?articles(&decision.articles),
                            "record denied by the pre-check and withheld"
                        );
                    }
                    self.metrics
                        .shares_refused
                        .get_or_create(&RefusalLabels {
                            category: record.category.as_str().into(),
                            outcome: decision.outcome.as_str().into(),
                        })
                        .inc();
                    out.withheld.push(WithheldAtSource {
                        category: record.category.as_str().to_owned(),
                        decision: Some(gate::decision_to_proto(&decision, &offered)),
                        subject: Some(subject.clone()),
                    });
                }
            }
        }
        answer::Kind::Shares(out)
    }
}

/// Reads and validates the covenant file.
pub fn load_covenant(path: &std::path::Path) -> Result<Covenant, SetupError> {
    Covenant::load(path).map_err(|e| match e {
        treiter_policies::LoadError::Read { path, source } => {
            SetupError::CovenantRead { path, source }
        }
        treiter_policies::LoadError::Invalid { path, diagnostics } => SetupError::CovenantInvalid {
            path,
            report: diagnostics.plain(),
        },
    })
}

/// The field names the covenant lists for `category` (article 6); empty when the
/// encoding does not have the category.
pub fn covenant_fields(covenant: &Covenant, category: Category) -> Vec<String> {
    let compiled = covenant.compiled();
    match compiled.category(category) {
        None => Vec::new(),
        Some(rules) => rules
            .fields
            .iter()
            .filter_map(|id| compiled.fields.get(usize::from(id)).cloned())
            .collect(),
    }
}

fn articles(list: &[treiter_policies::ArticleNo]) -> Vec<String> {
    list.iter().map(ToString::to_string).collect()
}

/// A permitted record as sent: only the passed fields, and the names of the stripped
/// ones so the hub's decision and log can name them (article 10.1).
fn to_wire(
    record: &SourceRecord,
    passed: &[String],
    stripped: &[String],
    subject: &SubjectPseudonym,
) -> Record {
    Record {
        stripped_at_source: stripped.to_vec(),
        category: record.category.as_str().to_owned(),
        subject: Some(subject.clone()),
        fields: record
            .fields
            .iter()
            .filter(|f| passed.contains(&f.name))
            .map(|f| Field {
                name: f.name.clone(),
                value: f.value.clone(),
            })
            .collect(),
        source_reference: record.reference.clone(),
        recorded_at: Some(prost_types::Timestamp {
            seconds: record.recorded_at.unix_timestamp(),
            nanos: i32::try_from(record.recorded_at.nanosecond()).unwrap_or(0),
        }),
    }
}

fn unanswerable(reason: &str, detail: String) -> answer::Kind {
    answer::Kind::Unanswerable(Unanswerable {
        reason: reason.to_owned(),
        detail,
    })
}

fn no_source() -> answer::Kind {
    unanswerable(
        reason::SOURCE_UNAVAILABLE,
        "this agent has no data source configured".into(),
    )
}

/// The source failed: the full error (file names, positions) goes to the agent's own
/// log; the hub learns only what kind of failure it was, not the partner's paths.
fn source_failed(id: &str, error: &SourceError) -> answer::Kind {
    tracing::error!(request = %id, %error, "the data source failed; answered source-unavailable");
    let what = match error {
        SourceError::Directory { .. } | SourceError::Read { .. } => {
            "a record file could not be read"
        }
        SourceError::UnknownCategory { .. } => "the source has a folder that is not a category",
        SourceError::TooLarge { .. } => "a record file is too large",
        SourceError::Json { .. } | SourceError::Record { .. } => "a record file is malformed",
        SourceError::DatabaseMissing { .. } | SourceError::Sqlite { .. } => {
            "the partner's database could not be read"
        }
        SourceError::Query { .. } => "a configured query of the partner's database is unusable",
        SourceError::Value { .. } => "a record in the partner's database is malformed",
    };
    unanswerable(
        reason::SOURCE_UNAVAILABLE,
        format!("{what}; the partner's agent log has the details"),
    )
}

/// A bevraging's subjects, read once ([`bevraging_subjects`]), and whether the source
/// knows each, from memory ([`Source::knows_remembered`]).
#[derive(Clone, Copy)]
struct Remembered<'a> {
    subjects: &'a [Pseudonym],
    hits: &'a [bool],
}

/// The subjects a bevraging asks about: `subject`, then `more_subjects`, each a
/// pseudonym, at most [`MAX_BEVRAGING_SUBJECTS`] in all.
fn bevraging_subjects(b: &Bevraging) -> Result<Vec<Pseudonym>, gate::MalformedQuestion> {
    let count = 1 + b.more_subjects.len();
    if count > MAX_BEVRAGING_SUBJECTS {
        return Err(gate::MalformedQuestion {
            field: "bevraging.more_subjects".into(),
            problem: format!(
                "{count} subjects, more than the {MAX_BEVRAGING_SUBJECTS} one bevraging may ask about"
            ),
        });
    }
    let first = b.subject.as_ref().ok_or_else(|| gate::MalformedQuestion {
        field: "bevraging.subject".into(),
        problem: "missing".into(),
    })?;
    // A field's name is written only for an error: every bevraging is read here.
    let parse = |field: &dyn Fn() -> String, subject: &SubjectPseudonym| {
        Pseudonym::parse(&subject.hex).map_err(|e| gate::MalformedQuestion {
            field: field(),
            problem: e.to_string(),
        })
    };
    let mut subjects = Vec::with_capacity(count);
    subjects.push(parse(&|| "bevraging.subject".into(), first)?);
    for (i, more) in b.more_subjects.iter().enumerate() {
        let field = || format!("bevraging.more_subjects[{i}]");
        let subject = parse(&field, more)?;
        // Asked twice, it would be answered (and receipted) twice.
        if subjects.contains(&subject) {
            return Err(gate::MalformedQuestion {
                field: field(),
                problem: "the same subject is asked about earlier in this bevraging; each \
                          subject may appear once"
                    .into(),
            });
        }
        subjects.push(subject);
    }
    Ok(subjects)
}

fn malformed(id: &str, error: &gate::MalformedQuestion) -> answer::Kind {
    tracing::warn!(request = %id, %error, "cannot read the question");
    unanswerable(reason::MALFORMED_QUESTION, error.to_string())
}
