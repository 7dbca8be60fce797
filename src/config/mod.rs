//! The TOML configuration (`config/slad.toml` documents every key): parsing with unknown
//! keys refused, validation that collects every error with its key path, and compilation
//! into [`crate::engine::rules::Rules`].
//!
//! Every section is optional and takes its defaults; a file with only `[[policy]]` entries
//! is a complete configuration. The text is parsed into a `toml::Table` and walked by hand,
//! so that one pass reports every problem, not only the first.
//!
//! Errors name the key path: `engine.allowed_lateness`, `calendar[0].week.mon[1]`,
//! `policy[2].match.priority[0]`, `ladder[0].level[1].repeat_every`. Indexes count from 0,
//! in the order the entries (or list items) appear in the file. A TOML syntax error names
//! its line and column instead.
//!
//! Compilation shares one `Arc<Calendar>` between every policy and ladder that names the
//! same calendar (`24x7` included), and one `Arc<Ladder>` between every policy and metric
//! that names the same ladder.

mod calendars;
mod duration;
mod error;
mod ladders;
mod policies;
mod recipients;
mod routing;
mod settings;
#[cfg(test)]
mod tests;
mod walk;

pub use duration::parse_duration;
pub use error::{ConfigError, ConfigErrors};
pub use settings::{EngineConfig, HttpConfig, KafkaConfig, StateConfig};

use crate::engine::rules::Rules;
use error::Errors;
use std::path::Path;
use walk::Node;

/// A validated configuration: the daemon's settings and the engine's rules.
#[derive(Debug, Clone)]
pub struct Config {
    pub kafka: KafkaConfig,
    pub http: HttpConfig,
    pub engine: EngineConfig,
    pub state: StateConfig,
    pub rules: Rules,
}

/// The top-level keys.
const SECTIONS: [&str; 9] = ["kafka", "http", "engine", "state", "journey", "calendar", "policy", "ladder", "routing"];

/// Parses and validates a configuration. On failure, every error found is returned.
pub fn parse(text: &str) -> Result<Config, ConfigErrors> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| syntax_error(text, &e))?;
    let root = Node::root(&table);
    let mut errors = Errors::default();
    root.deny_unknown(&mut errors, &SECTIONS);

    let kafka = settings::kafka(root.table(&mut errors, "kafka"), &mut errors);
    let http = settings::http(root.table(&mut errors, "http"), &mut errors);
    let (engine, limits) = settings::engine(root.table(&mut errors, "engine"), &mut errors);
    let state = settings::state(root.table(&mut errors, "state"), &mut errors);
    let journey = settings::journey(root.table(&mut errors, "journey"), &mut errors);

    let calendars = calendars::calendars(&root, &mut errors);
    let ladders = ladders::ladders(&root, &calendars, &mut errors);
    let policies = policies::policies(&root, &calendars, &ladders, &mut errors);
    ladders::check_day_units(&ladders, &policies.ladder_users, &mut errors);

    let routing = routing::routing(root.table(&mut errors, "routing"), &mut errors);

    let rules = Rules { limits, journey, policies: policies.policies, routing };
    errors.into_result(Config { kafka, http, engine, state, rules })
}

/// Reads and parses the file at `path`. An unreadable file is a [`ConfigErrors`] too.
pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::new("", format!("cannot read {}: {e}", path.display())))?;
    parse(&text)
}

/// A TOML syntax error, with the line and column (from 1) where it was found.
fn syntax_error(text: &str, error: &toml::de::Error) -> ConfigErrors {
    let message = error.message().trim().replace('\n', "; ");
    let located = match error.span() {
        Some(span) => {
            let (line, column) = line_column(text, span.start);
            format!("TOML syntax error at line {line}, column {column}: {message}")
        }
        None => format!("TOML syntax error: {message}"),
    };
    ConfigError::new("", located).into()
}

/// The line and column (both from 1, the column in characters) of byte `offset`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}
