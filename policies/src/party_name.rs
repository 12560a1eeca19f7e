//! Finding the party a person named: by its name as annex A writes it, part of that
//! name, or its kind. One rule for every tool, so that a covenant test, `hubctl` and
//! the web console read "De Gracht" alike.
//!
//! Names are compared folded ([`fold`]): letters and digits only, lowercased, so that
//! "de gracht", "De-Gracht" and "DeGracht" name the same party.

/// A name reduced to its lowercase letters and digits.
pub fn fold(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Picks the party `text` names among `known`: the one whose name is `text` (folded),
/// else the only party whose kind is `text`, else the only one whose name contains
/// `text` (folded). Otherwise the candidates: several (ambiguous), or none.
///
/// `name` and `kind` read a party's name and kind word, so that the rule serves the
/// covenant's own [`crate::Party`] as well as the wire's.
pub fn pick<'a, P>(
    known: &'a [P],
    text: &str,
    name: impl Fn(&P) -> &str,
    kind: impl Fn(&P) -> &str,
) -> Result<&'a P, Vec<&'a P>> {
    let q = fold(text);
    let exact: Vec<&P> = known.iter().filter(|p| fold(name(p)) == q).collect();
    if let [one] = exact.as_slice() {
        return Ok(one);
    }
    let of_kind: Vec<&P> = known.iter().filter(|p| kind(p) == text.trim()).collect();
    if let [one] = of_kind.as_slice() {
        return Ok(one);
    }
    let part: Vec<&P> = if q.is_empty() {
        Vec::new()
    } else {
        known
            .iter()
            .filter(|p| fold(name(p)).contains(&q))
            .collect()
    };
    match part.as_slice() {
        [one] => Ok(one),
        [] if of_kind.len() > 1 => Err(of_kind),
        _ => Err(part),
    }
}

/// The name among `names` that `text` most likely meant, for "did you mean": a name
/// within a typo or two of it (folded), else the only name that holds every word of
/// `text`, each word as written or with a typo ("Politie Amsterdm" for "Politie
/// Eenheid Amsterdam").
pub fn closest<'a>(text: &str, names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let q = fold(text);
    let names: Vec<(&str, String)> = names.into_iter().map(|n| (n, fold(n))).collect();
    if let Some(folded) = crate::vocab::closest(&q, names.iter().map(|(_, f)| f.as_str())) {
        return names.iter().find(|(_, f)| f == folded).map(|(n, _)| *n);
    }
    let words: Vec<String> = text
        .split_whitespace()
        .map(fold)
        .filter(|w| !w.is_empty() && crate::vocab::worth_suggesting(w))
        .collect();
    if words.is_empty() {
        return None;
    }
    let holds_every_word = |name: &str| {
        let own: Vec<String> = name.split_whitespace().map(fold).collect();
        words.iter().all(|w| {
            own.iter().any(|o| {
                o == w || crate::vocab::edit_distance(w, o) <= (o.chars().count() / 4).max(1)
            })
        })
    };
    let mut found = names.iter().filter(|(n, _)| holds_every_word(n));
    match (found.next(), found.next()) {
        (Some((n, _)), None) => Some(n),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Covenant, Party};

    fn parties() -> Vec<Party> {
        Covenant::parse("t", crate::TREITERAANPAK_COVENANT)
            .unwrap()
            .parties()
            .to_vec()
    }

    fn oin<'a>(known: &'a [Party], text: &str) -> Result<&'a str, usize> {
        pick(known, text, |p| &p.name, |p| p.kind.as_str())
            .map(|p| p.oin.as_str())
            .map_err(|several| several.len())
    }

    #[test]
    fn a_party_is_found_by_its_name_part_of_it_or_its_kind() {
        let known = parties();
        assert_eq!(oin(&known, "politie"), Ok("00000002000000000002"));
        assert_eq!(
            oin(&known, "Politie Eenheid Amsterdam"),
            Ok("00000002000000000002")
        );
        assert_eq!(oin(&known, "om"), Ok("00000003000000000003"));
        assert_eq!(oin(&known, "De Gracht"), Ok("00000004000000000004"));
        assert_eq!(oin(&known, "degracht"), Ok("00000004000000000004"));
        assert_eq!(oin(&known, "lieflijkwonen"), Ok("00000004000000000005"));
        // Ambiguous: two woningcorporaties; every party in Amsterdam.
        assert_eq!(oin(&known, "woningcorporatie"), Err(2));
        assert_eq!(oin(&known, "amsterdam"), Err(4));
        assert_eq!(oin(&known, "zorgverzekeraar"), Err(0));
    }

    #[test]
    fn a_misspelt_name_gets_the_closest() {
        let known = parties();
        assert_eq!(
            closest(
                "Stichting Liefljk Wonen",
                known.iter().map(|p| p.name.as_str())
            ),
            Some("Stichting Lieflijk Wonen")
        );
        assert_eq!(
            closest("Rijkswaterstaat", known.iter().map(|p| p.name.as_str())),
            None
        );
    }
}
