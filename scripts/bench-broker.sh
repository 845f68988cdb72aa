#!/usr/bin/env bash
# Produce and fetch throughput of small records through librdkafka against the development
# broker (release build). Prints records/s and MB/s each way.
#
#   scripts/bench-broker.sh [RECORDS] [SIZE] [PARTITIONS]     defaults: 5000000 100 1
#   BENCH_DATA_DIR=1 scripts/bench-broker.sh                 the broker keeps its log on disk
#
# The load generator is scripts/bench/broker-load.c, compiled here against the system librdkafka.
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$EXACTLY_ROOT"
RECORDS=${1:-5000000}
SIZE=${2:-100}
PARTITIONS=${3:-1}

ensure_build_dependencies
build_release_exactly
BIN=$EXACTLY_RELEASE

OUT="$EXACTLY_ROOT/.build/bench"
mkdir -p "$OUT"
say "compiling the load generator"
cc -O2 -o "$OUT/broker-load" scripts/bench/broker-load.c $(pkg-config --cflags --libs rdkafka)

BROKER_ARGS=()
if [ -n "${BENCH_DATA_DIR:-}" ]; then
    rm -rf "$OUT/data"
    BROKER_ARGS=(--data-dir "$OUT/data")
fi
trap 'kill ${BROKER_PID:-} 2>/dev/null; wait ${BROKER_PID:-} 2>/dev/null || true' EXIT
start_dev_broker "$BIN" "$OUT/broker.log" --default-partitions "$PARTITIONS" "${BROKER_ARGS[@]}"
PORT=$BROKER_PORT

say "$RECORDS records of $SIZE bytes, $PARTITIONS partition(s), $(nproc) cores, ${BROKER_ARGS[*]:-in memory}"
"$OUT/broker-load" "127.0.0.1:$PORT" "bench-$$" "$RECORDS" "$SIZE" "$PARTITIONS"
