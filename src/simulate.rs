//! `slad simulate`: the engine over a JSONL file with virtual time (EVENTS.md section 5).
