//! `treiter-verify`: checks an evidence bundle of the Treiteraanpak hub's decision log
//! offline and prints its verdict. See the crate's README for the exit codes.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use treiter_translog::checkpoint::NoteVerifier;
use treiter_verify::{ExternalKey, Options, verify};

const EXIT_CODES: &str = "\
Exit codes:
  0  verified, and the hub's key is the one given with --hub-key
  1  the bundle does NOT verify: the file and the reason are printed
  2  wrong use: an unreadable file, or a --hub-key / --witness-key that is no key
  3  verified, but the hub's key was taken from the bundle only (no --hub-key)

Checked, without a network: the archive's form; every file against the manifest's
SHA-256; the hub's key (and, when given, against --hub-key); every checkpoint's hub
signature; every witness cosignature with the witness keys; consistency between the
checkpoints; every entry's leaf hash and inclusion proof; the Dutch summary.";

/// Checks an evidence bundle of the Treiteraanpak hub's decision log, offline.
#[derive(Debug, Parser)]
#[command(name = "treiter-verify", version, after_help = EXIT_CODES)]
struct Cli {
    /// The bundle (a .tar file made by `hubctl evidence`).
    bundle: PathBuf,
    /// The hub's log verifier key as its operator publishes it: the key text
    /// (`<name>+<id>+<base64>`), a file holding it, or its fingerprint
    /// (`sha256:<64 hex>`, the SHA-256 of the public key).
    #[arg(long, value_name = "KEY|FILE")]
    hub_key: Option<String>,
    /// A witness's (party agent's) verifier key as that party gives it: the key text or
    /// a file holding it. Repeat for several.
    #[arg(long, value_name = "KEY|FILE")]
    witness_key: Vec<String>,
    /// The verdict as one JSON object on standard output (`verified`, and either what
    /// was proven or `problem`, `file` and `reason`); the exit codes are the same.
    #[arg(long)]
    json: bool,
}

/// The text of a key given on the command line: the argument, or the file it names.
fn key_argument(arg: &str) -> Result<String, String> {
    let path = std::path::Path::new(arg);
    if !arg.contains('+') && !arg.starts_with("sha256:") && path.exists() {
        return std::fs::read_to_string(path)
            .map(|t| t.trim().to_owned())
            .map_err(|e| format!("cannot read {}: {e}", path.display()));
    }
    Ok(arg.trim().to_owned())
}

fn options(cli: &Cli) -> Result<Options, String> {
    let hub_key = cli
        .hub_key
        .as_deref()
        .map(|a| {
            key_argument(a).and_then(|t| {
                ExternalKey::parse(&t).map_err(|e| format!("--hub-key {}: {e}", a.escape_debug()))
            })
        })
        .transpose()?;
    let witness_keys = cli
        .witness_key
        .iter()
        .map(|a| {
            key_argument(a).and_then(|t| {
                NoteVerifier::parse(&t).map_err(|e| {
                    format!(
                        "--witness-key {}: not a verifier key: {e}",
                        a.escape_debug()
                    )
                })
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(Options {
        hub_key,
        witness_keys,
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let options = match options(&cli) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("treiter-verify: {e}");
            return ExitCode::from(2);
        }
    };
    // hubctl writes at most 10 000 entries (a few MB); anything near this is no bundle.
    const MAX_BUNDLE_BYTES: u64 = 1 << 30;
    if let Some(meta) = std::fs::metadata(&cli.bundle)
        .ok()
        .filter(|m| m.len() > MAX_BUNDLE_BYTES)
    {
        eprintln!(
            "treiter-verify: {} is {} bytes; a bundle is at most {MAX_BUNDLE_BYTES}",
            cli.bundle.display(),
            meta.len()
        );
        return ExitCode::from(2);
    }
    let data = match std::fs::read(&cli.bundle) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("treiter-verify: cannot read {}: {e}", cli.bundle.display());
            return ExitCode::from(2);
        }
    };
    match verify(&data, &options) {
        Ok(verdict) => {
            if cli.json {
                println!("{}", verdict.to_json());
            } else {
                print!("{}", verdict.to_text());
            }
            if verdict.hub_key_confirmed {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(3)
            }
        }
        Err(failure) => {
            if cli.json {
                println!("{}", failure.to_json());
            } else {
                println!("NOT VERIFIED: {failure}");
                println!(
                    "Oordeel: de bundel is NIET echt of niet volledig; zie het bestand en de reden hierboven."
                );
            }
            ExitCode::from(1)
        }
    }
}
