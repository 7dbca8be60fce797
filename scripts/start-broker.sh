#!/usr/bin/env bash
# Starts a Kafka-protocol broker on loopback for the end-to-end tests and benchmarks: tansu
# (https://tansu.io) with in-memory storage, installed with cargo the first time (about
# 10-20 minutes of compiling on 2 cores; later runs reuse ~/.cargo/bin/tansu).
#
# Prints, on standard output, lines to eval:
#   SLAD_TEST_BROKER=127.0.0.1:PORT
#   SLAD_TEST_BROKER_PID=PID
#   SLAD_TEST_BROKER_LOG=FILE
# Stop it with: kill "$SLAD_TEST_BROKER_PID"
#
# Environment: TANSU_VERSION (default 0.6.0), SLAD_BROKER_PORT (default: a free port).
set -euo pipefail

version="${TANSU_VERSION:-0.6.0}"
export PATH="$HOME/.cargo/bin:$PATH"

if ! command -v tansu >/dev/null 2>&1 || ! tansu --version 2>/dev/null | grep -q "$version"; then
  echo "start-broker: installing tansu $version with cargo (slow the first time)" >&2
  cargo install tansu --version "$version" --features dynostore --locked >&2
fi

port_is_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

port="${SLAD_BROKER_PORT:-}"
if [ -z "$port" ]; then
  for _ in $(seq 1 50); do
    candidate=$((20000 + RANDOM % 30000))
    if port_is_free "$candidate"; then port="$candidate"; break; fi
  done
fi
[ -n "$port" ] || { echo "start-broker: no free port found" >&2; exit 1; }

log="$(mktemp -t slad-tansu.XXXXXX.log)"
nohup tansu broker \
  --listener-url "tcp://127.0.0.1:$port" \
  --advertised-listener-url "tcp://127.0.0.1:$port" \
  --storage-engine "memory://tansu/" \
  --cluster-id "slad-test" \
  >"$log" 2>&1 &
pid=$!

for _ in $(seq 1 100); do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "start-broker: tansu exited; its log:" >&2
    cat "$log" >&2
    exit 1
  fi
  if ! port_is_free "$port"; then
    echo "start-broker: tansu $version answers on 127.0.0.1:$port (pid $pid, log $log)" >&2
    echo "SLAD_TEST_BROKER=127.0.0.1:$port"
    echo "SLAD_TEST_BROKER_PID=$pid"
    echo "SLAD_TEST_BROKER_LOG=$log"
    exit 0
  fi
  sleep 0.1
done
echo "start-broker: tansu did not answer on 127.0.0.1:$port within 10 s" >&2
kill "$pid" 2>/dev/null || true
exit 1
