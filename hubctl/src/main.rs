//! `hubctl`: the hub from a terminal (being built; see issue 12).
#![forbid(unsafe_code)]

fn main() {}
