//! Carrying out a command: build the request, call the hub, print the answer.
//!
//! Every change carries a fresh random `client_request_id`; the one retry after a
//! transport error (see [`Hub::call`]) sends the same request with the same id, so the
//! hub makes the change once. Identifying data given to `subject add` is pseudonymised
//! here, before anything is sent, and is neither sent nor printed.

use std::io::{BufRead, Write};
use std::time::Duration;

use serde_json::Value;
use time::OffsetDateTime;
use treiter_proto::v1 as wire;
use treiter_pseudonym::{Identity, Pseudonym, PseudonymKey};

use crate::changes::{self, resolve_party, resolve_subject};
use crate::cli::*;
use crate::error::Error;
use crate::hub::Hub;
use crate::json;
use crate::profile::{self, Profile};
use crate::queries::{self, CaseFilter, get_case};
use crate::report;
use crate::when;

/// Where the answer goes, and in which form.
pub(crate) struct Out<'a> {
    pub(crate) out: &'a mut dyn Write,
    pub(crate) json: bool,
}

impl Out<'_> {
    fn write(&mut self, text: &str) -> Result<(), Error> {
        self.out.write_all(text.as_bytes()).map_err(Error::Output)?;
        self.out.flush().map_err(Error::Output)
    }

    /// Prints text. Nearly every word in it came from the hub, and many from other
    /// people or a partner's agent (labels, reasons, party names, record values): every
    /// control or invisible character is escaped on the way out, so that none can act
    /// on the terminal. The reports' own line breaks stay; a value that could hold one
    /// is escaped where it is put into its row (`report::esc`).
    pub(crate) fn text(&mut self, text: &str) -> Result<(), Error> {
        self.write(&treiter_proto::text::escape_lines(text))
    }

    /// Prints JSON text, with the hidden characters serde_json leaves as they are
    /// (DEL, C1 controls, bidi marks) escaped as `\uXXXX`: the same JSON, shown safely.
    fn json(&mut self, json: &str) -> Result<(), Error> {
        self.write(&treiter_proto::text::escape_json(json))
    }

    /// Prints `value` (pretty JSON) with `--json`, else `text()`.
    pub(crate) fn answer(
        &mut self,
        value: impl FnOnce() -> Value,
        text: impl FnOnce() -> String,
    ) -> Result<(), Error> {
        if self.json {
            let mut s = serde_json::to_string_pretty(&value()).unwrap_or_default();
            s.push('\n');
            self.json(&s)
        } else {
            self.text(&text())
        }
    }

    /// One JSON object on one line (`--watch --json`).
    pub(crate) fn json_line(&mut self, value: &Value) -> Result<(), Error> {
        let mut s = value.to_string();
        s.push('\n');
        self.json(&s)
    }
}

pub use crate::changes::new_request_id;

pub(crate) fn usage(e: impl std::fmt::Display) -> Error {
    Error::Usage(e.to_string())
}

/// Runs one command line.
pub async fn run(
    cli: Cli,
    now: OffsetDateTime,
    out: &mut dyn Write,
    input: &mut dyn BufRead,
) -> Result<(), Error> {
    let profile = Profile::load(&profile::choose(cli.profile.as_deref()))?;
    let mut out = Out {
        out,
        json: cli.json,
    };
    // Identifying data is pseudonymised before any connection is made: a key or input
    // problem stops the command with nothing sent.
    let local_pseudonym = match &cli.command {
        Command::Subject(SubjectCommand::Add(a)) => Some(pseudonym_for(a, &profile, input)?),
        Command::Inzage(InzageCommand::Request(a)) => Some(local_pseudonym(
            &LocalSubject {
                pseudonym: a.pseudonym.as_deref(),
                name: a.name.as_deref(),
                birth_date: a.birth_date.as_deref(),
                postcode: a.postcode.as_deref(),
                house_number: a.house_number.as_deref(),
                stdin: a.stdin,
            },
            &profile,
            input,
        )?),
        _ => None,
    };
    let mut hub = Hub::new(profile)?;
    match cli.command {
        Command::Whoami => {
            let me = hub.whoami().await?;
            let url = hub.profile().hub.url.clone();
            out.answer(|| json::person(&me), || report::whoami(&me, &url))
        }
        Command::Case(c) => case(&mut hub, &mut out, c, now).await,
        Command::Covenant(c) => crate::covenant::run(&mut hub, out.out, out.json, input, c).await,
        Command::Subject(c) => subject(&mut hub, &mut out, c, local_pseudonym, now).await,
        Command::Consent(c) => consent(&mut hub, &mut out, c, now).await,
        Command::Participant(c) => participant(&mut hub, &mut out, c, now).await,
        Command::Emergency(a) => {
            let u = changes::declare_emergency(
                &mut hub,
                wire::DeclareEmergencyRequest {
                    client_request_id: new_request_id(),
                    case_id: a.case,
                    reason: a.reason,
                },
            )
            .await?;
            out.answer(
                || json::case_update(&u),
                || {
                    format!(
                        "{}  only you receive under it; every emergency share is reported to the source party's privacy officer for review within 1 working day (art. 15.2)\n",
                        report::update(&u, now)
                    )
                },
            )
        }
        Command::Bevraag(a) => {
            let subject = resolve_subject(&mut hub, &a.case, &a.subject).await?;
            let b = crate::queries::bevraag(&mut hub, &a.case, &subject, a.deadline_ms).await?;
            // The case's subjects, to name the subject by its label (case team only);
            // without them the subject is named by its pseudonym, and the answer
            // already received is still shown.
            let subjects = if out.json {
                Vec::new()
            } else {
                crate::queries::get_case(&mut hub, &a.case)
                    .await
                    .map(|c| c.subjects)
                    .unwrap_or_default()
            };
            out.answer(|| json::bevraging(&b), || report::bevraging(&b, &subjects))
        }
        Command::Casefile(c) => casefile(&mut hub, &mut out, c).await,
        Command::Log(c) => crate::officer::log(&mut hub, &mut out, c, now).await,
        Command::Inzage(c) => {
            crate::officer::inzage(&mut hub, &mut out, c, local_pseudonym, now).await
        }
        Command::Notifications(c) => {
            crate::officer::notifications(&mut hub, &mut out, c, now).await
        }
        Command::Console(a) => crate::console::run(hub, a.listen, a.open, out.out).await,
        Command::Evidence(a) => crate::officer::evidence(&mut hub, &mut out, a, now).await,
    }
}

/// A change to a case: sends `req` through [`changes`] (retried once with the same id)
/// and prints the result, followed by `extra` lines.
macro_rules! change {
    ($hub:expr, $out:expr, $now:expr, $method:ident, $req:expr, $extra:expr) => {{
        let u = changes::$method($hub, $req).await?;
        let extra: String = ($extra)(&u);
        $out.answer(
            || json::case_update(&u),
            || format!("{}{}", report::update(&u, $now), extra),
        )
    }};
}

fn none(_: &wire::CaseUpdate) -> String {
    String::new()
}

async fn case(
    hub: &mut Hub,
    out: &mut Out<'_>,
    c: CaseCommand,
    now: OffsetDateTime,
) -> Result<(), Error> {
    match c {
        CaseCommand::Create(a) => {
            let melding_at = when::parse_time("--melding-at", &a.melding_at, now).map_err(usage)?;
            change!(
                hub,
                out,
                now,
                create_case,
                wire::CreateCaseRequest {
                    client_request_id: new_request_id(),
                    stadsdeel: a.stadsdeel,
                    melding_at: Some(when::to_timestamp(melding_at)),
                    external_reference: a.reference.unwrap_or_default(),
                },
                |u: &wire::CaseUpdate| {
                    let id = u.case.as_ref().map(|c| c.id.as_str()).unwrap_or("CASE");
                    format!(
                        "  next: add its subjects, e.g. `hubctl subject add {id} --role slachtoffer --stdin`\n"
                    )
                }
            )
        }
        CaseCommand::List(a) => {
            let filter = CaseFilter {
                stadsdeel: a.stadsdeel,
                phases: a.phase,
                overdue: a.overdue,
                escalated: a.escalated,
                emergency: a.emergency,
            };
            let cases = queries::list_cases(hub, &filter).await?.cases;
            out.answer(
                || json::case_list(&cases),
                || report::case_list(&cases, now),
            )
        }
        CaseCommand::Show(a) => {
            let c = get_case(hub, &a.case).await?;
            out.answer(|| json::case(&c), || report::case(&c, now))
        }
        CaseCommand::Move(a) => change!(
            hub,
            out,
            now,
            move_phase,
            wire::MovePhaseRequest {
                client_request_id: new_request_id(),
                case_id: a.case,
                to_phase: a.phase,
                reason: a.reason,
                expected_phase: a.expect.unwrap_or_default(),
            },
            none
        ),
        CaseCommand::Escalate(a) => change!(
            hub,
            out,
            now,
            escalate,
            wire::EscalateRequest {
                client_request_id: new_request_id(),
                case_id: a.case,
                reason: a.reason,
            },
            |_: &wire::CaseUpdate| {
                "  the stedelijk regisseur now has access and may receive what the stadsdeelregisseur may, for aanpak (art. 14.1)\n".to_owned()
            }
        ),
        CaseCommand::Contact(a) => {
            let at = when::parse_time("--at", &a.at, now).map_err(usage)?;
            change!(
                hub,
                out,
                now,
                record_contact,
                wire::RecordContactRequest {
                    client_request_id: new_request_id(),
                    case_id: a.case,
                    contacted_at: Some(when::to_timestamp(at)),
                },
                none
            )
        }
    }
}

/// The pseudonym `subject add` sends: given, or computed here from identifying data
/// with the profile's pseudonym key.
fn pseudonym_for(
    a: &SubjectAddArgs,
    profile: &Profile,
    input: &mut dyn BufRead,
) -> Result<String, Error> {
    local_pseudonym(
        &LocalSubject {
            pseudonym: a.pseudonym.as_deref(),
            name: a.name.as_deref(),
            birth_date: a.birth_date.as_deref(),
            postcode: a.postcode.as_deref(),
            house_number: a.house_number.as_deref(),
            stdin: a.stdin,
        },
        profile,
        input,
    )
}

/// How a subject was given on the command line: a pseudonym, identifying data, or
/// identifying data on standard input.
pub(crate) struct LocalSubject<'a> {
    pub pseudonym: Option<&'a str>,
    pub name: Option<&'a str>,
    pub birth_date: Option<&'a str>,
    pub postcode: Option<&'a str>,
    pub house_number: Option<&'a str>,
    pub stdin: bool,
}

/// The subject's keyed pseudonym, computed here with the covenant's key (article 8.4)
/// from identifying data that is neither sent nor printed; or the pseudonym as given.
pub(crate) fn local_pseudonym(
    a: &LocalSubject<'_>,
    profile: &Profile,
    input: &mut dyn BufRead,
) -> Result<String, Error> {
    if let Some(p) = a.pseudonym {
        return Pseudonym::parse(p)
            .map(|p| p.to_hex())
            .map_err(|e| Error::Usage(format!("--pseudonym: {e}")));
    }
    if a.stdin {
        let mut line = String::new();
        input.read_line(&mut line).map_err(|e| {
            Error::Usage(format!(
                "cannot read the identifying data from standard input: {e}"
            ))
        })?;
        let fields: Vec<&str> = line.trim_end_matches(['\n', '\r']).split('\t').collect();
        let [name, birth_date, postcode, house_number] = fields.as_slice() else {
            return Err(Error::Usage(format!(
                "--stdin expects one line with four fields separated by tabs (name, date of birth, postcode, house number); it has {} (values not shown)",
                fields.len()
            )));
        };
        pseudonymise(
            profile,
            &Identity {
                name,
                birth_date,
                postcode,
                house_number,
            },
        )
    } else {
        let (Some(name), Some(birth_date), Some(postcode), Some(house_number)) =
            (a.name, a.birth_date, a.postcode, a.house_number)
        else {
            return Err(Error::Usage(
                "give --name, --birth-date, --postcode and --house-number together, or --stdin, or --pseudonym".to_owned(),
            ));
        };
        pseudonymise(
            profile,
            &Identity {
                name,
                birth_date,
                postcode,
                house_number,
            },
        )
    }
}

/// The keyed pseudonym (article 8.4) of identifying data, computed here with the
/// profile's covenant key; the data itself goes nowhere. Both `subject add` and the
/// console's forms use this one function.
pub fn pseudonymise(profile: &Profile, identity: &Identity<'_>) -> Result<String, Error> {
    let key_path = profile
        .pseudonym_key
        .clone()
        .ok_or_else(|| Error::NoPseudonymKey {
            profile: profile.path.clone(),
        })?;
    let key = PseudonymKey::load(&key_path)?;
    Ok(key.pseudonym(identity)?.to_hex())
}

async fn subject(
    hub: &mut Hub,
    out: &mut Out<'_>,
    c: SubjectCommand,
    local_pseudonym: Option<String>,
    now: OffsetDateTime,
) -> Result<(), Error> {
    match c {
        SubjectCommand::Add(a) => {
            let Some(hex) = local_pseudonym else {
                return Err(Error::Usage("no subject to add".to_owned()));
            };
            let computed = a.pseudonym.is_none();
            let shown = hex.clone();
            change!(
                hub,
                out,
                now,
                add_subject,
                wire::AddSubjectRequest {
                    client_request_id: new_request_id(),
                    case_id: a.case,
                    subject: Some(wire::SubjectPseudonym { hex }),
                    role: a.role,
                    label: a.label.unwrap_or_default(),
                },
                |_: &wire::CaseUpdate| {
                    if computed {
                        format!(
                            "  pseudonym {shown}\n  computed here with the covenant's key (art. 8.4); the name, date of birth and address were not sent\n"
                        )
                    } else {
                        format!("  pseudonym {shown}\n")
                    }
                }
            )
        }
        SubjectCommand::Update(a) => {
            let hex = resolve_subject(hub, &a.case, &a.subject).await?;
            change!(
                hub,
                out,
                now,
                update_subject,
                wire::UpdateSubjectRequest {
                    client_request_id: new_request_id(),
                    case_id: a.case,
                    subject: Some(wire::SubjectPseudonym { hex }),
                    role: a.role.unwrap_or_default(),
                    label: a.label.unwrap_or_default(),
                    clear_label: a.clear_label,
                },
                none
            )
        }
        SubjectCommand::Remove(a) => {
            let hex = resolve_subject(hub, &a.case, &a.subject).await?;
            change!(
                hub,
                out,
                now,
                remove_subject,
                wire::RemoveSubjectRequest {
                    client_request_id: new_request_id(),
                    case_id: a.case,
                    subject: Some(wire::SubjectPseudonym { hex }),
                    reason: a.reason,
                },
                none
            )
        }
    }
}

async fn consent(
    hub: &mut Hub,
    out: &mut Out<'_>,
    c: ConsentCommand,
    now: OffsetDateTime,
) -> Result<(), Error> {
    match c {
        ConsentCommand::Record(a) => {
            let date = when::parse_date("--date", &a.date, now).map_err(usage)?;
            let hex = resolve_subject(hub, &a.case, &a.subject).await?;
            change!(
                hub,
                out,
                now,
                record_consent,
                wire::RecordConsentRequest {
                    client_request_id: new_request_id(),
                    case_id: a.case,
                    subject: Some(wire::SubjectPseudonym { hex }),
                    category: a.category,
                    date,
                },
                none
            )
        }
        ConsentCommand::Withdraw(a) => {
            let date = when::parse_date("--date", &a.date, now).map_err(usage)?;
            let hex = resolve_subject(hub, &a.case, &a.subject).await?;
            change!(
                hub,
                out,
                now,
                withdraw_consent,
                wire::WithdrawConsentRequest {
                    client_request_id: new_request_id(),
                    case_id: a.case,
                    subject: Some(wire::SubjectPseudonym { hex }),
                    category: a.category,
                    date,
                },
                |_: &wire::CaseUpdate| {
                    "  from now on, shares that depend on this consent are refused (art. 11.3)\n"
                        .to_owned()
                }
            )
        }
    }
}

async fn participant(
    hub: &mut Hub,
    out: &mut Out<'_>,
    c: ParticipantCommand,
    now: OffsetDateTime,
) -> Result<(), Error> {
    match c {
        ParticipantCommand::Add(a) => {
            let (oin, _) = resolve_party(hub, &a.party).await?;
            change!(
                hub,
                out,
                now,
                add_participant,
                wire::AddParticipantRequest {
                    client_request_id: new_request_id(),
                    case_id: a.case,
                    party_oin: oin,
                },
                |_: &wire::CaseUpdate| {
                    "  its partnercontacts now have access to the case (art. 5.4)\n".to_owned()
                }
            )
        }
        ParticipantCommand::Remove(a) => {
            let (oin, _) = resolve_party(hub, &a.party).await?;
            change!(
                hub,
                out,
                now,
                remove_participant,
                wire::RemoveParticipantRequest {
                    client_request_id: new_request_id(),
                    case_id: a.case,
                    party_oin: oin,
                    reason: a.reason,
                },
                none
            )
        }
    }
}

async fn casefile(hub: &mut Hub, out: &mut Out<'_>, c: CasefileCommand) -> Result<(), Error> {
    match c {
        CasefileCommand::Request(a) => {
            let mut subjects = Vec::new();
            for s in &a.subject {
                subjects.push(wire::SubjectPseudonym {
                    hex: resolve_subject(hub, &a.case, s).await?,
                });
            }
            let req = wire::CaseFileRequest {
                client_request_id: new_request_id(),
                case_id: a.case.clone(),
                purpose: a.purpose.clone(),
                subjects,
                categories: a.category.clone(),
                deadline_ms: a.deadline_ms.unwrap_or(0),
            };
            let timeout = crate::queries::fan_out_timeout(a.deadline_ms);
            if a.watch {
                return watch(hub, out, req, timeout).await;
            }
            let file = crate::queries::request_case_file(hub, &req, timeout).await?;
            out.answer(|| json::case_file(&file), || report::case_file(&file))
        }
        CasefileCommand::Show(a) => {
            let file = crate::queries::get_case_file(hub, &a.id).await?;
            out.answer(|| json::case_file(&file), || report::case_file(&file))
        }
        CasefileCommand::List(a) => {
            let files = crate::queries::list_case_files(hub, &a.case).await?;
            out.answer(
                || json::case_files(&files),
                || report::case_file_list(&files),
            )
        }
    }
}

/// `casefile request --watch`: each partner's answer as it arrives.
async fn watch(
    hub: &mut Hub,
    out: &mut Out<'_>,
    req: wire::CaseFileRequest,
    timeout: Duration,
) -> Result<(), Error> {
    use wire::case_file_event::Event;
    let mut watch = crate::queries::watch_case_file(hub, &req, timeout).await?;
    let mut parties: Vec<wire::Party> = Vec::new();
    let mut subjects: Vec<wire::Subject> = Vec::new();
    let mut categories: Vec<String> = Vec::new();
    loop {
        let event = match watch.next().await {
            Err(Error::Hub { code, message, .. }) => {
                return Err(Error::Hub {
                    code,
                    message,
                    hint: Some(
                        "what was shown before was durably logged; `hubctl casefile list` finds the file"
                            .to_owned(),
                    ),
                });
            }
            Err(other) => return Err(other),
            Ok(None) => return Ok(()),
            Ok(Some(event)) => event,
        };
        if out.json {
            out.json_line(&json::case_file_event(&event))?;
            continue;
        }
        let text = match &event.event {
            Some(Event::Started(s)) => {
                subjects.clone_from(&s.subjects);
                categories.clone_from(&s.categories);
                parties.extend(s.asked.iter().cloned());
                parties.extend(s.not_asked.iter().filter_map(|p| p.party.clone()));
                report::watch_started(s)
            }
            Some(Event::Bevraging(b)) => report::watch_bevraging(b, &subjects),
            Some(Event::Partner(p)) => {
                let refs: Vec<&wire::Party> = parties.iter().collect();
                let mut text = String::from("\n");
                report::partner(p, &req.case_id, &refs, &subjects, &categories, &mut text);
                text
            }
            Some(Event::Summary(s)) => report::watch_summary(s),
            None => String::new(),
        };
        out.text(&text)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_escapes_what_could_act_on_the_terminal() {
        let mut buffer = Vec::new();
        let mut out = Out {
            out: &mut buffer,
            json: false,
        };
        out.text("label \u{1b}[2J\u{9b}1m \u{202e}x\r\nnext line\n")
            .unwrap();
        assert_eq!(
            String::from_utf8(buffer).unwrap(),
            "label \\u{1b}[2J\\u{9b}1m \\u{202e}x\\r\nnext line\n"
        );
        let mut buffer = Vec::new();
        let mut out = Out {
            out: &mut buffer,
            json: true,
        };
        let value = serde_json::json!({ "label": "a\u{1b}b\u{9b}c\u{202e}d" });
        out.answer(|| value.clone(), String::new).unwrap();
        let text = String::from_utf8(buffer).unwrap();
        assert!(
            !text
                .chars()
                .any(|c| c != '\n' && treiter_proto::text::is_hidden(c)),
            "{text:?}"
        );
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }
}
