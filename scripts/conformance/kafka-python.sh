#!/usr/bin/env bash
# Conformance with kafka-python (pure Python, in the .venv that scripts/test.sh creates):
# produce/consume, group rebalancing, offset metadata, transactions, fencing, transactional
# offsets with metadata, transaction timeout, and a restart with --data-dir.
set -euo pipefail
source "$(dirname "$0")/lib/broker.bash"
PY="$EXACTLY_VENV/bin/python"
if ! "$PY" -c 'import kafka' 2>/dev/null; then
    say "kafka-python is not installed in $EXACTLY_VENV: run scripts/test.sh (it installs it), or: $EXACTLY_VENV/bin/pip install kafka-python"
    exit 1
fi
conformance_build
DATA="$CONFORMANCE_DIR/data"
broker_start --data-dir "$DATA"
say "kafka-python $("$PY" -c 'import kafka; print(kafka.__version__)') against $BOOTSTRAP"
status=0
run_python_scenarios "$PY" scripts/conformance/kafka_python_scenarios.py --data-dir "$DATA" || status=1
if [ $status -ne 0 ]; then say "kafka-python: scenarios failed; broker log tail:"; tail -30 "$BROKER_LOG" >&2; exit 1; fi
say "kafka-python: all scenarios passed"
