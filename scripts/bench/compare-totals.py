"""Checks that running-total outputs are exactly once and that two pipelines agree, as a
read_committed consumer sees them (scripts/bench-python.sh: exactly's and Quix Streams').

    python compare-totals.py BOOTSTRAP RECORDS TOPIC...

Each TOPIC must hold RECORDS committed records, JSON objects {"key", "count", "sum"}, and each
key's counts must run 1, 2, 3, ... in order (every update once, none lost, none twice); all
topics must end with the same count and sum for every key. Prints one line per topic; exits 1
on the first difference, naming it.
"""

import json
import sys

from confluent_kafka import Consumer, TopicPartition


def read_totals(bootstrap, topic, records):
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "compare-totals",
        "isolation.level": "read_committed",
        "enable.auto.commit": False,
    })
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        finals, read, idle = {}, 0, 0
        # The pipelines committed before this runs: a few empty polls in a row mean the end.
        while idle < 3:
            batch = consumer.consume(10000, 1.0)
            if not batch:
                idle += 1
                continue
            idle = 0
            for message in batch:
                if message.error():
                    raise SystemExit(f"{topic}: {message.error()}")
                read += 1
                total = json.loads(message.value())
                key, count = total["key"], total["count"]
                previous = finals.get(key, (0, 0.0))[0]
                if count != previous + 1:
                    raise SystemExit(f"{topic}: key {key} went from count {previous} to {count} (offset {message.offset()} of partition {message.partition()}): an update lost or repeated")
                finals[key] = (count, float(total["sum"]))
        if read != records:
            raise SystemExit(f"{topic}: read_committed read {read} records, expected {records}")
        return finals
    finally:
        consumer.close()


def main():
    bootstrap, records, topics = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    first = None
    for topic in topics:
        finals = read_totals(bootstrap, topic, records)
        print(f"{topic}: {records} records read_committed, {len(finals)} keys, each update once")
        if first is None:
            first = (topic, finals)
        elif finals != first[1]:
            differing = next(k for k in set(finals) | set(first[1]) if finals.get(k) != first[1].get(k))
            raise SystemExit(f"{topic} and {first[0]} disagree on key {differing}: {finals.get(differing)} against {first[1].get(differing)}")
    if len(topics) > 1:
        print(f"final totals agree across {', '.join(topics)}")


if __name__ == "__main__":
    main()
