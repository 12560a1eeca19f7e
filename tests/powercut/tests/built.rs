//! Present so that `cargo test --workspace` builds the shim's library (cargo builds a
//! package's library for its integration tests, and only then): the reliability tests
//! preload `target/<profile>/deps/libtreiter_powercut.so` into the processes they cut.

#[test]
fn the_shim_library_is_built_beside_the_test_binaries() {
    let exe = std::env::current_exe().expect("current exe");
    let deps = exe.parent().expect("target/<profile>/deps/<test>");
    assert!(deps.join("libtreiter_powercut.so").exists());
}
