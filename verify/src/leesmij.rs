//! `LEESMIJ.txt`: the bundle's summary in Dutch, for the privacy officer who hands the
//! bundle over and the court that receives it: what is in it, what it proves, what it
//! does not prove, and how to check it.
//!
//! The text is a function of the manifest alone, so the verifier writes it again and
//! requires the same bytes: the summary cannot say more than the bundle holds.

use std::fmt::Write as _;

use crate::bundle::Manifest;

/// The summary of the bundle described by `m`.
pub fn text(m: &Manifest) -> String {
    let mut s = String::new();
    let line = |s: &mut String, text: &str| {
        s.push_str(text);
        s.push('\n');
    };
    line(&mut s, "BEWIJSBUNDEL BESLISSINGENLOGBOEK TREITERAANPAK");
    line(&mut s, "==============================================");
    line(&mut s, "");
    let _ = writeln!(
        s,
        "Gemaakt door:  {} (privacy officer van {}, OIN {})",
        m.maker.person, m.maker.party_name, m.maker.party_oin
    );
    let _ = writeln!(
        s,
        "Gemaakt op:    {} (UTC), met {}",
        m.maker.created_at, m.maker.tool
    );
    let _ = writeln!(s, "Selectie:      {}", m.selection);
    let _ = writeln!(s, "Logboek:       {}", m.log_origin);
    let _ = writeln!(
        s,
        "Sleutel hub:   {} (vingerafdruk SHA-256 {})",
        m.hub_key, m.hub_key_sha256
    );
    line(&mut s, "");
    line(&mut s, "INHOUD");
    line(&mut s, "");
    let _ = writeln!(
        s,
        "- {} logregel(s) (entries/), elk met een inclusiebewijs (proofs/):",
        m.entries.len()
    );
    for e in &m.entries {
        let case = if e.case_id.is_empty() {
            "-"
        } else {
            &e.case_id
        };
        let _ = writeln!(
            s,
            "    regel {:>8}  {}  {:<18}  zaak {}",
            e.leaf_index, e.logged_at, e.kind, case
        );
    }
    let _ = writeln!(
        s,
        "- {} ondertekend(e) checkpoint(s) (checkpoints/):",
        m.checkpoints.len()
    );
    for c in &m.checkpoints {
        let by = if c.cosigned_by.is_empty() {
            "door geen getuige medeondertekend".to_owned()
        } else {
            format!("medeondertekend door {}", c.cosigned_by.join(", "))
        };
        let _ = writeln!(
            s,
            "    {} regels, root {}, {}",
            c.tree_size, c.root_hash, by
        );
    }
    let _ = writeln!(
        s,
        "- {} consistentiebewijs/-bewijzen tussen de checkpoints (consistency/)",
        m.consistency.len()
    );
    let _ = writeln!(
        s,
        "- de sleutel van de hub en {} sleutel(s) van getuigen (keys/):",
        m.witnesses.len()
    );
    for w in &m.witnesses {
        let _ = writeln!(
            s,
            "    {}: de agent van {} (OIN {})",
            w.name, w.party_name, w.party_oin
        );
    }
    line(
        &mut s,
        "- MANIFEST.json: de SHA-256 van elk bestand en de beschrijving hierboven",
    );
    s.push_str(PROVES);
    s
}

const PROVES: &str = "
WAT DEZE BUNDEL BEWIJST (als treiter-verify hem goedkeurt)

1. Elke logregel in deze bundel staat, byte voor byte, op de genoemde plaats in het
   beslissingenlogboek van de hub (art. 10): de hash van de regel leidt via het
   inclusiebewijs naar de root van een checkpoint dat met de logsleutel van de hub
   is ondertekend. De hub kan een regel niet achteraf veranderen of weghalen zonder
   dat dit checkpoint ongeldig wordt.
2. De getuigen die een checkpoint medeondertekenden (de agents van de genoemde
   partijen, art. 10.2) hebben dat checkpoint ontvangen en eerst gecontroleerd dat
   het logboek sinds hun vorige checkpoint alleen is gegroeid. Een hub die aan een
   ander een andere geschiedenis toont, wordt door die getuigen betrapt.
3. Bij meer dan een checkpoint: het grotere logboek bevat het kleinere ongewijzigd
   (consistentiebewijs).
4. Een gewijzigde byte in een logregel, bewijs, checkpoint of sleutel wordt bij
   controle gevonden en benoemd. Ook een wijziging van het manifest of van deze tekst
   wordt gevonden, tenzij iemand beide samen opnieuw heeft geschreven: alleen de
   ondertekende delen (logregels, bewijzen, checkpoints) zijn bewijs.

WAT DEZE BUNDEL NIET BEWIJST

- De inhoud van wat er gedeeld is. Het logboek bevat geen waarden, alleen
  veldnamen, pseudoniemen en de beslissing (art. 10.1, 12.3). Wat er precies is
  verstrekt, staat bij de bron en de ontvanger.
- Volledigheid. De bundel bewijst dat deze regels in het logboek staan, niet dat
  er geen andere regels over deze zaak of betrokkene zijn: de selectie is door de
  hub gemaakt, binnen wat de partij van de maker mag zien (art. 10.3).
- Wie er achter een pseudoniem zit. Alleen wie de sleutel van het convenant heeft,
  kan een pseudoniem uit identificerende gegevens narekenen (art. 8.4).
- Dat de sleutel in de bundel de sleutel van de hub is. Die staat in de bundel
  zelf; vergelijk hem met de sleutel die de beheerder van de hub publiceert
  (treiter-verify --hub-key). Hetzelfde geldt voor de sleutels van de getuigen
  (--witness-key, te verkrijgen bij de partij van die agent).
- Het tijdstip van een beslissing buiten de klok van de hub: de tijd in een
  logregel is die van de hub; checkpoints dragen geen tijd.
- Wie de bundel maakte en wanneer: dat vermeldt de maker hierboven; niemand heeft
  het ondertekend.

CONTROLEREN (zonder netwerk)

    treiter-verify BUNDEL.tar --hub-key HUB.vkey [--witness-key AGENT.vkey ...]

Uitkomst: 0 goedgekeurd, met de sleutel van de hub van buiten de bundel bevestigd;
3 goedgekeurd, maar de sleutel van de hub alleen uit de bundel zelf; 1 afgekeurd
(met het bestand en de reden); 2 verkeerd aangeroepen of onleesbaar bestand.

PERSOONSGEGEVENS

De bundel bevat niets buiten wat het logboek zelf bevat: pseudoniemen van
betrokkenen, id's van medewerkers, OIN's van partijen, veldnamen en artikelen.
Geen namen, geen waarden, geen vrije tekst.
";
