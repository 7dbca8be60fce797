//! The `slad` command line: wires the library's pieces together, nothing more.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

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
        Command::Simulate { config, input, until, strict } => {
            simulate(&config, input.as_deref(), until.as_deref(), strict)
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

fn simulate(config: &std::path::Path, input: Option<&std::path::Path>, until: Option<&str>, strict: bool) -> ExitCode {
    let config = match slad::config::load(config) {
        Ok(config) => config,
        Err(errors) => {
            eprintln!("{}: invalid configuration", config.display());
            eprintln!("{errors}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let until = match until.map(slad::time::parse_rfc3339).transpose() {
        Ok(until) => until,
        Err(e) => {
            eprintln!("--until: {e}");
            return ExitCode::from(2);
        }
    };
    let stdout = std::io::stdout();
    let mut output = std::io::BufWriter::new(stdout.lock());
    let mut errors = std::io::stderr();
    let rules = Arc::new(config.rules);
    let result = match input {
        Some(path) => match std::fs::File::open(path) {
            Ok(file) => {
                slad::simulate::run(rules, std::io::BufReader::new(file), until, strict, &mut output, &mut errors)
            }
            Err(e) => {
                eprintln!("{}: {e}", path.display());
                return ExitCode::from(66);
            }
        },
        None => slad::simulate::run(rules, std::io::stdin().lock(), until, strict, &mut output, &mut errors),
    };
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(slad::simulate::RunError::Strict(_)) => ExitCode::from(1),
        Err(slad::simulate::RunError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(slad::simulate::RunError::Io(e)) => {
            eprintln!("slad simulate: {e}");
            ExitCode::from(74)
        }
    }
}
