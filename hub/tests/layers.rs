//! The hub's layers, checked on its source: gRPC (tonic) only at the edge, and the
//! domain never reaching up into the gRPC handlers (issue 19).

use std::path::{Path, PathBuf};

/// Where tonic may be named: the handlers and their error mapping, the server, the TLS
/// peer identity of a request, the listener tonic serves connections from, and the
/// agent link's stream item.
const TONIC_ALLOWED: &[&str] = &[
    "service/",
    "server.rs",
    "tls.rs",
    "listener.rs",
    "agents.rs",
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read hub/src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every source file of the hub, relative to `hub/src`, with its text.
fn hub_sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("read source");
            let relative = path
                .strip_prefix(&root)
                .expect("under src")
                .to_string_lossy()
                .replace('\\', "/");
            (relative, text)
        })
        .collect()
}

#[test]
fn tonic_is_named_only_at_the_edge() {
    let mut leaks = Vec::new();
    for (file, text) in hub_sources() {
        if TONIC_ALLOWED.iter().any(|a| file.starts_with(a)) {
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            if code.contains("tonic::") {
                leaks.push(format!("hub/src/{file}:{}: {code}", n + 1));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "domain code names tonic; return a crate::error::HubError and map it in \
         service::error instead:\n{}",
        leaks.join("\n")
    );
}

#[test]
fn the_domain_does_not_reach_into_the_grpc_handlers() {
    let mut upward = Vec::new();
    for (file, text) in hub_sources() {
        // The handlers, the server that mounts them and the crate map may name them.
        if ["service/", "server.rs", "lib.rs"]
            .iter()
            .any(|a| file.starts_with(a))
        {
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            if code.contains("crate::service") {
                upward.push(format!("hub/src/{file}:{}: {code}", n + 1));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "domain code imports from service/ (the gRPC handlers), which call into it:\n{}",
        upward.join("\n")
    );
}
