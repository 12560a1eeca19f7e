//! The covenant language: parse, and when it parses, format it again.
//! Body: `treiter_fuzz::targets::covenant`; AFL++ runs it in persistent mode.
fn main() {
    treiter_fuzz::targets::warm_up();
    afl::fuzz!(|data: &[u8]| treiter_fuzz::targets::covenant(data));
}
