//! The TOML configuration (slad.example.toml): parsing with unknown keys refused,
//! validation that collects every error with its key path, and compilation into
//! [`crate::engine::rules::Rules`]. TODO: implemented by the config work.
