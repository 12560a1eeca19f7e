//! Checkpoint notes (C2SP signed note): open against a fixed log key and a witness key.
use treiter_translog::checkpoint::{NoteVerifier, open_checkpoint};

const ORIGIN: &str = "hub.treiter.test/log";

fn main() {
    let data = treiter_fuzz::input();
    let verifiers = [
        NoteVerifier::new(ORIGIN, [7; 32]),
        NoteVerifier::new("witness.treiter.test", [9; 32]),
    ];
    let verifiers: Vec<NoteVerifier> = verifiers.into_iter().flatten().collect();
    let _ = open_checkpoint(ORIGIN, &verifiers, &data);
    if let Ok(text) = std::str::from_utf8(&data) {
        let _ = NoteVerifier::parse(text);
    }
}
