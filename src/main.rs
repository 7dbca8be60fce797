//! The `slad` command line: wires the library's pieces together, nothing more.

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// EX_CONFIG from sysexits.h: a bad configuration.
const EXIT_CONFIG: u8 = 78;

#[derive(Parser)]
#[command(name = "slad", version, about = "SLA timer and routing daemon")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon: consume input events from Kafka, publish outputs to Kafka.
    Run(slad::daemon::RunArgs),
    /// A self-contained demo: an in-process Kafka cluster, generated traffic and the daemon.
    Demo(slad::demo::DemoArgs),
    /// Produce generated traffic to a Kafka broker, for benchmarks.
    Loadgen(slad::loadgen::LoadgenArgs),
    /// Run the engine over a JSONL file of input events with virtual time.
    Simulate {
        /// The configuration file.
        #[arg(long)]
        config: PathBuf,
        /// Input events as JSON lines (standard input if absent).
        #[arg(long)]
        input: Option<PathBuf>,
        /// After the last line, fire every timer due at or before this RFC 3339 instant.
        #[arg(long)]
        until: Option<String>,
        /// Stop at the first rejected line (exit status 1).
        #[arg(long)]
        strict: bool,
        /// Write the run's KPIs to this file as JSON (the contract's REPORT.md).
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
        /// Write the KPIs and per-hour charts to this file as one self-contained HTML page.
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
    },
    /// Replay one input under two configurations and compare their KPIs and outputs.
    Whatif {
        /// The configuration in force (the first column).
        #[arg(long)]
        config: PathBuf,
        /// The configuration to try (the second column).
        #[arg(long)]
        against: PathBuf,
        /// Input events as JSON lines (standard input if absent).
        #[arg(long)]
        input: Option<PathBuf>,
        /// After the last line, fire every timer due at or before this RFC 3339 instant.
        #[arg(long)]
        until: Option<String>,
        /// Also write the comparison as one self-contained HTML page.
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
    },
    /// Validate a configuration file; exit 78 naming every bad key.
    CheckConfig {
        /// The configuration file.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => slad::daemon::run(args),
        Command::Demo(args) => slad::demo::run(args),
        Command::Loadgen(args) => slad::loadgen::run(args),
        Command::Simulate { config, input, until, strict, report, html } => {
            let reports = Reports { json: report, html };
            simulate(&config, input.as_deref(), until.as_deref(), strict, &reports)
        }
        Command::Whatif { config, against, input, until, html } => {
            whatif(&config, &against, input.as_deref(), until.as_deref(), html.as_deref())
        }
        Command::CheckConfig { file } => match slad::config::load(&file) {
            Ok(_) => {
                println!("{}: ok", file.display());
                ExitCode::SUCCESS
            }
            Err(errors) => {
                eprintln!("{}: invalid configuration", file.display());
                eprintln!("{errors}");
                ExitCode::from(EXIT_CONFIG)
            }
        },
    }
}

/// What `slad simulate` writes besides its outputs.
struct Reports {
    json: Option<PathBuf>,
    html: Option<PathBuf>,
}

fn load_rules(path: &Path) -> Result<Arc<slad::engine::rules::Rules>, ExitCode> {
    match slad::config::load(path) {
        Ok(config) => Ok(Arc::new(config.rules)),
        Err(errors) => {
            eprintln!("{}: invalid configuration", path.display());
            eprintln!("{errors}");
            Err(ExitCode::from(EXIT_CONFIG))
        }
    }
}

fn parse_until(until: Option<&str>) -> Result<Option<slad::time::Millis>, ExitCode> {
    until.map(slad::time::parse_rfc3339).transpose().map_err(|e| {
        eprintln!("--until: {e}");
        ExitCode::from(2)
    })
}

/// The input file (or standard input) read through a progress bar, which is drawn only when
/// standard error is a terminal.
fn open_input(input: Option<&Path>) -> Result<(Box<dyn BufRead>, ProgressBar), ExitCode> {
    let draw = ProgressDrawTarget::stderr_with_hz(4);
    match input {
        Some(path) => {
            let file = std::fs::File::open(path).map_err(|e| {
                eprintln!("{}: {e}", path.display());
                ExitCode::from(66)
            })?;
            let size = file.metadata().map(|m| m.len()).unwrap_or(0);
            let bar = ProgressBar::with_draw_target(Some(size), draw).with_style(
                ProgressStyle::with_template(
                    "{bar:40} {decimal_bytes}/{decimal_total_bytes} {decimal_bytes_per_sec} eta {eta}",
                )
                .expect("a valid template"),
            );
            Ok((Box::new(std::io::BufReader::with_capacity(1 << 20, bar.wrap_read(file))), bar))
        }
        None => {
            let bar = ProgressBar::with_draw_target(None, draw).with_style(
                ProgressStyle::with_template("{spinner} {decimal_bytes} read, {decimal_bytes_per_sec}")
                    .expect("a valid template"),
            );
            let stdin = std::io::stdin();
            Ok((Box::new(std::io::BufReader::with_capacity(1 << 20, bar.wrap_read(stdin))), bar))
        }
    }
}

/// Standard error with the progress bar cleared around each write.
struct AroundBar<'a>(&'a ProgressBar);

impl Write for AroundBar<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.suspend(|| std::io::stderr().write(buf))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

fn write_file(path: &Path, contents: &[u8]) -> Result<(), ExitCode> {
    std::fs::write(path, contents).map_err(|e| {
        eprintln!("{}: {e}", path.display());
        ExitCode::from(73)
    })
}

fn simulate(config: &Path, input: Option<&Path>, until: Option<&str>, strict: bool, reports: &Reports) -> ExitCode {
    match try_simulate(config, input, until, strict, reports) {
        Ok(code) | Err(code) => code,
    }
}

fn try_simulate(
    config: &Path,
    input: Option<&Path>,
    until: Option<&str>,
    strict: bool,
    reports: &Reports,
) -> Result<ExitCode, ExitCode> {
    let rules = load_rules(config)?;
    let until = parse_until(until)?;
    let (input, bar) = open_input(input)?;
    let stdout = std::io::stdout();
    let mut output = std::io::BufWriter::new(stdout.lock());
    let mut sim = slad::simulate::Simulator::new(rules);
    if reports.json.is_some() || reports.html.is_some() {
        sim = sim.with_tally();
    }
    let result = slad::simulate::run_simulator(sim, input, until, strict, &mut output, &mut AroundBar(&bar));
    bar.finish_and_clear();
    let sim = match result {
        Ok(sim) => sim,
        Err(slad::simulate::RunError::Strict(_)) => return Ok(ExitCode::from(1)),
        Err(slad::simulate::RunError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            return Ok(ExitCode::SUCCESS)
        }
        Err(slad::simulate::RunError::Io(e)) => {
            eprintln!("slad simulate: {e}");
            return Ok(ExitCode::from(74));
        }
    };
    if let Some(tally) = sim.into_tally() {
        let hourly = tally.hourly.clone();
        let report = tally.report(until);
        if let Some(path) = &reports.json {
            let mut json = serde_json::to_vec_pretty(&report).expect("a report serializes");
            json.push(b'\n');
            write_file(path, &json)?;
        }
        if let Some(path) = &reports.html {
            let label = config_label(config);
            let run = slad::report::html::Run { label: &label, report: &report, hourly: &hourly };
            let page = slad::report::html::render(&format!("slad what-if: {label}"), &[run], &[]);
            write_file(path, page.as_bytes())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A configuration's name in tables: its file name.
fn config_label(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

fn whatif(config: &Path, against: &Path, input: Option<&Path>, until: Option<&str>, html: Option<&Path>) -> ExitCode {
    let run = || -> Result<ExitCode, ExitCode> {
        let (rules_a, rules_b) = (load_rules(config)?, load_rules(against)?);
        let until = parse_until(until)?;
        let (input, bar) = open_input(input)?;
        let (mut label_a, label_b) = (config_label(config), config_label(against));
        if label_a == label_b {
            label_a = config.display().to_string();
        }
        let result = slad::report::compare::compare((&label_a, rules_a), (&label_b, rules_b), input, until);
        bar.finish_and_clear();
        let comparison = result.map_err(|e| {
            eprintln!("slad whatif: {e}");
            ExitCode::from(74)
        })?;
        print!("{}", comparison.render_text());
        if let Some(path) = html {
            let (a, b) = (&comparison.a, &comparison.b);
            let runs = [
                slad::report::html::Run { label: &a.label, report: &a.report, hourly: &a.hourly },
                slad::report::html::Run { label: &b.label, report: &b.report, hourly: &b.hourly },
            ];
            let title = format!("slad what-if: {} against {}", b.label, a.label);
            write_file(path, slad::report::html::render(&title, &runs, &comparison.differences()).as_bytes())?;
        }
        Ok(ExitCode::SUCCESS)
    };
    match run() {
        Ok(code) | Err(code) => code,
    }
}
