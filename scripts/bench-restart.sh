#!/usr/bin/env bash
# Restart-to-ready benchmark: N open tickets (default 1,000,000) backfilled into tansu, consumed
# by `slad run`, drained (final checkpoint), then the time from starting `slad run` again to
# /readyz 200, three ways:
#   local   the same state.dir (the checkpoint file is trusted);
#   topic   an empty state.dir (the checkpoint is read back from the state topic);
#   replay  an empty state.dir and a new state topic (the input partition is replayed).
# Environment: N (tickets), PARTITIONS (2), SHARDS (2), SLAD (binary, default target/release/slad).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

n="${N:-1000000}"
partitions="${PARTITIONS:-2}"
shards="${SHARDS:-2}"
slad="${SLAD:-target/release/slad}"
port=19470
[ -x "$slad" ] || cargo build --release --locked
work="$(mktemp -d -t slad-bench-restart.XXXXXX)"
eval "$(bash scripts/start-broker.sh)"
daemon_pid=""
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null || true
  kill "$SLAD_TEST_BROKER_PID" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

python3 - "$n" "$work/events.jsonl" <<'EOF'
import datetime, json, sys
n, path = int(sys.argv[1]), sys.argv[2]
base = datetime.datetime(2026, 11, 23, 12, 0, 0, tzinfo=datetime.timezone.utc)
with open(path, "w") as f:
    for i in range(n):
        ts = (base + datetime.timedelta(milliseconds=i * 10)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        f.write(json.dumps({"type": "ticket.created", "event_id": f"e{i}", "tenant": f"t{i % 20}",
                            "ts": ts, "ticket_id": f"T{i}", "priority": "normal"}) + "\n")
EOF

config() { # state dir, state topic
  cat <<EOF
[kafka]
brokers = "$SLAD_TEST_BROKER"
group_id = "bench-restart"
input_topic = "bench.events"
state_topic = "$2"
[http]
listen = "127.0.0.1:$port"
[engine]
shards = $shards
[state]
dir = "$1"
snapshot_interval = "10m"
[[policy]]
name = "long"
match = {}
calendar = "24x7"
[policy.targets.first_response]
normal = "30d"
EOF
}
config "$work/state" bench.state >"$work/local.toml"
config "$work/empty" bench.state >"$work/topic.toml"
config "$work/none" bench.fresh.state >"$work/replay.toml"

"$slad" loadgen --brokers "$SLAD_TEST_BROKER" --topic bench.events --create-topics "$partitions" \
  --input "$work/events.jsonl" >/dev/null 2>&1

metric() { curl -s "127.0.0.1:$port/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }

"$slad" run -c "$work/local.toml" --drain-timeout 600s 2>"$work/first.log" &
daemon_pid=$!
until [ "$(metric slad_events_consumed_total)" = "$n" ]; do sleep 0.5; done
kill -TERM "$daemon_pid"; wait "$daemon_pid"; daemon_pid=""
echo "checkpoints on disk: $(du -sb "$work/state" | cut -f1) bytes for $n tickets"

printf '%-8s %12s %14s\n' case ready_s peak_rss_MiB
for case in local topic replay; do
  started=$(date +%s.%N)
  "$slad" run -c "$work/$case.toml" --drain-timeout 600s 2>"$work/$case.log" &
  daemon_pid=$!
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "127.0.0.1:$port/readyz")" = "200" ]; do sleep 0.01; done
  ready=$(echo "$(date +%s.%N) - $started" | bc)
  rss=$(awk '/VmHWM/ { printf "%d", $2 / 1024 }' "/proc/$daemon_pid/status")
  printf '%-8s %12.2f %14s\n' "$case" "$ready" "$rss"
  kill -TERM "$daemon_pid"; wait "$daemon_pid" || true; daemon_pid=""
done
