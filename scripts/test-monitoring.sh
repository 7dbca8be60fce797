#!/usr/bin/env bash
# The monitoring kit against the real thing: promtool checks and unit-tests the rules, then a
# Prometheus server (loopback, temporary data directory, the rules loaded) scrapes a running
# `slad demo` until a checkpoint has been written, and every dashboard query and every rule
# expression runs through its HTTP API (scripts/monitoring_queries.py says what is checked).
#
# Usage: scripts/test-monitoring.sh [SLAD_BINARY]   (default target/release/slad)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
slad="${1:-target/release/slad}"
rules=monitoring/slad.rules.yml

for tool in promtool prometheus python3 curl; do
  command -v "$tool" >/dev/null || { echo "test-monitoring: $tool not found (scripts/install-deps.sh installs it)" >&2; exit 1; }
done

promtool check rules "$rules"
promtool test rules monitoring/slad.test.yml

# Every alert has a unit test.
untested=()
for alert in $(sed -n 's/^ *- alert: *//p' "$rules"); do
  grep -q "alertname: $alert\$" monitoring/slad.test.yml || untested+=("$alert")
done
if [ "${#untested[@]}" -gt 0 ]; then
  echo "test-monitoring: no promtool test for ${untested[*]}" >&2
  exit 1
fi
rule_count=$(grep -cE '^ *- (alert|record):' "$rules")

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

since=$(date +%s)
"$slad" demo --listen 127.0.0.1:0 --duration 300s > "$work/demo.out" 2> "$work/demo.err" &
pids+=($!)
slad_addr=""
for _ in $(seq 100); do
  slad_addr=$(sed -n 's|.*metrics on http://\([^/]*\)/metrics.*|\1|p' "$work/demo.out")
  [ -n "$slad_addr" ] && break
  sleep 0.1
done
[ -n "$slad_addr" ] || { echo "test-monitoring: slad demo did not start" >&2; cat "$work/demo.err" >&2; exit 1; }

prom_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $PWD/$rules
scrape_configs:
  - job_name: slad
    static_configs:
      - targets: ["$slad_addr"]
EOF
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:$prom_port" --log.level=warn > "$work/prometheus.log" 2>&1 &
pids+=($!)
prom="http://127.0.0.1:$prom_port"

# Until Prometheus holds a written checkpoint (the demo's first comes after the 30 s
# snapshot interval), so that the checkpoint panels have something to show.
query='slad_checkpoints_total{result="ok"} > 0'
deadline=$((SECONDS + 120))
until curl -fsS "$prom/api/v1/query" --data-urlencode "query=$query" 2>/dev/null | grep -q '"result":\[{'; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "test-monitoring: no checkpoint scraped within 120 s" >&2
    tail -5 "$work/prometheus.log" "$work/demo.err" >&2
    exit 1
  fi
  sleep 1
done
sleep 3

python3 scripts/monitoring_queries.py "$prom" monitoring/slad-dashboard.json docs/operations.md "$rule_count" "$since"
