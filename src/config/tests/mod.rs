//! Tests of the configuration: defaults, every validation rule with its key path, duration
//! parsing, and the shipped and contract example files.

mod defaults;
mod durations;
mod examples;
mod validation;

use super::{parse, Config, ConfigErrors};

/// Parses a configuration that must be valid.
fn ok(text: &str) -> Config {
    match parse(text) {
        Ok(config) => config,
        Err(errors) => panic!("expected a valid configuration, got:\n{errors}"),
    }
}

/// Parses a configuration that must be refused.
fn errors(text: &str) -> ConfigErrors {
    match parse(text) {
        Ok(_) => panic!("expected errors, the configuration was accepted:\n{text}"),
        Err(errors) => errors,
    }
}

/// Asserts that the configuration is refused with exactly one error, at `path`, whose
/// message contains `fragment`.
#[track_caller]
fn single_error(text: &str, path: &str, fragment: &str) {
    let errors = errors(text);
    assert_eq!(errors.paths(), vec![path], "errors:\n{errors}");
    assert!(errors.0[0].message.contains(fragment), "message {:?} lacks {fragment:?}", errors.0[0].message);
}
