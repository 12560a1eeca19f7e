//! `.covtest` files: parse, and when they parse, run them against the real covenant.
//! Body: `treiter_fuzz::targets::covtest`; AFL++ runs it in persistent mode.
fn main() {
    treiter_fuzz::targets::warm_up();
    afl::fuzz!(|data: &[u8]| treiter_fuzz::targets::covtest(data));
}
