//! The node agent's configuration file (TOML).
//! Body: `treiter_fuzz::targets::agent_config`; AFL++ runs it in persistent mode.
fn main() {
    treiter_fuzz::targets::warm_up();
    afl::fuzz!(|data: &[u8]| treiter_fuzz::targets::agent_config(data));
}
