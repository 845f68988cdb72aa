#!/usr/bin/env bash
# Runs the main job. Installs what is missing first and says so.
#
#   scripts/run.sh                        the demo: development broker, sample input, the
#                                         running-totals pipeline, a crash mid-run, a restart,
#                                         and a check that the output is still exactly once
#   scripts/run.sh --config FILE          run your pipeline (on the embedded development broker
#                                         when FILE names no kafka.bootstrap)
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$EXACTLY_ROOT"

ensure_build_dependencies
build_release_exactly
exactly=$EXACTLY_RELEASE

if [ $# -gt 0 ]; then
    exec "$exactly" run "$@"
fi

ensure_debian_packages python3-confluent-kafka
workload() { /usr/bin/python3 scripts/crash/workload.py "$@"; }
demo=".exactly/demo"
rm -rf "$demo" && mkdir -p "$demo"
broker_pid=""
processor_pid=""
cleanup() {
    [ -n "$processor_pid" ] && kill -9 "$processor_pid" 2>/dev/null || true
    [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap cleanup EXIT

say "starting the development broker (logs: $demo/broker.log)"
start_dev_broker "$exactly" "$demo/broker.log" --data-dir "$demo/broker" --default-partitions 8
broker_pid=$BROKER_PID
port=$BROKER_PORT
say "the development broker listens on $BOOTSTRAP"

records=1000000
say "writing $records sample orders to topic 'orders' (8 partitions, 5,000 users)"
workload produce --bootstrap "127.0.0.1:$port" --topic orders --partitions 8 --records "$records" --keys 5000
workload expected --partitions 8 --records "$records" --keys 5000 > "$demo/expected.jsonl"
sed -e "s#bootstrap: .*#bootstrap: 127.0.0.1:$port#" -e "s#dir: .*#dir: $demo/checkpoints#" demo/order-totals.yaml > "$demo/pipeline.yaml"

say "running the pipeline (demo/order-totals.yaml): a running count and sum of amount per user"
say "it will crash on purpose (SIGKILL) at its 2nd checkpoint, after the state is saved and before"
say "the Kafka transaction commits: the moment other stream processors handle badly"
EXACTLY_CRASH_AT=afterManifestDurable:2 "$exactly" run --config "$demo/pipeline.yaml" > "$demo/run-1.log" 2>&1 &
processor_pid=$!
{ wait "$processor_pid"; } 2>/dev/null || true
say "crashed."

say "restarting it: it restores the checkpoint Kafka committed and goes on (logs: $demo/run-2.log)"
"$exactly" run --config "$demo/pipeline.yaml" > "$demo/run-2.log" 2>&1 &
processor_pid=$!

say "checking the output as a read_committed consumer sees it"
workload verify --bootstrap "127.0.0.1:$port" --topic order-totals --expected "$demo/expected.jsonl" --wait 120
say "what the restarted processor did on start-up:"
grep -E "restored checkpoint|fresh start" "$demo/run-2.log" | sed -e 's/^.*\[Runtime\] /    /' | head -n 8
say "the last totals of a few users:"
tail -n 3 "$demo/expected.jsonl"

kill -TERM "$processor_pid"
wait "$processor_pid"
processor_pid=""
say "done: the processor finished its checkpoint and stopped on SIGTERM. Run your own pipeline with: scripts/run.sh --config FILE"
