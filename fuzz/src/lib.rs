//! Shared by the fuzz targets: the input from standard input (AFL++ hands each test case
//! over as the target's stdin).

use std::io::Read;

/// The test case: all of standard input (empty when it cannot be read).
pub fn input() -> Vec<u8> {
    let mut data = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut data);
    data
}
