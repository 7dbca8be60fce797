#!/usr/bin/env bash
# The project's one test command: formatting, lints, every test (unit, property, scenarios),
# and the contract's examples through the release binary.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --all-targets --locked -- -D warnings

echo "== cargo test"
cargo test --locked

echo "== contract examples through target/release/slad"
cargo build --release --locked --bin slad
examples="${SLAD_CONTRACT_EXAMPLES:-../shared/contract/examples}"
if [ -x "$examples/check.sh" ]; then
  bash "$examples/check.sh" target/release/slad
else
  echo "contract examples not found at $examples: skipped (tests/scenarios holds copies, run by cargo test)"
fi
