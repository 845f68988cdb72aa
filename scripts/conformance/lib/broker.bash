# Shared by scripts/conformance/*.sh: builds `exactly`, starts and stops the development broker,
# and reports scenario results. Source it. KAFKA_BOOTSTRAP=host:port runs against that Kafka
# instead (scenarios that restart the broker are then skipped, and say so).
source "$(dirname "${BASH_SOURCE[0]}")/../../lib/setup.sh"
cd "$EXACTLY_ROOT"

CONFORMANCE_DIR="$(mktemp -d -t exactly-conformance.XXXXXX)"
BROKER_PID=""
BROKER_LOG="$CONFORMANCE_DIR/broker.log"
FAILURES=0
SCENARIOS=0

conformance_build() {
    if [ -n "${KAFKA_BOOTSTRAP:-}" ]; then return 0; fi
    say "building exactly (swift build --product exactly)"
    swift build --product exactly >/dev/null
    EXACTLY_BIN="$(swift build --show-bin-path)/exactly"
}

# broker_start [ARGS...]: starts a broker on a free port (the same one on a restart) and sets
# BOOTSTRAP.
broker_start() {
    if [ -n "${KAFKA_BOOTSTRAP:-}" ]; then BOOTSTRAP="$KAFKA_BOOTSTRAP"; return 0; fi
    start_dev_broker "$EXACTLY_BIN" "$BROKER_LOG" "$@"
}

# broker_stop: SIGTERM, and wait for a clean exit.
broker_stop() {
    [ -n "$BROKER_PID" ] || return 0
    kill -TERM "$BROKER_PID" 2>/dev/null || true
    wait "$BROKER_PID" 2>/dev/null || true
    BROKER_PID=""
}

conformance_cleanup() {
    broker_stop
    rm -rf "$CONFORMANCE_DIR"
}
trap conformance_cleanup EXIT

# scenario NAME COMMAND...: runs one scenario, prints PASS or FAIL with its output.
scenario() {
    local name="$1"; shift
    SCENARIOS=$((SCENARIOS + 1))
    local out="$CONFORMANCE_DIR/scenario.out"
    if "$@" >"$out" 2>&1; then
        printf '  PASS  %s\n' "$name"
    else
        printf '  FAIL  %s\n' "$name"
        sed 's/^/        /' "$out" | tail -20
        FAILURES=$((FAILURES + 1))
    fi
}

conformance_finish() {
    local client="$1"
    if [ "$FAILURES" -gt 0 ]; then
        say "$client: $FAILURES of $SCENARIOS scenarios failed; broker log: "
        tail -30 "$BROKER_LOG" >&2 || true
        exit 1
    fi
    say "$client: all $SCENARIOS scenarios passed"
}

# The restart scenarios need our own broker.
can_restart() { [ -z "${KAFKA_BOOTSTRAP:-}" ]; }

# run_python_scenarios PYTHON SCRIPT [BROKER ARGS...]: the script's main scenarios, then, with our
# own broker, its before-restart phase, a restart with the same arguments, its after-restart phase.
run_python_scenarios() {
    local py="$1" script="$2"; shift 2
    local status=0
    "$py" "$script" "$BOOTSTRAP" main || status=1
    if can_restart; then
        "$py" "$script" "$BOOTSTRAP" before-restart || status=1
        broker_stop
        broker_start "$@"
        "$py" "$script" "$BOOTSTRAP" after-restart || status=1
    else
        say "KAFKA_BOOTSTRAP is set: skipping the restart scenarios"
    fi
    return $status
}
