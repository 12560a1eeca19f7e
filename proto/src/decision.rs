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

#[cfg(test)]
mod tests {
    use treiter_policies::request::{Notification, NotifyKind, Oin, Outcome};
    use treiter_policies::vocab::Purpose;

    use super::*;

    #[test]
    fn every_part_of_a_decision_reaches_the_wire() {
        let article = |a: &str| a.parse().expect("an article");
        let decision = Decision {
            outcome: Outcome::Permit,
            passed: vec!["datum".into()],
            stripped: vec!["samenvatting".into()],
            articles: vec![article("6.3a")],
            obligations: vec![
                Obligation::Retention {
                    article: article("9.1"),
                },
                Obligation::PurposeBinding {
                    purpose: Purpose::Duiding,
                    article: article("3.2"),
                },
            ],
            emergency: true,
            notify: vec![Notification {
                kind: NotifyKind::PrivacyOfficer,
                oin: Oin(1_003_214_345_000),
                article: article("15.2"),
            }],
            covenant_version: 3,
        };
        let wire = share_decision(&decision);
        assert_eq!(wire.outcome, "permit");
        assert_eq!(wire.passed, ["datum"]);
        assert_eq!(wire.stripped, ["samenvatting"]);
        assert_eq!(wire.articles, ["6.3a"]);
        assert_eq!(
            wire.obligations
                .iter()
                .map(|o| (o.kind.as_str(), o.article.as_str(), o.purpose.as_str()))
                .collect::<Vec<_>>(),
            [
                ("retention", "9.1", ""),
                ("purpose-binding", "3.2", "duiding")
            ]
        );
        assert!(wire.emergency);
        assert_eq!(wire.notify.len(), 1);
        // Twenty digits, leading zeros kept, as the hub and agents both always sent.
        assert_eq!(wire.notify[0].oin, "00000001003214345000");
        assert_eq!(wire.notify[0].kind, "privacy-officer");
        assert_eq!(wire.notify[0].article, "15.2");
        assert_eq!(wire.covenant_version, 3);
    }
}
