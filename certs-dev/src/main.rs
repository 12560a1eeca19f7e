//! `certs-dev`: writes or lists a DEVELOPMENT PKI for the Treiteraanpak hub.
#![forbid(unsafe_code)]

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use treiter_certs_dev::inspect::{self, Entry};
use treiter_certs_dev::{Options, PARTIES, PERSONS, TestCert};

/// Writes a DEVELOPMENT-ONLY PKI for the Treiteraanpak hub: root CA, party, person and
/// hub certificates, a CRL and the hub's demo person registry.
///
/// The keys are unencrypted files and the CA is made up on the spot: never use this
/// output outside development and tests.
#[derive(Debug, Parser)]
#[command(name = "certs-dev", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write a new development PKI into a directory (DEVELOPMENT ONLY).
    ///
    /// Refuses if the directory already holds one (ca/root.key), unless --force is given.
    Init {
        /// Directory to write the PKI into; created if missing.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Also write the broken certificates under test/ (expired, not-yet-valid,
        /// wrong-ca, revoked, malformed-oin, unknown-oin, no-oin, no-client-auth,
        /// no-digital-signature, weak-rsa) and revoke one in the CRL.
        #[arg(long)]
        test_certs: bool,
        /// Replace an existing PKI in DIR: removes its ca/, hub/, parties/, persons/,
        /// test/ and persons.toml first, and nothing else.
        #[arg(long)]
        force: bool,
    },
    /// List each certificate and CRL of a PKI with its subject, validity and serial.
    List {
        /// Directory that `certs-dev init` wrote.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // Output piped into `head` that stops reading is not a failure (as in ripgrep).
        Err(err)
            if err
                .downcast_ref::<io::Error>()
                .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(err) => {
            // `{:#}` prints the whole cause chain on one line, path first.
            eprintln!("certs-dev: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    match cli.command {
        Command::Init {
            out: dir,
            test_certs,
            force,
        } => init(&mut out, &dir, test_certs, force),
        Command::List { dir } => list(&mut out, &dir),
    }
}

fn init(out: &mut impl Write, dir: &Path, test_certs: bool, force: bool) -> anyhow::Result<()> {
    let opts = Options {
        test_certs,
        now: OffsetDateTime::now_utc(),
        force,
    };
    let layout = treiter_certs_dev::generate(dir, &opts)
        .with_context(|| format!("cannot write a development PKI to {}", dir.display()))?;
    let root = layout.root();
    writeln!(out, "wrote a DEVELOPMENT-ONLY PKI to {}", root.display())?;
    writeln!(out, "  root CA:   {}", layout.ca_cert().display())?;
    writeln!(out, "  CRL:       {}", layout.ca_crl().display())?;
    writeln!(out, "  hub:       {}", layout.hub_cert().display())?;
    writeln!(
        out,
        "  parties:   {} organisation certificates in {}",
        PARTIES.len(),
        root.join("parties").display()
    )?;
    writeln!(
        out,
        "  persons:   {} person certificates in {}",
        PERSONS.len(),
        root.join("persons").display()
    )?;
    writeln!(out, "  registry:  {}", layout.registry().display())?;
    if test_certs {
        writeln!(
            out,
            "  test:      {} broken certificates in {}",
            TestCert::ALL.len(),
            root.join("test").display()
        )?;
    }
    writeln!(
        out,
        "the keys are unencrypted and the CA is made up: never use them outside development"
    )?;
    Ok(())
}

fn list(out: &mut impl Write, dir: &Path) -> anyhow::Result<()> {
    let entries =
        inspect::list(dir).with_context(|| format!("cannot list the PKI in {}", dir.display()))?;
    if entries.is_empty() {
        writeln!(out, "no certificates in {}", dir.display())?;
    }
    for entry in entries {
        match entry {
            Entry::Certificate(cert) => {
                let s = &cert.subject;
                let field = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_owned());
                writeln!(out, "{}", cert.path.display())?;
                writeln!(
                    out,
                    "  subject:  O={} CN={} OIN={} UID={} C={}",
                    field(&s.organisation),
                    field(&s.common_name),
                    field(&s.oin),
                    field(&s.uid),
                    field(&s.country),
                )?;
                writeln!(out, "  issuer:   {}", cert.issuer)?;
                writeln!(
                    out,
                    "  valid:    {} .. {}",
                    timestamp(cert.not_before),
                    timestamp(cert.not_after)
                )?;
                writeln!(out, "  serial:   {}", cert.serial)?;
            }
            Entry::Crl(crl) => {
                writeln!(out, "{} (CRL)", crl.path.display())?;
                writeln!(out, "  issuer:   {}", crl.issuer)?;
                writeln!(
                    out,
                    "  updated:  {}, next {}",
                    timestamp(crl.this_update),
                    crl.next_update.map_or_else(|| "-".to_owned(), timestamp)
                )?;
                if crl.revoked.is_empty() {
                    writeln!(out, "  revoked:  none")?;
                }
                for serial in &crl.revoked {
                    writeln!(out, "  revoked:  {serial}")?;
                }
            }
        }
    }
    Ok(())
}

fn timestamp(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}
