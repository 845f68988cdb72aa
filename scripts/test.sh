#!/usr/bin/env bash
# Runs every test. Installs what is missing first (Debian packages, a Python venv) and says so.
#
#   scripts/test.sh                 build and run all tests
#   KAFKA_BOOTSTRAP=host:9092 scripts/test.sh
#                                   run the Swift integration tests, the crash, rebalance,
#                                   replay and metrics tests and the conformance runs against
#                                   that Kafka instead of the development broker
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$EXACTLY_ROOT"

ensure_build_dependencies
ensure_test_dependencies

say "building (swift build --build-tests)"
swift build --build-tests

say "running the Swift test suite"
# A hung test must fail the run with a message, not eat CI's 90 minutes.
if ! timeout 1200 swift test --skip-build; then
    say "the Swift test suite failed or did not finish within 20 minutes"
    exit 1
fi

say "running the crash test (small: scripts/crash-test.sh --cycles 1000 is the long run)"
EXACTLY_BIN="$(swift build --show-bin-path)/exactly" bash scripts/crash-test.sh --cycles 6

say "running the rebalance test (revocations while a checkpoint is being captured)"
EXACTLY_BIN="$(swift build --show-bin-path)/exactly" bash scripts/rebalance-test.sh

if [ -z "${KAFKA_BOOTSTRAP:-}" ]; then
    say "running the broker restart test (the development broker killed and restarted under one running processor, then under two)"
    EXACTLY_BIN="$(swift build --show-bin-path)/exactly" bash scripts/broker-restart-test.sh
else
    say "not running the broker restart test: it restarts the development broker, and cannot restart the Kafka at $KAFKA_BOOTSTRAP"
fi
say "running the replay test (--replay-from-checkpoint, --dry-run, the duplicate-output refusal)"
EXACTLY_BIN="$(swift build --show-bin-path)/exactly" bash scripts/replay-test.sh

say "running the metrics test (exactly run --metrics-port, scraped while it runs)"
EXACTLY_BIN="$(swift build --show-bin-path)/exactly" bash scripts/metrics-test.sh

say "running the embedded broker test (exactly run's refusals when its development broker cannot start)"
EXACTLY_BIN="$(swift build --show-bin-path)/exactly" bash scripts/embedded-broker-test.sh

# The README's first command, as a new user runs it (a release build, the demo's crash and
# restart, its read_committed check): CI proves the main job works, not only its parts.
say "running the main job as the README shows it (scripts/run.sh)"
bash scripts/run.sh

for conformance in scripts/conformance/*.sh; do
    [ -e "$conformance" ] || continue
    say "running $conformance"
    bash "$conformance"
done
