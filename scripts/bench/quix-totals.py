"""The demo pipeline (demo/order-totals.yaml: a running count and sum of `amount` per `user`,
one updated total per input record) written for Quix Streams, a Python stream processor that
does the same job exactly once: its state in RocksDB with a changelog topic, its outputs, state
changes and consumer offsets committed in one Kafka transaction (processing_guarantee
"exactly-once"). scripts/bench-python.sh runs it against exactly on the same input.

    python quix-totals.py BOOTSTRAP SOURCE SINK RECORDS COMMIT_SECONDS GROUP STATE_DIR

Stops once RECORDS records were processed and prints
"quix records=N seconds=S records_per_second=R cpu_us_per_record=C": S from the first record
to the last one processed (Quix's start-up and its final commit are left out, so the baseline
is timed at its best) and C the process's CPU time (librdkafka's threads too) over that span.
"""

import resource
import sys
import time

from quixstreams import Application


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main():
    bootstrap, source, sink = sys.argv[1], sys.argv[2], sys.argv[3]
    records, commit_seconds = int(sys.argv[4]), float(sys.argv[5])
    group, state_dir = sys.argv[6], sys.argv[7]
    app = Application(
        broker_address=bootstrap,
        consumer_group=group,
        auto_offset_reset="earliest",
        processing_guarantee="exactly-once",
        commit_interval=commit_seconds,
        state_dir=state_dir,
        loglevel="WARNING",
    )
    source_topic = app.topic(source, key_deserializer="str", value_deserializer="json")
    sink_topic = app.topic(sink, key_serializer="str", value_serializer="json")

    progress = {"processed": 0, "started": None, "cpu": None}

    def total(value, key, timestamp, headers, state):
        if progress["started"] is None:
            progress["started"], progress["cpu"] = time.monotonic(), cpu_seconds()
        count, amount = state.get("total", (0, 0.0))
        count, amount = count + 1, amount + value["amount"]
        state.set("total", (count, amount))
        progress["processed"] += 1
        if progress["processed"] == records:
            seconds = time.monotonic() - progress["started"]
            cpu = cpu_seconds() - progress["cpu"]
            print(
                f"quix records={records} seconds={seconds:.3f} records_per_second={records / seconds:.0f} "
                f"cpu_us_per_record={cpu * 1e6 / records:.2f}",
                flush=True,
            )
            # Stops after this record: Quix commits what it processed, then returns from run().
            app.stop()
        # The same object exactly's aggregate emits.
        return {"key": key, "count": count, "sum": amount}

    app.dataframe(source_topic).apply(total, stateful=True, metadata=True).to_topic(sink_topic)
    app.run()


if __name__ == "__main__":
    main()
