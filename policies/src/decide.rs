//! The decision engine: a pure function from a covenant and a request to a decision.
//!
//! The order of evaluation is the covenant's "Outcomes" section:
//! 1. the party list (art. 2.3) is decided first, and alone;
//! 2. prohibited content (art. 7) rejects the whole share;
//! 3. a barred purpose (art. 3.3) is denied under that article alone;
//! 4. every other condition is evaluated for the ordinary share and, when an emergency
//!    acts for this recipient, for the emergency share (art. 15): a deny cites every
//!    condition that failed, except those an emergency or escalation set aside; a
//!    permit cites what granted it and what withheld each stripped field.
//!
//! The request is first resolved to enum values and bit sets ([`Query`]); the
//! evaluation itself compares no strings and allocates nothing. Only rendering the
//! [`Decision`] allocates. A request that the covenant cannot place (an unknown
//! subject) is denied, never waved through.

pub use crate::request::{
    Case, Decision, DecisionRequest, Emergency, InputError, Notification, NotifyKind, Obligation,
    Oin, Outcome, Recipient, Requests, Source, Subject, Timestamp,
};

use crate::compile::{ArtId, ArtSet, CategoryRules, Compiled, FieldSet, Mask, StripTest, has};
use crate::model::Covenant;
use crate::vocab::{Category, PartyKind, Phase, Purpose, Role, Stadsdeel, SubjectRole, a_an};

/// How the emergency of the case relates to this share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmergencyState {
    /// No emergency, or the recipient is not its declarer with a declaring role.
    NotDeclarer,
    /// The recipient declared it, with a role that may, and it is active.
    Active,
    /// The recipient declared it, but it is not active at `at` (art. 15.3).
    Expired,
}

/// A request resolved against the covenant: only enums and bit sets.
#[derive(Debug, Clone, Copy)]
pub struct Query {
    /// Source party kind as stated, and whether it matches the party list.
    pub source_kind: PartyKind,
    /// Whether the source is listed with that kind.
    pub source_listed: bool,
    /// Recipient party kind as stated.
    pub recipient_kind: PartyKind,
    /// Whether the recipient's party is listed with that kind.
    pub recipient_listed: bool,
    /// Recipient role.
    pub role: Role,
    /// Recipient stadsdeel.
    pub recipient_stadsdeel: Option<Stadsdeel>,
    /// Case stadsdeel.
    pub case_stadsdeel: Stadsdeel,
    /// Case phase.
    pub phase: Phase,
    /// Case escalated.
    pub escalated: bool,
    /// Whether the recipient's party takes part in the case.
    pub participant: bool,
    /// The subject's role and consented categories, if the case lists the subject.
    pub subject: Option<(SubjectRole, u32)>,
    /// Category.
    pub category: Category,
    /// Purpose.
    pub purpose: Purpose,
    /// Offered fields the covenant knows.
    pub offered: FieldSet,
    /// Whether a field name the covenant does not know at all was offered.
    pub offered_unknown: bool,
    /// The emergency, as it concerns this recipient.
    pub emergency: EmergencyState,
}

/// The decision in indexed form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// The outcome.
    pub outcome: Outcome,
    /// Fields that pass.
    pub passed: FieldSet,
    /// Known fields stripped.
    pub stripped: FieldSet,
    /// Whether unknown field names were stripped (always, on permit).
    pub stripped_unknown: bool,
    /// Articles cited.
    pub articles: ArtSet,
    /// Emergency share.
    pub emergency: bool,
    /// Articles whose notification goes to the source's privacy officer.
    pub notify: ArtSet,
}

impl Verdict {
    fn refused(outcome: Outcome, articles: ArtSet) -> Verdict {
        Verdict {
            outcome,
            passed: FieldSet::EMPTY,
            stripped: FieldSet::EMPTY,
            stripped_unknown: false,
            articles,
            emergency: false,
            notify: ArtSet::EMPTY,
        }
    }
}

/// Which evaluation a step belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepRoute {
    /// Before the ordinary and emergency shares part ways (2.3, 7, 3.3, 15 itself).
    Common,
    /// The share as the other articles decide it.
    Ordinary,
    /// The share as article 15.1 decides it.
    Emergency,
}

/// One step of a decision, for `explain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The article of the rule.
    pub article: Option<ArtId>,
    /// Whether the rule's condition held (or it granted / passed).
    pub held: bool,
    /// What was checked, in plain words.
    pub what: String,
    /// Which evaluation it belongs to.
    pub route: StepRoute,
    /// The fields a field rule concerned (stripped when `held` is false).
    pub fields: FieldSet,
}

/// Receives the steps of a decision. The hot path uses [`NoTrace`], whose closures
/// are never called, so tracing costs nothing there.
pub trait Trace {
    /// Records a step; `f` is only called when recording.
    fn step(&mut self, f: impl FnOnce() -> Step);
}

/// Records nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTrace;

impl Trace for NoTrace {
    #[inline(always)]
    fn step(&mut self, _f: impl FnOnce() -> Step) {}
}

impl Trace for Vec<Step> {
    fn step(&mut self, f: impl FnOnce() -> Step) {
        self.push(f());
    }
}

fn step(t: &mut impl Trace, article: ArtId, held: bool, what: impl FnOnce() -> String) {
    rstep(t, StepRoute::Common, FieldSet::EMPTY, article, held, what);
}

fn rstep(
    t: &mut impl Trace,
    route: StepRoute,
    fields: FieldSet,
    article: ArtId,
    held: bool,
    what: impl FnOnce() -> String,
) {
    t.step(|| Step {
        article: Some(article),
        held,
        what: what(),
        route,
        fields,
    });
}

/// Decides one share. Pure: the same covenant and request give the same decision.
pub fn decide(covenant: &Covenant, request: &DecisionRequest) -> Decision {
    let c = covenant.compiled();
    let q = resolve(c, request);
    let v = evaluate(c, &q, &mut NoTrace);
    render(c, request, &v)
}

/// Resolves a request against the indexed covenant.
pub fn resolve(c: &Compiled, r: &DecisionRequest) -> Query {
    let mut offered = FieldSet::EMPTY;
    let mut offered_unknown = false;
    for f in &r.fields {
        match c.field_ids.get(f.as_str()) {
            Some(id) => offered.insert(*id),
            None => offered_unknown = true,
        }
    }
    let subject = r
        .case
        .subjects
        .iter()
        .find(|s| s.id == r.subject)
        .map(|s| (s.role, s.consent.iter().fold(0, |m, cat| m | cat.bit())));
    let emergency = match (&r.case.emergency, &c.emergency) {
        (Some(e), Some(rules)) if e.declared_by == r.recipient.person => {
            let may = rules
                .declarers
                .iter()
                .any(|d| d.role == r.recipient.role && has(d.kinds, r.recipient.kind.bit()));
            if !may {
                EmergencyState::NotDeclarer
            } else {
                let end = e
                    .declared_at
                    .0
                    .checked_add(time::Duration::hours(i64::from(rules.hours)));
                let active = e.declared_at <= r.at && end.is_some_and(|end| r.at.0 <= end);
                if active {
                    EmergencyState::Active
                } else {
                    EmergencyState::Expired
                }
            }
        }
        _ => EmergencyState::NotDeclarer,
    };
    Query {
        source_kind: r.source.kind,
        source_listed: c.party_kind(r.source.oin.0) == Some(r.source.kind),
        recipient_kind: r.recipient.kind,
        recipient_listed: c.party_kind(r.recipient.oin.0) == Some(r.recipient.kind),
        role: r.recipient.role,
        recipient_stadsdeel: r.recipient.stadsdeel,
        case_stadsdeel: r.case.stadsdeel,
        phase: r.case.phase,
        escalated: r.case.escalated,
        participant: r.case.participants.contains(&r.recipient.oin),
        subject,
        category: r.category,
        purpose: r.purpose,
        offered,
        offered_unknown,
        emergency,
    }
}

/// The result of evaluating one route (ordinary or emergency).
#[derive(Debug, Clone, Copy)]
enum Route {
    Permit {
        passed: FieldSet,
        stripped: FieldSet,
        articles: ArtSet,
    },
    Deny(ArtSet),
}

/// Whom the recipient is treated as.
#[derive(Debug, Clone, Copy)]
enum Mode {
    Ordinary,
    /// As `as_role` of a party of kinds `as_kinds`, with the emergency's set-asides.
    Emergency {
        as_role: Role,
        as_kinds: Mask,
    },
}

/// Evaluates a resolved request.
pub fn evaluate(c: &Compiled, q: &Query, t: &mut impl Trace) -> Verdict {
    // Art. 2.3 first, and alone.
    let mut parties = ArtSet::EMPTY;
    step(t, c.art_parties, q.source_listed, || {
        format!("the source party is listed with kind {}", q.source_kind)
    });
    step(t, c.art_parties, q.recipient_listed, || {
        format!(
            "the recipient's party is listed with kind {}",
            q.recipient_kind
        )
    });
    if !(q.source_listed && q.recipient_listed) {
        parties.insert(c.art_parties);
        return Verdict::refused(Outcome::Deny, parties);
    }

    // Art. 7: prohibited content rejects the whole share.
    let mut rejected = ArtSet::EMPTY;
    for (fields, art) in &c.prohibited {
        let carried = !q.offered.and(*fields).is_empty();
        step(t, *art, !carried, || {
            if carried {
                format!(
                    "the share carries a field that is never shared: {}",
                    names(c, q.offered.and(*fields))
                )
            } else {
                "the share carries no field that is never shared under this article".into()
            }
        });
        if carried {
            rejected.insert(*art);
        }
    }
    if !rejected.is_empty() {
        let mut v = Verdict::refused(Outcome::Reject, rejected);
        v.notify = rejected;
        return v;
    }

    // A purpose that is not declared, or for which nothing is shared, is refused
    // under that article alone: no other article applies to it.
    if !has(c.purposes.0, q.purpose.bit()) {
        step(t, c.purposes.1, false, || {
            format!("purpose {} is not a purpose of this covenant", q.purpose)
        });
        let mut a = ArtSet::EMPTY;
        a.insert(c.purposes.1);
        return Verdict::refused(Outcome::Deny, a);
    }
    let mut barred = ArtSet::EMPTY;
    for (purposes, art) in &c.purpose_bars {
        if has(*purposes, q.purpose.bit()) {
            step(t, *art, false, || {
                format!("nothing is shared for {}", q.purpose)
            });
            barred.insert(*art);
        }
    }
    if !barred.is_empty() {
        return Verdict::refused(Outcome::Deny, barred);
    }

    let Some(rules) = c.category(q.category) else {
        step(t, c.art_default, false, || {
            format!("the covenant does not encode category {}", q.category)
        });
        let mut a = ArtSet::EMPTY;
        a.insert(c.art_default);
        return Verdict::refused(Outcome::Deny, a);
    };

    let ordinary = route(c, q, rules, Mode::Ordinary, t);
    let finish = |r: Route, emergency: bool| -> Verdict {
        match r {
            Route::Permit {
                passed,
                stripped,
                articles,
            } => {
                let mut notify = ArtSet::EMPTY;
                if emergency && let Some(review) = c.emergency.as_ref().and_then(|e| e.review) {
                    notify.insert(review);
                }
                Verdict {
                    outcome: Outcome::Permit,
                    passed,
                    stripped,
                    stripped_unknown: q.offered_unknown,
                    articles,
                    emergency,
                    notify,
                }
            }
            Route::Deny(a) => Verdict::refused(Outcome::Deny, a),
        }
    };

    // Art. 15: does an emergency act for this share?
    let Some(em) = c.emergency.as_ref() else {
        return finish(ordinary, false);
    };
    let considered = q.emergency != EmergencyState::NotDeclarer
        && has(em.categories, q.category.bit())
        && has(em.purposes, q.purpose.bit());
    if !considered {
        if q.emergency != EmergencyState::NotDeclarer {
            step(t, em.art, false, || {
                format!(
                    "the emergency does not cover {} for {}: decided as if none was declared",
                    q.category, q.purpose
                )
            });
        }
        return finish(ordinary, false);
    }
    if q.emergency == EmergencyState::Expired {
        step(t, em.art_duration, false, || {
            format!(
                "the recipient's emergency is not active at this moment (it lasts {} hours)",
                em.hours
            )
        });
        return match ordinary {
            Route::Permit { .. } => finish(ordinary, false),
            Route::Deny(mut a) => {
                a.insert(em.art);
                a.insert(em.art_duration);
                finish(Route::Deny(a), false)
            }
        };
    }
    let Some(as_role) = em.as_role else {
        return finish(ordinary, false);
    };
    step(t, em.art, true, || {
        format!(
            "the recipient declared an active emergency on this case: also considered as the {as_role} of the case"
        )
    });
    let as_kinds = match c.kinds_of_role(as_role) {
        u32::MAX => q.recipient_kind.bit(),
        k => k,
    };
    let emergency = route(c, q, rules, Mode::Emergency { as_role, as_kinds }, t);
    match (ordinary, emergency) {
        (
            Route::Permit { passed: po, .. },
            Route::Permit {
                passed,
                stripped,
                articles,
            },
        ) if !passed.minus(po).is_empty() => {
            step(t, em.art, true, || {
                "the emergency passes more fields than the other articles: an emergency share"
                    .into()
            });
            let mut articles = articles;
            articles.insert(em.art);
            finish(
                Route::Permit {
                    passed,
                    stripped,
                    articles,
                },
                true,
            )
        }
        (Route::Permit { .. }, _) => {
            step(t, em.art, true, || {
                "the other articles permit this share as fully: an ordinary share".into()
            });
            finish(ordinary, false)
        }
        (
            Route::Deny(_),
            Route::Permit {
                passed,
                stripped,
                articles,
            },
        ) => {
            step(t, em.art, true, || {
                "only the emergency permits this share: an emergency share".into()
            });
            let mut articles = articles;
            articles.insert(em.art);
            finish(
                Route::Permit {
                    passed,
                    stripped,
                    articles,
                },
                true,
            )
        }
        (Route::Deny(_), Route::Deny(failed)) => {
            let mut a = failed;
            a.insert(em.art);
            if let Some(keeps) = em.art_keeps
                && failed.iter().any(|f| em.keeps.contains(f))
            {
                a.insert(keeps);
            }
            finish(Route::Deny(a), false)
        }
    }
}

fn route(c: &Compiled, q: &Query, rules: &CategoryRules, mode: Mode, t: &mut impl Trace) -> Route {
    let (set_aside, set_aside_subject) = match (mode, &c.emergency) {
        (Mode::Emergency { .. }, Some(e)) => (e.set_aside, e.set_aside_subject_role),
        _ => (ArtSet::EMPTY, ArtSet::EMPTY),
    };
    let aside = |a: ArtId| set_aside.contains(a);
    let mut failed = ArtSet::EMPTY;
    let mut cited = ArtSet::EMPTY;
    let tag = match mode {
        Mode::Ordinary => StepRoute::Ordinary,
        Mode::Emergency { .. } => StepRoute::Emergency,
    };
    let label = match mode {
        Mode::Ordinary => "",
        Mode::Emergency { .. } => "emergency: ",
    };

    // Words the covenant does not declare are refused under the declaring article.
    for (mask, art, bit, what) in [
        (c.phases.0, c.phases.1, q.phase.bit(), "phase"),
        (c.roles.0, c.roles.1, q.role.bit(), "role"),
        (
            c.stadsdelen.0,
            c.stadsdelen.1,
            q.case_stadsdeel.bit(),
            "stadsdeel",
        ),
    ] {
        if !has(mask, bit) {
            rstep(t, tag, FieldSet::EMPTY, art, false, || {
                format!("{label}the case's {what} is not declared by this covenant")
            });
            failed.insert(art);
        }
    }

    // Phases (art. 4.4, 4.2).
    for (phases, art) in &c.phase_bars {
        if has(*phases, q.phase.bit()) && !aside(*art) {
            rstep(t, tag, FieldSet::EMPTY, *art, false, || {
                format!("{label}nothing is shared in phase {}", q.phase)
            });
            failed.insert(*art);
        }
    }
    let (fits, fit_arts) = c.fit(q.purpose);
    let fit_aside = !fit_arts.is_empty() && fit_arts.iter().all(aside);
    if has(fits, q.phase.bit()) {
        rstep(
            t,
            tag,
            FieldSet::EMPTY,
            fit_arts.iter().next().unwrap_or(c.art_default),
            true,
            || format!("{label}purpose {} fits phase {}", q.purpose, q.phase),
        );
        cited.union(&fit_arts);
    } else if fit_aside {
        rstep(
            t,
            tag,
            FieldSet::EMPTY,
            fit_arts.iter().next().unwrap_or(c.art_default),
            true,
            || {
                format!(
                    "{label}purpose {} does not fit phase {}, but the emergency sets this aside",
                    q.purpose, q.phase
                )
            },
        );
    } else {
        rstep(
            t,
            tag,
            FieldSet::EMPTY,
            fit_arts.iter().next().unwrap_or(c.art_default),
            false,
            || {
                format!(
                    "{label}purpose {} does not fit phase {}",
                    q.purpose, q.phase
                )
            },
        );
        if fit_arts.is_empty() {
            failed.insert(c.art_default);
        } else {
            failed.union(&fit_arts);
        }
    }

    // The recipient's role (art. 5).
    for (roles, art) in &c.role_bars {
        if has(*roles, q.role.bit()) {
            rstep(t, tag, FieldSet::EMPTY, *art, false, || {
                format!(
                    "{label}nothing is shared with {} {}",
                    a_an(q.role.as_str()),
                    q.role
                )
            });
            failed.insert(*art);
        }
    }
    for (roles, kinds, art) in &c.role_kinds {
        if has(*roles, q.role.bit()) && !has(*kinds, q.recipient_kind.bit()) {
            rstep(t, tag, FieldSet::EMPTY, *art, false, || {
                format!(
                    "{label}the role {} does not belong to a party of kind {}",
                    q.role, q.recipient_kind
                )
            });
            failed.insert(*art);
        }
    }
    for (roles, art) in &c.own_stadsdeel {
        if has(*roles, q.role.bit()) && !aside(*art) {
            let own = q.recipient_stadsdeel == Some(q.case_stadsdeel);
            rstep(t, tag, FieldSet::EMPTY, *art, own, || {
                format!(
                    "{label}the {} works in {}, the case is in {}",
                    q.role,
                    q.recipient_stadsdeel
                        .map_or("no stadsdeel", Stadsdeel::as_str),
                    q.case_stadsdeel
                )
            });
            if !own {
                failed.insert(*art);
            }
        }
    }
    for (roles, art) in &c.participation {
        if has(*roles, q.role.bit()) && !aside(*art) {
            rstep(t, tag, FieldSet::EMPTY, *art, q.participant, || {
                if q.participant {
                    format!("{label}the recipient's party takes part in the case")
                } else {
                    format!("{label}the recipient's party does not take part in the case")
                }
            });
            if !q.participant {
                failed.insert(*art);
            }
        }
    }

    // The category's source (art. 8.2).
    let source_ok = has(rules.sources, q.source_kind.bit());
    rstep(t, tag, FieldSet::EMPTY, c.art_source, source_ok, || {
        format!(
            "{label}a party of kind {} may provide {}",
            q.source_kind, q.category
        )
    });
    if !source_ok {
        failed.insert(c.art_source);
    }

    // Who receives the category (art. 6, widened by 6.5a, 14.1, 15.1).
    let (role, kind) = match mode {
        Mode::Ordinary => (q.role, q.recipient_kind.bit()),
        Mode::Emergency { as_role, as_kinds } => (as_role, as_kinds),
    };
    let matching = |g: &&crate::compile::Grant| g.role == role && g.kinds & kind != 0;
    let for_purpose = |g: &&crate::compile::Grant| has(g.purposes, q.purpose.bit());
    let base = rules
        .grants
        .iter()
        .filter(matching)
        .filter(for_purpose)
        .find(|g| !g.widening);
    let widened = rules
        .grants
        .iter()
        .filter(matching)
        .filter(for_purpose)
        .find(|g| g.widening);
    let mut only: Option<(FieldSet, ArtId)> = None;
    if let Some(g) = base.or(widened) {
        rstep(t, tag, FieldSet::EMPTY, g.art, true, || {
            format!(
                "{label}{} goes to {} {role} for {}",
                q.category,
                a_an(role.as_str()),
                q.purpose
            )
        });
        cited.insert(rules.art);
        cited.insert(g.art);
        if let Some(o) = g.only {
            only = Some((o, g.art));
        }
    } else {
        let as_rule = match mode {
            Mode::Ordinary => c.as_rules.iter().find(|r| r.role == q.role),
            Mode::Emergency { .. } => None,
        };
        match as_rule {
            Some(r) => {
                let ok_escalated = q.escalated;
                let ok_purpose = has(r.purposes, q.purpose.bit());
                rstep(
                    t,
                    tag,
                    FieldSet::EMPTY,
                    r.art,
                    ok_escalated && ok_purpose,
                    || {
                        format!(
                            "{label}{} {} receives what the {} receives, when the case is escalated ({}) and for the purposes named ({} {})",
                            a_an(r.role.as_str()),
                            r.role,
                            r.as_role,
                            if q.escalated { "it is" } else { "it is not" },
                            q.purpose,
                            if ok_purpose {
                                "is named"
                            } else {
                                "is not named"
                            }
                        )
                    },
                );
                if !(ok_escalated && ok_purpose) {
                    // The widening's own condition does not hold, so it sets nothing
                    // aside: the category's own recipient condition fails too.
                    failed.insert(r.art);
                    failed.union(&recipient_failed(q, rules, role, kind, tag, label, t));
                } else {
                    let as_kind = match c.kinds_of_role(r.as_role) {
                        u32::MAX => q.recipient_kind.bit(),
                        k => k,
                    };
                    let g = rules
                        .grants
                        .iter()
                        .filter(|g| g.role == r.as_role && g.kinds & as_kind != 0)
                        .filter(for_purpose)
                        .min_by_key(|g| g.widening);
                    match g {
                        Some(g) => {
                            rstep(t, tag, FieldSet::EMPTY, g.art, true, || {
                                format!(
                                    "{label}{} goes to {} {} for {}",
                                    q.category,
                                    a_an(r.as_role.as_str()),
                                    r.as_role,
                                    q.purpose
                                )
                            });
                            cited.insert(rules.art);
                            cited.insert(g.art);
                            cited.insert(r.art);
                            if let Some(o) = g.only {
                                only = Some((o, g.art));
                            }
                        }
                        None => {
                            rstep(t, tag, FieldSet::EMPTY, rules.art, false, || {
                                format!(
                                    "{label}{} does not go to {} {} for {}",
                                    q.category,
                                    a_an(r.as_role.as_str()),
                                    r.as_role,
                                    q.purpose
                                )
                            });
                            failed.insert(rules.art);
                        }
                    }
                }
            }
            None => {
                failed.union(&recipient_failed(q, rules, role, kind, tag, label, t));
            }
        }
    }

    // The subject (art. 6.4, 6.9, 6.10; consent art. 11.3).
    match q.subject {
        None => {
            rstep(t, tag, FieldSet::EMPTY, c.art_default, false, || {
                "the subject is not one of the case's".into()
            });
            failed.insert(c.art_default);
        }
        Some((subject_role, consent)) => {
            if !has(c.subject_roles.0, subject_role.bit()) {
                failed.insert(c.subject_roles.1);
            }
            if let Some((roles, art)) = rules.subject_roles
                && !set_aside_subject.contains(art)
            {
                let ok = has(roles, subject_role.bit());
                rstep(t, tag, FieldSet::EMPTY, art, ok, || {
                    format!(
                        "{label}{} is about a subject with role {subject_role}",
                        q.category
                    )
                });
                if !ok {
                    failed.insert(art);
                }
            }
            if let Some((art, alongside)) = rules.consent {
                let ok = has(consent, q.category.bit());
                rstep(t, tag, FieldSet::EMPTY, art, ok, || {
                    if ok {
                        format!(
                            "{label}the subject's consent for {} is recorded",
                            q.category
                        )
                    } else {
                        format!(
                            "{label}the subject's consent for {} is not recorded (or withdrawn)",
                            q.category
                        )
                    }
                });
                if !ok {
                    failed.insert(art);
                    if let Some(a) = alongside {
                        failed.insert(a);
                    }
                }
            }
        }
    }

    if !failed.is_empty() {
        return Route::Deny(failed);
    }

    // Fields (art. 8.1, the field rules, a widening's field limit).
    let listed = q.offered.and(rules.fields);
    let mut stripped = q.offered.minus(rules.fields);
    if !stripped.is_empty() || q.offered_unknown {
        rstep(t, tag, stripped, c.art_unlisted, false, || {
            format!("{label}the fields that {} does not list", q.category)
        });
        cited.insert(c.art_unlisted);
    }
    let mut passing = listed;
    if let Some((o, art)) = only {
        let cut = passing.minus(o);
        if !cut.is_empty() {
            // The fields cut are this step's, so that `explain` says "strips" and
            // names this article as the reason each of them is withheld.
            rstep(t, tag, cut, art, false, || {
                format!(
                    "{label}{}: only {} passes to this recipient",
                    names(c, cut),
                    names(c, o)
                )
            });
            cited.insert(art);
            stripped = stripped.or(cut);
        }
        passing = passing.and(o);
    }
    let candidates = passing;
    let keeps = c.emergency.as_ref().map_or(ArtSet::EMPTY, |e| e.keeps);
    for s in &rules.strips {
        let strip_role = match mode {
            Mode::Emergency { as_role, .. } if !keeps.contains(s.art) => as_role,
            _ => q.role,
        };
        let ok = match s.test {
            StripTest::Roles(m) => has(m, strip_role.bit()),
            StripTest::Kinds(m) => has(m, q.source_kind.bit()) && has(m, q.recipient_kind.bit()),
        };
        let hit = candidates.and(s.fields);
        if hit.is_empty() {
            continue;
        }
        rstep(t, tag, hit, s.art, ok, || {
            if ok {
                format!("{label}{} may pass to this recipient", names(c, hit))
            } else {
                format!(
                    "{label}{} may not pass to this recipient: stripped",
                    names(c, hit)
                )
            }
        });
        if !ok {
            cited.insert(s.art);
            stripped = stripped.or(hit);
            passing = passing.minus(hit);
        }
    }
    Route::Permit {
        passed: passing,
        stripped,
        articles: cited,
    }
}

/// The articles cited when no grant of the category goes to `role` (of a party of
/// kinds `kind`) for the share's purpose: the lines that name this recipient for other
/// purposes, or else the category's own article; and every widening line naming this
/// recipient, whose own condition (its purposes) then did not hold. A widening that
/// does not hold sets nothing aside (docs/COVENANT.md, "Outcomes"), so the category's own
/// recipient condition is cited alongside it.
fn recipient_failed(
    q: &Query,
    rules: &CategoryRules,
    role: Role,
    kind: Mask,
    tag: StepRoute,
    label: &str,
    t: &mut impl Trace,
) -> ArtSet {
    let mut base = ArtSet::EMPTY;
    let mut widening = ArtSet::EMPTY;
    for g in rules
        .grants
        .iter()
        .filter(|g| g.role == role && g.kinds & kind != 0)
    {
        if g.widening {
            widening.insert(g.art);
        } else {
            base.insert(g.art);
        }
    }
    let own = if base.is_empty() {
        let mut a = ArtSet::EMPTY;
        a.insert(rules.art);
        a
    } else {
        base
    };
    rstep(t, tag, FieldSet::EMPTY, rules.art, false, || {
        if base.is_empty() {
            format!(
                "{label}{} does not go to {} {role} of kind {}",
                q.category,
                a_an(role.as_str()),
                q.recipient_kind
            )
        } else {
            format!(
                "{label}{} goes to {} {role}, but not for {}",
                q.category,
                a_an(role.as_str()),
                q.purpose
            )
        }
    });
    for art in widening.iter() {
        rstep(t, tag, FieldSet::EMPTY, art, false, || {
            format!(
                "{label}{} also goes to {} {role} of kind {}, but not for {}",
                q.category,
                a_an(role.as_str()),
                q.recipient_kind,
                q.purpose
            )
        });
    }
    let mut failed = own;
    failed.union(&widening);
    failed
}

fn names(c: &Compiled, fs: FieldSet) -> String {
    fs.iter()
        .filter_map(|f| c.fields.get(usize::from(f)).map(String::as_str))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Renders an indexed verdict as the JSON decision.
pub fn render(c: &Compiled, r: &DecisionRequest, v: &Verdict) -> Decision {
    let mut passed = Vec::new();
    let mut stripped = Vec::new();
    if v.outcome == Outcome::Permit {
        passed.reserve_exact(r.fields.len());
        for f in &r.fields {
            match c.field_ids.get(f.as_str()) {
                Some(id) if v.passed.contains(*id) => passed.push(f.clone()),
                Some(id) if v.stripped.contains(*id) => stripped.push(f.clone()),
                Some(_) => {}
                None => stripped.push(f.clone()),
            }
        }
        passed.sort_unstable();
        passed.dedup();
        stripped.sort_unstable();
        stripped.dedup();
    }
    let articles = v.articles.iter().filter_map(|a| c.article(a)).collect();
    let mut obligations = Vec::with_capacity(if v.outcome == Outcome::Permit { 3 } else { 0 });
    if v.outcome == Outcome::Permit {
        if let Some(a) = c.retention.and_then(|a| c.article(a)) {
            obligations.push(Obligation::Retention { article: a });
        }
        if let Some(a) = c.purpose_binding.and_then(|a| c.article(a)) {
            obligations.push(Obligation::PurposeBinding {
                purpose: r.purpose,
                article: a,
            });
        }
        if v.emergency
            && let Some(a) = c
                .emergency
                .as_ref()
                .and_then(|e| e.review)
                .and_then(|a| c.article(a))
        {
            obligations.push(Obligation::Review { article: a });
        }
    }
    let notify = v
        .notify
        .iter()
        .filter_map(|a| c.article(a))
        .map(|article| Notification {
            kind: NotifyKind::PrivacyOfficer,
            oin: r.source.oin,
            article,
        })
        .collect();
    Decision {
        outcome: v.outcome,
        passed,
        stripped,
        articles,
        obligations,
        emergency: v.emergency,
        notify,
        covenant_version: c.version,
    }
}

/// Decides and records every step, for `explain`.
pub fn decide_traced(covenant: &Covenant, request: &DecisionRequest) -> (Decision, Vec<Step>) {
    let c = covenant.compiled();
    let q = resolve(c, request);
    let mut steps = Vec::new();
    let v = evaluate(c, &q, &mut steps);
    (render(c, request, &v), steps)
}
