//! The covenant engine's decision on one share in wire form: the one conversion, used
//! by the hub (the decisions it makes) and by agents (the pre-checks they report).

use treiter_policies::request::{Decision, Obligation};

use crate::v1;

/// `decision` as `ShareDecision` carries it: outcome, field names passed and stripped,
/// articles, obligations, emergency, the privacy officers to notify, covenant version.
pub fn share_decision(decision: &Decision) -> v1::ShareDecision {
    v1::ShareDecision {
        outcome: decision.outcome.as_str().to_owned(),
        passed: decision.passed.clone(),
        stripped: decision.stripped.clone(),
        articles: decision.articles.iter().map(ToString::to_string).collect(),
        obligations: decision.obligations.iter().map(obligation).collect(),
        emergency: decision.emergency,
        notify: decision
            .notify
            .iter()
            .map(|n| v1::Notification {
                kind: "privacy-officer".into(),
                // 20 digits, leading zeros kept.
                oin: n.oin.to_string(),
                article: n.article.to_string(),
            })
            .collect(),
        covenant_version: decision.covenant_version,
    }
}

fn obligation(obligation: &Obligation) -> v1::Obligation {
    match obligation {
        Obligation::Retention { article } => v1::Obligation {
            kind: "retention".into(),
            article: article.to_string(),
            purpose: String::new(),
        },
        Obligation::PurposeBinding { purpose, article } => v1::Obligation {
            kind: "purpose-binding".into(),
            article: article.to_string(),
            purpose: purpose.as_str().to_owned(),
        },
        Obligation::Review { article } => v1::Obligation {
            kind: "review".into(),
            article: article.to_string(),
            purpose: String::new(),
        },
    }
}
