#!/usr/bin/env bash
# The metrics endpoint of `exactly run --metrics-port`, end to end (on the development broker,
# or on the Kafka named by KAFKA_BOOTSTRAP, on topics of its own):
# a scrape while the processor runs shows the records it processed and produced, its committed
# checkpoints, stall and commit histograms, its assigned partitions, and librdkafka's consumer
# lag; the health probes /livez and /readyz answer 200 while it runs, and /readyz 503 ("starting")
# while the Kafka it was given is not there; other paths are 404; a bad port is refused with a
# message naming it; SIGTERM still finishes with a checkpoint and exit 0. Also the log's progress
# line (--progress-interval).
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$EXACTLY_ROOT"
ensure_build_dependencies
ensure_debian_packages python3-confluent-kafka curl
ensure_exactly_binary
work=$(mktemp -d)
broker_pid=""
run_pid=""
fail() { echo "metrics test FAILED: $*" >&2; echo "logs kept in $work" >&2; exit 1; }
cleanup() {
    [ -n "$run_pid" ] && kill -KILL "$run_pid" 2>/dev/null
    [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null
    wait 2>/dev/null || true
}
trap cleanup EXIT

workload_kafka "$work" 4
broker_pid=$BROKER_PID
workload_config "$work/pipeline.yaml" "$work/checkpoints" 500ms
workload produce --bootstrap "$BOOTSTRAP" --topic "$INPUT_TOPIC" --partitions 4 --records 20000 --keys 200 > /dev/null

if "$EXACTLY_BIN" run --config "$work/pipeline.yaml" --metrics-port 70000 > "$work/bad-port.txt" 2>&1; then
    fail "--metrics-port 70000 was accepted"
fi
grep -q "metrics-port 70000" "$work/bad-port.txt" || fail "the refusal of a bad port does not name it: $(cat "$work/bad-port.txt")"
if "$EXACTLY_BIN" run --config "$work/pipeline.yaml" --progress-interval=-5 > "$work/bad-interval.txt" 2>&1; then
    fail "--progress-interval=-5 was accepted"
fi
grep -q "progress-interval -5" "$work/bad-interval.txt" || fail "the refusal of a negative progress interval does not name it: $(cat "$work/bad-interval.txt")"

# probe PORT PATH: the status code, then the body's line, of a health probe.
probe() { curl -s -o "$work/probe.txt" -w '%{http_code}' "http://127.0.0.1:$1$2" || true; }

# With no Kafka at the address it was given, the processor is alive but not ready: it is starting.
sed "s#bootstrap: .*#bootstrap: 127.0.0.1:$(free_port)#" "$work/pipeline.yaml" > "$work/nowhere.yaml"
port=$(free_port)
"$EXACTLY_BIN" run --config "$work/nowhere.yaml" --metrics-port "$port" --metrics-host 127.0.0.1 > "$work/nowhere.log" 2>&1 &
run_pid=$!
deadline=$((SECONDS + 20))
until [ "$(probe "$port" /readyz)" = 503 ]; do
    kill -0 "$run_pid" 2>/dev/null || fail "exactly run without a Kafka stopped before its readiness could be read: $(tail -5 "$work/nowhere.log")"
    [ $SECONDS -lt $deadline ] || fail "/readyz did not answer 503 within 20 s while Kafka is out of reach (last: $(cat "$work/probe.txt" 2>/dev/null))"
    sleep 0.2
done
grep -q "^failing: starting for .* s: initializing transactions and joining the consumer group" "$work/probe.txt"     || fail "/readyz without a Kafka does not say it is starting: $(cat "$work/probe.txt")"
[ "$(probe "$port" /livez)" = 200 ] || fail "/livez without a Kafka answered $(cat "$work/probe.txt"), not 200 (starting is alive)"
kill -KILL "$run_pid"; wait "$run_pid" 2>/dev/null || true; run_pid=""

port=$(free_port)
"$EXACTLY_BIN" run --config "$work/pipeline.yaml" --metrics-port "$port" --metrics-host 127.0.0.1 --progress-interval 2 > "$work/run.log" 2>&1 &
run_pid=$!
url="http://127.0.0.1:$port/metrics"
value() { { grep -E "^$1(\{| )" "$work/metrics.txt" || true; } | head -n 1 | awk '{print $NF}'; }
# librdkafka reports its statistics every 10 s: wait for the consumer lag too.
deadline=$((SECONDS + 90))
while :; do
    curl -sf "$url" > "$work/metrics.txt" 2>/dev/null || true
    processed=$(value exactly_records_processed_total); committed=$(value exactly_checkpoints_committed_total)
    if [ "${processed%.*}" = 20000 ] && [ "${committed%.*}" -ge 1 ] 2>/dev/null && grep -q '^kafka_client_consumer_lag' "$work/metrics.txt"; then
        break
    fi
    kill -0 "$run_pid" 2>/dev/null || fail "exactly run stopped: $(tail -5 "$work/run.log")"
    [ $SECONDS -lt $deadline ] || fail "after 90 s the metrics show ${processed:-no} records processed and ${committed:-no} checkpoints committed: $(head -c 2000 "$work/metrics.txt")"
    sleep 1
done
for metric in exactly_records_produced_total exactly_checkpoint_stall_seconds_bucket exactly_commit_seconds_count exactly_assigned_partitions; do
    grep -q "^$metric" "$work/metrics.txt" || fail "$metric is missing from the scrape"
done
# Prometheus prints gauges as floating point (4.0) and counters as integers.
[ "$(value exactly_records_produced_total)" = 20000 ] || fail "exactly_records_produced_total is $(value exactly_records_produced_total), not 20000"
[ "$(value exactly_assigned_partitions | cut -d. -f1)" = 4 ] || fail "exactly_assigned_partitions is $(value exactly_assigned_partitions), not 4"
status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")
[ "$status" = 404 ] || fail "GET / answered $status, not 404"
# Running and committing (every 500 ms, with or without input): ready and alive.
[ "$(probe "$port" /readyz)" = 200 ] || fail "/readyz of a running processor answered: $(cat "$work/probe.txt")"
grep -Eq "^ok: the last checkpoint committed [0-9.]+ s ago; 4 partitions assigned$" "$work/probe.txt" \
    || fail "/readyz does not say when the last checkpoint committed and that 4 partitions are assigned: $(cat "$work/probe.txt")"
[ "$(probe "$port" /livez)" = 200 ] || fail "/livez of a running processor answered: $(cat "$work/probe.txt")"
grep -Eq "^ok: the processing loop came round [0-9.]+ s ago$" "$work/probe.txt" || fail "/livez says: $(cat "$work/probe.txt")"

# The log says the same every 2 s (--progress-interval); the scrape loop above took 10 s or more.
sleep 2.5
progress=$(grep "progress: " "$work/run.log" | tail -n 1)
case "$progress" in
    *"progress: 20,000 records read, "*" a second over the last "*" checkpoint"*" committed, the last ("*") "*" s ago; 4 partitions assigned") ;;
    *) fail "the last progress line does not say 20,000 records read, the checkpoints committed and 4 partitions: '${progress:-no progress line}'" ;;
esac

kill -TERM "$run_pid"
if ! wait "$run_pid"; then fail "exactly run did not exit 0 after SIGTERM: $(tail -5 "$work/run.log")"; fi
run_pid=""
workload_kafka_done
say "metrics test passed: a scrape showed 20000 records processed and produced, exactly_checkpoints_committed_total = $(value exactly_checkpoints_committed_total), the stall and commit histograms, 4 partitions and the consumer lag; /readyz and /livez 200 (/readyz 503, starting, without a Kafka); / is 404; a bad port is refused; the log's progress line said the same"
rm -rf "$work"
