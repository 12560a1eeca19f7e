//! DECISION-JSON: read one request or many, and decide each with the real covenant.
//! Body: `treiter_fuzz::targets::decision_json`; AFL++ runs it in persistent mode.
fn main() {
    treiter_fuzz::targets::warm_up();
    afl::fuzz!(|data: &[u8]| treiter_fuzz::targets::decision_json(data));
}
