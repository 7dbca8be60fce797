#!/usr/bin/env bash
# The project's one test command: formatting, lints, every test (unit, property, scenarios,
# the daemon on a mock cluster), the contract's examples through the release binary, the
# monitoring kit against a real Prometheus, the Debian package, and the end-to-end tests
# against a real Kafka-protocol broker (tansu, installed and started here).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== system packages"
bash scripts/install-deps.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --all-targets --locked -- -D warnings

echo "== cargo test"
cargo test --release --locked

echo "== contract examples through target/release/slad"
cargo build --release --locked --bin slad
examples="${SLAD_CONTRACT_EXAMPLES:-../shared/contract/examples}"
if [ -x "$examples/check.sh" ]; then
  bash "$examples/check.sh" target/release/slad
else
  echo "skipped: contract examples not found at $examples (tests/scenarios holds copies, run by cargo test)"
fi

echo "== monitoring kit: promtool, then a real Prometheus scraping slad demo"
bash scripts/test-monitoring.sh target/release/slad

echo "== Debian package of target/release/slad"
bash scripts/test-package.sh --no-build

echo "== end-to-end tests against a real broker"
bash scripts/test-broker.sh
