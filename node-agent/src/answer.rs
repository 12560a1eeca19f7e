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

use std::sync::Mutex;
use std::time::SystemTime;

use time::OffsetDateTime;
use treiter_policies::{Category, Covenant, Outcome};
use treiter_proto::pseudonym::Pseudonym;
use treiter_proto::v1::{
    Answer, BevragingAnswer, Field, Question, Record, ShareAnswer, SubjectPseudonym, Unanswerable,
    WithheldAtSource, answer, question,
};

use crate::cache::{self, AnswerCache};
use crate::config::{AgentConfig, SourceConfig};
use crate::error::SetupError;
use crate::gate::{self, Gate, OwnParty, ShareContext};
use crate::sources::{JsonDirSource, Source, SourceError, SourceRecord};

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
        Answerer {
            gate: Gate::new(covenant),
            source,
            categories,
            cache: Mutex::new(AnswerCache::new(
                cache::DEFAULT_ENTRIES,
                cache::DEFAULT_BYTES,
            )),
        }
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
        let covenant = load_covenant(&config.covenant)?;
        let source: Option<Box<dyn Source>> = match &config.source {
            None => None,
            Some(SourceConfig::JsonDir { path }) => Some(Box::new(JsonDirSource::open(path)?)),
        };
        let categories = match (&config.categories, &source) {
            (Some(listed), _) => listed.clone(),
            (None, Some(source)) => source.categories(),
            (None, None) => Vec::new(),
        };
        Ok(Answerer::new(covenant, source, categories))
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

    /// The answer to `question`, as the agent's own party `own`, at `now`. A question
    /// whose request id was answered before gets that answer again, unchanged, even
    /// when it arrives after its deadline or the source changed since.
    pub fn answer(&self, question: &Question, own: &OwnParty, now: SystemTime) -> Answer {
        let id = question.request_id.as_str();
        if let Some(kept) = self.lock_cache().get(id) {
            tracing::info!(request = %id, "question delivered again; sending the same answer");
            return kept.clone();
        }
        let kind = self.compute(question, own, OffsetDateTime::from(now));
        let answer = Answer {
            request_id: id.to_owned(),
            kind: Some(kind),
        };
        self.lock_cache().insert_or_get(id, answer)
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, AnswerCache> {
        // A panic while holding the lock cannot leave the cache half-updated in a way
        // that matters (worst case an entry is missing): keep using it.
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn compute(&self, question: &Question, own: &OwnParty, now: OffsetDateTime) -> answer::Kind {
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
            Some(question::Kind::Bevraging(b)) => {
                let subject = match b.subject.as_ref().map(|s| Pseudonym::parse(&s.hex)) {
                    Some(Ok(p)) => p,
                    Some(Err(e)) => {
                        return malformed(
                            id,
                            &gate::MalformedQuestion {
                                field: "bevraging.subject".into(),
                                problem: e.to_string(),
                            },
                        );
                    }
                    None => {
                        return malformed(
                            id,
                            &gate::MalformedQuestion {
                                field: "bevraging.subject".into(),
                                problem: "missing".into(),
                            },
                        );
                    }
                };
                self.bevraging(id, &subject)
            }
            Some(question::Kind::ShareRequest(r)) => match ShareContext::from_request(r, own) {
                Ok(context) => self.share(id, &context),
                Err(e) => malformed(id, &e),
            },
        }
    }

    /// Hit or no hit (article 8.4), over the served categories only.
    fn bevraging(&self, id: &str, subject: &Pseudonym) -> answer::Kind {
        let Some(source) = &self.source else {
            return no_source();
        };
        match source.knows(subject, &self.categories) {
            Ok(hit) => {
                tracing::info!(request = %id, %subject, hit, "bevraging answered");
                answer::Kind::Bevraging(BevragingAnswer { hit })
            }
            Err(e) => source_failed(id, &e),
        }
    }

    /// The records of a share request: each decided by the gate, sent stripped or
    /// withheld. A category the agent does not serve yields nothing.
    fn share(&self, id: &str, context: &ShareContext) -> answer::Kind {
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
            let decision = self.gate.decide(context, record.category, &offered);
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
                    out.withheld.push(WithheldAtSource {
                        category: record.category.as_str().to_owned(),
                        decision: Some(gate::decision_to_proto(&decision, &offered)),
                    });
                }
            }
        }
        answer::Kind::Shares(out)
    }
}

/// Reads and validates the covenant file.
pub fn load_covenant(path: &std::path::Path) -> Result<Covenant, SetupError> {
    let text = std::fs::read_to_string(path).map_err(|source| SetupError::CovenantRead {
        path: path.to_path_buf(),
        source,
    })?;
    Covenant::parse(&path.display().to_string(), &text).map_err(|d| SetupError::CovenantInvalid {
        path: path.to_path_buf(),
        report: d.plain(),
    })
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
    };
    unanswerable(
        reason::SOURCE_UNAVAILABLE,
        format!("{what}; the partner's agent log has the details"),
    )
}

fn malformed(id: &str, error: &gate::MalformedQuestion) -> answer::Kind {
    tracing::warn!(request = %id, %error, "cannot read the question");
    unanswerable(reason::MALFORMED_QUESTION, error.to_string())
}
