//! Checkpoint notes (C2SP signed note): open against a fixed log key and a witness key.
//! Body: `treiter_fuzz::targets::checkpoint_note`; AFL++ runs it in persistent mode.
fn main() {
    treiter_fuzz::targets::warm_up();
    afl::fuzz!(|data: &[u8]| treiter_fuzz::targets::checkpoint_note(data));
}
