//! A form that changes something, as a page draws it and as it comes back.
//!
//! Every such form carries, besides the CSRF token ([`super::security`]), a client
//! request id ([`REQUEST_ID_FIELD`]): a fresh one is drawn each time the page is drawn,
//! and the handler passes it to the hub as the change's `client_request_id`, so that a
//! form sent twice (a double click, the back button, a reload of the answer) is made
//! once (the hub returns the first result again). The console keeps nothing: the id
//! lives in the page.
//!
//! A change that works is answered with a redirect to the page that shows it
//! (post/redirect/get). A refused one is answered with the page drawn again, the form
//! holding what the person typed (never identifying data, see [`super::identity`]),
//! the same request id (it is still the same intended change), and the refusal in
//! Dutch next to the field it concerns ([`super::refusal`]).

use axum::body::Bytes;

use super::refusal::{Concern, Refusal};
use super::security::form_value;
use crate::changes::{is_request_id, new_request_id};

/// The form field that carries the client request id.
pub const REQUEST_ID_FIELD: &str = "_rid";

/// A refusal as a form shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormError {
    /// The field it is shown next to; `None`: above the form's fields.
    pub field: Option<&'static str>,
    /// What it means and what to do, in Dutch.
    pub words: String,
    /// hubctl's own text (the hub's message), for the "Technische toelichting"; empty
    /// for the console's own checks.
    pub detail: String,
}

impl FormError {
    /// `refusal` placed in a form whose fields are `fields` (each with what it
    /// concerns): next to the first field it concerns, else above the fields.
    pub fn place(refusal: Refusal, fields: &[(&'static str, Concern)]) -> FormError {
        let field = refusal
            .concern
            .and_then(|c| fields.iter().find(|(_, f)| *f == c).map(|(name, _)| *name));
        FormError {
            field,
            words: refusal.words,
            detail: refusal.detail,
        }
    }
}

/// One form of a page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Form {
    /// The prefix of its elements' ids (unique on the page).
    pub id: String,
    /// The client request id it carries.
    pub rid: String,
    /// The values to show again (a refused form); `None` for a fresh form.
    values: Option<Vec<(String, String)>>,
    /// The refusal, if the form came back refused.
    pub error: Option<FormError>,
}

impl Form {
    /// A fresh form with a new request id.
    pub fn new(id: impl Into<String>) -> Form {
        Form {
            id: id.into(),
            rid: new_request_id(),
            values: None,
            error: None,
        }
    }

    /// A form that came back refused: shown again with `values` and the same `rid`.
    pub fn refused(
        id: impl Into<String>,
        rid: String,
        values: Vec<(String, String)>,
        error: FormError,
    ) -> Form {
        Form {
            id: id.into(),
            rid,
            values: Some(values),
            error: Some(error),
        }
    }

    /// The value of field `name` to show: what was typed (a refused form), else
    /// `default`.
    pub fn value_or<'a>(&'a self, name: &str, default: &'a str) -> &'a str {
        match &self.values {
            Some(values) => values
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
                .unwrap_or(""),
            None => default,
        }
    }

    /// The value of field `name` to show, empty by default.
    pub fn value(&self, name: &str) -> &str {
        self.value_or(name, "")
    }

    /// Whether option `option` of field `name` is the one chosen (else `default` is).
    pub fn chosen(&self, name: &str, option: &str, default: &str) -> bool {
        self.value_or(name, default) == option
    }

    /// The refusal to show next to field `name`.
    pub fn error_at(&self, name: &str) -> Option<&FormError> {
        self.error.as_ref().filter(|e| e.field == Some(name))
    }

    /// The refusal to show above the fields.
    pub fn general_error(&self) -> Option<&FormError> {
        self.error.as_ref().filter(|e| e.field.is_none())
    }

    /// The id of field `name`'s element.
    pub fn field_id(&self, name: &str) -> String {
        format!("{}-{name}", self.id)
    }

    /// The id of the refusal shown next to field `name` (`aria-describedby`), or of
    /// the one above the fields for `""`.
    pub fn error_id(&self, name: &str) -> String {
        if name.is_empty() {
            format!("{}-fout", self.id)
        } else {
            format!("{}-{name}-fout", self.id)
        }
    }

    /// The id of field `name`'s hint.
    pub fn hint_id(&self, name: &str) -> String {
        format!("{}-{name}-uitleg", self.id)
    }

    /// The `aria-describedby` of field `name`: its hint (when it has one) and the
    /// refusal shown next to it; empty when neither.
    pub fn described_by(&self, name: &str, hint: bool) -> String {
        let mut ids = Vec::new();
        if hint {
            ids.push(self.hint_id(name));
        }
        if self.error_at(name).is_some() {
            ids.push(self.error_id(name));
        }
        ids.join(" ")
    }

    /// The name of the field that carries the request id.
    pub fn rid_field(&self) -> &'static str {
        REQUEST_ID_FIELD
    }

    /// Where the error summary links to: the field concerned, else the form.
    pub fn error_target(&self) -> String {
        match self.error.as_ref().and_then(|e| e.field) {
            Some(field) => self.field_id(field),
            None => self.id.clone(),
        }
    }
}

/// The value of a `datetime-local` field for moment `at`: `2026-11-20T09:30`,
/// Amsterdam time (what [`crate::when::parse_time`] reads back).
pub fn local_input(at: time::OffsetDateTime) -> String {
    let local = treiter_proto::calendar::local(at);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        local.year(),
        u8::from(local.month()),
        local.day(),
        local.hour(),
        local.minute()
    )
}

/// A posted form body (urlencoded; the guard has checked its CSRF token).
pub struct Posted(pub Bytes);

impl Posted {
    /// The value of field `name` (the first, if repeated), untrimmed; empty if absent.
    pub fn get(&self, name: &str) -> String {
        form_value(&self.0, name).unwrap_or_default()
    }

    /// The value of field `name`, trimmed.
    pub fn trimmed(&self, name: &str) -> String {
        self.get(name).trim().to_owned()
    }

    /// The client request id, when it has the shape the console gives out.
    pub fn request_id(&self) -> Option<String> {
        let rid = self.trimmed(REQUEST_ID_FIELD);
        is_request_id(&rid).then_some(rid)
    }

    /// The fields `names` as typed, to show the form again.
    pub fn values(&self, names: &[&str]) -> Vec<(String, String)> {
        names
            .iter()
            .map(|n| ((*n).to_owned(), self.get(n)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_goes_next_to_the_field_it_concerns() {
        let fields = [("reden", Concern::Reason), ("naar", Concern::Phase)];
        let at_phase = FormError::place(Refusal::local("x", Some(Concern::Phase)), &fields);
        assert_eq!(at_phase.field, Some("naar"));
        let elsewhere = FormError::place(Refusal::local("y", Some(Concern::Date)), &fields);
        assert_eq!(elsewhere.field, None, "no date field: above the form");
        let form = Form::refused(
            "fase",
            "r".into(),
            vec![("reden".into(), "typed".into())],
            at_phase,
        );
        assert!(form.error_at("naar").is_some());
        assert!(form.error_at("reden").is_none());
        assert!(form.general_error().is_none());
        assert_eq!(form.value_or("reden", "default"), "typed");
        assert_eq!(form.value_or("other", "default"), "", "refused: as typed");
        assert_eq!(form.error_target(), "fase-naar");
        assert_eq!(form.error_id("naar"), "fase-naar-fout");
        let fresh = Form::new("fase");
        assert_eq!(fresh.value_or("reden", "default"), "default");
        assert!(is_request_id(&fresh.rid));
        assert_ne!(fresh.rid, Form::new("fase").rid, "a fresh id per drawing");
    }

    #[test]
    fn datetime_fields_hold_amsterdam_time() {
        use time::macros::datetime;
        let winter = datetime!(2026-11-20 08:30 UTC);
        assert_eq!(local_input(winter), "2026-11-20T09:30");
        let read = crate::when::parse_time("t", &local_input(winter), winter).expect("reads");
        assert_eq!(read, winter);
        assert_eq!(
            local_input(datetime!(2026-07-01 22:05 UTC)),
            "2026-07-02T00:05"
        );
    }

    #[test]
    fn a_posted_request_id_must_have_the_consoles_shape() {
        let rid = new_request_id();
        let ok = Posted(Bytes::from(format!("_csrf=x&_rid={rid}&reden=a+b")));
        assert_eq!(ok.request_id(), Some(rid));
        assert_eq!(ok.get("reden"), "a b");
        let forged = Posted(Bytes::from_static(b"_rid=C-1%0D%0ALocation%3A+x"));
        assert_eq!(forged.request_id(), None);
        assert_eq!(Posted(Bytes::new()).request_id(), None);
    }
}
