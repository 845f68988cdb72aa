#!/usr/bin/env bash
# Rebalances while a checkpoint is being captured. Two instances share the input: instance 0
# runs throughout; instance 1 joins (cooperative rebalancing revokes some of instance 0's
# partitions) and leaves with SIGTERM (instance 0 is assigned them again), once per cycle,
# while input keeps coming. In both, the first of two lanes waits at each checkpoint barrier
# (EXACTLY_SLOW_BARRIER_MS) while the second captures at once and goes on with the records
# behind its barrier: a capture is pending most of the time, and the rebalances land in it.
# That is the window in which a revocation must commit the checkpoint under way and one more:
# the checkpoint under way does not hold the records processed behind its barriers.
#
# A read_committed consumer (Debian's confluent-kafka) then checks that every expected output
# appears exactly once and nothing else does. The script also fails unless instance 0 gave up
# partitions in every cycle and at least once while a capture was pending.
#
#   scripts/rebalance-test.sh                 4 cycles (the default test run)
#   KAFKA_BOOTSTRAP=host:port scripts/rebalance-test.sh
#                                             against that Kafka, on topics of its own
#   options: --cycles N, --records N (default 40000), --keys N (default 1000),
#            --barrier-ms N (default 150)
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$EXACTLY_ROOT"

cycles=4
records=40000
keys=1000
partitions=8
barrier_ms=150
number() {  # number OPTION VALUE: VALUE, when it is a whole number of at least 1
    case "$2" in
        '' | *[!0-9]* | 0) echo "$1 needs a whole number of at least 1, not \`$2\`" >&2; exit 2 ;;
    esac
    echo "$2"
}
while [ $# -gt 0 ]; do
    case "$1" in
        --cycles) cycles=$(number "$1" "${2:-}"); shift 2 ;;
        --records) records=$(number "$1" "${2:-}"); shift 2 ;;
        --keys) keys=$(number "$1" "${2:-}"); shift 2 ;;
        --barrier-ms) barrier_ms=$(number "$1" "${2:-}"); shift 2 ;;
        *) echo "unknown option $1 (allowed: --cycles N, --records N, --keys N, --barrier-ms N)" >&2; exit 2 ;;
    esac
done

prepare_workload_test

work=$(mktemp -d)
broker_pid=""
first_pid=""
second_pid=""
trickle_pid=""
cleanup() {
    local status=$?
    for pid in "$first_pid" "$second_pid" "$trickle_pid"; do [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true; done
    [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    if [ "$status" != 0 ]; then say "failed; logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() { echo "$*" >&2; exit 1; }
lines_matching() { grep -c "$1" "$2" 2>/dev/null || true; }  # lines_matching PATTERN FILE: how many, 0 if none
wait_until() {  # wait_until SECONDS WHAT CONDITION: evaluates the shell CONDITION every 0.1 s
    local tenths=$(( $1 * 10 )) what=$2 condition=$3
    for _ in $(seq "$tenths"); do eval "$condition" && return 0; sleep 0.1; done
    fail "waited $((tenths / 10)) s for $what"
}
stop_instance() {  # stop_instance PID NAME LOG: SIGTERM, then at most 60 s to exit with 0
    local pid=$1 name=$2 log=$3 status=0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        kill -9 "$pid" 2>/dev/null || true
        fail "$name did not stop within 60 s of SIGTERM (log: $log)"
    fi
    wait "$pid" || status=$?
    [ "$status" = 0 ] || fail "$name did not stop cleanly on SIGTERM (exit $status, log: $log)"
}

workload_kafka "$work" "$partitions"
broker_pid=$BROKER_PID
bootstrap=$BOOTSTRAP

# A 50 ms interval after a 150 ms barrier: a capture is pending for most of each cycle. Two
# lanes, whatever the machine's cores. Dynamic membership, so that a member that leaves gives
# its partitions back at once (a static member's stay with its identity until the session
# times out).
workload_config "$work/pipeline-0.yaml" "$work/checkpoints" 50ms
sed -i -e "s#^  transaction_timeout: .*#&\n  static_membership: false#" "$work/pipeline-0.yaml"
printf 'processing:\n  lanes: 2\n' >> "$work/pipeline-0.yaml"
sed -e 's#^instance: .*#instance: "1"#' "$work/pipeline-0.yaml" > "$work/pipeline-1.yaml"
workload expected --partitions "$partitions" --records "$records" --keys "$keys" > "$work/expected.jsonl"

# Input arrives in pieces all through each cycle, so that records are behind a barrier when a
# rebalance comes (a backlog consumed before instance 1 joins would leave none).
chunk=$(( (records + cycles) / (cycles + 1) ))
piece=$(( chunk / 20 > 0 ? chunk / 20 : 1 ))
produced=0
trickle() {  # trickle START COUNT
    local at=$1 end=$(( $1 + $2 )) size
    while [ "$at" -lt "$end" ]; do
        size=$(( end - at < piece ? end - at : piece ))
        workload produce --bootstrap "$bootstrap" --topic "$INPUT_TOPIC" --partitions "$partitions" --records "$size" --keys "$keys" --start "$at" > /dev/null
        at=$(( at + size ))
        sleep 0.1
    done
}
next_chunk() {  # the size of the next chunk of input
    echo $(( records - produced < chunk ? records - produced : chunk ))
}

say "rebalance test: $cycles cycles, $records records, $keys keys, the first of two lanes held ${barrier_ms} ms at each barrier"
size=$(next_chunk)
trickle "$produced" "$size"
produced=$(( produced + size ))
log0="$work/instance-0.log"
EXACTLY_SLOW_BARRIER_MS=$barrier_ms "$EXACTLY_BIN" run --config "$work/pipeline-0.yaml" > "$log0" 2>&1 &
first_pid=$!
assigned="fresh start\|restored checkpoint"
wait_until 60 "instance 0 to be assigned its partitions (log: $log0)" '[ "$(lines_matching "$assigned" "$log0")" -ge "$partitions" ]'
for cycle in $(seq 1 "$cycles"); do
    size=$(next_chunk)
    trickle "$produced" "$size" &
    trickle_pid=$!
    produced=$(( produced + size ))
    log1="$work/instance-1-$cycle.log"
    revoked_before=$(lines_matching "revoked" "$log0")
    assigned_before=$(lines_matching "$assigned" "$log0")
    EXACTLY_SLOW_BARRIER_MS=$barrier_ms "$EXACTLY_BIN" run --config "$work/pipeline-1.yaml" > "$log1" 2>&1 &
    second_pid=$!
    wait_until 60 "instance 1 to be assigned partitions in cycle $cycle (log: $log1)" 'grep -q "$assigned" "$log1"'
    wait_until 30 "instance 0 to give up partitions in cycle $cycle (log: $log0)" '[ "$(lines_matching "revoked" "$log0")" -gt "$revoked_before" ]'
    sleep 1  # both process for a while
    stop_instance "$second_pid" "instance 1 (cycle $cycle)" "$log1"
    second_pid=""
    # Every partition it gave up this cycle, not merely one: the restores are logged one line
    # per partition, and a count taken while they are being written would let the next cycle
    # start before instance 0 holds them all (the next member then gets them without anything
    # being revoked from instance 0).
    given_up=$(grep "revoked" "$log0" | tail -n +"$(( revoked_before + 1 ))" | sed -n 's/.*partitions \[\([^]]*\)\].*/\1/p' | tr ',' '\n' | grep -c . || true)
    [ "$given_up" -gt 0 ] || fail "cycle $cycle: could not tell which partitions instance 0 gave up (log: $log0)"
    wait_until 60 "instance 0 to take instance 1's $given_up partitions back in cycle $cycle (log: $log0)" '[ "$(lines_matching "$assigned" "$log0")" -ge "$(( assigned_before + given_up ))" ]'
    wait "$trickle_pid" || fail "cycle $cycle: producing input failed"
    trickle_pid=""
    kill -0 "$first_pid" 2>/dev/null || fail "cycle $cycle: instance 0 stopped (log: $log0)"
    echo "cycle $cycle: instance 1 joined and left; instance 0 gave up partitions and took them back"
done
trickle "$produced" $(( records - produced ))
produced=$records

say "checking the output"
workload verify --bootstrap "$bootstrap" --topic "$OUTPUT_TOPIC" --expected "$work/expected.jsonl" --wait 180 || fail "the output is not exactly once (logs: $work)"
stop_instance "$first_pid" "instance 0" "$log0"
first_pid=""

# The test proves nothing unless revocations came while a capture was pending.
during_capture=$(lines_matching "revoked while checkpoint .* is being captured" "$log0")
revocations=$(lines_matching "revoked" "$log0")
[ "$during_capture" -ge 1 ] || fail "none of instance 0's $revocations revocations came during a capture (log: $log0): the test did not test what it is for"
workload_kafka_done
echo "rebalance test passed: $cycles joins and leaves; $revocations revocations in instance 0, $during_capture of them during a capture; $records records, exactly once"
