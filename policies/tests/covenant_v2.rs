//! policies/treiteraanpak.v2.covenant: version 1 with article 5.5, the auditor
//! (docs/COVENANT.md, "Amendment 1"), and nothing else: it validates without warnings,
//! declares the role, shares nothing with it, and changes no other line.

use treiter_policies::vocab::Role;
use treiter_policies::{Covenant, TREITERAANPAK_COVENANT};

const V2: &str = include_str!("../treiteraanpak.v2.covenant");

fn parse(name: &str, text: &str) -> Covenant {
    match Covenant::parse(name, text) {
        Ok(c) => c,
        Err(d) => panic!("{d}"),
    }
}

#[test]
fn version_2_adds_the_auditor_and_nothing_else() {
    let v1 = parse("treiteraanpak.covenant", TREITERAANPAK_COVENANT);
    let v2 = parse("treiteraanpak.v2.covenant", V2);
    assert!(v2.warnings().is_empty(), "{:?}", v2.warnings());
    assert_eq!(v2.version(), 2);
    assert!(!v1.declares_role(Role::Auditor));
    assert!(v2.declares_role(Role::Auditor));
    for role in [
        Role::Informatiemakelaar,
        Role::Stadsdeelregisseur,
        Role::StedelijkRegisseur,
        Role::Partnercontact,
        Role::PrivacyOfficer,
    ] {
        assert!(v1.declares_role(role) && v2.declares_role(role), "{role}");
    }
    // Rules: v1's lines, except the ones the amendment names, are all in v2.
    let rules = |text: &'static str| -> Vec<&'static str> {
        text.lines()
            .filter(|l| l.starts_with("art. ") || l.starts_with("article "))
            .collect()
    };
    let (old, new) = (rules(TREITERAANPAK_COVENANT), rules(V2));
    let removed: Vec<_> = old.iter().filter(|l| !new.contains(l)).collect();
    let added: Vec<_> = new.iter().filter(|l| !old.contains(l)).collect();
    assert_eq!(
        removed,
        [
            &"article 5 \"Recipients and need-to-know\", paragraphs 5.1 to 5.4",
            &"art. 5.2  roles are informatiemakelaar, stadsdeelregisseur, stedelijk-regisseur, partnercontact and privacy-officer",
        ]
    );
    assert_eq!(added.len(), 5, "{added:#?}");
    assert!(
        added.iter().skip(2).all(|l| l.starts_with("art. 5.5 ")),
        "{added:#?}"
    );
    assert!(added.contains(&&"art. 5.5  nothing is shared with an auditor"));
}
