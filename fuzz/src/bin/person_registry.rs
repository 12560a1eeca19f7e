//! The hub's person registry (`persons.toml`), against the parties of the covenant in
//! the repository.
use std::path::Path;

use treiter_hub::parties::PartyDirectory;
use treiter_hub::persons::PersonRegistry;

const COVENANT: &str = include_str!("../../../policies/treiteraanpak.covenant");

fn main() {
    let data = treiter_fuzz::input();
    let Ok(covenant) = treiter_policies::Covenant::parse("treiteraanpak.covenant", COVENANT) else {
        return;
    };
    let Ok(parties) = PartyDirectory::from_covenant(&covenant) else {
        return;
    };
    let text = String::from_utf8_lossy(&data);
    let _ = PersonRegistry::parse(Path::new("persons.toml"), &text, &parties);
}
