//! `hubctl`: parses the command line, runs the command, prints an error once and exits
//! with its code (`hubctl --help` lists them).
#![forbid(unsafe_code)]

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;
use treiter_hubctl::{Cli, Error, Exit};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() && holds_identifying_data() => {
            // clap quotes the offending token, which here may be part of a name or an
            // address (an unquoted "--name Jan Jansen"): say what is wrong, not what.
            let _ = writeln!(
                std::io::stderr(),
                "hubctl: {} (details not shown: the command line holds identifying data); quote each value, or use --stdin; see `hubctl subject add --help`",
                e.kind().as_str().unwrap_or("the command line is wrong")
            );
            return ExitCode::from(Exit::Usage as u8);
        }
        Err(e) => {
            // Help and version go to stdout with 0; usage errors to stderr with 2.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(Exit::Usage as u8));
        }
    };
    let json = cli.json;
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Command(Error::Output(e))) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(Failure::Command(e)) => {
            let mut stderr = std::io::stderr().lock();
            if json {
                let _ = writeln!(stderr, "{}", e.to_json());
            } else {
                let _ = writeln!(stderr, "hubctl: {e}");
            }
            ExitCode::from(e.exit() as u8)
        }
        Err(Failure::Runtime(e)) => {
            let _ = writeln!(
                std::io::stderr(),
                "hubctl: {}",
                treiter_proto::text::error_chain(e.as_ref())
            );
            ExitCode::from(Exit::Other as u8)
        }
    }
}

/// Whether the command line carries identifying data for `subject add`.
fn holds_identifying_data() -> bool {
    std::env::args_os().any(|a| {
        a.to_str().is_some_and(|a| {
            ["--name", "--birth-date", "--postcode", "--house-number"]
                .iter()
                .any(|flag| a == *flag || a.starts_with(&format!("{flag}=")))
        })
    })
}

enum Failure {
    Command(Error),
    Runtime(anyhow::Error),
}

fn run(cli: Cli) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
        .map_err(Failure::Runtime)?;
    let now = time::OffsetDateTime::now_utc();
    let mut stdout = std::io::stdout().lock();
    let mut stdin = std::io::stdin().lock();
    runtime
        .block_on(treiter_hubctl::run(cli, now, &mut stdout, &mut stdin))
        .map_err(Failure::Command)
}
