//! Approving a covenant version in practice (article 13.1): the other parties' privacy
//! officers are notified of a proposal awaiting their approval; `hubctl covenant
//! approve` takes a Dutch "ja" as well as "yes", and refuses a second approval by the
//! same party before it prints the whole diff.

use tonic::Code;
use treiter_proto::v1 as wire;
use treiter_proto::v1::privacy_officer_client::PrivacyOfficerClient;

use crate::covenant_versions::{PO_DEGRACHT, PO_GEMEENTE, PO_POLITIE, covenant_text};
use crate::support::{Pki, TestHub, hubctl, hubctl_profile, person_channel};

async fn notifications(pki: &Pki, hub: &TestHub, person: &str) -> wire::ListNotificationsResponse {
    PrivacyOfficerClient::new(person_channel(pki, person, hub.addr).await)
        .list_notifications(wire::ListNotificationsRequest {
            kinds: vec!["covenant-proposal".into()],
            ..Default::default()
        })
        .await
        .expect("notifications")
        .into_inner()
}

fn proposals(list: &wire::ListNotificationsResponse) -> Vec<(u32, &str)> {
    list.notifications
        .iter()
        .map(|n| (n.covenant_version, n.status.as_str()))
        .collect()
}

#[tokio::test]
async fn the_other_parties_privacy_officers_are_notified_of_a_proposal() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let politie = hubctl_profile(&pki, hub.addr, PO_POLITIE, None);
    let gemeente = hubctl_profile(&pki, hub.addr, PO_GEMEENTE, None);
    let v2 = pki.dir.path().join("v2.covenant");
    std::fs::write(&v2, covenant_text(2, true)).expect("write");
    hubctl(
        &politie,
        &[
            "covenant",
            "propose",
            &v2.display().to_string(),
            "--description",
            "art. 6.3: no locatie",
        ],
        None,
    )
    .await
    .ok();

    // The gemeente and De Gracht are told; the proposer's own party is not.
    let list = notifications(&pki, &hub, PO_GEMEENTE).await;
    assert_eq!(proposals(&list), [(2, "open")], "{list:?}");
    assert_eq!(list.open, 1);
    let n = &list.notifications[0];
    assert_eq!(n.kind, "covenant-proposal");
    assert_eq!(
        n.notification.as_ref().map(|x| x.article.as_str()),
        Some("13.1")
    );
    let entry = n.entry.as_ref().expect("the proposal's log entry");
    assert_eq!(
        entry
            .covenant_approval
            .as_ref()
            .map(|a| (a.version, a.action.as_str())),
        Some((2, "proposed")),
        "{entry:?}"
    );
    assert_eq!(
        proposals(&notifications(&pki, &hub, PO_DEGRACHT).await),
        [(2, "open")]
    );
    assert!(
        notifications(&pki, &hub, PO_POLITIE)
            .await
            .notifications
            .is_empty()
    );
    // hubctl shows it with what to do.
    let run = hubctl(&gemeente, &["notifications", "list"], None).await;
    let out = run.ok();
    assert!(
        out.contains("covenant-proposal (art. 13.1)")
            && out.contains("covenant version 2 awaits your party's approval")
            && out.contains("hubctl covenant approve 2"),
        "{out}"
    );

    // De Gracht's officer marks it seen: no longer open, but not approved either.
    let degracht_id = notifications(&pki, &hub, PO_DEGRACHT).await.notifications[0]
        .id
        .clone();
    PrivacyOfficerClient::new(person_channel(&pki, PO_DEGRACHT, hub.addr).await)
        .acknowledge_notification(wire::AcknowledgeNotificationRequest {
            client_request_id: "seen".into(),
            notification_ids: vec![degracht_id],
        })
        .await
        .expect("acknowledged");
    let list = notifications(&pki, &hub, PO_DEGRACHT).await;
    assert_eq!(
        (proposals(&list), list.open),
        (vec![(2, "acknowledged")], 0)
    );

    // Approving settles the gemeente's; the version taking effect settles the others'.
    hubctl(&politie, &["covenant", "approve", "2", "--yes"], None)
        .await
        .ok();
    hubctl(&gemeente, &["covenant", "approve", "2", "--yes"], None)
        .await
        .ok();
    let list = notifications(&pki, &hub, PO_GEMEENTE).await;
    assert_eq!(proposals(&list), [(2, "settled")]);
    assert_eq!(list.open, 0);
    assert_eq!(
        proposals(&notifications(&pki, &hub, PO_DEGRACHT).await),
        [(2, "acknowledged")]
    );
    let ggd = notifications(&pki, &hub, "p-ggd-090").await;
    assert_eq!((proposals(&ggd), ggd.open), (vec![(2, "settled")], 0));
    hub.stop().await;
}

#[tokio::test]
async fn the_approval_prompt_takes_ja_and_a_second_approval_is_refused_before_the_diff() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let politie = hubctl_profile(&pki, hub.addr, PO_POLITIE, None);
    let degracht = hubctl_profile(&pki, hub.addr, PO_DEGRACHT, None);
    let v2 = pki.dir.path().join("v2.covenant");
    std::fs::write(&v2, covenant_text(2, true)).expect("write");
    hubctl(
        &politie,
        &[
            "covenant",
            "propose",
            &v2.display().to_string(),
            "--description",
            "art. 6.3: no locatie",
        ],
        None,
    )
    .await
    .ok();

    // Dutch answers approve.
    let run = hubctl(&politie, &["covenant", "approve", "2"], Some("ja\n")).await;
    let out = run.ok();
    assert!(out.contains("Type yes (or ja)"), "{out}");
    assert!(
        out.contains("approved.") && out.contains("not in force yet"),
        "{out}"
    );
    let run = hubctl(&degracht, &["covenant", "approve", "2"], Some(" J\n")).await;
    assert!(run.ok().contains("approved."), "{run:?}");

    // The same party again: refused (exit 9) without the diff, and nothing is asked.
    let run = hubctl(&politie, &["covenant", "approve", "2"], Some("yes\n")).await;
    let err = run.refused(9);
    assert!(
        err.contains("approved version 2 already") && err.contains("13.1"),
        "{err}"
    );
    assert!(!run.stdout.contains("Version: 1 -> 2"), "{run:?}");
    assert!(!run.stdout.contains("Type yes"), "{run:?}");
    // The hub agrees: two approvals, still proposed (no gemeente yet).
    let v = PrivacyOfficerClient::new(person_channel(&pki, PO_POLITIE, hub.addr).await)
        .get_covenant_version(wire::GetCovenantVersionRequest {
            version: 2,
            ..Default::default()
        })
        .await
        .expect("get")
        .into_inner();
    assert_eq!((v.status.as_str(), v.approvals.len()), ("proposed", 2));
    let refused = PrivacyOfficerClient::new(person_channel(&pki, PO_POLITIE, hub.addr).await)
        .approve_covenant_version(wire::ApproveCovenantVersionRequest {
            client_request_id: "again".into(),
            version: 2,
            text_sha256: v.text_sha256.clone(),
        })
        .await
        .expect_err("the hub refuses it too");
    assert_eq!(refused.code(), Code::AlreadyExists);
    hub.stop().await;
}
