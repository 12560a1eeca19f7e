//! Why something was withheld or not asked, in words: the hub names the articles of the
//! covenant that decided; this module says what each means for the person reading a
//! case file or a bevraging, and — where the person can do something about it — the
//! hubctl command that does.
//!
//! Messages are English; the covenant's words (categories, roles, phases, purposes)
//! stay as the covenant writes them. The console has its own Dutch catalogue
//! (`console::texts::article_reason`); both cover the same articles, which a unit test
//! below keeps in step.

use crate::report::esc;

/// What a withheld or not-asked line concerns, so that the words and the command can
/// name it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Concern<'a> {
    /// The case.
    pub case_id: &'a str,
    /// The category of the record, when the line is about one.
    pub category: Option<&'a str>,
    /// The subject as the reader knows it (`"melder" (slachtoffer)`), when one.
    pub subject: Option<&'a str>,
    /// What to type after `--subject` for that subject (its label or pseudonym start).
    pub subject_arg: Option<&'a str>,
}

/// The categories a share of which needs the subject's consent (art. 6.7, 6.9, 6.10,
/// 11.3).
pub const NEEDS_CONSENT: &[&str] = &[
    "slachtofferinformatie",
    "zorginhoud",
    "bijzondere-kenmerken",
];

/// Every article the hub can cite for a refusal, a withholding or a partner not asked.
pub const ARTICLES: &[&str] = &[
    "2.3", "3.2", "3.3", "4.2", "4.4", "5.1", "5.2", "5.3", "5.4", "6.1", "6.1a", "6.2", "6.3",
    "6.3a", "6.4", "6.5", "6.5a", "6.6", "6.7", "6.8", "6.9", "6.10", "7.1", "7.2", "8.1", "8.2",
    "8.3", "11.3", "14.1", "15.1", "15.3", "15.4",
];

/// What article `article` means as a reason, in a few words; `None` for one the
/// covenant does not use as a reason.
pub fn article_reason(article: &str) -> Option<&'static str> {
    Some(match article {
        "2.3" => "the party or its kind is not in the covenant that way",
        "3.2" => "data received for one purpose may not be used for another",
        "3.3" => "no personal data is shared for evaluatie",
        "4.2" => "the purpose does not fit the case's phase",
        "4.4" => "no data is shared in this phase any more",
        "5.1" => "the covenant does not permit this share",
        "5.2" => "your role may not receive this data",
        "5.3" => "only about cases in your own stadsdeel",
        "5.4" => "your party is not a participant of this case's plan van aanpak",
        "6.1" => {
            "identificatie only for an informatiemakelaar, stadsdeelregisseur or partnercontact"
        }
        "6.1a" => "the bsn only between the gemeente and the politie",
        "6.2" => "overlastmeldingen only for an informatiemakelaar or stadsdeelregisseur",
        "6.3" => {
            "politie-incidenten only for the informatiemakelaar in registratie and duiding, and the stadsdeelregisseur in duiding and aanpak"
        }
        "6.3a" => "the samenvatting of a politie-incident only for a regisseur",
        "6.4" => {
            "justitiele-gegevens only for the stadsdeelregisseur, in aanpak, and only about a dader"
        }
        "6.5" => {
            "huurgegevens only for the informatiemakelaar in duiding and the stadsdeelregisseur in duiding and aanpak"
        }
        "6.5a" => "a partnercontact of the politie gets only the huurstatus of huurgegevens",
        "6.6" => "zorgbetrokkenheid only for the stadsdeelregisseur, in duiding and aanpak",
        "6.7" => {
            "zorginhoud only for the stadsdeelregisseur, in aanpak, with the subject's consent"
        }
        "6.8" => "handhaving only for a stadsdeelregisseur or partnercontact, in aanpak",
        "6.9" => "slachtofferinformatie only about a slachtoffer, with their consent",
        "6.10" => {
            "bijzondere-kenmerken only about a slachtoffer, with their explicit consent, for the stadsdeelregisseur"
        }
        "7.1" => {
            "prohibited content (diagnosis, treatment or medication): the whole record is refused"
        }
        "7.2" => "opsporingsinformatie is never shared: the whole record is refused",
        "8.1" => "fields the category does not list, or that you may not see, are withheld",
        "8.2" => "this party may not provide this category",
        "8.3" => "the melder's identity only for an informatiemakelaar or a regisseur",
        "11.3" => "no consent of the subject is recorded",
        "14.1" => "the stedelijk-regisseur only for an escalated (geescaleerd) case",
        "15.1" | "15.3" | "15.4" => "the emergency rules do not apply here",
        _ => return None,
    })
}

/// The reason for `article` in this concern: the words, and the command that fixes it
/// where there is one.
pub fn reason(article: &str, c: &Concern<'_>) -> String {
    let case = esc(c.case_id);
    let subject_arg = c.subject_arg.map(|s| esc(s).into_owned());
    let with_consent = |category: &str| -> String {
        let of = c
            .subject
            .map(|s| format!(" of subject {s}"))
            .unwrap_or_default();
        let arg = subject_arg.as_deref().unwrap_or("SUBJECT");
        format!(
            "no consent recorded for {category}{of} (art. {article}): record it with `hubctl consent record {case} --subject {arg} --category {category}`"
        )
    };
    match (article, c.category) {
        ("11.3", Some(category)) => with_consent(category),
        ("11.3", None) => with_consent("CATEGORY"),
        ("6.7", Some(category @ "zorginhoud"))
        | ("6.10", Some(category @ "bijzondere-kenmerken")) => {
            format!(
                "{} (art. {article}); with consent recorded (`hubctl consent record {case} --subject {} --category {category}`) it may pass",
                article_reason(article).unwrap_or_default(),
                subject_arg.as_deref().unwrap_or("SUBJECT")
            )
        }
        ("4.2", _) => format!(
            "the purpose does not fit the case's phase (art. 4.2): ask again with the purpose of the current phase, or move the case on with `hubctl case move {case} PHASE --reason R`"
        ),
        ("5.4", _) => format!(
            "your party is not a participant of this case's plan van aanpak (art. 5.4): a stadsdeelregisseur adds it with `hubctl participant add {case} PARTY`"
        ),
        ("14.1", _) => format!(
            "the stedelijk-regisseur receives data only about an escalated case (art. 14.1): the stadsdeelregisseur escalates it with `hubctl case escalate {case} --reason R`"
        ),
        _ => match article_reason(article) {
            Some(words) => format!("{words} (art. {article})"),
            None => format!("art. {article}"),
        },
    }
}

/// Every article's reason, joined: "…(art. 6.4); …(art. 5.4)".
pub fn reasons(articles: &[String], c: &Concern<'_>) -> String {
    articles
        .iter()
        .map(|a| reason(a, c))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_article_the_hub_can_cite_has_words_here_and_in_the_console() {
        for a in ARTICLES {
            assert!(article_reason(a).is_some(), "art. {a} has no words");
            assert!(
                crate::console::texts::article_reason(a).is_some(),
                "art. {a} has no Dutch words in the console"
            );
            let text = reason(a, &Concern::default());
            assert!(text.contains(&format!("art. {a}")), "{text}");
        }
    }

    #[test]
    fn missing_consent_says_for_what_of_whom_and_how_to_record_it() {
        let c = Concern {
            case_id: "C-2026-0002",
            category: Some("slachtofferinformatie"),
            subject: Some("\"melder\" (slachtoffer)"),
            subject_arg: Some("melder"),
        };
        assert_eq!(
            reason("11.3", &c),
            "no consent recorded for slachtofferinformatie of subject \"melder\" (slachtoffer) (art. 11.3): record it with `hubctl consent record C-2026-0002 --subject melder --category slachtofferinformatie`"
        );
    }

    #[test]
    fn a_party_not_asked_for_5_4_is_told_who_adds_it() {
        let text = reasons(
            &["5.4".into(), "6.4".into()],
            &Concern {
                case_id: "C-1",
                ..Concern::default()
            },
        );
        assert!(
            text.contains("`hubctl participant add C-1 PARTY`"),
            "{text}"
        );
        assert!(text.contains("only about a dader (art. 6.4)"), "{text}");
    }
}
