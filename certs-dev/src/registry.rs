//! `persons.toml`: the hub's person registry for the demo, written from [`PERSONS`].
//!
//! Written by hand rather than through serde so the file keeps its explanatory header
//! and a stable, reviewable layout; every value is escaped as a TOML basic string.

use std::fmt::Write as _;

use crate::parties::{DevPerson, PERSONS};

const HEADER: &str = "\
# Person registry of the DEVELOPMENT hub, written by `certs-dev init` from its built-in
# demo persons. DEVELOPMENT ONLY: every name here is invented.
#
# This file is the hub's own registry. A person certificate proves only who someone is
# (UID = `id`) and for which party (serialNumber = the party's OIN); the roles and the
# stadsdeel that the covenant (art. 5.2, 5.3) turns on come only from here, never from
# a certificate, so a certificate alone grants no role. `party` must equal the OIN in
# the person's certificate.
#
# Each [[person]] has: id, name, party (OIN), roles, and stadsdeel where the role has one.
";

/// The full text of `persons.toml` for [`PERSONS`].
pub(crate) fn render() -> String {
    render_persons(PERSONS)
}

fn render_persons(persons: &[DevPerson]) -> String {
    let mut out = String::from(HEADER);
    for person in persons {
        let oin = person.party().map_or("", |p| p.oin);
        let roles: Vec<String> = person.roles.iter().map(|r| basic_string(r)).collect();
        // Writing to a String cannot fail; `let _` keeps that explicit.
        let _ = write!(
            out,
            "\n[[person]]\nid = {}\nname = {}\nparty = {}\nroles = [{}]\n",
            basic_string(person.id),
            basic_string(person.name),
            basic_string(oin),
            roles.join(", "),
        );
        if let Some(stadsdeel) = person.stadsdeel {
            let _ = writeln!(out, "stadsdeel = {}", basic_string(stadsdeel));
        }
    }
    out
}

/// `value` as a TOML basic string (double quotes, backslash escapes).
fn basic_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_strings_escape_quotes_backslashes_and_controls() {
        assert_eq!(basic_string("plain"), r#""plain""#);
        assert_eq!(basic_string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(basic_string("a\nb\u{1}"), r#""a\nb\u0001""#);
    }

    #[test]
    fn render_writes_the_documented_shape() {
        let text = render();
        assert!(text.starts_with("# Person registry"));
        assert!(text.contains(
            "[[person]]\nid = \"p-gemeente-001\"\nname = \"Anna Testpersoon\"\n\
             party = \"00000001000000000001\"\nroles = [\"informatiemakelaar\"]\n\
             stadsdeel = \"oost\"\n"
        ));
        assert_eq!(text.matches("\n[[person]]\n").count(), PERSONS.len());
    }
}
