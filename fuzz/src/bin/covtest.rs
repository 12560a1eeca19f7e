//! `.covtest` files: parse, and when they parse, run them against the real covenant.
fn main() {
    let data = treiter_fuzz::input();
    let text = String::from_utf8_lossy(&data);
    if let Ok(tests) = treiter_policies::covtest::parse_tests("fuzz.covtest", &text)
        && let Ok(covenant) =
            treiter_policies::Covenant::parse("covenant", treiter_policies::TREITERAANPAK_COVENANT)
    {
        let _ = treiter_policies::covtest::run(&covenant, &tests);
    }
}
