"""The issue's scenarios through kafka-python (pure Python: an independent reading of the protocol).

Usage: kafka_python_scenarios.py BOOTSTRAP PHASE, PHASE one of: main, before-restart, after-restart.
Prints one PASS/FAIL line per scenario; exits 1 if any failed.
"""
import logging
import os
import sys
import threading
import time

import kafka
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.structs import OffsetAndMetadata

logging.basicConfig(level=logging.CRITICAL)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from scenarios import name, run  # noqa: E402

BOOTSTRAP, PHASE = sys.argv[1], sys.argv[2]





def create(topic, partitions=1):
    admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    admin.create_topics([NewTopic(topic, partitions, 1)])
    admin.close()


def send_all(topic, values):
    """Writes `values` (bytes) to partition 0 of `topic`, in order."""
    p = KafkaProducer(bootstrap_servers=BOOTSTRAP)
    for value in values:
        p.send(topic, value, partition=0)
    p.flush()
    p.close()


def read_all(topic, isolation, partitions=1):
    """Every record readable at `isolation`, from the start, without a group."""
    c = KafkaConsumer(bootstrap_servers=BOOTSTRAP, isolation_level=isolation, enable_auto_commit=False,
                      auto_offset_reset="earliest")
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    c.assign(tps)
    c.seek_to_beginning(*tps)
    end = c.end_offsets(tps)
    values, deadline = [], time.time() + 15
    while time.time() < deadline and any(c.position(tp) < end[tp] for tp in tps):
        for records in c.poll(timeout_ms=200).values():
            values += [r.value.decode() for r in records]
    c.close()
    return values


def produce_and_consume():
    """records produced are consumed in order by a group member"""
    t = name("plain")
    p = KafkaProducer(bootstrap_servers=BOOTSTRAP, enable_idempotence=True)
    for i in range(500):
        p.send(t, b"v%d" % i, partition=0)
    p.flush(20)
    c = KafkaConsumer(t, bootstrap_servers=BOOTSTRAP, group_id=name("g"), auto_offset_reset="earliest",
                      enable_auto_commit=False, consumer_timeout_ms=5000)
    got = [m.value.decode() for m in c]
    c.close()
    assert got == ["v%d" % i for i in range(500)], got[:5]


def group_rebalance():
    """two consumers of one group split the partitions after a rebalance"""
    # The broker runs with Kafka's initial rebalance delay: see kafka-python.sh for the
    # kafka-python 3.0.12 join bug that a broker without it brings out.
    t = name("shared")
    create(t, 4)
    g = name("g")
    # Each consumer polls in its own thread, as applications do.
    stop = threading.Event()
    assignments = {}

    def member(label):
        c = KafkaConsumer(bootstrap_servers=BOOTSTRAP, group_id=g, session_timeout_ms=6000, heartbeat_interval_ms=500)
        # The topic's metadata before the subscription: then the first join already knows the
        # topic, and no metadata change makes the member rejoin while the group forms (the
        # kafka-python 3.0.12 bug of kafka-python.sh; against a Kafka not started here, whose
        # rebalance delay this script cannot choose, it is the only guard).
        c.partitions_for_topic(t)
        c.subscribe([t])
        try:
            while not stop.is_set():
                c.poll(timeout_ms=100)
                assignments[label] = {x.partition for x in c.assignment()}
        finally:
            c.close()

    def wait_until(condition):
        deadline = time.time() + 20
        while not condition() and time.time() < deadline:
            time.sleep(0.05)

    a = threading.Thread(target=member, args=("a",))
    a.start()
    wait_until(lambda: len(assignments.get("a", ())) == 4)
    b = threading.Thread(target=member, args=("b",))
    b.start()
    wait_until(lambda: len(assignments.get("a", ())) == 2 and len(assignments.get("b", ())) == 2)
    pa, pb = assignments.get("a", set()), assignments.get("b", set())
    stop.set()
    a.join()
    b.join()
    assert len(pa) == 2 and len(pb) == 2 and not (pa & pb), "first member holds %s, second %s" % (sorted(pa), sorted(pb))


def metadata_round_trip():
    """committed offset metadata round-trips"""
    t = name("meta")
    create(t)
    g = name("g")
    c = KafkaConsumer(bootstrap_servers=BOOTSTRAP, group_id=g, enable_auto_commit=False)
    tp = TopicPartition(t, 0)
    c.assign([tp])
    c.commit({tp: OffsetAndMetadata(7, '{"checkpoint":"app-7"}', -1)})
    c.close()
    c = KafkaConsumer(bootstrap_servers=BOOTSTRAP, group_id=g, enable_auto_commit=False)
    got = c.committed(tp, metadata=True)
    c.close()
    assert got.offset == 7 and got.metadata == '{"checkpoint":"app-7"}', got


def transactions_visibility():
    """a committed transaction is visible to read_committed, an aborted one only to read_uncommitted"""
    t = name("txn")
    create(t)
    p = KafkaProducer(bootstrap_servers=BOOTSTRAP, transactional_id=name("tx"))
    p.init_transactions()
    p.begin_transaction()
    p.send(t, b"c1", partition=0)
    p.commit_transaction()
    p.begin_transaction()
    p.send(t, b"a1", partition=0)
    p.flush()
    p.abort_transaction()
    p.begin_transaction()
    p.send(t, b"c2", partition=0)
    p.commit_transaction()
    p.close()
    assert read_all(t, "read_committed") == ["c1", "c2"]
    assert read_all(t, "read_uncommitted") == ["c1", "a1", "c2"]


def zombie_fenced():
    """a zombie producer is fenced when a new one takes its transactional id"""
    t = name("zombie")
    create(t)
    tid = name("tx")
    zombie = KafkaProducer(bootstrap_servers=BOOTSTRAP, transactional_id=tid)
    zombie.init_transactions()
    zombie.begin_transaction()
    zombie.send(t, b"zombie", partition=0)
    zombie.flush()
    fresh = KafkaProducer(bootstrap_servers=BOOTSTRAP, transactional_id=tid)
    fresh.init_transactions()
    fresh.begin_transaction()
    fresh.send(t, b"fresh", partition=0)
    fresh.commit_transaction()
    fresh.close()
    try:
        zombie.send(t, b"late", partition=0)
        zombie.commit_transaction()
        raise AssertionError("the zombie committed")
    except kafka.errors.KafkaError:
        pass
    zombie.close(timeout=1)
    assert read_all(t, "read_committed") == ["fresh"]


def txn_offsets():
    """transactional offsets (with metadata) appear after commit and not after abort"""
    src = name("in")
    out = name("out")
    create(src)
    create(out)
    g = name("g")
    p = KafkaProducer(bootstrap_servers=BOOTSTRAP)
    for i in range(10):
        p.send(src, b"%d" % i, partition=0)
    p.flush()
    c = KafkaConsumer(src, bootstrap_servers=BOOTSTRAP, group_id=g, auto_offset_reset="earliest",
                      enable_auto_commit=False, isolation_level="read_committed")
    got, deadline = 0, time.time() + 20
    while got < 10 and time.time() < deadline:
        got += sum(len(v) for v in c.poll(timeout_ms=200).values())
    tp = TopicPartition(src, 0)
    tx = KafkaProducer(bootstrap_servers=BOOTSTRAP, transactional_id=name("tx"))
    tx.init_transactions()
    tx.begin_transaction()
    tx.send(out, b"o", partition=0)
    tx.send_offsets_to_transaction({tp: OffsetAndMetadata(4, "ckpt-4", -1)}, c.group_metadata())
    tx.commit_transaction()
    after_commit = c.committed(tp, metadata=True)
    tx.begin_transaction()
    tx.send(out, b"o2", partition=0)
    tx.send_offsets_to_transaction({tp: OffsetAndMetadata(9, "ckpt-9", -1)}, c.group_metadata())
    tx.abort_transaction()
    after_abort = c.committed(tp, metadata=True)
    tx.close()
    c.close()
    assert after_commit.offset == 4 and after_commit.metadata == "ckpt-4", after_commit
    assert after_abort.offset == 4 and after_abort.metadata == "ckpt-4", after_abort


def txn_timeout():
    """a transaction that outlives transaction.timeout.ms is aborted by the broker"""
    t = name("timeout")
    create(t)
    p = KafkaProducer(bootstrap_servers=BOOTSTRAP, transactional_id=name("tx"), transaction_timeout_ms=2000)
    p.init_transactions()
    p.begin_transaction()
    p.send(t, b"slow", partition=0)
    p.flush()
    time.sleep(3.5)
    try:
        p.commit_transaction()
        raise AssertionError("the timed-out transaction committed")
    except kafka.errors.KafkaError:
        pass
    p.close(timeout=1)
    assert read_all(t, "read_committed") == []
    assert read_all(t, "read_uncommitted") == ["slow"]


def delete_records():
    """records deleted below offset 4 of 10 are gone: the low watermark is 4 and a reader from the beginning reads exactly offsets 4-9"""
    t = name("deleted")
    create(t)
    send_all(t, [b"v%d" % i for i in range(10)])
    tp = TopicPartition(t, 0)
    admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    deleted = admin.delete_records({tp: 4})
    admin.close()
    assert deleted[tp]["low_watermark"] == 4, deleted
    c = KafkaConsumer(bootstrap_servers=BOOTSTRAP, enable_auto_commit=False, auto_offset_reset="earliest")
    c.assign([tp])
    c.seek_to_beginning(tp)
    read, deadline = [], time.time() + 15
    while time.time() < deadline and c.position(tp) < 10:
        for records in c.poll(timeout_ms=200).values():
            read += [(r.offset, r.value.decode()) for r in records]
    c.close()
    assert read == [(i, "v%d" % i) for i in range(4, 10)], read


RESTART_TOPIC = "kafka-python-restart"
RESTART_GROUP = "kafka-python-restart-group"


def before_restart():
    """records and committed offsets with metadata are written before the restart"""
    create(RESTART_TOPIC)
    send_all(RESTART_TOPIC, [b"r%d" % i for i in range(5)])
    c = KafkaConsumer(bootstrap_servers=BOOTSTRAP, group_id=RESTART_GROUP, enable_auto_commit=False)
    tp = TopicPartition(RESTART_TOPIC, 0)
    c.assign([tp])
    c.commit({tp: OffsetAndMetadata(3, "before-restart", -1)})
    c.close()


def after_restart():
    """after a restart with --data-dir: records, committed offsets and metadata are kept"""
    assert read_all(RESTART_TOPIC, "read_committed") == ["r%d" % i for i in range(5)]
    c = KafkaConsumer(bootstrap_servers=BOOTSTRAP, group_id=RESTART_GROUP, enable_auto_commit=False)
    got = c.committed(TopicPartition(RESTART_TOPIC, 0), metadata=True)
    c.close()
    assert got.offset == 3 and got.metadata == "before-restart", got


run(PHASE, [produce_and_consume, group_rebalance, metadata_round_trip, transactions_visibility,
              zombie_fenced, txn_offsets, txn_timeout, delete_records], before_restart, after_restart)
