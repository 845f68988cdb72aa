#!/usr/bin/env bash
# The exactly-once pipeline against a raw librdkafka consume->produce pipe, in one run, on the
# development broker (release builds). Prints records/s of each, the ratio to the raw pipe,
# the checkpoint stall (p50, p99), and the time to first output after a kill with 1M keys.
#
#   scripts/bench-pipeline.sh [RECORDS] [KEYS]        defaults: 5000000 100000
#
# Goals (issue 5): >= 0.9 of the raw pipe at a 1 s interval, >= 0.8 at 100 ms; stall p99 < 5 ms;
# first output within 1 s of a restart with 1 million keys of state.
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$EXACTLY_ROOT"
records=${1:-5000000}
keys=${2:-100000}
partitions=8

ensure_build_dependencies
say "building exactly (release)"
swift build -c release --product exactly >/dev/null
exactly="$(swift build -c release --show-bin-path)/exactly"
work=$(mktemp -d)
broker_pid=""
cleanup() {
    [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
say "compiling the load tool (scripts/bench/pipeline-load.c)"
cc -O2 -o "$work/pipeline-load" scripts/bench/pipeline-load.c $(pkg-config --cflags --libs rdkafka)
load="$work/pipeline-load"

start_dev_broker "$exactly" "$work/broker.log" --data-dir "$work/broker" --default-partitions "$partitions"
broker_pid=$BROKER_PID
bootstrap=$BOOTSTRAP

# A pipeline configuration for application $1 reading $2, writing $3, checkpointing every $4.
config() {
    sed -e "s#^application: .*#application: $1#" -e "s#bootstrap: .*#bootstrap: $bootstrap#" \
        -e "s#topics: .*#topics: [$2]#" -e "s#  topic: .*#  topic: $3#" -e "s#dead_letter_topic: .*#dead_letter_topic: $3-dead-letters#" \
        -e "s#dir: .*#dir: $work/checkpoints#" -e "s#interval: .*#interval: $4#" demo/order-totals.yaml > "$work/$1.yaml"
    echo "$work/$1.yaml"
}
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }

say "input: $records JSON records of about 100 bytes, $keys keys, $partitions partitions ($(nproc) cores)"
"$load" produce "$bootstrap" orders "$records" "$keys" "$partitions"

say "1/4 raw librdkafka pipe (no state, no transactions)"
raw=$("$load" pipe "$bootstrap" orders raw-out "$records")
echo "$raw"
raw_rate=$(echo "$raw" | field records_per_second)

say "2/4 exactly-once running sum, checkpoint every 1 s"
one_second=$("$exactly" run --config "$(config bench-1s orders out-1s 1s)" --stop-after-records "$records" --log-level warning)
echo "$one_second"
say "3/4 exactly-once running sum, checkpoint every 100 ms"
hundred_ms=$("$exactly" run --config "$(config bench-100ms orders out-100ms 100ms)" --stop-after-records "$records" --log-level warning)
echo "$hundred_ms"

say "4/4 recovery: 1,000,000 keys of state, a kill, a restart"
"$load" produce "$bootstrap" recovery-in 1000000 1000000 "$partitions"
recovery_config=$(config bench-recovery recovery-in recovery-out 1s)
"$exactly" run --config "$recovery_config" --stop-after-records 1000000 --log-level warning > "$work/recovery-fill.txt"
"$exactly" run --config "$recovery_config" --log-level warning > "$work/recovery-idle.txt" 2>&1 &
idle_pid=$!
sleep 5
kill -9 "$idle_pid"; { wait "$idle_pid"; } 2>/dev/null || true
"$load" produce "$bootstrap" recovery-in 1000 1000 "$partitions" 7000000
recovery=$("$exactly" run --config "$recovery_config" --stop-after-records 1000 --log-level warning)
echo "$recovery"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo
echo "== results ($records records, $keys keys, $partitions partitions, $(nproc) cores, $(date -u +%Y-%m-%d))"
printf '%-34s %12s %8s %s\n' "pipeline" "records/s" "ratio" "goal"
printf '%-34s %12s %8s\n' "raw librdkafka pipe" "$raw_rate" "1.00"
printf '%-34s %12s %8s %s\n' "exactly-once, 1 s checkpoints" "$(echo "$one_second" | field records_per_second)" "$(ratio "$(echo "$one_second" | field records_per_second)" "$raw_rate")" ">= 0.90"
printf '%-34s %12s %8s %s\n' "exactly-once, 100 ms checkpoints" "$(echo "$hundred_ms" | field records_per_second)" "$(ratio "$(echo "$hundred_ms" | field records_per_second)" "$raw_rate")" ">= 0.80"
echo "checkpoint stall, 1 s:    p50 $(echo "$one_second" | field stall_p50_ms) ms, p99 $(echo "$one_second" | field stall_p99_ms) ms ($(echo "$one_second" | field checkpoints) checkpoints; goal p99 < 5 ms)"
echo "  of which capture:       p50 $(echo "$one_second" | field capture_p50_ms) ms, p99 $(echo "$one_second" | field capture_p99_ms) ms (the rest is the commit round trip)"
echo "checkpoint stall, 100 ms: p50 $(echo "$hundred_ms" | field stall_p50_ms) ms, p99 $(echo "$hundred_ms" | field stall_p99_ms) ms ($(echo "$hundred_ms" | field checkpoints) checkpoints)"
echo "processing thread CPU per record: 1 s $(echo "$one_second" | field thread_cpu_us_per_record) us, 100 ms $(echo "$hundred_ms" | field thread_cpu_us_per_record) us (the rest of a record's cost is librdkafka's threads and the broker)"
echo "first output after a kill and restart with 1M keys: $(echo "$recovery" | field first_output_ms) ms (goal < 1000 ms)"
