//! The covenant language: parse, and when it parses, format it again.
fn main() {
    let data = treiter_fuzz::input();
    let text = String::from_utf8_lossy(&data);
    if treiter_policies::Covenant::parse("fuzz", &text).is_ok() {
        let _ = treiter_policies::fmt::format(&text);
    }
}
