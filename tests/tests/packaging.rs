//! The packaging works as written: each systemd unit runs as the user its sysusers.d
//! file creates; every path the example configuration lets the service write lies in
//! the unit's `StateDirectory` (the units set `ProtectSystem=strict`, which makes the
//! rest of the file system, `/etc` included, read-only); the README and the unit name
//! the same files; container builds leave build output and keys out; and hubctl's
//! README says how to install it on a workstation, Windows included.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_path_buf()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The value of `Key=` in a unit file (the first one).
fn unit_value<'a>(unit: &'a str, key: &str) -> Option<&'a str> {
    unit.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .map(str::trim)
}

/// The absolute paths of the settings named `keys` in a TOML example, whether set or
/// shown commented out (`# key = "/…"`): a reader uncomments them as they are.
fn paths_of(example: &str, keys: &[&str]) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for line in example.lines() {
        let line = line.trim_start_matches(['#', ' ']);
        let Some((key, value)) = line.split_once(" = ") else {
            continue;
        };
        let value = value.trim();
        if keys.contains(&key.trim())
            && let Some(path) = value.strip_prefix('"').and_then(|v| v.split('"').next())
            && path.starts_with('/')
        {
            found.push((key.trim().to_owned(), path.to_owned()));
        }
    }
    found
}

struct Service {
    unit: &'static str,
    sysusers: &'static str,
    example: &'static str,
    readme: &'static str,
    /// The settings whose files or directories the service creates or writes.
    writable: &'static [&'static str],
}

const SERVICES: [Service; 2] = [
    Service {
        unit: "hub/packaging/hub.service",
        sysusers: "hub/packaging/sysusers.d/treiter-hub.conf",
        example: "hub/etc/hub.example.toml",
        readme: "hub/README.md",
        writable: &["data_dir", "keys_dir", "log_key"],
    },
    Service {
        unit: "node-agent/packaging/node-agent.service",
        sysusers: "node-agent/packaging/sysusers.d/treiter-agent.conf",
        example: "node-agent/etc/node-agent.example.toml",
        readme: "node-agent/README.md",
        writable: &["receipts", "covenant_state", "key_file", "state", "dir"],
    },
];

#[test]
fn each_unit_runs_as_the_user_its_sysusers_file_creates() {
    for service in &SERVICES {
        let unit = read(service.unit);
        let sysusers = read(service.sysusers);
        let user = unit_value(&unit, "User").expect("User=");
        let state = unit_value(&unit, "StateDirectory").expect("StateDirectory=");
        let created: Vec<Vec<&str>> = sysusers
            .lines()
            .filter(|l| l.starts_with("u "))
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(created.len(), 1, "{}: one user", service.sysusers);
        assert_eq!(created[0][1], user, "{} creates {user}", service.sysusers);
        assert!(
            sysusers.contains(&format!("/var/lib/{state}")),
            "{}: the user's home is its state directory",
            service.sysusers
        );
        // The install steps create the user before anything is chowned to it.
        let install = unit
            .find(&format!("install -m 0644 {}", service.sysusers))
            .unwrap_or_else(|| panic!("{} installs {}", service.unit, service.sysusers));
        let sysusers_run = unit.find("systemd-sysusers").expect("systemd-sysusers");
        let first_owner = unit
            .find(&format!("-g {user}"))
            .expect("a file for the user");
        assert!(
            install < sysusers_run && sysusers_run < first_owner,
            "{}",
            service.unit
        );
        // The README points at the sysusers file.
        let readme = read(service.readme);
        let relative = service
            .sysusers
            .split_once('/')
            .map(|(_, rest)| rest)
            .expect("crate-relative");
        assert!(
            readme.contains(&format!("]({relative})")),
            "{} links {relative}",
            service.readme
        );
    }
}

#[test]
fn what_a_service_writes_is_in_its_state_directory_under_protect_system_strict() {
    for service in &SERVICES {
        let unit = read(service.unit);
        assert_eq!(
            unit_value(&unit, "ProtectSystem"),
            Some("strict"),
            "{}",
            service.unit
        );
        let state = format!(
            "/var/lib/{}/",
            unit_value(&unit, "StateDirectory").expect("StateDirectory=")
        );
        let example = read(service.example);
        let written = paths_of(&example, service.writable);
        assert!(!written.is_empty(), "{}: no writable path", service.example);
        for (key, path) in written {
            assert!(
                path.starts_with(&state),
                "{}: {key} = \"{path}\" is outside {state}: with ProtectSystem=strict in {} the service cannot write it",
                service.example,
                service.unit
            );
        }
        // The configuration the unit starts with is the one its README shows.
        let exec = unit_value(&unit, "ExecStart").expect("ExecStart=");
        let config = exec
            .split_whitespace()
            .skip_while(|w| *w != "--config")
            .nth(1)
            .expect("--config FILE");
        assert!(config.starts_with("/etc/"), "{config}");
        let check = unit_value(&unit, "ExecStartPre").expect("check-config before start");
        assert!(
            check.contains("check-config") && check.contains(config),
            "{check}"
        );
        let readme = read(service.readme);
        let config_dir = Path::new(config).parent().expect("a directory");
        assert!(
            readme.contains(&config_dir.display().to_string()),
            "{} names {}",
            service.readme,
            config_dir.display()
        );
    }
}

#[test]
fn the_hub_example_keeps_data_keys_and_log_key_apart_in_the_state_directory() {
    let config = treiter_hub::config::HubConfig::parse(
        &read("hub/etc/hub.example.toml"),
        Path::new("/etc/treiter-hub"),
    )
    .expect("the example parses");
    for (what, path) in [("keys_dir", &config.keys_dir), ("log_key", &config.log_key)] {
        assert!(
            !path.starts_with(&config.data_dir),
            "{what} {} is inside data_dir {}",
            path.display(),
            config.data_dir.display()
        );
    }
}

#[test]
fn container_builds_leave_build_output_and_keys_out() {
    let containerignore = read(".containerignore");
    let dockerignore = read(".dockerignore");
    assert_eq!(containerignore, dockerignore, "the two files are the same");
    let lines: Vec<&str> = containerignore
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect();
    for needed in ["target/", "demo-run/", "**/*.key", "**/*.p12", "**/*.pfx"] {
        assert!(lines.contains(&needed), ".containerignore lacks {needed}");
    }
    // The demo writes its keys where the ignore file expects them.
    let demo = read("scripts/demo.sh");
    assert!(
        demo.contains("demo-run"),
        "scripts/demo.sh runs in demo-run/"
    );
    // The Containerfile builds from the workspace root, where the ignore file is.
    let containerfile = read("node-agent/packaging/Containerfile");
    assert!(containerfile.contains("COPY . ."), "{containerfile}");
}

#[test]
fn hubctl_readme_says_how_to_install_it_on_a_workstation() {
    let readme = read("hubctl/README.md");
    assert!(readme.contains("cargo install --locked --path hubctl"));
    for windows in ["Windows", "MSVC", "Build Tools", ".pfx"] {
        assert!(readme.contains(windows), "hubctl/README.md lacks {windows}");
    }
    // The path it installs from is the crate.
    assert!(root().join("hubctl/Cargo.toml").exists());
}

/// The features cargo turns on for `treiter-hub` when it builds `package`'s normal
/// targets (`cargo tree -e features,normal`), one line per feature.
fn hub_features_when_building(package: &str, edges: &str) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = std::process::Command::new(cargo)
        .current_dir(root())
        .args(["tree", "--locked", "--offline", "--prefix", "none"])
        .args(["-p", package, "-e", edges, "-i", "treiter-hub"])
        .output()
        .expect("run cargo tree");
    assert!(
        out.status.success(),
        "cargo tree -p {package}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The decision log's fault-injection switch is in the hubs the end-to-end tests run
/// (they flip it to prove the hub fails closed), and not in the hub built for use
/// (`cargo build -p treiter-hub`), where nothing could be allowed to flip it.
#[test]
fn the_log_fault_switch_is_in_test_builds_only() {
    const FEATURE: &str = "treiter-hub feature \"fault-injection\"";
    let tested = hub_features_when_building("treiter-tests", "features");
    assert!(tested.contains(FEATURE), "{tested}");
    let built = hub_features_when_building("treiter-hub", "features,normal,build");
    assert!(built.contains("treiter-hub v"), "{built}");
    assert!(!built.contains(FEATURE), "{built}");
}

// Issue 22 (disk faults, power cuts): the agent's inbox sync switch.

/// The inbox's sync switch with its power-loss ledger (`fault-injection`) is in the
/// agents the end-to-end tests run, and not in the agent built for use (`cargo build
/// -p treiter-node-agent`).
#[test]
fn the_inbox_sync_switch_is_in_test_builds_only() {
    const FEATURE: &str = "treiter-node-agent feature \"fault-injection\"";
    let features = |package: &str, edges: &str| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let out = std::process::Command::new(cargo)
            .current_dir(root())
            .args(["tree", "--locked", "--offline", "--prefix", "none"])
            .args(["-p", package, "-e", edges, "-i", "treiter-node-agent"])
            .output()
            .expect("run cargo tree");
        assert!(
            out.status.success(),
            "cargo tree -p {package}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let tested = features("treiter-tests", "features");
    assert!(tested.contains(FEATURE), "{tested}");
    let built = features("treiter-node-agent", "features,normal,build");
    assert!(built.contains("treiter-node-agent v"), "{built}");
    assert!(!built.contains(FEATURE), "{built}");
}
