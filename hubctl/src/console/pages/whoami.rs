//! **Wie ben ik** (`GET /wie-ben-ik`, `templates/whoami.html`): the person, party,
//! roles and stadsdeel as the hub's person registry has them (WhoAmI, as `hubctl
//! whoami`), and the validity of the profile's certificate, with a warning in its last
//! [`texts::CERTIFICATE_WARNING_DAYS`] days.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use time::OffsetDateTime;
use treiter_proto::v1 as wire;

use crate::console::App;
use crate::console::dates::{Moment, moment};
use crate::console::layout::{HubStatus, Layout, Nav, party_name, render, render_with};
use crate::console::security::Session;
use crate::console::texts::{self, CertificateState, Problem};
use crate::hub::Validity;

/// The page.
#[derive(Template)]
#[template(path = "whoami.html")]
pub struct WhoAmIPage {
    /// The frame.
    pub layout: Layout,
    /// What it shows.
    pub view: WhoAmIView,
    /// Why the hub did not say who the caller is, if it did not. The certificate's
    /// validity is shown all the same: it is read here, and it is what a person whose
    /// certificate the hub refuses needs to see.
    pub problem: Option<Problem>,
}

/// What Wie ben ik shows.
#[derive(Debug, PartialEq, Eq)]
pub struct WhoAmIView {
    /// The person as the hub knows them; `None` when the hub did not answer.
    pub person: Option<PersonFacts>,
    /// The certificate's validity; `None` when it cannot be read.
    pub certificate: Option<CertificateView>,
    /// The hub's URL, from the profile.
    pub hub_url: String,
    /// The profile file.
    pub profile: String,
}

/// The person as the hub's person registry has them.
#[derive(Debug, PartialEq, Eq)]
pub struct PersonFacts {
    /// The person's name as the registry gives it (the id when it gives none).
    pub name: String,
    /// The person id of the certificate.
    pub id: String,
    /// The party by name.
    pub party: String,
    /// Its kind and OIN (the detail line).
    pub party_detail: String,
    /// Every role the registry gives (covenant words).
    pub roles: Vec<String>,
    /// The stadsdeel (covenant word), if a role binds one.
    pub stadsdeel: Option<String>,
}

/// The certificate's validity.
#[derive(Debug, PartialEq, Eq)]
pub struct CertificateView {
    /// Its last valid moment.
    pub until: Moment,
    /// Valid, expiring soon, expired, not yet valid.
    pub state: CertificateState,
    /// The sentence shown.
    pub words: String,
}

impl CertificateView {
    /// Whether the words are a warning (shown as such, and not by colour alone).
    pub fn warns(&self) -> bool {
        self.state != CertificateState::Valid
    }
}

/// The certificate's validity at `now`.
pub fn certificate_view(v: Validity, now: OffsetDateTime) -> CertificateView {
    let left = v.not_after - now;
    let state = if now < v.not_before {
        CertificateState::NotYetValid
    } else if left.is_negative() {
        CertificateState::Expired
    } else if left.whole_days() < texts::CERTIFICATE_WARNING_DAYS {
        CertificateState::ExpiresSoon
    } else {
        CertificateState::Valid
    };
    let until = moment(v.not_after);
    let words = texts::certificate_words(&state, &until.text, left);
    CertificateView {
        until,
        state,
        words,
    }
}

/// The view of `me` (when the hub said), with the certificate's validity and the
/// profile's facts.
pub fn view(
    me: Option<&wire::Person>,
    validity: Option<Validity>,
    hub_url: &str,
    profile: &str,
    now: OffsetDateTime,
) -> WhoAmIView {
    WhoAmIView {
        person: me.map(|me| {
            let party = me.party.clone().unwrap_or_default();
            PersonFacts {
                name: crate::console::layout::person_name(me),
                id: me.id.clone(),
                party: party_name(me.party.as_ref()),
                party_detail: texts::party_detail(&party.kind, &party.oin),
                roles: me.roles.clone(),
                stadsdeel: (!me.stadsdeel.is_empty()).then(|| me.stadsdeel.clone()),
            }
        }),
        certificate: validity.map(|v| certificate_view(v, now)),
        hub_url: hub_url.to_owned(),
        profile: profile.to_owned(),
    }
}

/// `GET /wie-ben-ik`. Unlike other pages it is shown when the hub does not answer too,
/// with what the console knows itself.
pub async fn page(State(app): State<Arc<App>>, Extension(session): Extension<Session>) -> Response {
    let now = OffsetDateTime::now_utc();
    let mut hub = app.hubs.lease();
    let (me, problem) = match hub.whoami().await {
        Ok(me) => (Some(me), None),
        Err(e) => (None, Some(texts::problem(&e))),
    };
    let layout = Layout::new(
        texts::WHOAMI_TITLE,
        Nav::WhoAmI,
        me.as_ref(),
        HubStatus::new(problem.clone(), now),
        &session,
    );
    let profile = hub.profile();
    let view = view(
        me.as_ref(),
        hub.certificate_validity(),
        &profile.hub.url,
        &profile.path.display().to_string(),
        now,
    );
    let page = WhoAmIPage {
        layout,
        view,
        problem,
    };
    if page.problem.as_ref().is_some_and(|p| p.unreachable) {
        render_with(&page, StatusCode::SERVICE_UNAVAILABLE)
    } else {
        render(&page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn validity(until: OffsetDateTime) -> Validity {
        Validity {
            not_before: datetime!(2026-01-01 00:00 UTC),
            not_after: until,
        }
    }

    #[test]
    fn the_certificate_warns_in_its_last_30_days() {
        let now = datetime!(2026-11-20 12:00 UTC);
        let far = certificate_view(validity(datetime!(2027-01-01 00:00 UTC)), now);
        assert_eq!(far.state, CertificateState::Valid);
        assert!(!far.warns());
        assert_eq!(far.words, "geldig tot vr 1 jan. 2027 01:00");
        let soon = certificate_view(validity(datetime!(2026-12-02 12:00 UTC)), now);
        assert_eq!(soon.state, CertificateState::ExpiresSoon);
        assert!(soon.words.contains("binnen 12 dagen"), "{}", soon.words);
        let edge = certificate_view(validity(now + time::Duration::days(30)), now);
        assert_eq!(edge.state, CertificateState::Valid, "30 whole days left");
        let gone = certificate_view(validity(datetime!(2026-11-19 12:00 UTC)), now);
        assert_eq!(gone.state, CertificateState::Expired);
        assert!(
            gone.words.contains("verlopen op do 19 nov. 2026 13:00"),
            "{}",
            gone.words
        );
        let early = certificate_view(
            Validity {
                not_before: datetime!(2026-12-01 00:00 UTC),
                not_after: datetime!(2027-12-01 00:00 UTC),
            },
            now,
        );
        assert_eq!(early.state, CertificateState::NotYetValid);
    }

    #[test]
    fn the_party_is_named_and_its_oin_is_a_detail() {
        let me = wire::Person {
            name: String::new(),
            id: "p-gemeente-001".into(),
            party: Some(wire::Party {
                oin: "00000001000000000001".into(),
                name: "Gemeente Amsterdam".into(),
                kind: "gemeente".into(),
            }),
            roles: vec!["informatiemakelaar".into()],
            stadsdeel: "oost".into(),
        };
        let now = datetime!(2026-11-20 12:00 UTC);
        let v = view(Some(&me), None, "https://hub:7443", "p.toml", now);
        let p = v.person.expect("person");
        assert_eq!(p.name, "p-gemeente-001", "no name registered: the id");
        let named = wire::Person {
            name: "Anna Testpersoon".into(),
            ..me.clone()
        };
        let v = view(Some(&named), None, "", "", now);
        assert_eq!(v.person.expect("person").name, "Anna Testpersoon");
        assert_eq!(
            crate::console::layout::person_line(&named),
            "Anna Testpersoon, informatiemakelaar oost, Gemeente Amsterdam"
        );
        assert_eq!(p.party, "Gemeente Amsterdam");
        assert_eq!(p.party_detail, "soort gemeente, OIN 00000001000000000001");
        assert_eq!(p.stadsdeel.as_deref(), Some("oost"));
        let officer = wire::Person {
            stadsdeel: String::new(),
            ..me
        };
        let v = view(Some(&officer), None, "", "", now);
        assert_eq!(v.person.expect("person").stadsdeel, None);
        // Without the hub's answer, the certificate is shown all the same.
        let alone = view(
            None,
            Some(Validity {
                not_before: datetime!(2026-01-01 00:00 UTC),
                not_after: datetime!(2026-11-25 00:00 UTC),
            }),
            "",
            "",
            now,
        );
        assert_eq!(alone.person, None);
        assert_eq!(
            alone.certificate.map(|c| c.state),
            Some(CertificateState::ExpiresSoon)
        );
    }
}
