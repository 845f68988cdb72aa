#!/usr/bin/env bash
# Runs the main job: a pipeline on the embedded development broker, or on the Kafka named by
# KAFKA_BOOTSTRAP. Installs what is missing first and says so.
#
#   scripts/run.sh                       the sample pipeline on the embedded broker
#   KAFKA_BOOTSTRAP=host:9092 scripts/run.sh --config pipeline.yaml
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$EXACTLY_ROOT"

ensure_build_dependencies
say "building exactly (swift build -c release --product exactly)"
swift build -c release --product exactly
exec "$(swift build -c release --show-bin-path)/exactly" run "$@"
