//! **Wie ben ik** (`GET /wie-ben-ik`, `templates/whoami.html`): the person, party,
//! roles and stadsdeel as the hub's person registry has them (WhoAmI, as `hubctl
//! whoami`), and the validity of the profile's certificate, with a warning in its last
//! [`texts::CERTIFICATE_WARNING_DAYS`] days.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::response::Response;
use time::OffsetDateTime;
use treiter_proto::v1 as wire;

use super::open;
use crate::console::App;
use crate::console::dates::{Moment, moment};
use crate::console::layout::{Layout, Nav, party_name, render};
use crate::console::security::Session;
use crate::console::texts::{self, CertificateState};
use crate::hub::Validity;

/// The page.
#[derive(Template)]
#[template(path = "whoami.html")]
pub struct WhoAmIPage {
    /// The frame.
    pub layout: Layout,
    /// What it shows.
    pub view: WhoAmIView,
}

/// What Wie ben ik shows.
#[derive(Debug, PartialEq, Eq)]
pub struct WhoAmIView {
    /// The person id of the certificate.
    pub person: String,
    /// The party by name.
    pub party: String,
    /// Its kind and OIN (the detail line).
    pub party_detail: String,
    /// Every role the registry gives (covenant words).
    pub roles: Vec<String>,
    /// The stadsdeel (covenant word), if a role binds one.
    pub stadsdeel: Option<String>,
    /// The certificate's validity; `None` when it cannot be read.
    pub certificate: Option<CertificateView>,
    /// The hub's URL, from the profile.
    pub hub_url: String,
    /// The profile file.
    pub profile: String,
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

/// The view of `me`, with the certificate's validity and the profile's facts.
pub fn view(
    me: &wire::Person,
    validity: Option<Validity>,
    hub_url: &str,
    profile: &str,
    now: OffsetDateTime,
) -> WhoAmIView {
    let party = me.party.clone().unwrap_or_default();
    WhoAmIView {
        person: me.id.clone(),
        party: party_name(me.party.as_ref()),
        party_detail: texts::party_detail(&party.kind, &party.oin),
        roles: me.roles.clone(),
        stadsdeel: (!me.stadsdeel.is_empty()).then(|| me.stadsdeel.clone()),
        certificate: validity.map(|v| certificate_view(v, now)),
        hub_url: hub_url.to_owned(),
        profile: profile.to_owned(),
    }
}

/// `GET /wie-ben-ik`.
pub async fn page(State(app): State<Arc<App>>, Extension(session): Extension<Session>) -> Response {
    let opened = match open(&app, &session, Nav::WhoAmI, texts::WHOAMI_TITLE).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    let profile = opened.hub.profile();
    let view = view(
        &opened.me,
        opened.hub.certificate_validity(),
        &profile.hub.url,
        &profile.path.display().to_string(),
        opened.now,
    );
    render(&WhoAmIPage {
        layout: opened.layout,
        view,
    })
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
            id: "p-gemeente-001".into(),
            party: Some(wire::Party {
                oin: "00000001000000000001".into(),
                name: "Gemeente Amsterdam".into(),
                kind: "gemeente".into(),
            }),
            roles: vec!["informatiemakelaar".into()],
            stadsdeel: "oost".into(),
        };
        let v = view(
            &me,
            None,
            "https://hub:7443",
            "p.toml",
            datetime!(2026-11-20 12:00 UTC),
        );
        assert_eq!(v.party, "Gemeente Amsterdam");
        assert_eq!(v.party_detail, "soort gemeente, OIN 00000001000000000001");
        assert_eq!(v.stadsdeel.as_deref(), Some("oost"));
        let officer = wire::Person {
            stadsdeel: String::new(),
            ..me
        };
        assert_eq!(
            view(&officer, None, "", "", datetime!(2026-11-20 12:00 UTC)).stadsdeel,
            None
        );
    }
}
