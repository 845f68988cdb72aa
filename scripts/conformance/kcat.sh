#!/usr/bin/env bash
# Conformance with kcat (librdkafka from Debian): metadata, produce and consume, consumer groups
# sharing partitions, committed offsets, and a restart with --data-dir.
# kcat has no transactions: those scenarios run in confluent-kafka.sh and kafka-python.sh.
set -euo pipefail
source "$(dirname "$0")/lib/broker.bash"
conformance_build
DATA="$CONFORMANCE_DIR/data"
broker_start --data-dir "$DATA" --default-partitions 2
say "$(kcat -V 2>&1 | head -1) against $BOOTSTRAP"
T="kcat-$$"
if [ -n "${KAFKA_BOOTSTRAP:-}" ]; then
    # A Kafka not started here creates topics with its own default partition count (and may not
    # create them on first use at all): the topics that need two partitions are made with two
    # (kcat cannot create topics; Debian's confluent-kafka does), and the auto-created one may
    # have any number.
    ensure_debian_packages python3-confluent-kafka
    workload create-topics --bootstrap "$BOOTSTRAP" --partitions 2 "$T-keys" "$T-grp"
    auto_created_partitions='[0-9][0-9]*'
else
    auto_created_partitions=2
fi

metadata_lists_topic() {
    kcat -b "$BOOTSTRAP" -P -t "$T-meta" <<<"x"
    kcat -b "$BOOTSTRAP" -L -t "$T-meta" | tee /dev/stderr | grep -q "topic \"$T-meta\" with $auto_created_partitions partitions"
}

produce_and_consume() {
    seq 1 1000 | kcat -b "$BOOTSTRAP" -P -t "$T-plain" -p 0
    local got
    got=$(kcat -b "$BOOTSTRAP" -C -t "$T-plain" -p 0 -o beginning -e -q | tr '\n' ' ')
    [ "$got" = "$(seq 1 1000 | tr '\n' ' ')" ] || { echo "got: ${got:0:200}"; return 1; }
}

keyed_records_keep_keys() {
    printf 'k1:v1\nk2:v2\n' | kcat -b "$BOOTSTRAP" -P -t "$T-keys" -K: -p 1
    local got
    got=$(kcat -b "$BOOTSTRAP" -C -t "$T-keys" -p 1 -o beginning -e -q -f '%k=%s\n' | tr '\n' ' ')
    [ "$got" = "k1=v1 k2=v2 " ] || { echo "got: $got"; return 1; }
}

two_group_members_share_partitions() {
    kcat -b "$BOOTSTRAP" -P -t "$T-grp" -p 0 <<<"p0"
    kcat -b "$BOOTSTRAP" -P -t "$T-grp" -p 1 <<<"p1"
    local a="$CONFORMANCE_DIR/a.log" b="$CONFORMANCE_DIR/b.log"
    kcat -b "$BOOTSTRAP" -G "$T-group" "$T-grp" -X session.timeout.ms=6000 >"$CONFORMANCE_DIR/a.out" 2>"$a" &
    local pa=$!
    sleep 2
    kcat -b "$BOOTSTRAP" -G "$T-group" "$T-grp" -X session.timeout.ms=6000 >"$CONFORMANCE_DIR/b.out" 2>"$b" &
    local pb=$!
    # The first member learns of the rebalance at its next heartbeat (3 s by default).
    for _ in $(seq 100); do
        grep -q "rebalanced.*assigned" "$b" 2>/dev/null && [ "$(grep -c "rebalanced.*assigned" "$a")" -ge 2 ] && break
        sleep 0.2
    done
    kill -TERM $pa $pb 2>/dev/null || true
    wait $pa $pb 2>/dev/null || true
    local sa sb
    sa=$(grep -o "% Group $T-group rebalanced (memberid [^)]*): assigned: [^\n]*" "$a" | tail -1 || true)
    sb=$(grep -o "% Group $T-group rebalanced (memberid [^)]*): assigned: [^\n]*" "$b" | tail -1 || true)
    echo "first:  $sa"
    echo "second: $sb"
    [ -n "$sa" ] && [ -n "$sb" ] || return 1
    # Each ends with one partition, and together they have both.
    [ "$(echo "$sa" | grep -o "$T-grp \[[0-9]\]" | wc -l)" -eq 1 ] || return 1
    [ "$(echo "$sb" | grep -o "$T-grp \[[0-9]\]" | wc -l)" -eq 1 ] || return 1
    [ "$(echo "$sa"; echo "$sb")" != "" ]
    [ "$(printf '%s\n%s\n' "$(echo "$sa" | grep -o "\[[0-9]\]")" "$(echo "$sb" | grep -o "\[[0-9]\]")" | sort -u | wc -l)" -eq 2 ]
}

group_commits_offsets() {
    seq 1 5 | kcat -b "$BOOTSTRAP" -P -t "$T-commit" -p 0
    timeout 20 kcat -b "$BOOTSTRAP" -G "$T-cg" "$T-commit" -e -q -X auto.commit.interval.ms=100 -X auto.offset.reset=earliest >/dev/null || true
    seq 6 7 | kcat -b "$BOOTSTRAP" -P -t "$T-commit" -p 0
    local got
    got=$(timeout 20 kcat -b "$BOOTSTRAP" -G "$T-cg" "$T-commit" -e -q -X auto.offset.reset=earliest | tr '\n' ' ')
    [ "$got" = "6 7 " ] || { echo "second run read: $got"; return 1; }
}

restart_keeps_records() {
    seq 1 100 | kcat -b "$BOOTSTRAP" -P -t "$T-restart" -p 0
    broker_stop
    broker_start --data-dir "$DATA" --default-partitions 2
    local got
    got=$(kcat -b "$BOOTSTRAP" -C -t "$T-restart" -p 0 -o beginning -e -q | wc -l)
    [ "$got" -eq 100 ] || { echo "after restart: $got records"; return 1; }
    got=$(timeout 20 kcat -b "$BOOTSTRAP" -G "$T-cg" "$T-commit" -e -q -X auto.offset.reset=earliest | wc -l)
    [ "$got" -eq 0 ] || { echo "group re-read $got records: its offsets were lost"; return 1; }
}

scenario "metadata lists an auto-created topic with the default partitions" metadata_lists_topic
scenario "1000 records produced are consumed in order" produce_and_consume
scenario "keys survive the round trip" keyed_records_keep_keys
scenario "two members of a group split two partitions after a rebalance" two_group_members_share_partitions
scenario "a group resumes from its committed offsets" group_commits_offsets
if can_restart; then
    scenario "a restart with --data-dir keeps records and committed offsets" restart_keeps_records
else
    say "KAFKA_BOOTSTRAP is set: skipping the restart scenario (it restarts our own broker)"
fi
conformance_finish kcat
