//! `covenant`: the privacy officer's tool for the encoded covenant.
//!
//! Exit codes: 0 success; 1 covenant tests failed, or `fmt --check` found a file not
//! in canonical form; 2 input error (an unreadable file, a malformed request or test
//! file); 3 the covenant file is invalid.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use treiter_policies::covtest::{self, Failure};
use treiter_policies::{Covenant, DecisionRequest, Diagnostics, Requests, diff, explain, fmt};

/// Check, test and query the encoded Convenant Gegevensuitwisseling Treiteraanpak.
#[derive(Debug, Parser)]
#[command(
    name = "covenant",
    version,
    after_help = "The covenant's text, which the encoding policies/treiteraanpak.covenant encodes: \
docs/COVENANT.md; the JSON of requests and decisions: docs/DECISION-JSON.md.\n\n\
Exit status: 0 success; 1 covenant tests failed, or fmt --check found a difference; \
2 input error (unreadable file, malformed request or test file); 3 the covenant file is invalid."
)]
struct Cli {
    /// How to show problems in a covenant or test file.
    #[arg(long, value_enum, global = true, default_value_t = ErrorFormat::Human)]
    error_format: ErrorFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ErrorFormat {
    /// The offending text underlined, with help.
    Human,
    /// One line per problem: file:line:col: level\[code\]: message.
    Plain,
    /// One JSON object per problem, one per line.
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Parse and validate a covenant file; show every error and warning with its line and column.
    Check {
        /// The covenant file, e.g. treiteraanpak.covenant.
        file: PathBuf,
    },
    /// Run covenant tests (.covtest files) against a covenant file.
    ///
    /// A test file with a syntax error fails (its problems are shown with file:line);
    /// the other files still run.
    Test {
        /// The covenant file.
        file: PathBuf,
        /// Test files, or directories whose .covtest files are all run.
        #[arg(required = true)]
        tests: Vec<PathBuf>,
        /// Show only the tests that fail (and the count).
        #[arg(long, short)]
        quiet: bool,
        /// Run only the tests whose name contains this text (case-insensitive).
        #[arg(long, value_name = "TEXT")]
        filter: Option<String>,
    },
    /// Decide requests (JSON, see docs/DECISION-JSON.md): one object or an array, from a file or '-' for stdin.
    ///
    /// Writes one decision per request, as JSON. On any input error nothing is written to
    /// standard output; each error is printed with its JSON path and the exit status is 2.
    Decide {
        /// The covenant file.
        file: PathBuf,
        /// The request file, or '-' for standard input.
        request: String,
    },
    /// Explain in plain words how a request is decided: each rule in order, and why each field passes or is stripped.
    ///
    /// The request is JSON (docs/DECISION-JSON.md), or the lines of a covenant test
    /// (as in a .covtest file, without 'expect'), from a file or given with --covtest.
    #[command(
        after_help = "Example:\n  covenant explain treiteraanpak.covenant --covtest \"case in oost, phase duiding; subject S1 is dader; share politie-incidenten about S1 for duiding; from politie; to an informatiemakelaar of gemeente in oost; fields datum and samenvatting\""
    )]
    Explain {
        /// The covenant file.
        file: PathBuf,
        /// The request file (JSON: one request or an array; or covenant-test lines), or
        /// '-' for standard input.
        #[arg(required_unless_present = "covtest", conflicts_with = "covtest")]
        request: Option<String>,
        /// The request as covenant-test lines, separated by ';' (or line breaks), e.g.
        /// "case in oost, phase duiding; subject S1 is dader; share ... ; from politie; to ...".
        #[arg(long, value_name = "LINES")]
        covtest: Option<String>,
    },
    /// Show what a new version of the covenant changes, for whom.
    Diff {
        /// The covenant in force.
        old: PathBuf,
        /// The proposed version.
        new: PathBuf,
        /// Past requests (JSON array) to replay under both versions.
        #[arg(long)]
        replay: Option<String>,
    },
    /// Print a covenant file in canonical form (or check or rewrite it).
    Fmt {
        /// The covenant file.
        file: PathBuf,
        /// Exit 1 if the file is not in canonical form, instead of printing it.
        #[arg(long, conflicts_with = "write")]
        check: bool,
        /// Rewrite the file in place.
        #[arg(long)]
        write: bool,
    },
}

/// `println!` and `print!` that end the command instead of panicking when standard
/// output fails: a reader that stopped reading (`covenant test ... | head`) ends it
/// with 0, any other write error with [`EXIT_INPUT`].
macro_rules! outln {
    ($($arg:tt)*) => {
        writeln!(std::io::stdout().lock(), $($arg)*).map_err(output_failed)?
    };
}
macro_rules! out {
    ($($arg:tt)*) => {
        write!(std::io::stdout().lock(), $($arg)*).map_err(output_failed)?
    };
}

fn output_failed(e: std::io::Error) -> Exit {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Exit(0)
    } else {
        eprintln!("covenant: cannot write to standard output: {e}");
        Exit(EXIT_INPUT)
    }
}

/// An outcome that ends the command: the message (if any) is already printed.
struct Exit(u8);

const EXIT_FAILED: u8 = 1;
const EXIT_INPUT: u8 = 2;
const EXIT_INVALID: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Exit(code)) => ExitCode::from(code),
    }
}

fn read(path: &str) -> Result<String, Exit> {
    let mut text = String::new();
    let result = if path == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(path).map(|t| text = t)
    };
    result.map(|()| text).map_err(|e| {
        eprintln!("covenant: {path}: {e}");
        Exit(EXIT_INPUT)
    })
}

/// How many problems the human format draws with their source excerpt. Each drawing
/// reads the file up to its line, so a file with thousands of problems (a 1 MiB
/// proposal of typos) took minutes; past the first fifty, the excerpts no longer help.
const MAX_RENDERED: usize = 50;

fn show(d: &Diagnostics, format: ErrorFormat) {
    match format {
        ErrorFormat::Plain => eprint!("{}", d.plain()),
        ErrorFormat::Json => {
            for p in d.problems() {
                let v = serde_json::json!({
                    "file": d.source_name(),
                    "line": p.line,
                    "column": p.column,
                    "level": match p.level { treiter_policies::Level::Error => "error", treiter_policies::Level::Warning => "warning" },
                    "code": p.code,
                    "message": p.message,
                    "help": p.help,
                });
                eprintln!("{v}");
            }
        }
        ErrorFormat::Human => {
            let mut out = String::new();
            let handler = miette::GraphicalReportHandler::new();
            for p in d.problems().iter().take(MAX_RENDERED) {
                out.clear();
                if handler.render_report(&mut out, p).is_ok() {
                    eprintln!("{out}");
                } else {
                    eprintln!("{}", d.plain());
                    return;
                }
            }
            let more = d.problems().len().saturating_sub(MAX_RENDERED);
            if more > 0 {
                eprintln!(
                    "covenant: {more} more problem(s) not shown; --error-format plain lists every one, one line each"
                );
            }
        }
    }
}

fn load(path: &Path, format: ErrorFormat) -> Result<Covenant, Exit> {
    let text = read(&path.display().to_string())?;
    match Covenant::parse(&path.display().to_string(), &text) {
        Ok(c) => Ok(c),
        Err(d) => {
            show(&d, format);
            eprintln!(
                "covenant: {} is invalid: {} error(s)",
                path.display(),
                d.errors().count()
            );
            Err(Exit(EXIT_INVALID))
        }
    }
}

fn requests(source: &str) -> Result<Requests, Exit> {
    requests_from(&read(source)?)
}

fn requests_from(text: &str) -> Result<Requests, Exit> {
    // Each error on its own line, starting with its JSON path (`[3].case.phase: ...`).
    DecisionRequest::parse_json(text).map_err(|errors| {
        for e in &errors {
            eprintln!("{e}");
        }
        Exit(EXIT_INPUT)
    })
}

/// Whether a request text is JSON (an object or an array) rather than covenant-test
/// lines.
fn looks_like_json(text: &str) -> bool {
    text.trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with(['{', '['])
}

/// A request written as covenant-test lines; every problem is reported.
fn covtest_request(
    c: &Covenant,
    name: &str,
    text: &str,
    format: ErrorFormat,
) -> Result<DecisionRequest, Exit> {
    let given = covtest::parse_request(name, text).map_err(|d| {
        show(&d, format);
        Exit(EXIT_INPUT)
    })?;
    covtest::request_of(c, &given).map_err(|problems| {
        eprintln!("covenant: {name} does not describe a share: {problems}");
        Exit(EXIT_INPUT)
    })
}

/// The test files named, with each directory replaced by its .covtest files (sorted).
fn test_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Exit> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let entries = std::fs::read_dir(p).map_err(|e| {
                eprintln!("covenant: {}: {e}", p.display());
                Exit(EXIT_INPUT)
            })?;
            let mut files: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "covtest"))
                .collect();
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn print_json(v: &impl serde::Serialize) -> Result<(), Exit> {
    let text = serde_json::to_string_pretty(v).map_err(|e| {
        eprintln!("covenant: {e}");
        Exit(EXIT_INPUT)
    })?;
    let mut out = std::io::stdout().lock();
    // A closed pipe (`covenant decide ... | head`) is not an error of ours.
    let _ = writeln!(out, "{text}");
    Ok(())
}

fn run(cli: &Cli) -> Result<(), Exit> {
    let format = cli.error_format;
    match &cli.command {
        Command::Check { file } => {
            let c = load(file, format)?;
            if !c.warnings().is_empty() {
                let d = Diagnostics::new(
                    &file.display().to_string(),
                    c.source(),
                    c.warnings().to_vec(),
                );
                show(&d, format);
            }
            outln!("{}", c.valid_line(&file.display().to_string()));
            Ok(())
        }
        Command::Test {
            file,
            tests,
            quiet,
            filter,
        } => {
            let c = load(file, format)?;
            let wanted = filter.as_deref().map(str::to_lowercase);
            let (mut passed, mut failed, mut skipped) = (0usize, 0usize, 0usize);
            let mut unreadable: Vec<String> = Vec::new();
            for path in &test_files(tests)? {
                let name = path.display().to_string();
                // One broken file fails itself, not the run: the others still run.
                let text = match std::fs::read_to_string(path) {
                    Ok(t) => t,
                    Err(e) => {
                        eprintln!("covenant: {name}: {e}");
                        unreadable.push(name);
                        continue;
                    }
                };
                let suite = match covtest::parse_tests(&name, &text) {
                    Ok(suite) => suite,
                    Err(d) => {
                        show(&d, format);
                        let line = d.errors().next().map_or(1, |p| p.line);
                        outln!(
                            "FAILED  {name}:{line}: {} syntax error(s), so none of its tests ran; fix the lines named on standard error and run it again",
                            d.errors().count()
                        );
                        unreadable.push(name);
                        continue;
                    }
                };
                for r in covtest::run(&c, &suite) {
                    if wanted
                        .as_deref()
                        .is_some_and(|w| !r.name.to_lowercase().contains(w))
                    {
                        skipped += 1;
                        continue;
                    }
                    match &r.failure {
                        None => {
                            passed += 1;
                            if !quiet {
                                outln!("ok      {name}:{} {}", r.line, r.name);
                            }
                        }
                        Some(f) => {
                            failed += 1;
                            outln!("FAILED  {name}:{} {}", r.line, r.name);
                            match f {
                                Failure::Invalid(m) => outln!("          {m}"),
                                Failure::Mismatch(ds) => {
                                    for d in ds {
                                        outln!("          {d}");
                                    }
                                }
                            }
                        }
                    }
                }
            }
            let mut counts = format!("{passed} passed, {failed} failed");
            if skipped > 0 {
                counts.push_str(&format!(", {skipped} not matching --filter"));
            }
            if !unreadable.is_empty() {
                counts.push_str(&format!(
                    "; {} test file(s) could not be run: {}",
                    unreadable.len(),
                    unreadable.join(", ")
                ));
            }
            outln!("{counts}");
            if !unreadable.is_empty() {
                Err(Exit(EXIT_INPUT))
            } else if failed > 0 {
                Err(Exit(EXIT_FAILED))
            } else {
                Ok(())
            }
        }
        Command::Decide { file, request } => {
            let c = load(file, format)?;
            match requests(request)? {
                Requests::One(r) => print_json(&c.decide(&r)),
                Requests::Many(rs) => {
                    print_json(&rs.iter().map(|r| c.decide(r)).collect::<Vec<_>>())
                }
            }
        }
        Command::Explain {
            file,
            request,
            covtest,
        } => {
            let c = load(file, format)?;
            let (name, text) = match (request, covtest) {
                (_, Some(lines)) => ("--covtest".to_owned(), lines.clone()),
                (Some(source), None) => (source.clone(), read(source)?),
                (None, None) => {
                    eprintln!("covenant: explain needs a request file, '-' or --covtest LINES");
                    return Err(Exit(EXIT_INPUT));
                }
            };
            let rs = if looks_like_json(&text) {
                match requests_from(&text)? {
                    Requests::One(r) => vec![*r],
                    Requests::Many(rs) => rs,
                }
            } else {
                vec![covtest_request(&c, &name, &text, format)?]
            };
            for (i, r) in rs.iter().enumerate() {
                if rs.len() > 1 {
                    outln!("=== request [{i}] ===");
                }
                outln!("{}", explain::explain(&c, r));
            }
            Ok(())
        }
        Command::Diff { old, new, replay } => {
            let (a, b) = (load(old, format)?, load(new, format)?);
            let replayed = match replay {
                None => Vec::new(),
                Some(src) => match requests(src)? {
                    Requests::One(r) => vec![*r],
                    Requests::Many(rs) => rs,
                },
            };
            out!("{}", diff::diff(&a, &b, &replayed));
            Ok(())
        }
        Command::Fmt { file, check, write } => {
            let name = file.display().to_string();
            let text = read(&name)?;
            let formatted = fmt::format(&text).map_err(|errors| {
                let problems = errors
                    .into_iter()
                    .map(|e| {
                        treiter_policies::Problem::error("covenant::syntax", e.span, e.message)
                    })
                    .collect();
                show(&Diagnostics::new(&name, &text, problems), format);
                Exit(EXIT_INVALID)
            })?;
            if *check {
                if formatted == text {
                    return Ok(());
                }
                let line = text
                    .lines()
                    .zip(formatted.lines())
                    .position(|(a, b)| a != b)
                    .map_or(1, |i| i + 1);
                eprintln!(
                    "{name}:{line}: not in canonical form (run: covenant fmt --write {name})"
                );
                return Err(Exit(EXIT_FAILED));
            }
            if *write {
                std::fs::write(file, formatted).map_err(|e| {
                    eprintln!("covenant: {name}: {e}");
                    Exit(EXIT_INPUT)
                })
            } else {
                out!("{formatted}");
                Ok(())
            }
        }
    }
}
