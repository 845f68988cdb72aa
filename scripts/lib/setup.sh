# Shared set-up for the README's commands: installs what is missing and says what it does.
# Source it; it defines functions and changes nothing until they are called.

EXACTLY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
EXACTLY_VENV="$EXACTLY_ROOT/.venv"

say() { printf '==> %s\n' "$*" >&2; }

# Runs a command as root: directly when we are root, through sudo otherwise.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else
        say "need root to run: $* (install sudo or run as root)"
        return 1
    fi
}

_apt_updated=0
# Installs the named Debian packages that are not installed yet.
ensure_debian_packages() {
    local missing=()
    local pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if ! command -v apt-get >/dev/null 2>&1; then
        say "missing packages: ${missing[*]}; this machine has no apt-get, install them by hand"
        return 1
    fi
    if [ "$_apt_updated" -eq 0 ]; then
        say "updating Debian's package lists (apt-get update)"
        as_root apt-get update -qq
        _apt_updated=1
    fi
    say "installing Debian packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# What building the processor needs: librdkafka, pkg-config (to find it) and jemalloc (the
# `exactly` binary's allocator: docs/RUNTIME.md, "Allocator").
ensure_build_dependencies() {
    ensure_debian_packages librdkafka-dev pkg-config libjemalloc-dev
    if ! command -v swift >/dev/null 2>&1; then
        say "swift is not on PATH: install Swift 6.2 or newer (https://www.swift.org/install/)"
        return 1
    fi
}

# Sets EXACTLY_BIN to the `exactly` executable: the one the caller named in EXACTLY_BIN, or a
# debug build made now.
ensure_exactly_binary() {
    if [ -z "${EXACTLY_BIN:-}" ]; then
        say "building exactly"
        swift build --product exactly >/dev/null
        EXACTLY_BIN="$(swift build --show-bin-path)/exactly"
    fi
}

# Sets EXACTLY_RELEASE to the `exactly` executable of a release build made now (the main job
# and the benchmarks run it).
build_release_exactly() {
    say "building exactly (release)"
    swift build -c release --product exactly >/dev/null
    EXACTLY_RELEASE="$(swift build -c release --show-bin-path)/exactly"
}

# What the workload tests (crash, rebalance, replay) need: the build, Debian's confluent-kafka
# for their workload and checker (a client that others wrote), and the `exactly` executable.
prepare_workload_test() {
    ensure_build_dependencies
    ensure_debian_packages python3-confluent-kafka
    ensure_exactly_binary
}

# scripts/crash/workload.py: the known input, its expected output, and the read_committed check.
workload() { /usr/bin/python3 "$EXACTLY_ROOT/scripts/crash/workload.py" "$@"; }

# workload_kafka WORK PARTITIONS: the Kafka a workload test runs against, and its names.
# The development broker, started here with its data in WORK (pid in BROKER_PID), unless
# KAFKA_BOOTSTRAP names a Kafka: then the run's application id and topics carry this script's
# name, its process id and the time, so that runs never meet on a shared cluster, and the topics
# are created here with PARTITIONS partitions (a production cluster need not create them on
# first use). Sets BOOTSTRAP, APPLICATION, INPUT_TOPIC, OUTPUT_TOPIC and DEAD_LETTER_TOPIC.
workload_kafka() {
    local work=$1 partitions=$2
    if [ -n "${KAFKA_BOOTSTRAP:-}" ]; then
        BOOTSTRAP=$KAFKA_BOOTSTRAP
        BROKER_PID=""
        APPLICATION="exactly-$(basename "$0" .sh)-$$-$(date +%s)"
        INPUT_TOPIC=$APPLICATION-orders OUTPUT_TOPIC=$APPLICATION-totals DEAD_LETTER_TOPIC=$APPLICATION-dead-letters
        say "running against the Kafka at $BOOTSTRAP (application and topics $APPLICATION*)"
        workload create-topics --bootstrap "$BOOTSTRAP" --partitions "$partitions" \
            "$INPUT_TOPIC" "$OUTPUT_TOPIC" "$DEAD_LETTER_TOPIC"
    else
        start_dev_broker "$EXACTLY_BIN" "$work/broker.log" --data-dir "$work/broker" --default-partitions "$partitions"
        APPLICATION=order-totals INPUT_TOPIC=orders OUTPUT_TOPIC=order-totals DEAD_LETTER_TOPIC=orders-dead-letters
    fi
}

# workload_config FILE CHECKPOINTS INTERVAL: writes the demo pipeline (demo/order-totals.yaml)
# to FILE for the Kafka and names workload_kafka chose, checkpointing every INTERVAL into
# CHECKPOINTS.
workload_config() {
    sed -e "s#bootstrap: .*#bootstrap: $BOOTSTRAP#" -e "s#^application: .*#application: $APPLICATION#" \
        -e "s#topics: .*#topics: [$INPUT_TOPIC]#" -e "s#  topic: .*#  topic: $OUTPUT_TOPIC#" \
        -e "s#dead_letter_topic: .*#dead_letter_topic: $DEAD_LETTER_TOPIC#" \
        -e "s#dir: .*#dir: $2#" -e "s#interval: .*#interval: $3#" "$EXACTLY_ROOT/demo/order-totals.yaml" > "$1"
}

# workload_more_topics PARTITIONS NAME...: on KAFKA_BOOTSTRAP, creates more topics for the run
# (named after APPLICATION, to be deleted with the others); the development broker makes them
# on first use.
WORKLOAD_MORE_TOPICS=()
workload_more_topics() {
    local partitions=$1; shift
    [ -n "${KAFKA_BOOTSTRAP:-}" ] || return 0
    workload create-topics --bootstrap "$BOOTSTRAP" --partitions "$partitions" "$@"
    WORKLOAD_MORE_TOPICS+=("$@")
}

# workload_kafka_done: after a passed test on KAFKA_BOOTSTRAP, deletes the run's topics.
workload_kafka_done() {
    [ -n "${KAFKA_BOOTSTRAP:-}" ] || return 0
    workload delete-topics --bootstrap "$BOOTSTRAP" "$INPUT_TOPIC" "$OUTPUT_TOPIC" "$DEAD_LETTER_TOPIC" \
        "${WORKLOAD_MORE_TOPICS[@]}" || say "the test passed, but its topics $APPLICATION-* are left on $BOOTSTRAP"
}

# For benchmarks: a scratch directory WORK (removed at exit) and the load tool compiled into
# it as WORK/pipeline-load (scripts/bench/pipeline-load.c: produce input, a raw pipe, delete
# topics). At exit the development broker whose pid is in BROKER_PID, and the process in RUN_PID,
# if any, are stopped too.
prepare_bench_work() {
    WORK=$(mktemp -d)
    BROKER_PID=""
    RUN_PID=""  # a benchmark's own background process, stopped with the broker on exit
    trap 'for p in $RUN_PID $BROKER_PID; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
    say "compiling the load tool (scripts/bench/pipeline-load.c)"
    cc -O2 -o "$WORK/pipeline-load" "$EXACTLY_ROOT/scripts/bench/pipeline-load.c" $(pkg-config --cflags --libs rdkafka) -lpthread
}

# bench_config APP SOURCE SINK INTERVAL CHECKPOINTS [bare]: writes WORK/APP.yaml, the demo
# pipeline (demo/order-totals.yaml) as application APP reading SOURCE into SINK on $BOOTSTRAP,
# checkpointing every INTERVAL into CHECKPOINTS; with `bare`, outputs carry no source header
# (sink.source_header: false). Prints the file's path.
bench_config() {
    local bare=""
    [ "${6:-}" = bare ] && bare="\n  source_header: false"
    sed -e "s#^application: .*#application: $1#" -e "s#bootstrap: .*#bootstrap: $BOOTSTRAP#" \
        -e "s#topics: .*#topics: [$2]#" -e "s#  topic: .*#  topic: $3#" -e "s#dead_letter_topic: .*#dead_letter_topic: $3-dead-letters$bare#" \
        -e "s#dir: .*#dir: $5#" -e "s#interval: .*#interval: $4#" "$EXACTLY_ROOT/demo/order-totals.yaml" > "$WORK/$1.yaml"
    echo "$WORK/$1.yaml"
}

# field NAME: the value of NAME=... in the summary line `exactly run` and the load tool print (stdin).
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }

# median NUMBERS...: the middle one (the lower middle of an even count).
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# range NUMBERS...: the lowest and the highest, as LOW-HIGH.
range() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }'; }

# The project's Python venv, .venv (Debian's Python), for what pip installs.
ensure_venv() {
    ensure_debian_packages python3-venv
    if [ ! -x "$EXACTLY_VENV/bin/python" ]; then
        say "creating a Python venv in .venv"
        /usr/bin/python3 -m venv "$EXACTLY_VENV"
    fi
}

# What the conformance tests need: clients that others wrote.
ensure_test_dependencies() {
    ensure_debian_packages kcat python3-confluent-kafka curl
    ensure_venv
    if ! "$EXACTLY_VENV/bin/python" -c 'import kafka' 2>/dev/null; then
        say "installing kafka-python into .venv (pip)"
        "$EXACTLY_VENV/bin/pip" install -q 'kafka-python>=2.0'
    fi
    # The wheel bundles a newer librdkafka than Debian's: the development broker is checked
    # against both (scripts/conformance/confluent-kafka.sh).
    if ! "$EXACTLY_VENV/bin/python" -c 'import confluent_kafka' 2>/dev/null; then
        say "installing confluent-kafka (with its bundled librdkafka) into .venv (pip)"
        "$EXACTLY_VENV/bin/pip" install -q 'confluent-kafka>=2.3'
    fi
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_dev_broker BINARY LOG [BROKER ARGS...]: starts `BINARY broker` on 127.0.0.1 at a free port
# (or $BROKER_PORT, to restart on the same one), appending its output to LOG, and waits until it
# listens. Sets BROKER_PID, BROKER_PORT and BOOTSTRAP; prints the log's tail and fails otherwise.
start_dev_broker() {
    local binary="$1" log="$2"; shift 2
    local port="${BROKER_PORT:-$(free_port)}"
    local banner="listening on 127.0.0.1:$port"
    local before after
    before=$(grep -c "$banner" "$log" 2>/dev/null || true)
    "$binary" broker --host 127.0.0.1 --port "$port" "$@" >>"$log" 2>&1 &
    BROKER_PID=$!
    for _ in $(seq 100); do
        after=$(grep -c "$banner" "$log" 2>/dev/null || true)
        if [ "${after:-0}" -gt "${before:-0}" ]; then
            BROKER_PORT="$port"
            BOOTSTRAP="127.0.0.1:$port"
            return 0
        fi
        kill -0 "$BROKER_PID" 2>/dev/null || break
        sleep 0.1
    done
    say "the development broker did not start; the end of its log ($log):"
    tail -30 "$log" >&2
    return 1
}
