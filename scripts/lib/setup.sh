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

# What building the processor needs: librdkafka and pkg-config (to find it).
ensure_build_dependencies() {
    ensure_debian_packages librdkafka-dev pkg-config
    if ! command -v swift >/dev/null 2>&1; then
        say "swift is not on PATH: install Swift 6.2 or newer (https://www.swift.org/install/)"
        return 1
    fi
}

# What the conformance tests need: clients that others wrote.
ensure_test_dependencies() {
    ensure_debian_packages kcat python3-confluent-kafka python3-venv
    if [ ! -x "$EXACTLY_VENV/bin/python" ]; then
        say "creating a Python venv for kafka-python in .venv"
        /usr/bin/python3 -m venv "$EXACTLY_VENV"
    fi
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
