#!/usr/bin/env bash
# The end-to-end tests against a real Kafka-protocol broker: starts tansu on loopback
# (scripts/start-broker.sh), runs tests/daemon_broker.rs one test at a time, stops the broker.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh
eval "$(bash scripts/start-broker.sh)"
export SLAD_TEST_BROKER
cleanup() {
  kill "$SLAD_TEST_BROKER_PID" 2>/dev/null || true
  wait "$SLAD_TEST_BROKER_PID" 2>/dev/null || true
}
trap cleanup EXIT
echo "== cargo test --test daemon_broker (broker $SLAD_TEST_BROKER)"
if ! cargo test --release --locked --test daemon_broker -- --test-threads=1; then
  echo "== broker log (last 50 lines): $SLAD_TEST_BROKER_LOG"
  tail -n 50 "$SLAD_TEST_BROKER_LOG" || true
  exit 1
fi
rm -f "$SLAD_TEST_BROKER_LOG"
