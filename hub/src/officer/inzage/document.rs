//! The inzage overview as documents: Markdown in Dutch for the data subject, and JSON
//! with the same facts. Both are made from the report's structured items only, so they
//! cannot hold more than the log holds (no values, no names of persons, no free text).

use treiter_proto::calendar;
use treiter_proto::v1 as wire;

fn when(ts: Option<&prost_types::Timestamp>) -> String {
    ts.and_then(|t| time::OffsetDateTime::from_unix_timestamp(t.seconds).ok())
        .map(calendar::local)
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[day]-[month]-[year] [hour]:[minute]"
            ))
            .ok()
        })
        .unwrap_or_else(|| "onbekend".into())
}

fn party_name(p: Option<&wire::Party>) -> String {
    match p {
        Some(p) if !p.name.is_empty() => p.name.clone(),
        Some(p) => format!("partij {}", p.oin),
        None => "onbekende partij".into(),
    }
}

fn purpose(word: &str) -> String {
    let why = match word {
        "registratie" => "het herkennen en registreren van een mogelijke treitercasus",
        "duiding" => "beoordelen of de zaak binnen de Treiteraanpak valt",
        "aanpak" => "het besluiten over en uitvoeren van de gezamenlijke aanpak",
        "evaluatie" => "het evalueren van de Treiteraanpak",
        _ => return word.to_owned(),
    };
    format!("{word} ({why})")
}

fn outcome(item: &wire::InzageItem) -> String {
    match item.outcome.as_str() {
        "permit" if item.fields_stripped.is_empty() => "verstrekt".into(),
        "permit" => "verstrekt, met weglating van gegevens".into(),
        "deny" => "geweigerd; er is niets verstrekt".into(),
        "reject" => {
            "geweigerd, omdat het verboden gegevens bevatte (artikel 7); er is niets verstrekt"
                .into()
        }
        other => other.to_owned(),
    }
}

fn role(word: &str) -> &str {
    match word {
        "informatiemakelaar" => "informatiemakelaar van de gemeente",
        "stadsdeelregisseur" => "stadsdeelregisseur van de gemeente",
        "stedelijk-regisseur" => "stedelijk regisseur van de gemeente",
        "partnercontact" => "contactpersoon van de partij",
        other => other,
    }
}

fn subject_role(word: &str) -> &str {
    match word {
        "dader" => "vermoedelijke veroorzaker (dader)",
        "slachtoffer" => "slachtoffer",
        "melder" => "melder",
        other => other,
    }
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "geen".into()
    } else {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The Markdown document for the data subject.
pub fn markdown(r: &wire::InzageReport) -> String {
    let mut md = String::new();
    md.push_str("# Overzicht van gedeelde gegevens (inzage, artikel 11)\n\n");
    md.push_str(&format!(
        "Verzoek {} — ontvangen op {}, te beantwoorden uiterlijk {} (artikel 11.2).\n\n",
        r.id, r.received_on, r.due_on
    ));
    md.push_str(
        "Dit overzicht laat zien welke gegevens over u binnen de Treiteraanpak zijn \
         gedeeld: door wie, met wie, met welk doel, wanneer en met welke uitkomst. Het \
         noemt alleen de soorten gegevens (de namen van de velden), nooit de inhoud \
         ervan.\n\n",
    );
    if let Some(s) = &r.subject {
        md.push_str(&format!(
            "Kenmerk van de betrokkene (pseudoniem): `{}`\n\n",
            s.hex
        ));
    }
    md.push_str(&format!(
        "Opgesteld op {} uit het logboek van de hub ({} vermeldingen).\n\n",
        when(r.produced_at.as_ref()),
        r.tree_size
    ));
    md.push_str("## Zaken\n\n");
    if r.cases.is_empty() {
        md.push_str("U bent in geen zaak geregistreerd volgens het logboek.\n\n");
    }
    for c in &r.cases {
        md.push_str(&format!(
            "- Zaak {}: als {}, sinds {}",
            c.case_id,
            subject_role(&c.role),
            when(c.added_at.as_ref())
        ));
        if c.removed_at.is_some() {
            md.push_str(&format!(
                "; uit de zaak verwijderd op {}",
                when(c.removed_at.as_ref())
            ));
        }
        if c.deleted_at.is_some() {
            md.push_str(&format!(
                "; gegevens van de zaak verwijderd op {} (artikel 9)",
                when(c.deleted_at.as_ref())
            ));
        }
        md.push_str(".\n");
    }
    if !r.cases.is_empty() {
        md.push('\n');
    }
    md.push_str("## Verstrekkingen\n\n");
    if r.items.is_empty() {
        md.push_str("Er zijn geen gegevens over u gedeeld of gevraagd.\n");
    }
    for (n, i) in r.items.iter().enumerate() {
        md.push_str(&format!(
            "### {}. {} — {}\n\n",
            n + 1,
            when(i.decided_at.as_ref()),
            i.category
        ));
        md.push_str(&format!("- Door: {}\n", party_name(i.source.as_ref())));
        md.push_str(&format!(
            "- Aan: {}, {}\n",
            party_name(i.recipient_party.as_ref()),
            role(&i.recipient_role)
        ));
        md.push_str(&format!("- Zaak: {}\n", i.case_id));
        md.push_str(&format!("- Doel: {}\n", purpose(&i.purpose)));
        md.push_str(&format!("- Uitkomst: {}\n", outcome(i)));
        if i.outcome == "permit" {
            md.push_str(&format!(
                "- Verstrekte gegevens: {}\n",
                list(&i.fields_passed)
            ));
        }
        if !i.fields_stripped.is_empty() {
            md.push_str(&format!(
                "- Weggelaten gegevens: {}\n",
                list(&i.fields_stripped)
            ));
        }
        if i.emergency {
            md.push_str(
                "- Verstrekt in een spoedsituatie (artikel 15); de privacyfunctionaris van \
                 de verstrekkende partij heeft dit beoordeeld of beoordeelt dit.\n",
            );
        }
        md.push_str(&format!(
            "- Op grond van artikel(en): {}\n\n",
            i.articles.join(", ")
        ));
    }
    md
}

fn ts_json(ts: Option<&prost_types::Timestamp>) -> serde_json::Value {
    ts.and_then(|t| time::OffsetDateTime::from_unix_timestamp(t.seconds).ok())
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .map_or(serde_json::Value::Null, serde_json::Value::String)
}

fn party_json(p: Option<&wire::Party>) -> serde_json::Value {
    p.map_or(
        serde_json::Value::Null,
        |p| serde_json::json!({ "oin": p.oin, "name": p.name, "kind": p.kind }),
    )
}

/// The JSON document: the same facts as `cases` and `items`.
pub fn json(r: &wire::InzageReport) -> String {
    let value = serde_json::json!({
        "id": r.id,
        "subject": r.subject.as_ref().map(|s| s.hex.clone()),
        "received_on": r.received_on,
        "due_on": r.due_on,
        "produced_at": ts_json(r.produced_at.as_ref()),
        "tree_size": r.tree_size,
        "cases": r.cases.iter().map(|c| serde_json::json!({
            "case_id": c.case_id,
            "role": c.role,
            "added_at": ts_json(c.added_at.as_ref()),
            "removed_at": ts_json(c.removed_at.as_ref()),
            "deleted_at": ts_json(c.deleted_at.as_ref()),
        })).collect::<Vec<_>>(),
        "items": r.items.iter().map(|i| serde_json::json!({
            "decided_at": ts_json(i.decided_at.as_ref()),
            "case_id": i.case_id,
            "source": party_json(i.source.as_ref()),
            "recipient_party": party_json(i.recipient_party.as_ref()),
            "recipient_role": i.recipient_role,
            "category": i.category,
            "purpose": i.purpose,
            "outcome": i.outcome,
            "fields_passed": i.fields_passed,
            "fields_stripped": i.fields_stripped,
            "articles": i.articles,
            "emergency": i.emergency,
            "log_leaf_index": i.log_leaf_index,
        })).collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&value).unwrap_or_default()
}
