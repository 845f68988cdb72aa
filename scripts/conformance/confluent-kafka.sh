#!/usr/bin/env bash
# Conformance with Debian's python3-confluent-kafka (it loads the system librdkafka):
# produce/consume, group rebalancing, transactions, fencing, transactional offsets, transaction
# timeout, and a restart with --data-dir that aborts the transaction left open.
# (confluent-kafka 1.7 cannot set offset metadata; kafka-python.sh and the Swift tests cover it.)
set -euo pipefail
source "$(dirname "$0")/lib/broker.bash"
conformance_build
DATA="$CONFORMANCE_DIR/data"
broker_start --data-dir "$DATA"
PY=/usr/bin/python3
say "confluent-kafka $($PY -c 'import confluent_kafka as c; print(c.version()[0], "with librdkafka", c.libversion()[0])') against $BOOTSTRAP"
status=0
$PY scripts/conformance/confluent_scenarios.py "$BOOTSTRAP" main || status=1
if can_restart; then
    $PY scripts/conformance/confluent_scenarios.py "$BOOTSTRAP" before-restart || status=1
    broker_stop
    broker_start --data-dir "$DATA"
    $PY scripts/conformance/confluent_scenarios.py "$BOOTSTRAP" after-restart || status=1
else
    say "KAFKA_BOOTSTRAP is set: skipping the restart scenarios"
fi
if [ $status -ne 0 ]; then say "confluent-kafka: scenarios failed; broker log tail:"; tail -30 "$BROKER_LOG" >&2; exit 1; fi
say "confluent-kafka: all scenarios passed"
