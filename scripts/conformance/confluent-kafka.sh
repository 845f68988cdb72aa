#!/usr/bin/env bash
# Conformance with Debian's python3-confluent-kafka (it loads the system librdkafka), then with
# the confluent-kafka wheel in .venv (a newer, bundled librdkafka):
# produce/consume, group rebalancing, transactions, fencing, transactional offsets, transaction
# timeout, deleting records (DeleteRecords), and a restart with --data-dir that keeps the
# transaction left open (as Kafka does) until a new producer with its transactional id aborts it.
# (confluent-kafka 1.7 cannot set offset metadata, and has no delete_records; kafka-python.sh, the
# wheel's run and the Swift tests cover them.)
set -euo pipefail
source "$(dirname "$0")/lib/broker.bash"
conformance_build
DATA="$CONFORMANCE_DIR/data"
broker_start --data-dir "$DATA"
status=0
for PY in /usr/bin/python3 "$EXACTLY_VENV/bin/python"; do
    if ! "$PY" -c 'import confluent_kafka' 2>/dev/null; then
        say "no confluent_kafka for $PY: run scripts/test.sh, which installs it"
        status=1
        continue
    fi
    say "confluent-kafka $("$PY" -c 'import confluent_kafka as c; print(getattr(c, "__version__", c.version()[0]), "with librdkafka", c.libversion()[0])') ($PY) against $BOOTSTRAP"
    run_python_scenarios "$PY" scripts/conformance/confluent_scenarios.py --data-dir "$DATA" || status=1
done
if [ $status -ne 0 ]; then say "confluent-kafka: scenarios failed; broker log tail:"; tail -30 "$BROKER_LOG" >&2; exit 1; fi
say "confluent-kafka: all scenarios passed"
