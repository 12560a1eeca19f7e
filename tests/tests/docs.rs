//! Every file the documentation points to is in the repository: what the READMEs and
//! `docs/` name, what the comments in the source name, and what the `--help` of every
//! binary (and of each of its subcommands) names. A reader who follows a pointer must
//! find the file, whether they read it on GitHub, in a terminal, or in the code.
//!
//! What counts as a pointer:
//! - a markdown link target, `[text](target)`, that is not a URL or an anchor;
//! - any word that names a `.md` file (`docs/COVENANT.md`, `README.md`);
//! - any path whose first part is a top-level entry of the repository
//!   (`policies/treiteraanpak.covenant`, `node-agent/etc/`, `scripts/demo.sh`).
//!
//! A pointer resolves against the directory of the file that holds it or any directory
//! above it, up to the repository root (so a crate's README may name its files
//! relative to the crate, and a comment relative to the repository); the `--help`
//! texts resolve against the root, where the README's commands are run. `<slug>` and
//! `NAME` stand for any name, `*` for any part of one. Not pointers: keys and
//! certificates (`.pem`, `.key`), which are never in the repository but written by a
//! tool, and the file after `--out`, which a command writes.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::workspace_bin;

/// Pointers that are allowed to lead outside the repository, each with its reason.
const OUTSIDE: &[(&str, &str, &str)] = &[
    (
        "docs/COVENANT.md",
        "../DOMAIN.md",
        "the covenant text, quoted verbatim, names the description of the approach it was \
         modelled on; its header says that this is not part of the repository",
    ),
    (
        "",
        "tests/properties.proptest-regressions",
        "proptest writes it when a property fails, to replay that case first",
    ),
    (
        "",
        "fuzz/out",
        "fuzz/run.sh makes it: AFL++'s output directory, ignored by git",
    ),
    (
        "",
        "fuzz/out/<target>/",
        "fuzz/run.sh makes it: AFL++'s findings of a target (crashes, corpus)",
    ),
    (
        "",
        "fuzz/out/<target>/default/",
        "fuzz/run.sh makes it: AFL++'s findings of a target (crashes, hangs)",
    ),
    (
        "fuzz/README.md",
        "fuzz/target/",
        "the fuzz workspace's own build output, made by fuzz/run.sh",
    ),
];

/// Directories that hold no documentation of the repository: build output, the demo's
/// run directory, git.
fn skipped_dir(name: &str) -> bool {
    name == ".git" || name == "demo-run" || name.starts_with("target")
}

/// afl-fuzz's output (`fuzz/out`, made by fuzz/run.sh and ignored by git): its queue
/// holds mutated inputs, whose text only looks like pointers. `.ci/run` fuzzes after
/// the tests, so this matters in a working copy where it ran before.
fn fuzz_output(dir: &Path) -> bool {
    dir.ends_with("fuzz/out")
}

/// Vendored third-party crates (each directory in `vendor`) are not scanned: their
/// documentation points into their own repositories, and our note beside each (such as
/// `vendor/sled/PATCHED.md`) names only the crate's own files. Pointers from our
/// documentation into the vendored crates are still checked.
fn third_party(dir: &Path) -> bool {
    dir.parent().and_then(Path::file_name) == Some("vendor".as_ref())
}

/// The files whose text (markdown) or comments (code, configuration) are scanned.
fn scanned_kind(path: &Path) -> Option<Kind> {
    let name = path.file_name()?.to_str()?;
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext {
        "md" => Some(Kind::Markdown),
        "rs" | "proto" => Some(Kind::SlashComments),
        "toml" | "sh" | "service" | "covenant" | "covtest" => Some(Kind::HashComments),
        _ if name == "Containerfile" => Some(Kind::HashComments),
        _ if path.parent().and_then(Path::file_name) == Some(".ci".as_ref()) => {
            Some(Kind::HashComments)
        }
        _ => None,
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Markdown,
    SlashComments,
    HashComments,
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read a directory of the repository")
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !skipped_dir(&name) && !third_party(&path) && !fuzz_output(&path) {
                files(&path, out);
            }
        } else if scanned_kind(&path).is_some() {
            out.push(path);
        }
    }
}

/// The part of a file a reader takes for documentation: all of a markdown file, the
/// comments of anything else.
fn documentation(kind: Kind, text: &str) -> String {
    match kind {
        Kind::Markdown => text.to_owned(),
        Kind::SlashComments => text
            .lines()
            .filter_map(|line| line.find("//").map(|at| &line[at..]))
            .collect::<Vec<_>>()
            .join("\n"),
        Kind::HashComments => text
            .lines()
            .filter_map(|line| line.find('#').map(|at| &line[at..]))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

fn path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '*' | '/' | '<' | '>' | '-')
}

/// The pointers in `text`, as written.
fn pointers(text: &str, markdown: bool, top: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    if markdown {
        for (at, _) in text.match_indices("](") {
            let rest = &text[at + 2..];
            let Some(end) = rest.find(')') else { continue };
            let target = rest[..end].split('#').next().unwrap_or("").trim();
            if !target.is_empty() && !target.contains("://") && !target.starts_with("mailto:") {
                found.push(target.to_owned());
            }
        }
    }
    let mut start = 0;
    for (at, c) in text.char_indices().chain([(text.len(), ' ')]) {
        if path_char(c) {
            continue;
        }
        let (before, word) = (&text[..start], &text[start..at]);
        start = at + c.len_utf8();
        let word = word.trim_end_matches(['.', '>']).trim_start_matches('<');
        if word.is_empty()
            || word.starts_with('/')
            || word.ends_with(".pem")
            || word.ends_with(".key")
            || before.ends_with("--out ")
        {
            continue;
        }
        let first = word.split('/').next().unwrap_or("");
        let names_md = word.ends_with(".md") && word.len() > 3;
        let in_repo = word.contains('/') && top.iter().any(|t| t == first);
        if names_md || in_repo {
            found.push(word.to_owned());
        }
    }
    found
}

/// Whether `name` matches `pattern`, where `*` matches any run of characters.
fn glob_match(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => {
            name.starts_with(head)
                && (0..=name.len() - head.len()).any(|skip| {
                    name.is_char_boundary(head.len() + skip)
                        && glob_match(tail, &name[head.len() + skip..])
                })
        }
    }
}

/// Whether `pointer` names something that exists under `base`.
fn exists_under(base: &Path, pointer: &str) -> bool {
    let mut here = vec![base.to_path_buf()];
    for part in pointer.split('/').filter(|p| !p.is_empty() && *p != ".") {
        let part = placeholder_free(part);
        let mut next = Vec::new();
        for dir in &here {
            if part == ".." {
                next.push(dir.join(".."));
            } else if part.contains('*') {
                if let Ok(entries) = std::fs::read_dir(dir) {
                    next.extend(
                        entries
                            .flatten()
                            .filter(|e| glob_match(&part, &e.file_name().to_string_lossy()))
                            .map(|e| e.path()),
                    );
                }
            } else {
                next.push(dir.join(&part));
            }
        }
        here = next.into_iter().filter(|p| p.exists()).collect();
    }
    !here.is_empty()
}

/// `<slug>.pem` → `*.pem`, `NAME.stderr` → `*.stderr`.
fn placeholder_free(part: &str) -> String {
    let mut out = String::new();
    let mut rest = part;
    while let Some(open) = rest.find('<') {
        out += &rest[..open];
        match rest[open..].find('>') {
            Some(close) => {
                out.push('*');
                rest = &rest[open + close + 1..];
            }
            None => {
                rest = &rest[open..];
                break;
            }
        }
    }
    out += rest;
    out.replace("NAME", "*")
}

/// Whether `pointer`, found in `file`, resolves from the file's directory or above.
fn resolves(root: &Path, file: &Path, pointer: &str) -> bool {
    let mut dir = file.parent();
    while let Some(d) = dir {
        if exists_under(d, pointer) {
            return true;
        }
        if d == root {
            break;
        }
        dir = d.parent();
    }
    false
}

fn allowed_outside(relative: &str, pointer: &str) -> bool {
    OUTSIDE
        .iter()
        .any(|(file, p, _)| (file.is_empty() || *file == relative) && *p == pointer)
}

fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn top_level(root: &Path) -> Vec<String> {
    std::fs::read_dir(root)
        .expect("read the repository root")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !skipped_dir(n))
        .collect()
}

/// The broken pointers of the repository's files, as "file: pointer".
fn broken_in_files(root: &Path) -> Vec<String> {
    let top = top_level(root);
    let mut all = Vec::new();
    files(root, &mut all);
    let mut broken = Vec::new();
    for file in &all {
        let Some(kind) = scanned_kind(file) else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let relative = file
            .strip_prefix(root)
            .unwrap_or(file)
            .to_string_lossy()
            .into_owned();
        let doc = documentation(kind, &text);
        for pointer in pointers(&doc, matches!(kind, Kind::Markdown), &top) {
            if !resolves(root, file, &pointer) && !allowed_outside(&relative, &pointer) {
                broken.push(format!("{relative}: {pointer}"));
            }
        }
    }
    broken.sort();
    broken.dedup();
    broken
}

/// The subcommands a clap `--help` lists under "Commands:", without `help`.
fn subcommands(help: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_commands = false;
    for line in help.lines() {
        if line.trim_end() == "Commands:" {
            in_commands = true;
            continue;
        }
        if in_commands {
            if !line.starts_with("  ") {
                break;
            }
            if let Some(name) = line.split_whitespace().next()
                && line.starts_with("  ")
                && !line.starts_with("   ")
                && name != "help"
            {
                names.push(name.to_owned());
            }
        }
    }
    names
}

/// `bin [path…] --help`, and the same for every subcommand below, as (command, text).
fn help_texts(bin: &Path, path: &mut Vec<String>, out: &mut Vec<(String, String)>) {
    let output = Command::new(bin)
        .args(path.iter())
        .arg("--help")
        .output()
        .expect("run --help");
    assert!(
        output.status.success(),
        "{} {} --help failed",
        bin.display(),
        path.join(" ")
    );
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let name = bin.file_name().unwrap_or_default().to_string_lossy();
    out.push((format!("{name} {}", path.join(" ")), text.clone()));
    for sub in subcommands(&text) {
        path.push(sub);
        help_texts(bin, path, out);
        path.pop();
    }
}

#[test]
fn every_path_the_documentation_names_is_in_the_repository() {
    let root = repository_root();
    let broken = broken_in_files(&root);
    assert!(
        broken.is_empty(),
        "these pointers in the documentation lead to nothing in the repository \
         (add the file, fix the path, or say in docs.rs why it is outside):\n  {}",
        broken.join("\n  ")
    );
}

#[test]
fn every_path_the_binaries_help_names_is_in_the_repository() {
    let root = repository_root();
    let top = top_level(&root);
    let mut broken = Vec::new();
    let mut seen = 0;
    for name in ["covenant", "hub", "hubctl", "node-agent", "certs-dev"] {
        let mut texts = Vec::new();
        help_texts(&workspace_bin(name), &mut Vec::new(), &mut texts);
        seen += texts.len();
        for (command, text) in texts {
            for pointer in pointers(&text, false, &top) {
                if !exists_under(&root, &pointer) && !allowed_outside("", &pointer) {
                    broken.push(format!("{command} --help: {pointer}"));
                }
            }
        }
    }
    // Every binary has subcommands: the walk must have found them.
    assert!(seen > 20, "only {seen} help texts found");
    assert!(
        broken.is_empty(),
        "these pointers in the binaries' --help lead to nothing in the repository:\n  {}",
        broken.join("\n  ")
    );
}

/// The scanner itself: it finds the pointers a reader would follow, and only those.
#[test]
fn the_scanner_finds_pointers_and_resolves_them() {
    let top = vec!["policies".to_owned(), "docs".to_owned()];
    let found = pointers(
        "see docs/COVENANT.md and [the example](etc/x.toml#keys), policies/tests/*.covtest, \
         `DECISION-JSON.md`; not hub.toml, yes/no, https://x.org/a.md, ca/root.pem, \
         --out inzage.md or /etc/a.md.",
        true,
        &top,
    );
    assert_eq!(
        found,
        [
            "etc/x.toml",
            "docs/COVENANT.md",
            "policies/tests/*.covtest",
            "DECISION-JSON.md"
        ]
    );
    let root = repository_root();
    let readme = root.join("policies/README.md");
    assert!(resolves(&root, &readme, "tests/covenant"));
    assert!(resolves(
        &root,
        &readme,
        "policies/tests/covenant/*.covtest"
    ));
    assert!(resolves(&root, &readme, "tests/ui/NAME.stderr"));
    assert!(!resolves(&root, &readme, "shared/covenant/COVENANT.md"));
    assert!(!resolves(&root, &readme, "tests/covenant/*.nothing"));
    assert!(glob_match("p-<slug>", "p-<slug>"));
    assert!(glob_match("*.covtest", "a.covtest"));
    assert!(!glob_match("*.covtest", "a.covtestx"));
}
