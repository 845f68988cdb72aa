#!/usr/bin/env bash
# Runs test suites under AddressSanitizer with LeakSanitizer, which intercepts malloc for the
# whole process (librdkafka's allocations included), and fails on any leak or memory error.
# (Valgrind 3.19 from Debian 12 crashes on Swift's libdispatch, so it is not used.)
#
#   scripts/leak-check.sh                   the KafkaClient suites
#   scripts/leak-check.sh DevBrokerTests    any --filter expression
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$EXACTLY_ROOT"
ensure_build_dependencies

filter="${1:-KafkaClientTests}"
say "building the tests with AddressSanitizer (.build-asan)"
swift build --build-tests --sanitize=address --scratch-path .build-asan
say "running $filter with leak detection"
ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 \
    .build-asan/debug/ExactlyPackageTests.xctest --testing-library swift-testing --filter "$filter"
say "no leaks or memory errors reported"
