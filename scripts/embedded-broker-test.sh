#!/usr/bin/env bash
# `exactly run` without `kafka.bootstrap` starts the embedded development broker; when that broker
# cannot start, the refusal speaks in `exactly run`'s terms: a `checkpoint.dir` that cannot hold
# the broker's data is named as that key (not as the `--data-dir` of `exactly broker`) with the
# system's reason (not Foundation's error dump), and a port in use names --embedded-broker-port
# (not --port or --host). Either way the exit status is not 0. And when the broker's data
# directory stops taking writes in the middle of a run (a full disk, say), the run stops at once
# with status 1, naming the file and `checkpoint.dir`, instead of waiting on a broker that
# answers nothing. A second run on the same `checkpoint.dir` (a --dry-run audit beside the
# processor) is refused before its broker touches the running one's files, pointed at
# `kafka.bootstrap`, and the processor goes on.
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$EXACTLY_ROOT"
prepare_workload_test
work=$(mktemp -d)
BROKER_PID=""
RUN_PID=""
fail() { echo "embedded broker test FAILED: $*" >&2; echo "files kept in $work" >&2; exit 1; }
# BROKER_PID is set by start_dev_broker before it can give up, so a broker that started late is
# stopped too; nothing here may fail under set -e.
cleanup() {
    [ -z "$BROKER_PID" ] || kill "$BROKER_PID" 2>/dev/null || true
    # TERM to `timeout`, which passes it on to the run and kills it 10 s later if need be.
    [ -z "$RUN_PID" ] || kill "$RUN_PID" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap cleanup EXIT
# `exactly run` takes SIGTERM for "finish the checkpoint and stop": a hung run gets SIGKILL too.
run_refused() { timeout -k 10 60 "$EXACTLY_BIN" run --config "$work/pipeline.yaml" "$@"; }

# The demo pipeline without `kafka.bootstrap`, checkpoints under $1.
embedded_config() { sed -e '/^  bootstrap:/d' -e "s#^  dir: .*#  dir: $1#" demo/order-totals.yaml > "$work/pipeline.yaml"; }

# 1. checkpoint.dir below a regular file: the broker's data directory cannot be created.
touch "$work/a-file"
embedded_config "$work/a-file/checkpoints"
if run_refused --embedded-broker-port "$(free_port)" > "$work/unwritable.txt" 2>&1; then
    fail "a checkpoint.dir below a regular file was accepted"
fi
error=$(grep '^Error:' "$work/unwritable.txt" || true)
for expected in "checkpoint.dir" "$work/a-file/checkpoints" "Not a directory" "kafka.bootstrap"; do
    [[ "$error" == *"$expected"* ]] || fail "the refusal of an unwritable checkpoint.dir does not say \`$expected\`: $(cat "$work/unwritable.txt")"
done
for unexpected in "--data-dir" "NSCocoaErrorDomain"; do
    [[ "$error" != *"$unexpected"* ]] || fail "the refusal of an unwritable checkpoint.dir says \`$unexpected\`: $error"
done
say "an unwritable checkpoint.dir: $error"

# 2. The embedded broker's port is taken (by another development broker).
start_dev_broker "$EXACTLY_BIN" "$work/broker.log"
embedded_config "$work/checkpoints"
if run_refused --embedded-broker-port "$BROKER_PORT" > "$work/in-use.txt" 2>&1; then
    fail "an embedded broker port in use was accepted"
fi
error=$(grep '^Error:' "$work/in-use.txt" || true)
for expected in "127.0.0.1:$BROKER_PORT" "Address already in use" "--embedded-broker-port" "kafka.bootstrap"; do
    [[ "$error" == *"$expected"* ]] || fail "the refusal of a port in use does not say \`$expected\`: $(cat "$work/in-use.txt")"
done
for unexpected in "--port or" "--host"; do
    [[ "$error" != *"$unexpected"* ]] || fail "the refusal of a port in use says \`$unexpected\`: $error"
done
say "a port in use: $error"
kill "$BROKER_PID"
wait "$BROKER_PID" 2>/dev/null || true
BROKER_PID=""

# 3. The data directory fails mid-run: a directory stands where each partition file of the sink
#    and dead-letter topics goes, so the broker cannot set up the topic that the first output
#    creates (it removes only files it could have left there itself).
embedded_config "$work/full"
mkdir -p "$work/full/.embedded-broker/logs"
for topic in order-totals orders-dead-letters; do
    for p in 0 1 2 3 4 5 6 7; do mkdir "$work/full/.embedded-broker/logs/$topic-$p.log"; done
done
port=$(free_port)
timeout -k 10 120 "$EXACTLY_BIN" run --config "$work/pipeline.yaml" --embedded-broker-port "$port" > "$work/full.txt" 2>&1 &
RUN_PID=$!
for _ in $(seq 100); do grep -q "listening on 127.0.0.1:$port" "$work/full.txt" && break; sleep 0.1; done
grep -q "listening on 127.0.0.1:$port" "$work/full.txt" || fail "the embedded broker did not start: $(cat "$work/full.txt")"
# The run may stop before the producer has every acknowledgement: the checks below decide.
workload produce --bootstrap "127.0.0.1:$port" --topic orders --partitions 8 --records 100 --keys 10 >/dev/null 2>&1 || true
status=0
wait "$RUN_PID" || status=$?
RUN_PID=""
[ "$status" -eq 1 ] || fail "a run whose broker could not write its data directory ended with status $status, not 1: $(tail -5 "$work/full.txt")"
for expected in "order-totals-0 from the data directory" "$work/full/.embedded-broker/logs/order-totals-0.log: Is a directory" "acknowledges nothing" "checkpoint.dir" "stopping at once"; do
    grep -qF -- "$expected" "$work/full.txt" || fail "a run whose broker could not write its data directory does not say \`$expected\`: $(cat "$work/full.txt")"
done
say "a data directory that fails mid-run: $(grep -m1 'acknowledges nothing' "$work/full.txt")"

# 4. A --dry-run started beside a processor on the same checkpoint.dir: its embedded broker is
#    refused the data directory before it reads it (loading would replace the running broker's
#    state.log, whose later commits would then be lost at its restart).
embedded_config "$work/live"
port=$(free_port)
timeout -k 10 120 "$EXACTLY_BIN" run --config "$work/pipeline.yaml" --embedded-broker-port "$port" > "$work/live.txt" 2>&1 &
RUN_PID=$!
for _ in $(seq 100); do grep -q "listening on 127.0.0.1:$port" "$work/live.txt" && break; sleep 0.1; done
grep -q "listening on 127.0.0.1:$port" "$work/live.txt" || fail "the embedded broker did not start: $(cat "$work/live.txt")"
for _ in $(seq 100); do [ -f "$work/live/.embedded-broker/state.log" ] && break; sleep 0.1; done
inode=$(stat -c %i "$work/live/.embedded-broker/state.log")
processor=$(pgrep -P "$RUN_PID")  # the run itself, under `timeout`
if run_refused --replay-from-checkpoint latest --dry-run --embedded-broker-port "$(free_port)" > "$work/beside.txt" 2>&1; then
    fail "a second run on a checkpoint.dir in use was accepted"
fi
error=$(grep '^Error:' "$work/beside.txt" || true)
for expected in "$work/live/.embedded-broker is in use by another broker (pid $processor)" "checkpoint.dir" "kafka.bootstrap"; do
    [[ "$error" == *"$expected"* ]] || fail "the refusal of a checkpoint.dir in use does not say \`$expected\`: $(cat "$work/beside.txt")"
done
[ "$(stat -c %i "$work/live/.embedded-broker/state.log")" = "$inode" ] || fail "the refused run replaced the running broker's state.log"
kill -0 "$RUN_PID" 2>/dev/null || fail "the processor stopped when a second run was refused: $(tail -5 "$work/live.txt")"
# SIGTERM to the run itself: `timeout` would pass it on to its whole process group as well, a
# second signal, which the run takes for "stop at once".
kill -TERM "$processor"
status=0
wait "$RUN_PID" || status=$?
RUN_PID=""
[ "$status" -eq 0 ] || fail "the processor beside the refused run ended with status $status, not 0: $(tail -5 "$work/live.txt")"
say "a second run on a checkpoint.dir in use: $error"
say "embedded broker test passed"
rm -rf "$work"
