#!/usr/bin/python3
"""The crash test's workload: input whose correct output is known in advance, and a checker.

Uses Debian's python3-confluent-kafka (run it with /usr/bin/python3), a client written by
others, so the proof does not rest on Exactly's own Kafka code.

  workload.py produce  --bootstrap B --topic in  --partitions 8 --records 20000 --keys 500 [--start 0]
  workload.py expected --partitions 8 --records 20000 --keys 500 > expected.jsonl
  workload.py verify   --bootstrap B --topic out --expected expected.jsonl [--wait 60]
  workload.py create-topics --bootstrap B --partitions 8 TOPIC...   (for a Kafka that is not ours)
  workload.py delete-topics --bootstrap B TOPIC...
  workload.py hold-offsets --bootstrap B --group G --topic in --partitions 8 --timeout-ms 8000
      what an instance leaves behind when it dies between sending a checkpoint's offsets to its
      transaction and committing: a transaction holding offsets of group G for each partition,
      never ended, which the broker aborts after --timeout-ms. Prints "holding" once they are
      sent, and exits without ending it.

The pipeline under test keys by `user` and keeps a running count and sum of `amount`, emitting
one record per input: {"key": user, "count": n, "sum": s}. Record i goes to partition
(key index % partitions), so each key's records keep their order, and every output is unique
(a key's count grows by one per record): any duplicate or loss shows.
"""
import argparse
import collections
import json
import sys
import time


def records(count, keys, start=0):
    """The input: record i is user k<i*7919 % keys> with amount i % 97."""
    for i in range(start, start + count):
        key_index = (i * 7919) % keys
        yield key_index, {"user": f"k{key_index}", "amount": i % 97}


def produce(args):
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": args.bootstrap, "enable.idempotence": True, "linger.ms": 5})
    failures = []

    def delivered(error, message):
        if error is not None:
            failures.append(error)

    for key_index, value in records(args.records, args.keys, args.start):
        while True:
            try:
                producer.produce(
                    args.topic,
                    key=value["user"].encode(),
                    value=json.dumps(value, separators=(",", ":")).encode(),
                    partition=key_index % args.partitions,
                    on_delivery=delivered,
                )
                break
            except BufferError:
                producer.poll(0.1)  # the local queue is full: wait for deliveries to make room
        producer.poll(0)
    remaining = producer.flush(60)
    if failures or remaining:
        sys.exit(f"produce failed: {len(failures)} delivery errors, {remaining} records not delivered")
    print(f"produced records {args.start}..{args.start + args.records - 1} over {args.keys} keys into {args.topic} ({args.partitions} partitions)")


def expected_outputs(count, keys):
    totals = collections.defaultdict(lambda: [0, 0])
    for key_index, value in records(count, keys):
        total = totals[value["user"]]
        total[0] += 1
        total[1] += value["amount"]
        yield {"key": value["user"], "count": total[0], "sum": total[1]}


def expected(args):
    for output in expected_outputs(args.records, args.keys):
        print(json.dumps(output, separators=(",", ":")))


def normalise(output):
    return (output["key"], int(output["count"]), float(output["sum"]))


def read_committed(bootstrap, topic, patience):
    """Every record of `topic` a read_committed consumer sees, reading until each partition's
    end; and the partitions it gave up on, having read nothing more for `patience` seconds
    before their end (an open transaction holds back what follows it). The patience counts
    from the last record read, not from the start: a large topic takes longer than any fixed
    limit to read (6 million outputs: about a minute), and a read cut short would show as
    outputs missing."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": f"verify-{time.time_ns()}",
        "isolation.level": "read_committed",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "enable.partition.eof": True,
    })
    metadata = consumer.list_topics(topic, timeout=10)
    if topic not in metadata.topics or metadata.topics[topic].error is not None:
        consumer.close()
        return [], set()
    partitions = [TopicPartition(topic, p) for p in metadata.topics[topic].partitions]
    consumer.assign(partitions)
    at_end = set()
    values = []
    deadline = time.time() + patience
    while len(at_end) < len(partitions) and time.time() < deadline:
        for message in consumer.consume(10000, 0.5):
            if message.error():
                if message.error().code() == -191:  # _PARTITION_EOF
                    at_end.add(message.partition())
                    continue
                sys.exit(f"consume failed: {message.error()}")
            at_end.discard(message.partition())
            values.append(message.value())
            deadline = time.time() + patience
    consumer.close()
    return values, {p.partition for p in partitions} - at_end


def verify(args):
    with open(args.expected) as file:
        expected_list = [normalise(json.loads(line)) for line in file if line.strip()]
    want = collections.Counter(expected_list)
    deadline = time.time() + args.wait
    while True:
        values, unfinished = read_committed(args.bootstrap, args.topic, 30)
        seen = [normalise(json.loads(v)) for v in values]
        got = collections.Counter(seen)
        if got == want or time.time() >= deadline or len(seen) > len(expected_list):
            break
        time.sleep(1)
    if unfinished:
        print(f"partitions {sorted(unfinished)} of {args.topic} gave nothing for 30 s before their end: "
              f"an open transaction holds back what follows it (its producer stopped without ending it; "
              f"the broker aborts it at its transaction timeout)")
    missing = want - got
    extra = got - want
    duplicates = sum(n - 1 for item, n in got.items() if n > 1)
    print(f"expected {len(expected_list)}, read_committed saw {len(seen)}: "
          f"{sum(missing.values())} missing, {duplicates} duplicated, {sum(extra.values())} unexpected or extra copies")
    if missing or extra:
        for item in list(missing)[:5]:
            print(f"  missing: {item}")
        for item in list(extra)[:5]:
            print(f"  unexpected or duplicate: {item} x{got[item]}")
        sys.exit(1)
    print("exactly once: every expected output appears once, nothing else")


def create_topics(args):
    """Creates each topic with --partitions partitions; one that exists must have that many."""
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    existing = admin.list_topics(timeout=30).topics
    wanted = []
    for topic in args.topics:
        if topic in existing:
            count = len(existing[topic].partitions)
            if count != args.partitions:
                sys.exit(f"topic {topic} exists with {count} partitions, not {args.partitions}: "
                         f"delete it or choose another name")
        else:
            wanted.append(NewTopic(topic, num_partitions=args.partitions, replication_factor=-1))
    if not wanted:
        return
    for topic, future in admin.create_topics(wanted, request_timeout=30).items():
        try:
            future.result()
        except Exception as error:  # the admin client raises KafkaException with the broker's error
            sys.exit(f"could not create topic {topic} on {args.bootstrap}: {error}")
    print(f"created {', '.join(t.topic for t in wanted)} ({args.partitions} partitions)")


def hold_offsets(args):
    import os
    from confluent_kafka import Consumer, Producer, TopicPartition

    producer = Producer({"bootstrap.servers": args.bootstrap, "transactional.id": f"{args.group}-held-{os.getpid()}",
                         "transaction.timeout.ms": args.timeout_ms})
    producer.init_transactions(30)
    producer.begin_transaction()
    # Group metadata for the group without joining it (generation -1), as a tool sends it.
    group = Consumer({"bootstrap.servers": args.bootstrap, "group.id": args.group})
    offsets = [TopicPartition(args.topic, p, 0) for p in range(args.partitions)]
    producer.send_offsets_to_transaction(offsets, group.consumer_group_metadata(), 30)
    print("holding", flush=True)
    # Leave at once, with the transaction open: closing the clients could end it.
    os._exit(0)


def delete_topics(args):
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    for topic, future in admin.delete_topics(args.topics, request_timeout=30).items():
        try:
            future.result()
        except Exception as error:
            sys.exit(f"could not delete topic {topic} on {args.bootstrap}: {error}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("produce")
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--topic", required=True)
    p.add_argument("--partitions", type=int, required=True)
    p.add_argument("--records", type=int, required=True)
    p.add_argument("--keys", type=int, required=True)
    p.add_argument("--start", type=int, default=0, help="index of the first record (to produce the input in parts)")
    e = commands.add_parser("expected")
    e.add_argument("--partitions", type=int, required=True)
    e.add_argument("--records", type=int, required=True)
    e.add_argument("--keys", type=int, required=True)
    v = commands.add_parser("verify")
    v.add_argument("--bootstrap", required=True)
    v.add_argument("--topic", required=True)
    v.add_argument("--expected", required=True)
    v.add_argument("--wait", type=float, default=0, help="keep reading up to this many seconds until the output is complete")
    c = commands.add_parser("create-topics")
    c.add_argument("--bootstrap", required=True)
    c.add_argument("--partitions", type=int, required=True)
    c.add_argument("topics", nargs="+")
    d = commands.add_parser("delete-topics")
    d.add_argument("--bootstrap", required=True)
    d.add_argument("topics", nargs="+")
    h = commands.add_parser("hold-offsets")
    h.add_argument("--bootstrap", required=True)
    h.add_argument("--group", required=True)
    h.add_argument("--topic", required=True)
    h.add_argument("--partitions", type=int, required=True)
    h.add_argument("--timeout-ms", type=int, required=True)
    args = parser.parse_args()
    commands = {"produce": produce, "expected": expected, "verify": verify,
                "create-topics": create_topics, "delete-topics": delete_topics, "hold-offsets": hold_offsets}
    commands[args.command](args)


if __name__ == "__main__":
    main()
