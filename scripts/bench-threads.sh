#!/usr/bin/env bash
# Where the CPU goes while the exactly-once pipeline runs, thread by thread: for judging whether a
# change should move work between threads or take work away. (docs/RUNTIME.md, "How many lanes".)
#
#   scripts/bench-threads.sh [--records N] [--interval D] [--window S] [--build PATH]
#
# Defaults: 6,000,000 records (100,000 keys, 8 partitions, the demo pipeline), 1 s checkpoints,
# a 3 s window, the release build. It starts the development broker, writes the input, starts
# `exactly run`, and over a window in the middle of the run reads each thread's scheduler
# counters (/proc/PID/task/TID/schedstat): the share of a core it ran, the time it waited for a
# CPU while runnable, and its context switches per second; then the machine's busy and idle
# shares (/proc/stat) over the same window. Dispatch worker threads (`-qos.overcommit`) run the
# lanes, the checkpoint writer and the folds; a serial lane may move between them.
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$EXACTLY_ROOT"

records=6000000
interval=1s
window=3
exactly=""
while [ $# -gt 0 ]; do
    case "$1" in
        --records)
            case "${2:-}" in '' | *[!0-9]* | 0) echo "--records needs a whole number of at least 1, not \`${2:-}\`" >&2; exit 2 ;; esac
            records=$2; shift 2 ;;
        --window)
            case "${2:-}" in '' | *[!0-9]* | 0) echo "--window needs whole seconds, at least 1, not \`${2:-}\`" >&2; exit 2 ;; esac
            window=$2; shift 2 ;;
        --interval)
            [ -n "${2:-}" ] || { echo "--interval needs a duration such as 1s or 100ms" >&2; exit 2; }
            interval=$2; shift 2 ;;
        --build)
            [ -x "${2:-}" ] || { echo "--build needs an executable build of exactly, not \`${2:-}\`" >&2; exit 2; }
            exactly=$2; shift 2 ;;
        *) echo "unknown option $1 (allowed: --records N, --interval D, --window S, --build PATH)" >&2; exit 2 ;;
    esac
done
keys=100000
partitions=8

ensure_build_dependencies
if [ -z "$exactly" ]; then
    build_release_exactly
    exactly=$EXACTLY_RELEASE
fi
prepare_bench_work
work=$WORK
start_dev_broker "$exactly" "$work/broker.log" --data-dir "$work/broker" --default-partitions "$partitions"
say "input: $records records, $keys keys, $partitions partitions; checkpoints every $interval"
"$work/pipeline-load" produce "$BOOTSTRAP" orders "$records" "$keys" "$partitions" >/dev/null

config=$(bench_config threads orders threads-out "$interval" "$work/checkpoints")
"$exactly" run --config "$config" --stop-after-records "$records" --log-level warning > "$work/run.log" 2>&1 &
pid=$!
RUN_PID=$pid  # stopped by prepare_bench_work's exit trap if this script ends early

# Each thread's id, name and schedstat (ns on a CPU, ns runnable but waiting, time slices).
snapshot() {
    local task
    for task in /proc/"$pid"/task/*; do
        # A thread that ends meanwhile is left out rather than read as zeros.
        local name stats
        name=$(tr ' ' _ 2>/dev/null < "$task/comm") || continue
        stats=$(cat "$task/schedstat" 2>/dev/null) || continue
        printf '%s %s %s\n' "${task##*/}" "$name" "$stats"
    done
}
# The first second is joining the group and the first fetches, not the steady state.
sleep 1.5
kill -0 "$pid" 2>/dev/null || { cat "$work/run.log" >&2; echo "exactly run stopped before the window; give more --records" >&2; exit 1; }
broker_ticks() { awk '{ print $14 + $15 }' "/proc/$BROKER_PID/stat"; }
head -1 /proc/stat > "$work/stat-before"; broker_before=$(broker_ticks); snapshot > "$work/threads-before"; started=$(date +%s.%N)
sleep "$window"
snapshot > "$work/threads-after"; ended=$(date +%s.%N); broker_after=$(broker_ticks); head -1 /proc/stat > "$work/stat-after"
kill -0 "$pid" 2>/dev/null || { echo "exactly run ended inside the window, so the figures would mix in its idle end; give more --records or a shorter --window" >&2; exit 1; }
wait "$pid" || { cat "$work/run.log" >&2; echo "exactly run failed" >&2; exit 1; }
RUN_PID=""
say "exactly: $(field records_per_second < "$work/run.log") records/s, $(field cpu_us_per_record < "$work/run.log") us of CPU per record"

# Threads started inside the window count from zero; threads that ended in it are left out. Sorted
# and joined in the C locale, so that sort and join agree on the order of the thread ids.
seconds=$(awk -v a="$started" -v b="$ended" 'BEGIN { print b - a }')
LC_ALL=C join -a 2 -e 0 -o 0,2.2,1.3,2.3,1.4,2.4,1.5,2.5 <(LC_ALL=C sort -k1,1 "$work/threads-before") <(LC_ALL=C sort -k1,1 "$work/threads-after") \
    | awk -v seconds="$seconds" '
        $4 < $3 { next }
        { ran = ($4 - $3) / 1e9 / seconds; waited = ($6 - $5) / 1e9 / seconds; switches = ($8 - $7) / seconds
          total_ran += ran; total_waited += waited
          if (ran >= 0.01) printf "thread %-7s %-16s ran %.2f of a core, waited for a CPU %.2f, %5d switches/s\n", $1, $2, ran, waited, switches }
        END { printf "all threads: ran %.2f cores, waited for a CPU %.2f\n", total_ran, total_waited }'
awk -v ticks=$((broker_after - broker_before)) -v hz="$(getconf CLK_TCK)" -v seconds="$seconds" \
    'BEGIN { printf "the development broker (another process): ran %.2f of a core\n", ticks / hz / seconds }'

# The cpu line: user nice system idle iowait irq softirq steal guest guest_nice; guest time is
# counted in user already, so the total stops at steal.
paste "$work/stat-before" "$work/stat-after" | awk '{
    for (i = 2; i <= 9; i++) { d[i] = $(i + 11) - $i; total += d[i] }
    printf "machine: busy %.0f%% (user %.0f%%, system %.0f%%, softirq %.0f%%), idle %.0f%%, steal %.0f%%\n",
        (total - d[5] - d[6] - d[9]) * 100 / total, (d[2] + d[3]) * 100 / total, d[4] * 100 / total, d[8] * 100 / total,
        (d[5] + d[6]) * 100 / total, d[9] * 100 / total }'
