//! The hub's configuration file (TOML), validated as `hub check-config` does.
//! Body: `treiter_fuzz::targets::hub_config`; AFL++ runs it in persistent mode.
fn main() {
    treiter_fuzz::targets::warm_up();
    afl::fuzz!(|data: &[u8]| treiter_fuzz::targets::hub_config(data));
}
