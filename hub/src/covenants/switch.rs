//! What happens when an approved version takes effect (article 13.1), beyond the
//! decisions: the party directory, the case policy and the agents of parties that left
//! switch with it (the rules are in [`super::rules`]'s module doc).
//!
//! [`prepare`] computes everything that can fail before anything is logged or stored;
//! [`apply`] then cannot fail: it puts the covenant, the directory and the case policy
//! in force, in that order (a share decided in between is refused under 2.3 by the new
//! covenant itself), reads the person registry again when a party joined (its persons,
//! registered beforehand, can act at once), ends the live link of every party that left
//! and drops what waited for it, and sends the version to the agents that remain.

use std::sync::Arc;

use treiter_policies::Covenant;

use super::parties::{PartyChanges, listed};
use crate::cases::CasePolicy;
use crate::error::HubError;
use crate::parties::{FormerParty, PartyDirectory};
use crate::state::Hub;

/// A switch, computed and checked, ready to be applied.
#[derive(Debug)]
pub struct Switch {
    covenant: Arc<Covenant>,
    parties: PartyDirectory,
    policy: CasePolicy,
    changes: PartyChanges,
}

/// Computes the switch to `new` from what is in force; an error leaves the version
/// proposed (nothing was logged or stored yet).
pub fn prepare(hub: &Hub, new: Covenant) -> Result<Switch, HubError> {
    let in_force = hub.covenant.current();
    let invalid = |what: String| {
        HubError::failed_precondition(format!(
            "version {} cannot take effect: {what}; propose a corrected version",
            new.version()
        ))
    };
    let changes =
        PartyChanges::between(&in_force, &new).map_err(|e| invalid(format!("annex a: {e}")))?;
    let listed = listed(&new).map_err(|e| invalid(format!("annex a: {e}")))?;
    let policy = crate::state::case_policy(&new, std::path::Path::new("the proposal"))
        .map_err(|e| invalid(e.to_string()))?;
    let former: Vec<FormerParty> = hub
        .parties
        .current()
        .former()
        .cloned()
        .chain(changes.left.iter().map(|party| FormerParty {
            party: party.clone(),
            left_with: new.version(),
        }))
        .collect();
    Ok(Switch {
        parties: PartyDirectory::new(listed).with_former(former),
        covenant: Arc::new(new),
        policy,
        changes,
    })
}

/// Reads the person registry again, so that the persons registered for a party that
/// just joined can act now. A registry that no longer loads is reported and the one in
/// use is kept: the joined party's agent is accepted regardless; its persons then wait
/// for the registry to be fixed and the hub restarted.
fn reread_persons(hub: &Hub) {
    let read = super::record::all(hub.store.as_ref())
        .map_err(|e| e.to_string())
        .and_then(|versions| {
            super::parties::every_listed(&hub.covenant.current(), &versions)
                .map_err(|e| e.to_string())
        })
        .and_then(|named| {
            crate::persons::PersonRegistry::load(&hub.persons_file, &named)
                .map_err(|e| e.to_string())
        });
    match read {
        Ok(registry) => {
            tracing::info!(
                path = %hub.persons_file.display(),
                persons = registry.len(),
                "person registry read again for the parties that joined"
            );
            hub.persons.replace(registry);
        }
        Err(error) => tracing::error!(
            path = %hub.persons_file.display(),
            %error,
            "cannot read the person registry again; the one in use is kept, so the persons of the parties that joined are refused until it is fixed and the hub restarted"
        ),
    }
}

/// Puts `switch` in force (module doc); nothing when its version (or a later one) is
/// in force already (another replica's switch was followed first, [`follow`]).
pub fn apply(hub: &Hub, switch: Switch) {
    let Switch {
        covenant,
        parties,
        policy,
        changes,
    } = switch;
    let version = covenant.version();
    if hub.covenant.version() >= version {
        return;
    }
    let old = hub.covenant.replace(covenant);
    hub.parties.replace(parties);
    hub.cases.set_policy(policy);
    tracing::info!(
        from = old.version(),
        to = version,
        joined = changes.joined.len(),
        left = changes.left.len(),
        "covenant version in force switched (art. 13.1 met)"
    );
    for party in &changes.joined {
        tracing::info!(oin = %party.oin, party = %party.name, version, "a party joined the covenant (art. 2.3); its agent and persons are accepted from now on");
    }
    if !changes.joined.is_empty() {
        reread_persons(hub);
    }
    for party in &changes.left {
        // Its live link ends with the reason (the link handler sees it is no longer a
        // party); new links and calls are refused by authentication.
        hub.agents.end_link(&party.oin);
        let questions = hub.questioner.outbox().drop_party(&party.oin);
        let deliveries = crate::deliveries::drop_party(hub.store.as_ref(), &party.oin);
        match (questions, deliveries) {
            (Ok(questions), Ok(deliveries)) => tracing::info!(
                oin = %party.oin,
                party = %party.name,
                version,
                questions,
                deliveries,
                "a party left the covenant (art. 2.3): its agent's link is ended and refused from now on; the questions and deliveries waiting for it are dropped"
            ),
            (questions, deliveries) => tracing::error!(
                oin = %party.oin,
                version,
                questions = questions.err().map(|e| e.to_string()),
                deliveries = deliveries.err().map(|e| e.to_string()),
                "a party left the covenant, but what waited for it could not all be dropped; it is never sent (the party is refused)"
            ),
        }
    }
    super::agents::broadcast(hub);
}

/// How often a replica looks whether another replica put a newer version in force.
pub const FOLLOW_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// With several replicas on one database (issue 21): puts in force, on this replica, a
/// version another replica's approval put in force, within [`FOLLOW_EVERY`], the way
/// that replica did ([`prepare`], [`apply`]): decisions, parties, case policy, the links
/// of parties that left, and this replica's agents told. With sled there is one hub
/// process and nothing to follow.
pub async fn follow(hub: Arc<Hub>) {
    let mut shutdown = hub.shutdown_signal();
    loop {
        tokio::select! {
            () = tokio::time::sleep(FOLLOW_EVERY) => {}
            () = crate::state::shutdown_begun(&mut shutdown) => return,
        }
        if let Err(error) = follow_once(&hub) {
            tracing::error!(%error, "cannot follow the covenant version in force in the shared store");
        }
    }
}

/// One look at the stored versions; switches when a newer one is in force.
pub fn follow_once(hub: &Hub) -> Result<(), HubError> {
    let versions = super::record::all(hub.store.as_ref()).map_err(HubError::Store)?;
    let Some(stored) = versions
        .iter()
        .filter(|r| r.status == super::record::VersionStatus::InForce)
        .max_by_key(|r| r.version)
    else {
        return Ok(());
    };
    if stored.version <= hub.covenant.version() {
        return Ok(());
    }
    let covenant = stored.covenant().map_err(|_| {
        HubError::internal(format!("stored version {} does not parse", stored.version))
    })?;
    tracing::info!(
        version = stored.version,
        "another hub replica put a covenant version in force; this replica follows"
    );
    apply(hub, prepare(hub, covenant)?);
    Ok(())
}
