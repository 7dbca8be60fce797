#!/usr/bin/env bash
# The end-to-end tests against a real Kafka-protocol broker: starts tansu on loopback
# (scripts/start-broker.sh), runs tests/daemon_broker.rs and tests/daemon_durability.rs (crashes,
# rebalances, bad state files) one test at a time, stops the broker.
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
for test in daemon_broker daemon_durability; do
  echo "== cargo test --test $test (broker $SLAD_TEST_BROKER)"
  if ! cargo test --release --locked --test "$test" -- --test-threads=1 --nocapture; then
    echo "== broker log (last 50 lines): $SLAD_TEST_BROKER_LOG"
    tail -n 50 "$SLAD_TEST_BROKER_LOG" || true
    exit 1
  fi
done
rm -f "$SLAD_TEST_BROKER_LOG"
