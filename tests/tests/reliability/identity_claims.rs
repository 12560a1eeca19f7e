//! Who a caller is comes from its certificate and the hub's own registries, never from
//! what the request says (article 12.1; `coordinator.proto`'s header): a role, party,
//! person or stadsdeel claimed in gRPC metadata headers or in protobuf fields the
//! message does not define changes no answer and no decision.

use prost::Message;
use tonic::Code;
use treiter_proto::v1 as wire;

use super::raw::unary;
use super::{Kind, tally};
use crate::support::{Pki, TestHub, person_channel};

const IM_WEST: &str = "p-gemeente-002";
const SDR_OOST: &str = "p-gemeente-004";
const POLITIE_CONTACT: &str = "p-politie-017";
const GEMEENTE_OIN: &str = "00000001000000000001";

/// Headers a proxy or a client might use to claim an identity: every one must be
/// ignored. The values claim the most powerful identity at hand: the stadsdeel-
/// regisseur of oost, of the gemeente.
const CLAIMS: &[(&str, &str)] = &[
    ("x-role", "stadsdeelregisseur"),
    ("x-treiter-role", "stadsdeelregisseur"),
    (
        "x-roles",
        "stadsdeelregisseur,stedelijk-regisseur,privacy-officer",
    ),
    ("x-stadsdeel", "oost"),
    ("x-treiter-stadsdeel", "oost"),
    ("x-party", GEMEENTE_OIN),
    ("x-oin", GEMEENTE_OIN),
    ("x-party-oin", GEMEENTE_OIN),
    ("x-person", SDR_OOST),
    ("x-person-id", SDR_OOST),
    ("x-user", SDR_OOST),
    ("x-remote-user", SDR_OOST),
    ("x-forwarded-user", SDR_OOST),
    (
        "x-ssl-client-s-dn",
        "UID=p-gemeente-004,serialNumber=00000001000000000001,CN=Daan Demonaam",
    ),
    (
        "x-forwarded-client-cert",
        "By=spiffe://hub;Subject=\"UID=p-gemeente-004,serialNumber=00000001000000000001\"",
    ),
    (
        "authorization",
        "Bearer role=stadsdeelregisseur;stadsdeel=oost",
    ),
];

/// Protobuf fields no request message defines, carrying the same claims (a client built
/// from a doctored `.proto`): appended to a valid request.
fn with_claimed_fields(mut request: Vec<u8>) -> Vec<u8> {
    for (number, value) in [
        (15u32, "stadsdeelregisseur"),
        (16, "oost"),
        (17, GEMEENTE_OIN),
        (18, SDR_OOST),
        (100, "stedelijk-regisseur"),
        (1000, "privacy-officer"),
    ] {
        prost::encoding::string::encode(number, &value.to_owned(), &mut request);
    }
    request
}

fn create_in_oost(id: &str) -> Vec<u8> {
    wire::CreateCaseRequest {
        client_request_id: id.into(),
        stadsdeel: "oost".into(),
        melding_at: Some(prost_types::Timestamp::from(
            std::time::SystemTime::now() - std::time::Duration::from_secs(3600),
        )),
        external_reference: "14020-9".into(),
    }
    .encode_to_vec()
}

const WHO_AM_I: &str = "/treiter.hub.v1.Coordinator/WhoAmI";
const CREATE_CASE: &str = "/treiter.hub.v1.Coordinator/CreateCase";

#[tokio::test]
async fn identity_claimed_in_headers_or_unknown_fields_is_ignored() {
    let pki = Pki::new();
    let hub = TestHub::start(&pki).await;
    let mut claims = 0u64;
    let mut believed = Vec::new();

    for person in [IM_WEST, POLITIE_CONTACT] {
        let channel = person_channel(&pki, person, hub.addr).await;
        // WhoAmI: the registry's answer, byte for byte, whatever the headers say.
        let plain = unary(&channel, WHO_AM_I, vec![], &[])
            .await
            .expect("who am i");
        let me = wire::Person::decode(plain.as_slice()).expect("a person");
        assert_eq!(me.id, person);
        for claim in CLAIMS {
            claims += 1;
            let claimed = unary(&channel, WHO_AM_I, vec![], &[*claim])
                .await
                .expect("who am i");
            if claimed != plain {
                believed.push(format!("{person}: WhoAmI changed by {claim:?}"));
            }
        }
        claims += 1;
        let all = unary(&channel, WHO_AM_I, with_claimed_fields(vec![]), CLAIMS)
            .await
            .expect("who am i");
        if all != plain {
            believed.push(format!("{person}: WhoAmI changed by every claim at once"));
        }

        // Registering a case in oost needs the oost team (article 5.3): an
        // informatiemakelaar of west and a politie partnercontact are refused, with
        // every claim in the headers and in unknown fields.
        for (n, claim) in CLAIMS.iter().enumerate() {
            claims += 1;
            let refused = unary(
                &channel,
                CREATE_CASE,
                create_in_oost(&format!("claim-{person}-{n}")),
                &[*claim],
            )
            .await;
            match refused {
                Err(status) if status.code() == Code::PermissionDenied => {}
                other => believed.push(format!(
                    "{person}: CreateCase in oost with {claim:?}: {:?}",
                    other.map(|_| "created")
                )),
            }
        }
        claims += 1;
        let refused = unary(
            &channel,
            CREATE_CASE,
            with_claimed_fields(create_in_oost(&format!("claim-{person}-all"))),
            CLAIMS,
        )
        .await;
        match refused {
            Err(status) if status.code() == Code::PermissionDenied => {}
            other => believed.push(format!(
                "{person}: CreateCase in oost with every claim: {:?}",
                other.map(|_| "created")
            )),
        }
    }

    // The one who may register in oost does so, and the log records the person and role
    // from the registry, not the ones claimed (the privacy officer's role, here).
    let sdr = person_channel(&pki, SDR_OOST, hub.addr).await;
    let before = hub.hub.log.tree_size();
    let created = unary(
        &sdr,
        CREATE_CASE,
        with_claimed_fields(create_in_oost("claim-sdr")),
        &[
            ("x-role", "privacy-officer"),
            ("x-person", IM_WEST),
            ("x-stadsdeel", "west"),
        ],
    )
    .await
    .expect("the stadsdeelregisseur of oost registers the case");
    claims += 1;
    let update = wire::CaseUpdate::decode(created.as_slice()).expect("case update");
    let case = update.case.expect("case");
    assert_eq!(case.stadsdeel, "oost");
    let logged = hub
        .hub
        .log
        .entry(before)
        .expect("the registration is logged");
    let text = String::from_utf8_lossy(&logged.bytes);
    if !(text.contains(SDR_OOST) && text.contains("stadsdeelregisseur"))
        || text.contains(IM_WEST)
        || text.contains("privacy-officer")
    {
        believed.push(format!("the log recorded a claimed identity: {text}"));
    }

    tally(
        "identity-claims",
        Kind::IdentityClaims,
        claims,
        believed.len() as u64,
        0,
    );
    assert!(believed.is_empty(), "claims believed: {believed:#?}");
    hub.stop().await;
}
