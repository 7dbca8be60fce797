#!/usr/bin/env bash
# Memory soak: HOURS (24) hours of virtual time at RATE (2000) inputs/s, tickets solved and never
# closed (examples/gen_soak.rs), piped into `slad simulate --config benches/soak.toml`; prints the
# simulate process's RSS at every virtual hour. Memory must level off, not climb.
# Usage: scripts/bench-soak.sh            # 24 h, 2000/s: 173M inputs
#        HOURS=6 RATE=2000 scripts/bench-soak.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
hours="${HOURS:-24}"
rate="${RATE:-2000}"
cargo build --release --locked --bin slad --example gen_soak >&2
work="$(mktemp -d -t slad-soak.XXXXXX)"
trap 'rm -rf "$work"' EXIT
started=$(date +%s)
echo "virtual_hour  rss_MiB  wall_s"
report() {
  while read -r _ hour; do
    pid=$(cat "$work/pid" 2>/dev/null || true)
    rss=$(awk '$1 == "VmRSS:" { printf "%d", $2 / 1024 }' "/proc/$pid/status" 2>/dev/null || echo -)
    printf '%12s %8s %7s\n' "$hour" "$rss" "$(($(date +%s) - started))"
  done
}
# The reports go to the script's standard output (fd 3), not into the pipe to simulate.
exec 3>&1
target/release/examples/gen_soak "$hours" "$rate" 2> >(report >&3) |
  /usr/bin/time -f "%M" -o "$work/peak" target/release/slad simulate --config benches/soak.toml >/dev/null &
echo $! >"$work/pid"
# $! is /usr/bin/time; its child is simulate.
sleep 1
pgrep -P "$(cat "$work/pid")" >"$work/pid.child" && mv "$work/pid.child" "$work/pid"
wait
sleep 1
echo "peak RSS $(( $(cat "$work/peak") / 1024 )) MiB over $((hours * 3600 * rate)) inputs, $(($(date +%s) - started)) s"
