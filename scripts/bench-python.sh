#!/usr/bin/env bash
# exactly against a Python stream processor doing the same job exactly once, in one run, on the
# development broker: the demo pipeline (a running count and sum of `amount` per `user`, one
# updated total per input record) in exactly (release build) and in Quix Streams
# (scripts/bench/quix-totals.py: RocksDB state with a changelog topic, outputs, state changes
# and offsets in one Kafka transaction, committed every second as exactly checkpoints every
# second). Prints records/s and CPU per record of each and the ratio exactly / Quix.
#
#   scripts/bench-python.sh [RECORDS] [KEYS] [ROUNDS]    defaults: 1000000 100000 3
#
# The two run one after the other in each round, in alternating order (this machine's speed
# drifts from one minute to the next), and the ratio is taken within the round. Quix is timed
# from its first record to its last (its start-up and final commit left out); exactly from its
# start to its final commit, so the ratio is if anything low. After the first round a
# read_committed consumer checks both outputs (scripts/bench/compare-totals.py): every update
# once, nothing else, and the same final totals per key.
#
# Installs quixstreams (pinned below) into .venv with pip when it is missing.
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$EXACTLY_ROOT"
records=${1:-1000000}
keys=${2:-100000}
rounds=${3:-3}
partitions=8
quix_version=3.28.1

ensure_build_dependencies
ensure_venv
if [ "$("$EXACTLY_VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("quixstreams"))' 2>/dev/null)" != "$quix_version" ]; then
    say "installing quixstreams $quix_version (and its confluent-kafka, rocksdict) into .venv (pip)"
    "$EXACTLY_VENV/bin/pip" install -q "quixstreams==$quix_version" || {
        say "pip could not install quixstreams $quix_version into .venv (it needs PyPI or a mirror of it); nothing was measured"
        exit 1
    }
fi
python="$EXACTLY_VENV/bin/python"
build_release_exactly
exactly=$EXACTLY_RELEASE
prepare_bench_work
work=$WORK
load="$work/pipeline-load"

start_dev_broker "$exactly" "$work/broker.log" --data-dir "$work/broker" --default-partitions "$partitions"
bootstrap=$BOOTSTRAP
say "input: $records JSON records of about 100 bytes, $keys keys, $partitions partitions"
"$load" produce "$bootstrap" orders "$records" "$keys" "$partitions"

run_exactly() {
    "$exactly" run --config "$(bench_config "bench-$1" orders "$1" 1s "$work/checkpoints")" \
        --stop-after-records "$records" --log-level warning
}
run_quix() {
    # Quix's warnings go to a log, shown if it fails (its dependencies print deprecation notices).
    if ! "$python" scripts/bench/quix-totals.py "$bootstrap" orders "$1" "$records" 1 "quix-$1" "$work/quix-state-$1" \
        2>"$work/quix-$1.log"; then
        say "Quix Streams failed; the end of its log ($work/quix-$1.log):"
        tail -20 "$work/quix-$1.log" >&2
        exit 1
    fi
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
exactly_rates=(); quix_rates=(); ratios=(); exactly_cpu=(); quix_cpu=()
for round in $(seq "$rounds"); do
    order=(exactly quix)
    (( round % 2 == 0 )) && order=(quix exactly)
    for side in "${order[@]}"; do
        if [ "$side" = exactly ]; then
            say "round $round/$rounds: exactly, checkpoint every 1 s"
            exactly_line=$(run_exactly "exactly-out-$round")
            echo "$exactly_line"
        else
            say "round $round/$rounds: Quix Streams $quix_version, exactly-once, commit every 1 s"
            quix_line=$(run_quix "quix-out-$round")
            echo "$quix_line"
        fi
    done
    exactly_rates+=("$(echo "$exactly_line" | field records_per_second)")
    quix_rates+=("$(echo "$quix_line" | field records_per_second)")
    exactly_cpu+=("$(echo "$exactly_line" | field cpu_us_per_record)")
    quix_cpu+=("$(echo "$quix_line" | field cpu_us_per_record)")
    ratios+=("$(ratio "${exactly_rates[-1]}" "${quix_rates[-1]}")")
    if (( round == 1 )); then
        say "checking both outputs with a read_committed consumer"
        "$python" scripts/bench/compare-totals.py "$bootstrap" "$records" "exactly-out-$round" "quix-out-$round"
    fi
    "$load" delete "$bootstrap" "exactly-out-$round" "quix-out-$round"
done

echo
echo "== exactly against Quix Streams $quix_version ($records records, $keys keys, $partitions partitions, $rounds rounds; median and range) =="
echo "  exactly, 1 s checkpoints:       $(median "${exactly_rates[@]}") records/s ($(range "${exactly_rates[@]}")), $(median "${exactly_cpu[@]}") us CPU per record"
echo "  Quix Streams, 1 s commits:      $(median "${quix_rates[@]}") records/s ($(range "${quix_rates[@]}")), $(median "${quix_cpu[@]}") us CPU per record"
echo "  exactly / Quix Streams:         $(median "${ratios[@]}")x ($(range "${ratios[@]}"))"
