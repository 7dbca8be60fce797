#!/usr/bin/env bash
# Restart-to-ready benchmark. N open tickets (`ticket.created` only: no replies, no solves, long
# SLA targets, so every ticket keeps two armed timers) are backfilled into a Kafka-protocol broker,
# consumed by `slad run`, drained with SIGTERM (final checkpoint), then `slad run` is started again
# and timed from its start to GET /readyz answering 200, in three cases:
#   local   the same state.dir: the final checkpoint file is trusted, the state topic is not read;
#   topic   an empty state.dir: the checkpoint is read back from the compacted state topic;
#   replay  an empty state.dir and a new state topic (same group): no checkpoint at all, the
#           partition is rebuilt by replaying the input topic from its start.
# For each case: time to ready, the group join and the slowest partition's restore (from slad's
# JSON log), tickets restored, peak RSS at ready (VmHWM), and how long the following SIGTERM took.
# Also: the first run's consumption time and peak RSS, the drain with the final checkpoints, and
# the checkpoint sizes (files in state.dir, slad_checkpoint_bytes, slad_state_topic_bytes_total).
#
# Usage: scripts/bench-restart.sh                   # N=1000000
#        N=3000000 REPEAT=3 KAFKA_PROPERTIES='"fetch.wait.max.ms" = "10"' scripts/bench-restart.sh
#
# Environment (defaults in brackets):
#   N [1000000]            open tickets
#   PARTITIONS [2]         input (and state) topic partitions
#   SHARDS [2]             [engine] shards
#   TENANTS [10]           tenants (Kafka keys; their hash decides the partition split)
#   REPEAT [1]             restarts timed per case (each case's table row is its median)
#   REPLAY [1 if N <= 1M]  run the replay case
#   DRAIN_TIMEOUT [900s]   --drain-timeout of every `slad run` (the final checkpoint of a large
#                          state is written only within it)
#   MAX_RSS_MB [12288]     abort when slad's RSS passes this
#   SLAD [target/release/slad, built with cargo build --release]
#   SLAD_TEST_BROKER       use this broker (host:port) instead of starting tansu on loopback
#   HTTP_PORT [a free one] slad's /metrics and /readyz port
#   KAFKA_PROPERTIES       TOML lines added to [kafka.properties] of every run, such as
#                          '"fetch.wait.max.ms" = "10"' (see the note on tansu below)
#   FORCE [0]              1 runs even when the RSS estimate (about 2 KiB per ticket at peak)
#                          passes MAX_RSS_MB
#   SLAD_LOG [info]        slad's log filter (the logs are in the work directory)
#   OUT                    if set, a directory that receives the logs, configs and results
#   KEEP [0]               1 keeps the work directory (events file, state dirs, logs)
#
# Note on tansu 0.6.0 (the default broker): its Fetch handler sleeps after every pass, even when
# it already has data to return (tansu-storage src/service/fetch.rs: `sleep(remaining / 2)` when
# 250 ms or more of fetch.wait.max.ms remain), so with librdkafka's default fetch.wait.max.ms=500
# every fetch that returns data takes about 250 ms. That bounds reading the state topic (one
# ~5 MB record batch per fetch) and the replay, not slad; a Kafka broker answers as soon as
# fetch.min.bytes are there. KAFKA_PROPERTIES='"fetch.wait.max.ms" = "10"' takes it out of the
# measurement.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

n="${N:-1000000}"
partitions="${PARTITIONS:-2}"
shards="${SHARDS:-2}"
tenants="${TENANTS:-10}"
repeat="${REPEAT:-1}"
drain_timeout="${DRAIN_TIMEOUT:-900s}"
max_rss_mb="${MAX_RSS_MB:-12288}"
if [ -z "${REPLAY:-}" ]; then
  if [ "$n" -le 1000000 ]; then replay=1; else replay=0; fi
else
  replay="$REPLAY"
fi
export SLAD_LOG="${SLAD_LOG:-info}"
properties="${KAFKA_PROPERTIES:-}"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

# slad held about 1.65 GiB per million open tickets once restored and 1.9 GiB at the peak of the
# first run (the final checkpoint's bytes on top of the engine); tansu keeps another ~0.8 GiB per
# million in memory.
estimate_mb=$((n / 1000 * 2000 / 1024))
if [ "$estimate_mb" -gt "$max_rss_mb" ] && [ "${FORCE:-0}" != 1 ]; then
  die "N=$n needs about $estimate_mb MiB of RSS for slad alone, more than MAX_RSS_MB=$max_rss_mb (FORCE=1 to try)"
fi

if [ -n "${SLAD:-}" ]; then
  slad="$SLAD"
else
  cargo build --release --locked --bin slad >&2
  slad=target/release/slad
fi
[ -x "$slad" ] || die "no slad binary at $slad"

port_is_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port="${HTTP_PORT:-}"
if [ -z "$port" ]; then
  for _ in $(seq 1 50); do
    candidate=$((20000 + RANDOM % 30000))
    if port_is_free "$candidate"; then port="$candidate"; break; fi
  done
fi
[ -n "$port" ] || die "no free HTTP port"

work="$(mktemp -d -t slad-bench-restart.XXXXXX)"
daemon_pid=""
broker_pid=""
cleanup() {
  local status=$?
  if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
    kill -KILL "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
  fi
  if [ -n "$broker_pid" ]; then
    kill "$broker_pid" 2>/dev/null || true
    wait "$broker_pid" 2>/dev/null || true
  fi
  if [ -n "${OUT:-}" ]; then
    mkdir -p "$OUT"
    cp "$work"/*.log "$work"/*.toml "$work"/results.txt "$OUT"/ 2>/dev/null || true
    [ -n "${broker_log:-}" ] && cp "$broker_log" "$OUT/tansu.log" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ]; then
    for f in "$work"/*.log; do
      [ -f "$f" ] || continue
      log "last lines of $f:"
      tail -n 15 "$f" >&2 || true
    done
  fi
  if [ "${KEEP:-0}" = 1 ]; then
    log "work directory kept: $work"
  else
    rm -rf "$work"
  fi
  [ -n "${broker_log:-}" ] && rm -f "$broker_log"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "${SLAD_TEST_BROKER:-}" ]; then
  broker="$SLAD_TEST_BROKER"
  log "using the broker at $broker"
else
  eval "$(bash scripts/start-broker.sh)"
  broker="$SLAD_TEST_BROKER"
  broker_pid="$SLAD_TEST_BROKER_PID"
  broker_log="$SLAD_TEST_BROKER_LOG"
fi

run_id="$(date +%s)-$$"
topic="bench.restart.$run_id"
group="bench-restart-$run_id"

# --- the input: N ticket.created, one per millisecond, starting a day ago (so that nothing is
# ahead of the wall clock and the 30-day targets stay far away) ---
log "generating $n ticket.created events over $tenants tenants"
python3 - "$n" "$tenants" "$work/events.jsonl" <<'EOF'
import sys, time
n, tenants, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
base = (int(time.time()) - 86400) * 1000
with open(path, "w", buffering=1 << 20) as f:
    second, prefix, lines = None, "", []
    for i in range(n):
        ms = base + i
        s = ms // 1000
        if s != second:
            second = s
            prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s))
        priority = "high" if i % 10 == 0 else "normal"
        lines.append('{"type":"ticket.created","event_id":"c%d","tenant":"t%d","ts":"%s.%03dZ",'
                     '"ticket_id":"T%d","priority":"%s","channel":"email"}\n'
                     % (i, i % tenants, prefix, ms % 1000, i, priority))
        if len(lines) >= 100000:
            f.write("".join(lines))
            lines = []
    f.write("".join(lines))
EOF

config() { # state dir, state topic
  cat <<EOF
[kafka]
brokers = "$broker"
group_id = "$group"
input_topic = "$topic"
state_topic = "$2"
[kafka.properties]
$properties
[http]
listen = "127.0.0.1:$port"
[engine]
shards = $shards
[state]
dir = "$1"
# Long: only the final checkpoint written on SIGTERM is measured.
snapshot_interval = "1h"
[[policy]]
name = "fast-lane"
match = { priority = ["urgent", "high"] }
calendar = "24x7"
[policy.targets.first_response]
urgent = "20d"
high = "20d"
[policy.targets.resolution]
urgent = "60d"
high = "60d"
[[policy]]
name = "standard"
match = {}
calendar = "24x7"
[policy.targets.first_response]
normal = "30d"
low = "30d"
[policy.targets.resolution]
normal = "90d"
low = "90d"
EOF
}
config "$work/state" "$topic.state" >"$work/local.toml"
config "$work/empty" "$topic.state" >"$work/topic.toml"
"$slad" check-config "$work/local.toml" >/dev/null || die "check-config refused the benchmark's configuration"

log "backfilling into $topic ($partitions partitions) at $broker"
t0=$(date +%s%N)
"$slad" loadgen --brokers "$broker" --topic "$topic" --create-topics "$partitions" \
  --input "$work/events.jsonl" >"$work/loadgen.out" 2>"$work/loadgen.log" || die "loadgen"
backfill_s=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
log "backfill: $(cat "$work/loadgen.out") in ${backfill_s} s"
[ "${KEEP:-0}" = 1 ] || rm -f "$work/events.jsonl"

# --- helpers ---
scrape() { curl -s --max-time 5 "127.0.0.1:$port/metrics" || true; }
# metric NAME FILTER FILE: the sum of every series of NAME in FILE whose labels contain FILTER.
metric() {
  awk -v m="$1" -v f="${2:-}" '
    { name = $1; sub(/\{.*/, "", name) }
    name == m && index($1, f) { s += $2; found = 1 }
    END { if (found) printf "%.10g\n", s; else print "-" }' "$3"
}
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || true; }
rss_guard() {
  local rss
  rss=$(status_kb "$1" VmRSS)
  if [ -n "$rss" ] && [ "$rss" -gt $((max_rss_mb * 1024)) ]; then
    die "slad's RSS $((rss / 1024)) MiB passed MAX_RSS_MB=$max_rss_mb"
  fi
}
mib() { [ -n "$1" ] && [ "$1" != - ] && echo $(($1 / 1024)) || echo -; }
now_ns() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }
# summarize LOG: "join_s restore_s tickets sources" from a JSON log of one run: start to the
# group's assignment, then the slowest partition's assignment to ready, the tickets restored and
# where each partition's state came from.
summarize() {
  python3 - "$1" <<'PY'
import datetime, json, re, sys
def at(e):
    return datetime.datetime.fromisoformat(e["timestamp"].replace("Z", "+00:00")).timestamp()
def secs(text):
    m = re.fullmatch(r"([0-9.]+)(ns|µs|us|ms|s)", text)
    return float(m.group(1)) * {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1}[m.group(2)] if m else 0.0
start = assigned = None
ready, tickets, sources = [], 0, []
for line in open(sys.argv[1], errors="replace"):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    msg = e.get("message")
    if msg == "starting" and start is None:
        start = at(e)
    elif msg == "partitions assigned" and assigned is None:
        assigned = at(e)
    elif msg == "partition state loaded":
        sources.append("%s:%s" % (e.get("partition"), str(e.get("source")).strip('"')))
    elif msg == "partition ready":
        ready.append(secs(str(e.get("elapsed", ""))))
        tickets += int(e.get("tickets", 0))
join = "%.2f" % (assigned - start) if start and assigned else "-"
print(join, "%.2f" % max(ready) if ready else "-", tickets, ",".join(sources) or "-")
PY
}
# stop PID: SIGTERM, then wait for the exit while sampling its peak RSS and /metrics.
# Sets stop_s, stop_rc, stop_hwm_kb; the last scrape is in $work/last.metrics.
stop() {
  local pid=$1 started hwm
  started=$(now_ns)
  stop_hwm_kb=$(status_kb "$pid" VmHWM)
  kill -TERM "$pid"
  while kill -0 "$pid" 2>/dev/null; do
    hwm=$(status_kb "$pid" VmHWM)
    [ -n "$hwm" ] && stop_hwm_kb=$hwm
    scrape >"$work/stop.metrics.tmp"
    [ -s "$work/stop.metrics.tmp" ] && mv "$work/stop.metrics.tmp" "$work/last.metrics"
    sleep 0.2
  done
  stop_rc=0
  wait "$pid" || stop_rc=$?
  daemon_pid=""
  stop_s=$(secs "$started" "$(now_ns)")
}

# --- first run: consume everything, then SIGTERM (the final checkpoint) ---
log "first run: consuming $n inputs"
started=$(now_ns)
"$slad" run -c "$work/local.toml" --log-format json --drain-timeout "$drain_timeout" 2>"$work/first.log" &
daemon_pid=$!
last_report=$(date +%s)
while :; do
  kill -0 "$daemon_pid" 2>/dev/null || die "slad exited during the first run"
  rss_guard "$daemon_pid"
  scrape >"$work/first.metrics"
  consumed=$(metric slad_events_consumed_total "" "$work/first.metrics")
  [ "$consumed" != - ] && [ "${consumed%.*}" -ge "$n" ] 2>/dev/null && break
  if [ $(($(date +%s) - last_report)) -ge 15 ]; then
    log "  consumed $consumed, RSS $(mib "$(status_kb "$daemon_pid" VmRSS)") MiB"
    last_report=$(date +%s)
  fi
  sleep 0.5
done
consume_s=$(secs "$started" "$(now_ns)")
# slad_tickets is refreshed by each shard's one-second tick.
for _ in $(seq 1 20); do
  tickets=$(metric slad_tickets "" "$work/first.metrics")
  [ "${tickets%.*}" = "$n" ] && break
  sleep 0.5
  scrape >"$work/first.metrics"
done
tickets=$(metric slad_tickets "" "$work/first.metrics")
timers=$(metric slad_timers_armed "" "$work/first.metrics")
rejected=$(metric slad_events_rejected_total "" "$work/first.metrics")
rss_consumed=$(status_kb "$daemon_pid" VmRSS)
log "consumed $n in $consume_s s; tickets $tickets, armed timers $timers, rejected $rejected, RSS $(mib "$rss_consumed") MiB"
[ "${tickets%.*}" = "$n" ] || log "WARNING: slad holds $tickets tickets, expected $n"
log "SIGTERM: draining (final checkpoint, --drain-timeout $drain_timeout)"
stop "$daemon_pid"
first_drain_s=$stop_s
first_rc=$stop_rc
first_hwm_kb=$stop_hwm_kb
finals=$(grep -c '"message":"final checkpoint written"' "$work/first.log" || true)
published=$(grep '"message":"final checkpoint written"' "$work/first.log" | grep -c '"published":true' || true)
ckpt_gauge=$(metric slad_checkpoint_bytes "" "$work/last.metrics")
topic_bytes=$(metric slad_state_topic_bytes_total "" "$work/last.metrics")
encode_s=$(metric slad_checkpoint_encode_seconds_sum "" "$work/last.metrics")
write_s=$(metric slad_checkpoint_write_seconds_sum "" "$work/last.metrics")
log "drain: exit $stop_rc after $first_drain_s s; final checkpoints written $finals (published $published) of $partitions"
[ "$stop_rc" = 0 ] || log "WARNING: the drain did not complete (exit $stop_rc)"
[ "$finals" -ge "$partitions" ] || log "WARNING: not every partition wrote its final checkpoint"
disk_bytes=$(find "$work/state" -name '*.ckpt' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
files=$(find "$work/state" -name '*.ckpt' -printf '%f %s\n' | sort | tr '\n' ' ')
ckpt_per_ticket=$(awk -v b="$disk_bytes" -v n="$n" 'BEGIN { printf "%.0f", b / n }')

# --- the restarts ---
# run_case NAME: starts slad on NAME.toml, times /readyz, reads its metrics, stops it.
# Appends "ready_s hwm_mib tickets join_s restore_s stop_s rc sources" to $work/NAME.rows.
run_case() {
  local name=$1 started ready_ns code hwm tickets join restore sources
  case "$name" in
    topic) rm -rf "$work/empty" ;;
    # A new state topic each time: the replayed run writes a final checkpoint on SIGTERM.
    replay) rm -rf "$work/none"; config "$work/none" "$topic.state-replay-$runs" >"$work/replay.toml" ;;
  esac
  started=$(now_ns)
  runs=$((runs + 1))
  local run_log="$work/$name.$runs.log"
  "$slad" run -c "$work/$name.toml" --log-format json --drain-timeout "$drain_timeout" 2>"$run_log" &
  daemon_pid=$!
  local polls=0
  while :; do
    code=$(curl -s -o /dev/null --max-time 1 -w '%{http_code}' "127.0.0.1:$port/readyz" || true)
    if [ "$code" = 200 ]; then ready_ns=$(now_ns); break; fi
    kill -0 "$daemon_pid" 2>/dev/null || die "slad exited before it was ready ($name)"
    polls=$((polls + 1))
    [ $((polls % 50)) = 0 ] && rss_guard "$daemon_pid"
    sleep 0.01
  done
  hwm=$(status_kb "$daemon_pid" VmHWM)
  scrape >"$work/$name.metrics"
  stop "$daemon_pid"
  read -r join restore tickets sources < <(summarize "$run_log")
  echo "$(secs "$started" "$ready_ns") $(mib "$hwm") $tickets $join $restore $stop_s $stop_rc $sources" >>"$work/$name.rows"
  log "  $name: ready after $(secs "$started" "$ready_ns") s (group join $join s, slowest partition restore $restore s; $sources), VmHWM $(mib "$hwm") MiB, tickets $tickets, stop $stop_s s (exit $stop_rc)"
  [ "${tickets%.*}" = "$n" ] || log "  WARNING: $name restored $tickets tickets, expected $n"
}

runs=0
cases="local topic"
[ "$replay" = 1 ] && cases="$cases replay"
for name in $cases; do
  log "restart, case $name (x$repeat)"
  for _ in $(seq 1 "$repeat"); do run_case "$name"; done
done

# --- the table ---
{
  echo "slad restart-to-ready: N=$n open tickets, $partitions partitions, $shards shards, $tenants tenants"
  echo "  $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $("$slad" --version 2>/dev/null | head -1), broker $broker"
  echo "  kafka.properties: ${properties:-none}"
  [ -n "$broker_pid" ] && echo "  tansu RSS $(mib "$(status_kb "$broker_pid" VmRSS)") MiB"
  echo "  backfill $backfill_s s; first run consumed $n in $consume_s s (tickets $tickets, armed timers $timers), RSS $(mib "$rss_consumed") MiB"
  echo "  SIGTERM with final checkpoints: exit $first_rc after $first_drain_s s, $published of $partitions published;"
  echo "  encode $encode_s s + write $write_s s (sums over partitions); peak RSS of the first run $(mib "$first_hwm_kb") MiB"
  echo "  checkpoints: $disk_bytes bytes on disk ($ckpt_per_ticket bytes/ticket): $files"
  echo "  slad_checkpoint_bytes (sum) $ckpt_gauge, slad_state_topic_bytes_total $topic_bytes"
  echo
  printf '%-7s %8s %7s %7s %8s %10s %9s %13s %7s  %s\n' \
    case ready_s min_s max_s join_s restore_s tickets peak_rss_MiB stop_s sources
  for name in $cases; do
    sort -n "$work/$name.rows" | awk -v name="$name" '
      { r[NR] = $1; h[NR] = $2; t[NR] = $3; j[NR] = $4; rs[NR] = $5; s[NR] = $6; src[NR] = $8 }
      END {
        m = int((NR + 1) / 2)
        printf "%-7s %8.2f %7.2f %7.2f %8s %10s %9s %13s %7s  %s\n",
          name, r[m], r[1], r[NR], j[m], rs[m], t[m], h[m], s[m], src[m]
      }'
  done
  echo
  echo "ready_s: start of slad run to /readyz 200 (median of $repeat, min, max); join_s: start to the"
  echo "group's assignment; restore_s: the slowest partition's assignment to restored (log 'partition"
  echo "ready'); tickets: restored; peak_rss: VmHWM at ready; stop_s: SIGTERM to exit."
} | tee "$work/results.txt"
