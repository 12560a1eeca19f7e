//! The hub's person registry (`persons.toml`), against the parties of the covenant in
//! Body: `treiter_fuzz::targets::person_registry`; AFL++ runs it in persistent mode.
fn main() {
    treiter_fuzz::targets::warm_up();
    afl::fuzz!(|data: &[u8]| treiter_fuzz::targets::person_registry(data));
}
