//! The node agent's JSON record exports (`<category>/<pseudonym>.json`); no error
//! may quote a value of the file.
//! Body: `treiter_fuzz::targets::agent_json_export`; AFL++ runs it in persistent mode.
fn main() {
    treiter_fuzz::targets::warm_up();
    afl::fuzz!(|data: &[u8]| treiter_fuzz::targets::agent_json_export(data));
}
