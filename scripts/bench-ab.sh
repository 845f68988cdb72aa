#!/usr/bin/env bash
# Two builds of `exactly` against each other, alternating on one development broker over the same
# input: for judging a change on a shared machine whose speed drifts by tens of percent from one
# minute to the next, where two separate runs of scripts/bench-pipeline.sh cannot be compared.
#
#   scripts/bench-ab.sh BASELINE CANDIDATE [--records N] [--interval D] [--rounds N]
#
# BASELINE and CANDIDATE are paths to release builds of `exactly` (copy .build/release/exactly
# aside before changing the code). Defaults: 3,000,000 records, 100 ms checkpoints, 3 rounds of
# one run each, in the order baseline, candidate. Prints one line per run (records/s, CPU per
# record, checkpoint stall p99 and its CPU time) and the median of each. CPU per record is the
# steadier figure; counts (uprobes on swift_retain, malloc) steadier still.
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$EXACTLY_ROOT"

[ $# -ge 2 ] || { echo "usage: scripts/bench-ab.sh BASELINE CANDIDATE [--records N] [--interval D] [--rounds N]" >&2; exit 2; }
builds=("$1" "$2")
shift 2
for build in "${builds[@]}"; do
    [ -x "$build" ] || { echo "\`$build\` is not an executable build of exactly" >&2; exit 2; }
done
records=3000000
interval=100ms
rounds=3
while [ $# -gt 0 ]; do
    case "$1" in
        --records | --rounds)
            case "${2:-}" in '' | *[!0-9]* | 0) echo "$1 needs a whole number of at least 1, not \`${2:-}\`" >&2; exit 2 ;; esac
            if [ "$1" = --records ]; then records=$2; else rounds=$2; fi
            shift 2 ;;
        --interval) interval="${2:-}"; shift 2 ;;
        *) echo "unknown option $1 (allowed: --records N, --interval D, --rounds N)" >&2; exit 2 ;;
    esac
done
keys=100000
partitions=8

ensure_build_dependencies
prepare_bench_work
work=$WORK
start_dev_broker "${builds[0]}" "$work/broker.log" --data-dir "$work/broker" --default-partitions "$partitions"
bootstrap=$BOOTSTRAP
say "input: $records records, $keys keys, $partitions partitions; checkpoints every $interval; $rounds rounds"
"$work/pipeline-load" produce "$bootstrap" orders "$records" "$keys" "$partitions" >/dev/null

declare -a rates_0 rates_1 cpu_0 cpu_1 stall_0 stall_1
run=0
for round in $(seq 1 "$rounds"); do
    for side in 0 1; do
        run=$((run + 1))
        config=$(bench_config "ab-$run" orders "out-$run" "$interval" "$work/checkpoints-$run")
        out="$work/run-$run.log"
        "${builds[$side]}" run --config "$config" --stop-after-records "$records" --log-level warning > "$out" 2>&1 \
            || { cat "$out" >&2; echo "run $run (${builds[$side]}) failed" >&2; exit 1; }
        rate=$(field records_per_second < "$out"); cpu=$(field cpu_us_per_record < "$out"); stall=$(field stall_p99_ms < "$out")
        eval "rates_$side+=(\"$rate\"); cpu_$side+=(\"$cpu\"); stall_$side+=(\"$stall\")"
        printf 'round %s %-9s %8s records/s  %5s us/record  stall p99 %s ms (on CPU %s ms)  %s\n' "$round" \
            "$([ $side = 0 ] && echo baseline || echo candidate)" "$rate" "$cpu" "$stall" "$(field stall_on_cpu_p99_ms < "$out")" "${builds[$side]}"
        "$work/pipeline-load" delete "$bootstrap" "out-$run" >/dev/null 2>&1 || true
    done
done
echo "median baseline:  $(median "${rates_0[@]}") records/s, $(median "${cpu_0[@]}") us/record, stall p99 $(median "${stall_0[@]}") ms"
echo "median candidate: $(median "${rates_1[@]}") records/s, $(median "${cpu_1[@]}") us/record, stall p99 $(median "${stall_1[@]}") ms"
