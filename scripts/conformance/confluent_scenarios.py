"""The issue's scenarios through Debian's python3-confluent-kafka (librdkafka underneath).

Usage: confluent_scenarios.py BOOTSTRAP PHASE, PHASE one of: main, before-restart, after-restart.
Prints one PASS/FAIL line per scenario; exits 1 if any failed.
"""
import os
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka import version as client_version

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from scenarios import Skip, name, run  # noqa: E402

BOOTSTRAP, PHASE = sys.argv[1], sys.argv[2]
version = client_version()[0]






def consumer(group, isolation="read_committed", **extra):
    conf = {"bootstrap.servers": BOOTSTRAP, "group.id": group, "auto.offset.reset": "earliest",
            "enable.auto.commit": False, "isolation.level": isolation, "session.timeout.ms": 6000,
            "enable.partition.eof": True}
    conf.update(extra)
    return Consumer(conf)


def read_all(topic, isolation, partitions=1, timeout=15):
    """Every record readable at `isolation`, read by a fresh group until each partition's end."""
    c = consumer(name("reader"), isolation)
    c.subscribe([topic])
    values, eof, deadline = [], set(), time.time() + timeout
    while len(eof) < partitions and time.time() < deadline:
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            if m.error().code() == -191:  # _PARTITION_EOF
                eof.add(m.partition())
                continue
            raise KafkaException(m.error())
        values.append(m.value().decode())
    c.close()
    assert len(eof) == partitions, "did not reach the end of %s in %ss" % (topic, timeout)
    return values


def producer(**extra):
    conf = {"bootstrap.servers": BOOTSTRAP}
    conf.update(extra)
    return Producer(conf)


def produce_and_consume():
    """records produced idempotently are consumed in order"""
    t = name("plain")
    p = producer(**{"enable.idempotence": True})
    for i in range(1000):
        p.produce(t, value=b"v%d" % i, partition=0)
    assert p.flush(20) == 0
    assert read_all(t, "read_committed") == ["v%d" % i for i in range(1000)]


def group_rebalance():
    """two consumers of one group split the partitions after a rebalance (cooperative-sticky)"""
    t = name("shared")
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    admin.create_topics([NewTopic(t + "-4", 4, 1)])[t + "-4"].result(10)
    g = name("g")
    extra = {"partition.assignment.strategy": "cooperative-sticky"}
    a = consumer(g, **extra)
    b = consumer(g, **extra)
    a.subscribe([t + "-4"])
    deadline = time.time() + 30
    while len(a.assignment()) < 4 and time.time() < deadline:
        a.poll(0.1)
    assert len(a.assignment()) == 4, a.assignment()
    b.subscribe([t + "-4"])
    while time.time() < deadline:
        a.poll(0.05)
        b.poll(0.05)
        if len(a.assignment()) == 2 and len(b.assignment()) == 2:
            break
    pa = {x.partition for x in a.assignment()}
    pb = {x.partition for x in b.assignment()}
    a.close()
    b.close()
    assert len(pa) == 2 and len(pb) == 2 and not (pa & pb), (pa, pb)


def groups_are_listed_and_described():
    """ListGroups and DescribeGroups show a stable group with its member"""
    from confluent_kafka.admin import AdminClient
    t = name("listed")
    p = producer()
    p.produce(t, value=b"x", partition=0)
    p.flush(10)
    g = name("g")
    c = consumer(g)
    c.subscribe([t])
    deadline = time.time() + 20
    while not c.assignment() and time.time() < deadline:
        c.poll(0.2)
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    try:
        if hasattr(admin, "describe_consumer_groups"):
            assert g in [x.group_id for x in admin.list_consumer_groups().result(10).valid]
            described = admin.describe_consumer_groups([g])[g].result(10)
            assert str(described.state).endswith("STABLE"), described.state
            assert len(described.members) == 1 and described.partition_assignor == "range", described
        else:
            listed = [x for x in admin.list_groups(timeout=10) if x.id == g]
            assert len(listed) == 1, admin.list_groups(timeout=10)
            assert listed[0].state == "Stable" and listed[0].protocol == "range" and len(listed[0].members) == 1, listed[0]
    finally:
        c.close()


def transactions_visibility():
    """a committed transaction is visible to read_committed, an aborted one only to read_uncommitted"""
    t = name("txn")
    p = producer(**{"transactional.id": name("tx")})
    p.init_transactions(10)
    p.begin_transaction()
    p.produce(t, value=b"c1", partition=0)
    p.commit_transaction(10)
    p.begin_transaction()
    p.produce(t, value=b"a1", partition=0)
    p.flush(10)
    p.abort_transaction(10)
    p.begin_transaction()
    p.produce(t, value=b"c2", partition=0)
    p.commit_transaction(10)
    assert read_all(t, "read_committed") == ["c1", "c2"]
    assert read_all(t, "read_uncommitted") == ["c1", "a1", "c2"]


def zombie_fenced():
    """a zombie producer is fenced when a new one takes its transactional id"""
    t = name("zombie")
    tid = name("tx")
    zombie = producer(**{"transactional.id": tid})
    zombie.init_transactions(10)
    zombie.begin_transaction()
    zombie.produce(t, value=b"zombie", partition=0)
    zombie.flush(10)
    fresh = producer(**{"transactional.id": tid})
    fresh.init_transactions(10)
    fresh.begin_transaction()
    fresh.produce(t, value=b"fresh", partition=0)
    fresh.commit_transaction(10)
    try:
        zombie.produce(t, value=b"late", partition=0)
        zombie.commit_transaction(10)
        raise AssertionError("the zombie committed")
    except KafkaException as e:
        assert e.args[0].fatal() or e.args[0].txn_requires_abort(), e
    assert read_all(t, "read_committed") == ["fresh"]


def txn_offsets():
    """transactional offsets appear after commit and not after abort"""
    src = name("in")
    g = name("g")
    p = producer()
    for i in range(10):
        p.produce(src, value=b"%d" % i, partition=0)
    p.flush(10)
    c = consumer(g)
    c.subscribe([src])
    got, deadline = 0, time.time() + 20
    while got < 10 and time.time() < deadline:
        m = c.poll(0.2)
        if m is not None and not m.error():
            got += 1
    tp = TopicPartition(src, 0)
    tx = producer(**{"transactional.id": name("tx")})
    tx.init_transactions(10)
    tx.begin_transaction()
    tx.produce(name("out"), value=b"o", partition=0)
    tx.send_offsets_to_transaction([TopicPartition(src, 0, 4)], c.consumer_group_metadata(), 10)
    tx.commit_transaction(10)
    assert c.committed([tp], 10)[0].offset == 4
    tx.begin_transaction()
    tx.send_offsets_to_transaction([TopicPartition(src, 0, 9)], c.consumer_group_metadata(), 10)
    tx.abort_transaction(10)
    assert c.committed([tp], 10)[0].offset == 4
    c.close()


def txn_timeout():
    """a transaction that outlives transaction.timeout.ms is aborted by the broker"""
    t = name("timeout")
    p = producer(**{"transactional.id": name("tx"), "transaction.timeout.ms": 3000})
    p.init_transactions(10)
    p.begin_transaction()
    p.produce(t, value=b"slow", partition=0)
    p.flush(10)
    time.sleep(4.5)
    try:
        p.commit_transaction(10)
        raise AssertionError("the timed-out transaction committed")
    except KafkaException:
        pass
    assert read_all(t, "read_committed") == []
    assert read_all(t, "read_uncommitted") == ["slow"]


def metadata_round_trip():
    """committed offset metadata round-trips (confluent-kafka >= 1.9 only)"""
    try:
        TopicPartition("t", 0, 1, "m")
    except TypeError:
        raise Skip("confluent-kafka %s cannot set offset metadata; kafka-python.sh and the Swift tests check it" % version)
    t = name("meta")
    c = consumer(name("g"))
    c.commit(offsets=[TopicPartition(t, 0, 5, "ckpt-5")], asynchronous=False)
    got = c.committed([TopicPartition(t, 0)], 10)[0]
    c.close()
    assert got.offset == 5 and got.metadata == "ckpt-5", got

def delete_records():
    """records deleted below offset 4 of 10 are gone: the low watermark is 4 and a reader from the beginning reads exactly offsets 4-9"""
    from confluent_kafka.admin import AdminClient
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    if not hasattr(admin, "delete_records"):
        raise Skip("this client has no delete_records (confluent-kafka %s)" % version)
    t = name("deleted")
    p = producer()
    for i in range(10):
        p.produce(t, value=b"v%d" % i, partition=0)
    assert p.flush(10) == 0
    tp = TopicPartition(t, 0, 4)
    deleted = admin.delete_records([tp])[tp].result(10)
    assert deleted.low_watermark == 4, deleted.low_watermark
    c = consumer(name("reader"))
    c.subscribe([t])
    read, deadline = [], time.time() + 15
    while time.time() < deadline:
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            if m.error().code() == -191:  # _PARTITION_EOF
                break
            raise KafkaException(m.error())
        read.append((m.offset(), m.value().decode()))
    c.close()
    assert read == [(i, "v%d" % i) for i in range(4, 10)], read


# Restart names are per client version, so the Debian and wheel runs share one data directory.
RESTART_TOPIC = "confluent-restart-" + version.replace(".", "-")
RESTART_GROUP = RESTART_TOPIC + "-group"


def before_restart():
    """records, committed offsets and an open transaction are written before the restart"""
    p = producer()
    for i in range(5):
        p.produce(RESTART_TOPIC, value=b"r%d" % i, partition=0)
    assert p.flush(10) == 0
    c = consumer(RESTART_GROUP)
    c.assign([TopicPartition(RESTART_TOPIC, 0, 0)])
    c.commit(offsets=[TopicPartition(RESTART_TOPIC, 0, 3)], asynchronous=False)
    c.close()
    tx = producer(**{"transactional.id": RESTART_TOPIC + "-tx"})
    tx.init_transactions(10)
    tx.begin_transaction()
    tx.produce(RESTART_TOPIC, value=b"open", partition=0)
    tx.flush(10)
    # The process exits with the transaction open; the broker stops next.


def after_restart():
    """after a restart with --data-dir: records and offsets kept; the open transaction kept open
    (as Kafka keeps it, for its producer to finish) until a new producer with its transactional
    id aborts it"""
    assert read_all(RESTART_TOPIC, "read_committed") == ["r%d" % i for i in range(5)]
    assert read_all(RESTART_TOPIC, "read_uncommitted") == ["r%d" % i for i in range(5)] + ["open"]
    c = consumer(RESTART_GROUP)
    assert c.committed([TopicPartition(RESTART_TOPIC, 0)], 10)[0].offset == 3
    c.close()
    tx = producer(**{"transactional.id": RESTART_TOPIC + "-tx"})
    tx.init_transactions(10)
    tx.begin_transaction()
    tx.produce(RESTART_TOPIC, value=b"after", partition=0)
    tx.commit_transaction(10)
    assert read_all(RESTART_TOPIC, "read_committed") == ["r%d" % i for i in range(5)] + ["after"]


run(PHASE, [produce_and_consume, group_rebalance, groups_are_listed_and_described, metadata_round_trip, transactions_visibility, zombie_fenced,
              txn_offsets, txn_timeout, delete_records], before_restart, after_restart)
