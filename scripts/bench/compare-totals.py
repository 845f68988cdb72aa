"""Checks that running-total outputs are exactly once and that two pipelines agree, as a
read_committed consumer sees them (scripts/bench-python.sh: exactly's and Quix Streams').

    python compare-totals.py BOOTSTRAP RECORDS TOPIC...

Each TOPIC must hold RECORDS committed records, JSON objects {"key", "count", "sum"}, and each
key's counts must run 1, 2, 3, ... in order (every update once, none lost, none twice); all
topics must end with the same count and sum for every key. Prints one line per topic; exits 1
on the first difference, naming it.
"""

import json
import os
import sys

# The crash test's read_committed reader: every record of a topic, read to each partition's end.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crash"))
from workload import read_committed  # noqa: E402


def read_totals(bootstrap, topic, records):
    finals, read = {}, 0
    values, unfinished = read_committed(bootstrap, topic, 120)
    if unfinished:
        raise SystemExit(f"{topic}: partitions {sorted(unfinished)} gave nothing for 120 s before their end (an open transaction holds them back)")
    for value in values:
        read += 1
        total = json.loads(value)
        key, count = total["key"], total["count"]
        previous = finals.get(key, (0, 0.0))[0]
        if count != previous + 1:
            raise SystemExit(f"{topic}: key {key} went from count {previous} to {count}: an update lost or repeated")
        finals[key] = (count, float(total["sum"]))
    if read != records:
        raise SystemExit(f"{topic}: read_committed read {read} records, expected {records}")
    return finals


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
