#!/usr/bin/env bash
# A broker that goes away and comes back: the development broker is killed (SIGKILL or SIGTERM)
# at random moments under one running processor and started again on the same port and data, as
# a crash or a rolling restart of a Kafka broker would. The processors must ride out every outage
# on their own (they are never restarted; an outage longer than the group's session timeout loses
# their partitions, which they recover from their checkpoints), and a read_committed consumer
# (Debian's confluent-kafka, not our client) then checks that every expected output appears
# exactly once and nothing else does. Finally SIGTERM must stop each processor with status 0.
#
#   scripts/broker-restart-test.sh                  3 restarts under one processor, then 3 under
#                                                   two sharing the partitions (the default run)
#   scripts/broker-restart-test.sh --restarts 30    a long run
#   options: --instances N (processors sharing the partitions; default: 1, then 2)
#            --records N (total input per run, default 60000) --keys N (default 1000) --seed N
#
# Only on the development broker, which it restarts: a Kafka named by KAFKA_BOOTSTRAP is not
# this script's to restart (run `exactly run` on it and restart a broker by hand instead).
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$EXACTLY_ROOT"

restarts=3
instance_counts=(1 2)
records=60000
keys=1000
partitions=8
seed=$RANDOM
while [ $# -gt 0 ]; do
    case "$1" in
        --restarts) restarts="$2"; shift 2 ;;
        --instances) instance_counts=("$2"); shift 2 ;;
        --records) records="$2"; shift 2 ;;
        --keys) keys="$2"; shift 2 ;;
        --seed) seed="$2"; shift 2 ;;
        *) echo "unknown option $1 (allowed: --restarts N, --instances N, --records N, --keys N, --seed N)" >&2; exit 2 ;;
    esac
done
[ "$restarts" -ge 1 ] || { echo "--restarts must be at least 1" >&2; exit 2; }
[[ "${instance_counts[0]}" =~ ^[1-9][0-9]*$ ]] || { echo "--instances must be a whole number of at least 1, not ${instance_counts[0]}" >&2; exit 2; }
if [ -n "${KAFKA_BOOTSTRAP:-}" ]; then
    echo "scripts/broker-restart-test.sh restarts the development broker; it cannot restart the Kafka at $KAFKA_BOOTSTRAP (unset KAFKA_BOOTSTRAP to run it)" >&2
    exit 2
fi
RANDOM=$seed

prepare_workload_test
work=""
processor_pids=()
failed=0
cleanup() {
    for pid in "${processor_pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    [ -n "${BROKER_PID:-}" ] && kill "$BROKER_PID" 2>/dev/null || true
    wait 2>/dev/null || true
    if [ -n "$work" ]; then
        if [ "$failed" = 1 ]; then say "logs kept in $work"; else rm -rf "$work"; fi
    fi
}
trap cleanup EXIT
fail() { failed=1; echo "broker restart test FAILED: $*" >&2; exit 1; }
# Past the group's session timeout (the consumer's default, 10 s: ConsumerConfiguration).
long_outage=12

# run_with INSTANCES: one run on a broker of its own, INSTANCES processors sharing the partitions.
run_with() {
    local instances=$1
    work=$(mktemp -d)
    processor_pids=()
    workload_kafka "$work" "$partitions"
    bootstrap=$BOOTSTRAP
    workload_config "$work/pipeline.yaml" "$work/checkpoints" 200ms
    workload expected --partitions "$partitions" --records "$records" --keys "$keys" > "$work/expected.jsonl"

    say "broker restart test: $restarts restarts under $instances processor(s), $records records, $keys keys, seed $seed"
    # One chunk of input before the processors start (they refuse a source topic that does not
    # exist yet), then one after each restart, and the rest at the end.
    chunk=$(( records / (restarts + 1) ))
    produced=0
    produce_chunk "$chunk"
    for instance in $(seq 0 $(( instances - 1 ))); do
        sed -e "s#^instance: .*#instance: \"$instance\"#" "$work/pipeline.yaml" > "$work/pipeline-$instance.yaml"
        "$EXACTLY_BIN" run --config "$work/pipeline-$instance.yaml" > "$work/run-$instance.log" 2>&1 &
        processor_pids+=($!)
    done
    for restart in $(seq 1 "$restarts"); do
        # A random moment: in processing (the chunk just written, every other restart within its
        # first half second), a capture, a commit, or the recovery after the last outage.
        if [ $(( restart % 2 )) = 1 ]; then sleep "0.$(( RANDOM % 5 ))"; else sleep "$(( RANDOM % 20 / 10 )).$(( RANDOM % 10 ))"; fi
        if [ $(( RANDOM % 2 )) = 0 ]; then signal=KILL; else signal=TERM; fi
        # Every third outage outlasts the group's session timeout: the processors lose their partitions.
        if [ $(( restart % 3 )) = 0 ]; then outage=$long_outage; else outage="$(( RANDOM % 4 )).$(( RANDOM % 10 ))"; fi
        kill -"$signal" "$BROKER_PID"
        { wait "$BROKER_PID"; } 2>/dev/null || true
        sleep "$outage"
        for instance in $(seq 0 $(( instances - 1 ))); do
            kill -0 "${processor_pids[$instance]}" 2>/dev/null \
                || fail "processor $instance died while the broker was down (log: $work/run-$instance.log): $(tail -3 "$work/run-$instance.log")"
        done
        start_dev_broker "$EXACTLY_BIN" "$work/broker.log" --data-dir "$work/broker" --default-partitions "$partitions" \
            || fail "the development broker did not start again on its data (log: $work/broker.log)"
        echo "restart $restart: broker stopped with SIG$signal, down ${outage} s, back on port $BROKER_PORT"
        produce_chunk $(( restart < restarts ? chunk : records - produced ))
    done

    say "checking the output (the processors still running, never restarted)"
    workload verify --bootstrap "$bootstrap" --topic "$OUTPUT_TOPIC" --expected "$work/expected.jsonl" --wait 180 \
        || fail "the output is not exactly once (processor logs: $work/run-*.log)"
    for instance in $(seq 0 $(( instances - 1 ))); do
        kill -TERM "${processor_pids[$instance]}"
        status=0
        wait "${processor_pids[$instance]}" || status=$?
        [ "$status" = 0 ] || fail "processor $instance did not stop cleanly on SIGTERM: status $status (log: $work/run-$instance.log)"
    done
    processor_pids=()
    lost=$(cat "$work"/run-*.log | grep -c "were lost" || true)
    aborted=$(cat "$work"/run-*.log | grep -c "aborted; state and input rolled back" || true)
    stale=$(cat "$work"/run-*.log | grep -c "no longer knows this consumer's membership" || true)
    echo "broker restart test passed: $restarts restarts under $instances processor(s) ($lost times partitions were lost, $aborted checkpoints aborted and redone, $stale of them on a membership the restarted broker no longer knew); $records records, exactly once"
    kill "$BROKER_PID" 2>/dev/null || true
    { wait "$BROKER_PID"; } 2>/dev/null || true
    BROKER_PID=""
    rm -rf "$work"
    work=""
}

produce_chunk() {
    workload produce --bootstrap "$bootstrap" --topic "$INPUT_TOPIC" --partitions "$partitions" --records "$1" --keys "$keys" --start "$produced" > /dev/null
    produced=$(( produced + $1 ))
}

for instances in "${instance_counts[@]}"; do
    run_with "$instances"
done
