#!/usr/bin/env bash
# --replay-from-checkpoint, end to end (on the development broker, or on the Kafka named by
# KAFKA_BOOTSTRAP, on topics of its own):
#   a dry run from an older checkpoint reports outputs that match the committed ones (exit 0);
#   a dry run of a changed pipeline reports that its outputs differ (exit 3);
#   a dry run over outputs written without the source header says it cannot compare (exit 4);
#   a dry run with a bootstrap where no Kafka answers stops within 30 s, saying so (exit 1);
#   a dry run while a transaction left open by a stopped instance holds the committed offsets
#   waits until the broker aborts it, saying why, and then reports as the first did;
#   a real replay into the same sink is refused (it would duplicate committed output);
#   a real replay from a checkpoint that never committed (`latest`) is refused (it would skip input);
#   a confirmed replay into a new topic produces exactly the outputs of the replayed inputs,
#   as a read_committed consumer sees them, and its checkpoints record what they descend from.
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$EXACTLY_ROOT"
prepare_workload_test
work=$(mktemp -d)
broker_pid=""
fail() { echo "replay test FAILED: $*" >&2; echo "logs kept in $work" >&2; exit 1; }
cleanup() { [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT

workload_kafka "$work" 4
broker_pid=$BROKER_PID
bootstrap=$BOOTSTRAP
bare=$APPLICATION-bare replayed=$OUTPUT_TOPIC-replayed
workload_more_topics 4 "$bare" "$replayed" "$APPLICATION-gap"
workload_config "$work/pipeline.yaml" "$work/checkpoints" 500ms
sed -i -e "s#retained: .*#retained: 50#" "$work/pipeline.yaml"
run() { "$EXACTLY_BIN" run --config "$@" --log-level warning; }
# The id of application $1's newest checkpoint.
newest_checkpoint() { ls -t "$work/checkpoints/$1/manifests/" | head -n 1 | sed 's/\.json$//'; }

# The same pipeline as another application whose outputs carry no source header.
sed -e "s#^application: .*#application: $bare#" -e "s#  topic: $OUTPUT_TOPIC\$#  topic: $bare\n  source_header: false#" \
    "$work/pipeline.yaml" > "$work/bare.yaml"
grep -q "source_header: false" "$work/bare.yaml" || fail "could not turn the source header off"

# Two halves of input, each processed to the end by both applications; checkpoint A (and the
# bare application's) holds the state after the first.
workload produce --bootstrap "$bootstrap" --topic "$INPUT_TOPIC" --partitions 4 --records 10000 --keys 200 > /dev/null
run "$work/pipeline.yaml" --stop-after-records 10000 > "$work/run-1.txt"
checkpoint=$(newest_checkpoint "$APPLICATION")
run "$work/bare.yaml" --stop-after-records 10000 > "$work/bare-1.txt"
bare_checkpoint=$(newest_checkpoint "$bare")
workload produce --bootstrap "$bootstrap" --topic "$INPUT_TOPIC" --partitions 4 --records 10000 --keys 200 --start 10000 > /dev/null
run "$work/pipeline.yaml" --stop-after-records 10000 > "$work/run-2.txt"
run "$work/bare.yaml" --stop-after-records 10000 > "$work/bare-2.txt"
say "replaying from checkpoint $checkpoint (the state after the first 10,000 inputs)"

run "$work/pipeline.yaml" --replay-from-checkpoint "$checkpoint" --dry-run > "$work/dry-run.txt" 2>&1 || fail "the dry run exited non-zero: $(cat "$work/dry-run.txt")"
cat "$work/dry-run.txt"
grep -q "they match the" "$work/dry-run.txt" || fail "the dry run did not compare with committed output"
! grep -q "DIFFER" "$work/dry-run.txt" || fail "the dry run found differences"

# A changed pipeline (count only, no sum) replayed dry: its outputs differ from the committed ones,
# and the dry run must say so and exit 3.
sed -e '/- op: sum/,+1d' "$work/pipeline.yaml" > "$work/changed.yaml"
grep -q "op: sum" "$work/changed.yaml" && fail "could not drop the sum from the pipeline"
status=0
run "$work/changed.yaml" --replay-from-checkpoint "$checkpoint" --dry-run > "$work/dry-run-changed.txt" 2>&1 || status=$?
cat "$work/dry-run-changed.txt"
[ "$status" = 3 ] || fail "a dry run whose outputs differ exited $status, not 3: $(cat "$work/dry-run-changed.txt")"
grep -q "DIFFER" "$work/dry-run-changed.txt" || fail "the dry run of a changed pipeline did not report the difference"

# The same inputs through an application whose outputs carry no source header (both halves run
# above): the dry run cannot tell which committed outputs belong to the replayed inputs, and
# must say so (exit 4) rather than report a difference or a match.
status=0
run "$work/bare.yaml" --replay-from-checkpoint "$bare_checkpoint" --dry-run > "$work/dry-run-bare.txt" 2>&1 || status=$?
cat "$work/dry-run-bare.txt"
[ "$status" = 4 ] || fail "a dry run over outputs without the source header exited $status, not 4: $(cat "$work/dry-run-bare.txt")"
grep -q "CANNOT BE COMPARED" "$work/dry-run-bare.txt" || fail "the dry run over outputs without the source header did not say it cannot compare"

# A dry run pointed at no Kafka at all (a wrong bootstrap): offsets read from nowhere would
# fail as held offsets do, and be waited for minutes; it must stop within its 30 s check,
# naming the servers, having produced nothing.
sed -e "s#bootstrap: .*#bootstrap: 127.0.0.1:1#" "$work/pipeline.yaml" > "$work/nowhere.yaml"
grep -q "bootstrap: 127.0.0.1:1" "$work/nowhere.yaml" || fail "could not point the bootstrap nowhere"
status=0
started=$SECONDS
run "$work/nowhere.yaml" --replay-from-checkpoint "$checkpoint" --dry-run > "$work/dry-run-nowhere.txt" 2>&1 || status=$?
[ "$status" = 1 ] || fail "a dry run with no Kafka to reach exited $status, not 1: $(tail -n 3 "$work/dry-run-nowhere.txt")"
grep -q "could not reach Kafka at 127.0.0.1:1 within 30 s" "$work/dry-run-nowhere.txt" \
    || fail "a dry run with no Kafka to reach did not say so: $(tail -n 3 "$work/dry-run-nowhere.txt")"
say "a dry run with no Kafka to reach stopped after $((SECONDS - started)) s, saying so"

# What an instance that died between sending a checkpoint's offsets and committing leaves: a
# transaction holding the group's offsets, which the broker aborts after 8 s. The committed
# offsets cannot be read until then; the dry run must wait, say why, and then do its work.
held=$(workload hold-offsets --bootstrap "$bootstrap" --group "$APPLICATION" --topic "$INPUT_TOPIC" --partitions 4 --timeout-ms 8000)
[ "$held" = holding ] || fail "could not leave a transaction holding offsets: $held"
"$EXACTLY_BIN" run --config "$work/pipeline.yaml" --replay-from-checkpoint "$checkpoint" --dry-run --log-level notice > "$work/dry-run-held.txt" 2>&1 \
    || fail "the dry run while offsets were held exited non-zero: $(cat "$work/dry-run-held.txt")"
grep -q "their committed offsets could not be read within" "$work/dry-run-held.txt" || fail "the dry run did not say the offsets were held: $(cat "$work/dry-run-held.txt")"
grep -q "The replay waits" "$work/dry-run-held.txt" || fail "the dry run did not say it waits: $(cat "$work/dry-run-held.txt")"
grep -q "committed offsets read after waiting" "$work/dry-run-held.txt" || fail "the dry run did not read the offsets once free: $(cat "$work/dry-run-held.txt")"
grep -q "they match the" "$work/dry-run-held.txt" && ! grep -q "DIFFER" "$work/dry-run-held.txt" \
    || fail "the dry run after the wait did not match the committed output: $(cat "$work/dry-run-held.txt")"
say "a dry run while offsets were held: $(grep -o 'committed offsets read after waiting [^;]*' "$work/dry-run-held.txt")"

if run "$work/pipeline.yaml" --replay-from-checkpoint "$checkpoint" > "$work/refused.txt" 2>&1; then
    fail "a replay into the sink that holds the committed output was not refused"
fi
grep -q "would produce again" "$work/refused.txt" || fail "the refusal does not say why: $(cat "$work/refused.txt")"
say "refused as it should: $(grep -o 'replaying checkpoint [^:]*' "$work/refused.txt" | head -n 1)"

sed -e "s#  topic: $OUTPUT_TOPIC\$#  topic: $replayed#" "$work/pipeline.yaml" > "$work/replay.yaml"
grep -q "topic: $replayed" "$work/replay.yaml" || fail "could not point the sink at $replayed"
run "$work/replay.yaml" --replay-from-checkpoint "$checkpoint" --allow-duplicate-output --stop-after-records 10000 > "$work/replay.txt"
workload expected --partitions 4 --records 20000 --keys 200 | tail -n 10000 > "$work/expected-second-half.jsonl"
workload verify --bootstrap "$bootstrap" --topic "$replayed" --expected "$work/expected-second-half.jsonl" --wait 60 \
    || fail "the replayed topic does not hold exactly the outputs of the replayed inputs"
grep -lq "\"descendsFrom\":\"$checkpoint\"" "$work/checkpoints/$APPLICATION"/manifests/*.json \
    || fail "no checkpoint of the replay records that it descends from $checkpoint"
# The replay started again with the same arguments but without the override (a restart, or a
# second instance given them): not refused, since what it committed is not replayed again; it
# resumes, and new input goes on into the same topic once.
workload produce --bootstrap "$bootstrap" --topic "$INPUT_TOPIC" --partitions 4 --records 1000 --keys 200 --start 20000 > /dev/null
run "$work/replay.yaml" --replay-from-checkpoint "$checkpoint" --stop-after-records 1000 > "$work/replay-again.txt" 2>&1 \
    || fail "the replay started again was refused or failed: $(tail -n 3 "$work/replay-again.txt")"
workload expected --partitions 4 --records 21000 --keys 200 | tail -n 11000 > "$work/expected-replayed-and-more.jsonl"
workload verify --bootstrap "$bootstrap" --topic "$replayed" --expected "$work/expected-replayed-and-more.jsonl" --wait 60 \
    || fail "the replay started again did not resume: the replayed topic does not hold each output once"
say "the replay started again resumed: 11,000 outputs in $replayed, each once"
# The application goes on as usual (without the replay) into that topic; the replay's command
# run again, override and all, is then refused: the replay is over for those partitions, and
# replaying them again would write their outputs into the topic a second time.
workload produce --bootstrap "$bootstrap" --topic "$INPUT_TOPIC" --partitions 4 --records 1000 --keys 200 --start 21000 > /dev/null
run "$work/replay.yaml" --stop-after-records 1000 > "$work/after-replay.txt" 2>&1 || fail "the run after the replay failed: $(tail -n 3 "$work/after-replay.txt")"
status=0
run "$work/replay.yaml" --replay-from-checkpoint "$checkpoint" --allow-duplicate-output > "$work/replay-over.txt" 2>&1 || status=$?
[ "$status" != 0 ] || fail "the replay run again after the application went on without it was not refused: $(tail -n 3 "$work/replay-over.txt")"
grep -q "the replay is over for them" "$work/replay-over.txt" || fail "the refusal does not say the replay is over: $(tail -n 3 "$work/replay-over.txt")"
workload expected --partitions 4 --records 22000 --keys 200 | tail -n 12000 > "$work/expected-replayed-and-after.jsonl"
workload verify --bootstrap "$bootstrap" --topic "$replayed" --expected "$work/expected-replayed-and-after.jsonl" --wait 60 \
    || fail "the topic the replay wrote does not hold each output once after the refused second replay"
say "refused as it should: the replay run again after the application went on without it"
# A checkpoint whose transaction never committed (the process killed once its manifest is
# durable, before its commit) is ahead of Kafka's committed offsets, and `latest` picks it (the
# newest that verifies). A replay from it would skip the inputs it is ahead by, whose outputs
# were aborted: it must be refused, naming the checkpoint Kafka's offsets name.
gap=$APPLICATION-gap
sed -e "s#^application: .*#application: $gap#" -e "s#  topic: $OUTPUT_TOPIC\$#  topic: $gap#" -e "s#interval: .*#interval: 2s#" \
    -e "s#^  timeout: .*#  timeout: 2s#" -e "s#transaction_timeout: .*#transaction_timeout: 6s#" "$work/pipeline.yaml" > "$work/gap.yaml"
grep -q "topic: $gap" "$work/gap.yaml" || fail "could not point the gap application's sink at $gap"
run "$work/gap.yaml" --stop-after-records 20000 > "$work/gap-1.txt"
workload produce --bootstrap "$bootstrap" --topic "$INPUT_TOPIC" --partitions 4 --records 2000 --keys 200 --start 22000 > /dev/null
status=0
EXACTLY_CRASH_AT=afterManifestDurable:1 "$EXACTLY_BIN" run --config "$work/gap.yaml" --log-level warning > "$work/gap-crash.txt" 2>&1 || status=$?
[ "$status" = 137 ] || fail "the run meant to die after its first manifest exited $status: $(tail -n 3 "$work/gap-crash.txt")"
uncommitted=$(newest_checkpoint "$gap")
status=0
run "$work/gap.yaml" --replay-from-checkpoint latest > "$work/gap-refused.txt" 2>&1 || status=$?
[ "$status" != 0 ] || fail "a replay from $uncommitted, ahead of the committed offsets, was not refused: $(tail -n 3 "$work/gap-refused.txt")"
grep -q "checkpoint $uncommitted is ahead of what Kafka committed" "$work/gap-refused.txt" \
    || fail "the replay from $uncommitted was not refused for the input it would skip: $(tail -n 3 "$work/gap-refused.txt")"
grep -q "Kafka's committed offsets name $gap-0-" "$work/gap-refused.txt" || fail "the refusal does not name the committed checkpoint: $(cat "$work/gap-refused.txt")"
say "refused as it should: $(grep -o 'checkpoint [^ ]* is ahead of what Kafka committed[^:]*' "$work/gap-refused.txt")"
# A checkpoint store copied in from another application: its checkpoints verify, but hold
# another pipeline's state, and a replay from one is refused naming both applications.
copied=$APPLICATION-copied
mkdir -p "$work/checkpoints/$copied"
cp -r "$work/checkpoints/$gap/." "$work/checkpoints/$copied/"
sed -e "s#^application: .*#application: $copied#" "$work/gap.yaml" > "$work/copied.yaml"
status=0
run "$work/copied.yaml" --replay-from-checkpoint latest > "$work/copied-refused.txt" 2>&1 || status=$?
[ "$status" != 0 ] || fail "a replay from a checkpoint of application $gap into $copied was not refused: $(tail -n 3 "$work/copied-refused.txt")"
grep -q "is of application \`$gap\`, not of \`$copied\`" "$work/copied-refused.txt" \
    || fail "the replay from another application's checkpoint was not refused naming both: $(tail -n 3 "$work/copied-refused.txt")"
say "refused as it should: $(grep -o 'checkpoint [^ ]* is of application [^:]*' "$work/copied-refused.txt")"
# A checkpoint holding partitions of a topic `source.topics` no longer lists: the processor reads
# only the topics listed, and would leave those partitions out without a word.
sed -e "s#topics: .*#topics: [$OUTPUT_TOPIC]#" "$work/gap.yaml" > "$work/dropped.yaml"
status=0
run "$work/dropped.yaml" --replay-from-checkpoint latest > "$work/dropped-refused.txt" 2>&1 || status=$?
[ "$status" != 0 ] || fail "a replay of a checkpoint of $INPUT_TOPIC with source.topics [$OUTPUT_TOPIC] was not refused: $(tail -n 3 "$work/dropped-refused.txt")"
grep -q "holds partitions of \`$INPUT_TOPIC\` .*which \`source.topics\` no longer lists" "$work/dropped-refused.txt" \
    || fail "the replay of a checkpoint with a topic no longer read was not refused naming it: $(tail -n 3 "$work/dropped-refused.txt")"
say "refused as it should: a replay of a checkpoint holding $INPUT_TOPIC, which source.topics no longer lists"

workload_kafka_done
rm -rf "$work"
echo "replay test passed: dry run matched, a changed pipeline's dry run differed (exit 3), without source headers it could not compare (exit 4), with no Kafka to reach it stopped in 30 s, it waited for offsets a transaction held, duplicate replay refused, replay into a new topic exactly once, the replay started again resumed, run again after the application went on without it refused, a replay that would skip input refused, a checkpoint of another application refused, a checkpoint of a topic no longer read refused"
