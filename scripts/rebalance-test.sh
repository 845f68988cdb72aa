#!/usr/bin/env bash
# Rebalances while a checkpoint is being captured. Two instances share the input: instance 0
# runs throughout; instance 1 joins (cooperative rebalancing revokes some of instance 0's
# partitions) and leaves with SIGTERM (instance 0 is assigned them again), once per cycle,
# while input keeps coming. In both, the first of two lanes waits at each checkpoint barrier
# (EXACTLY_SLOW_BARRIER_MS) while the second captures at once and goes on with the records
# behind its barrier: a capture is pending most of the time and the rebalances land in it.
# That is the window in which a revocation must commit the checkpoint under way and one more,
# since the checkpoint under way does not hold the records processed behind its barrier. A read_committed consumer (Debian's
# confluent-kafka) then checks that every expected output appears exactly once and nothing
# else does, and the logs must show that revocations did come during a capture.
#
#   scripts/rebalance-test.sh                 4 cycles (the default test run)
#   options: --cycles N --records N (default 40000) --keys N (default 1000) --barrier-ms N (default 150)
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$EXACTLY_ROOT"

cycles=4
records=40000
keys=1000
partitions=8
barrier_ms=150
while [ $# -gt 0 ]; do
    case "$1" in
        --cycles) cycles="$2"; shift 2 ;;
        --records) records="$2"; shift 2 ;;
        --keys) keys="$2"; shift 2 ;;
        --barrier-ms) barrier_ms="$2"; shift 2 ;;
        *) echo "unknown option $1 (allowed: --cycles N, --records N, --keys N, --barrier-ms N)" >&2; exit 2 ;;
    esac
done
[ "$cycles" -ge 1 ] || { echo "--cycles must be at least 1" >&2; exit 2; }

ensure_build_dependencies
ensure_debian_packages python3-confluent-kafka
if [ -z "${EXACTLY_BIN:-}" ]; then
    say "building exactly"
    swift build --product exactly >/dev/null
    EXACTLY_BIN="$(swift build --show-bin-path)/exactly"
fi
workload() { /usr/bin/python3 scripts/crash/workload.py "$@"; }

work=$(mktemp -d)
broker_pid=""
first_pid=""
second_pid=""
cleanup() {
    for pid in "$first_pid" "$second_pid"; do [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true; done
    [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    if [ "${failed:-0}" = 1 ]; then say "logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() { failed=1; echo "$*" >&2; exit 1; }

start_dev_broker "$EXACTLY_BIN" "$work/broker.log" --data-dir "$work/broker" --default-partitions "$partitions"
broker_pid=$BROKER_PID
bootstrap=$BOOTSTRAP

# A 50 ms interval after a 150 ms barrier: a capture is pending for most of each cycle.
sed -e "s#bootstrap: .*#bootstrap: $bootstrap#" -e "s#dir: .*#dir: $work/checkpoints#" \
    -e "s#interval: .*#interval: 50ms#" demo/order-totals.yaml > "$work/pipeline-0.yaml"
printf 'processing:\n  lanes: 2\n' >> "$work/pipeline-0.yaml"
sed -e 's#^instance: .*#instance: "1"#' "$work/pipeline-0.yaml" > "$work/pipeline-1.yaml"
workload expected --partitions "$partitions" --records "$records" --keys "$keys" > "$work/expected.jsonl"

# Input arrives in pieces all through each cycle, so that records are behind a barrier when a
# rebalance comes (a backlog consumed before instance 1 joins would leave none).
chunk=$(( (records + cycles) / (cycles + 1) ))
piece=$(( chunk / 20 > 0 ? chunk / 20 : 1 ))
produced=0
trickle() {  # trickle START COUNT
    local at=$1 end=$(( $1 + $2 )) count
    while [ "$at" -lt "$end" ]; do
        count=$(( end - at < piece ? end - at : piece ))
        workload produce --bootstrap "$bootstrap" --topic orders --partitions "$partitions" --records "$count" --keys "$keys" --start "$at" > /dev/null
        at=$(( at + count ))
        sleep 0.1
    done
}
next_chunk() {  # the size of the next chunk of input
    echo $(( records - produced < chunk ? records - produced : chunk ))
}

say "rebalance test: $cycles cycles, $records records, $keys keys, the first of two lanes held ${barrier_ms} ms at each barrier"
count=$(next_chunk)
trickle "$produced" "$count"
produced=$(( produced + count ))
EXACTLY_SLOW_BARRIER_MS=$barrier_ms "$EXACTLY_BIN" run --config "$work/pipeline-0.yaml" > "$work/instance-0.log" 2>&1 &
first_pid=$!
sleep 2
for cycle in $(seq 1 "$cycles"); do
    count=$(next_chunk)
    trickle "$produced" "$count" &
    trickle_pid=$!
    produced=$(( produced + count ))
    log="$work/instance-1-$cycle.log"
    EXACTLY_SLOW_BARRIER_MS=$barrier_ms "$EXACTLY_BIN" run --config "$work/pipeline-1.yaml" > "$log" 2>&1 &
    second_pid=$!
    sleep 3
    kill -TERM "$second_pid"
    status=0
    wait "$second_pid" || status=$?
    second_pid=""
    wait "$trickle_pid" || fail "cycle $cycle: producing input failed"
    [ "$status" = 0 ] || fail "cycle $cycle: instance 1 did not stop cleanly on SIGTERM (exit $status, log: $log)"
    kill -0 "$first_pid" 2>/dev/null || fail "cycle $cycle: instance 0 stopped (log: $work/instance-0.log)"
    echo "cycle $cycle: instance 1 joined and left"
done
count=$(( records - produced ))
trickle "$produced" "$count"
produced=$records

say "checking the output"
workload verify --bootstrap "$bootstrap" --topic order-totals --expected "$work/expected.jsonl" --wait 180 || fail "the output is not exactly once (logs: $work)"
kill -TERM "$first_pid"
status=0
wait "$first_pid" || status=$?
first_pid=""
[ "$status" = 0 ] || fail "instance 0 did not stop cleanly on SIGTERM (exit $status, log: $work/instance-0.log)"

# The test proves nothing unless the revocations came while a capture was pending.
revocations=$(grep -c "revoked while checkpoint .* is being captured" "$work/instance-0.log" || true)
during_capture=$(grep -oE "[0-9]+ rebalances came during a capture" "$work/instance-0.log" | grep -oE "^[0-9]+" || echo 0)
[ "$revocations" -ge 1 ] || fail "no revocation came during a capture in instance 0 (log: $work/instance-0.log): the test did not test what it is for"
echo "rebalance test passed: $cycles joins and leaves, $during_capture rebalances of instance 0 during a capture ($revocations of them revocations); $records records, exactly once"
