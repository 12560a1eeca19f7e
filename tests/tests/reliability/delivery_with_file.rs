//! A complete case file is never stored without its delivery queued (found by the
//! crash points, `crash_points.rs`): the hub stored the file in one write and queued
//! the delivery of its records to the recipient's agent in a second, so a `kill -9`
//! between the two — or a second write refused — left a complete file whose records
//! never reached the recipient's inbox, with nothing left to send them again.
//!
//! A crash between two writes cannot be timed from outside; a store that refuses the
//! second write shows the same gap: PostgreSQL (the hub's other store backend), with a
//! trigger that refuses every write of the `deliveries` keyspace.

use std::process::Command;

use treiter_certs_dev::PARTIES;
use treiter_hub::identity::Oin;
use treiter_proto::v1 as wire;
use treiter_testpg::TestPostgres;

use super::{Kind, tally};
use crate::casefile::{IM_OOST, Partners, case_in, client};
use crate::support::{Pki, TestHub, postgres_store_config};

/// Runs `sql` in `database` of `postgres` with psql.
fn psql(postgres: &TestPostgres, database: &str, sql: &str) {
    let out = Command::new("psql")
        .args(["-v", "ON_ERROR_STOP=1", "-q", "-d"])
        .arg(postgres.url(database))
        .args(["-c", sql])
        .output()
        .expect("psql runs (PostgreSQL's client)");
    assert!(
        out.status.success(),
        "psql: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every stored complete file that passed records, whose delivery is not queued.
fn stored_without_delivery(hub: &TestHub) -> Vec<String> {
    let store = hub.hub.store.as_ref();
    let gemeente = PARTIES
        .iter()
        .find(|p| p.slug == "gemeente")
        .expect("the gemeente");
    let oin = Oin::parse(gemeente.oin).expect("oin");
    treiter_hub::casefile::record::all(store)
        .expect("the case files read")
        .into_iter()
        .flatten()
        .filter(|file| file.complete)
        .filter_map(|file| treiter_hub::deliveries::delivery_of(&file, None))
        .filter(|(_, d)| {
            !treiter_hub::tables::deliveries::find(store, oin.as_str(), &d.delivery_id)
                .is_ok_and(|q| q.is_some())
        })
        .map(|(_, d)| d.delivery_id)
        .collect()
}

async fn ask(
    im: &mut treiter_proto::v1::coordinator_client::CoordinatorClient<
        treiter_node_agent::tls::HubChannel,
    >,
    case: &str,
    id: &str,
) -> Result<wire::CaseFile, tonic::Status> {
    im.request_case_file(wire::CaseFileRequest {
        client_request_id: id.into(),
        case_id: case.into(),
        purpose: "duiding".into(),
        subjects: Vec::new(),
        categories: Vec::new(),
        deadline_ms: 5000,
    })
    .await
    .map(|r| r.into_inner())
}

#[tokio::test]
async fn a_case_file_is_never_stored_complete_without_its_delivery_queued() {
    let Some(postgres) = TestPostgres::start_or_skip(
        "reliability::delivery_with_file::a_case_file_is_never_stored_complete_without_its_delivery_queued",
    ) else {
        return;
    };
    let pki = Pki::new();
    let data_dir = pki.dir.path().join("hub-data");
    let store = postgres_store_config(&postgres, "deliv");
    let hub = TestHub::start_in(
        &pki,
        "127.0.0.1:0".parse().expect("addr"),
        &data_dir,
        &store,
    )
    .await;
    // Every partner answers; the gemeente's agent has no inbox, so what is queued for
    // it stays queued.
    let partners = Partners::start(&pki, &hub, &[]).await;
    let mut im = client(&pki, &hub, IM_OOST).await;
    let case = case_in(&mut im, "duiding").await;

    // The store refuses to queue deliveries from here on.
    psql(
        &postgres,
        "data_deliv",
        "CREATE FUNCTION refuse_deliveries() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'the test refuses deliveries'; END $$; \
         CREATE TRIGGER refuse_deliveries BEFORE INSERT OR UPDATE ON hub_records \
         FOR EACH ROW WHEN (NEW.space = 'deliveries') EXECUTE FUNCTION refuse_deliveries();",
    );
    let refused = ask(&mut im, &case, "refused").await;
    let lost = stored_without_delivery(&hub);
    tally(
        "delivery-with-file",
        Kind::FaultsInjected,
        1,
        lost.len() as u64,
        0,
    );
    assert_eq!(
        lost,
        Vec::<String>::new(),
        "complete case files stored without their delivery queued"
    );
    // Fail closed: the coordinator is told the file was not stored, and may ask again.
    let status = refused.expect_err("a file whose delivery cannot be queued is not stored");
    assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");

    // Once the store takes deliveries again, the file is stored with its delivery.
    psql(
        &postgres,
        "data_deliv",
        "DROP TRIGGER refuse_deliveries ON hub_records;",
    );
    let file = ask(&mut im, &case, "stored").await.expect("the case file");
    assert!(file.complete, "every partner answered");
    assert_eq!(stored_without_delivery(&hub), Vec::<String>::new());
    assert!(
        treiter_hub::deliveries::delivery_of(&file, None).is_some(),
        "the file passed records to the gemeente"
    );
    partners.stop().await;
    hub.stop().await;
}
