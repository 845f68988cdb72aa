#!/usr/bin/env bash
# Records/s through each operator family of the Operators module, in memory: no Kafka, no files,
# release build. Prints one line per family.
#
#   scripts/bench-operators.sh                   2,000,000 records per family, 1,000,000 keys
#   RECORDS=500000 scripts/bench-operators.sh    fewer records
#   ONLY=tumbling scripts/bench-operators.sh     only the families whose name contains "tumbling"
#
# The benchmark is a throw-away SwiftPM package under .build/bench-operators (git-ignored) whose
# KeyedState and Operators targets are symbolic links to this repository's sources, so it builds
# only what it measures and Package.swift stays as it is. Dependencies resolve the way the main
# package's do (the machine's git mirrors); nothing is installed.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH="$ROOT/.build/bench-operators"
RECORDS="${RECORDS:-2000000}"

mkdir -p "$BENCH/Sources/BenchOperators"
ln -sfn "$ROOT/Sources/CPrefetch" "$BENCH/Sources/CPrefetch"
ln -sfn "$ROOT/Sources/KeyedState" "$BENCH/Sources/KeyedState"
ln -sfn "$ROOT/Sources/Operators" "$BENCH/Sources/Operators"

cat > "$BENCH/Package.swift" <<'SWIFT'
// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "BenchOperators",
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections", from: "1.2.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        .target(name: "CPrefetch"),
        .target(name: "KeyedState", dependencies: ["CPrefetch"], swiftSettings: [.swiftLanguageMode(.v6)]),
        .target(name: "Operators", dependencies: [
            "KeyedState", .product(name: "Yams", package: "Yams"), .product(name: "HeapModule", package: "swift-collections"),
        ], swiftSettings: [.swiftLanguageMode(.v6)]),
        .executableTarget(name: "BenchOperators", dependencies: ["Operators", "KeyedState"],
                          swiftSettings: [.swiftLanguageMode(.v6)]),
    ]
)
SWIFT

cat > "$BENCH/Sources/BenchOperators/main.swift" <<'SWIFT'
import KeyedState
import Operators

/// A fixed-seed generator (xorshift64*): every run measures the same records.
struct XorShift: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 2_685_821_657_736_338_717
    }
}

let recordCount = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 2_000_000
/// Records between two simulated checkpoints (a snapshot capture).
let checkpointInterval = 100_000
/// Only the families whose name contains this text (for profiling one), or all.
let only = CommandLine.arguments.dropFirst(2).first

/// Records `{"user":"u123","amount":12.5,"id":…,"ts":…}`: keys drawn uniformly from `keys`,
/// event time one millisecond per record with up to 50 ms of disorder, ids repeating so that
/// about one record in ten is a duplicate.
func makeRecords(keys: Int, count: Int) -> [Record] {
    var random = XorShift(state: 42)
    var records: [Record] = []
    records.reserveCapacity(count)
    for offset in 0..<count {
        let key = Int.random(in: 0..<keys, using: &random)
        let amount = Int.random(in: 0..<10_000, using: &random)
        let id = Int.random(in: 0...9, using: &random) == 0 && offset > 0 ? offset - 1 : offset
        let ts = offset - Int.random(in: 0...50, using: &random)
        let json = #"{"user":"u\#(key)","amount":\#(amount / 100).\#(amount % 100),"id":\#(id),"ts":\#(ts),"kind":"\#(amount % 3 == 0 ? "view" : "click")"}"#
        records.append(Record(key: nil, value: Array(json.utf8), topic: "bench", partition: 0, offset: Int64(offset), timestamp: Int64(ts)))
    }
    return records
}

func measure(_ name: String, _ pipeline: Pipeline, _ records: [Record], keys: Int) throws {
    if let only, !name.contains(only) { return }
    var processor = try pipeline.processor(topic: "bench", partition: 0)
    var state = PartitionState()
    var emissions: [Emission] = []
    emissions.reserveCapacity(64)
    var outputs = 0
    var deadLetters = 0
    let clock = ContinuousClock()
    let start = clock.now
    var folding = Duration.zero
    // One record for the whole run, its fields set from each input, as the runtime's lanes do
    // (`process(reusing:)`): copying each record out of the array counted references for nothing.
    var record = Record(key: nil, value: [], topic: "bench", partition: 0, offset: 0, timestamp: 0)
    for index in records.indices {
        // The runtime captures a snapshot at every checkpoint, which also empties the state's
        // change log; without it the log would grow without bound and dominate the figures.
        if index % checkpointInterval == 0 { checkpoint(&state, clock: clock, folding: &folding) }
        record.key = records[index].key
        record.value = records[index].value
        if !record.headers.isEmpty { record.headers = [] }
        record.offset = records[index].offset
        record.timestamp = records[index].timestamp
        record.eventTime = nil
        try processor.process(reusing: &record, state: &state, into: &emissions)
        for emission in emissions {
            if emission.isDeadLetter { deadLetters += 1 } else { outputs += 1 }
        }
        emissions.removeAll(keepingCapacity: true)
    }
    let elapsed = clock.now - start - folding
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let rate = Double(records.count) / seconds
    let name = name.padding(toLength: 46, withPad: " ", startingAt: 0)
    print("\(name) \(String(format: rate)) records/s  (\(records.count) records, \(keys) keys, \(outputs) outputs, \(deadLetters) dead letters, \(state.count) state entries, \(Int(seconds * 1000)) ms)")
}

/// A checkpoint as the runtime makes one: a capture on the processing thread, then the fold of
/// its change log into the map, which the runtime's checkpoint writer does on a thread of its own
/// and the state adopts at its next capture. The fold is done here too (without it up to eight
/// layers pile up and every first write of an epoch looks in all of them, which the runtime
/// never sees) but its time is left out, as it is off the processing thread in the runtime.
func checkpoint(_ state: inout PartitionState, clock: ContinuousClock, folding: inout Duration) {
    let snapshot = state.captureSnapshot()
    let started = clock.now
    snapshot.entries.materialize()
    folding += clock.now - started
}

/// The floor under every keyed operator: one state read and one 16-byte write per record under
/// the record's key, with no JSON and no pipeline (keys parsed before the clock starts).
func measureStateFloor(_ records: [Record], keys: Int) throws {
    let name = "floor: state get + put per record (no JSON)"
    if let only, !name.contains(only) { return }
    let stateKeys = records.map { record in
        let value = record.value
        let start = value.firstIndex(of: UInt8(ascii: "u"))! + 7  // after {"user":"
        let end = value[start...].firstIndex(of: UInt8(ascii: "\""))!
        return StateKey(namespace: "o1", key: Array(value[start..<end]))
    }
    var state = PartitionState()
    let clock = ContinuousClock()
    let start = clock.now
    var folding = Duration.zero
    for (index, key) in stateKeys.enumerated() {
        if index % checkpointInterval == 0 { checkpoint(&state, clock: clock, folding: &folding) }
        var count = state[key].map { Int64($0[0]) } ?? 0
        count += 1
        var bytes = [UInt8](repeating: 0, count: 16)
        bytes[0] = UInt8(truncatingIfNeeded: count)
        state.put(bytes, for: key)
    }
    let elapsed = clock.now - start - folding
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    print("\(name.padding(toLength: 46, withPad: " ", startingAt: 0)) \(String(format: Double(records.count) / seconds)) records/s  (\(records.count) records, \(keys) keys, \(state.count) state entries, \(Int(seconds * 1000)) ms)")
}

extension String {
    init(format rate: Double) {
        let whole = Int(rate.rounded())
        var digits = String(whole)
        var grouped = ""
        while digits.count > 3 {
            grouped = "," + digits.suffix(3) + grouped
            digits = String(digits.dropLast(3))
        }
        self = (digits + grouped).leftPadded(to: 11)
    }

    func leftPadded(to width: Int) -> String {
        String(repeating: " ", count: Swift.max(0, width - count)) + self
    }
}

let eventTime = EventTime.field("ts", format: .epochMillis)
let watermarks = Watermarks(maxOutOfOrderness: .milliseconds(50))
let firstPipeline = try Pipeline(yaml: """
    operators:
      - key_by: user
      - aggregate: [{op: count}, {op: sum, field: amount}]
    """)

for keys in [100_000, 1_000_000] {
    let records = makeRecords(keys: keys, count: recordCount)
    try measure("running count+sum from YAML (first pipeline)", firstPipeline, records, keys: keys)
}

let keys = 1_000_000
let records = makeRecords(keys: keys, count: recordCount)
try measure("pass-through (no operators)", Pipeline(), records, keys: keys)
try measureStateFloor(records, keys: keys)
try measure("stateless: filter + project", Pipeline()
    .filter(FieldPredicate("kind", .equals(.string("click"))))
    .project(["user", "amount"]), records, keys: keys)
try measure("keyed: min, max, average", Pipeline().keyBy(field: "user")
    .aggregate(.fields([.min("amount"), .max("amount"), .average("amount")])), records, keys: keys)
try measure("keyed: user reduce closure", Pipeline().keyBy(field: "user")
    .aggregate(.reduce { running, value in running.count >= value.count ? running : value }), records, keys: keys)
try measure("window: tumbling 10 s, count+sum", Pipeline(eventTime: eventTime, watermarks: watermarks).keyBy(field: "user")
    .window(.tumbling(size: .seconds(10)), aggregate: .fields([.count(), .sum("amount")])), records, keys: keys)
try measure("window: sliding 10 s / 5 s, count+sum", Pipeline(eventTime: eventTime, watermarks: watermarks).keyBy(field: "user")
    .window(.sliding(size: .seconds(10), slide: .seconds(5)), aggregate: .fields([.count(), .sum("amount")])), records, keys: keys)
try measure("window: session gap 5 s, count", Pipeline(eventTime: eventTime, watermarks: watermarks).keyBy(field: "user")
    .window(.session(gap: .seconds(5)), aggregate: .count), records, keys: keys)
try measure("deduplicate by field, ttl 10 s", Pipeline(eventTime: eventTime, watermarks: watermarks)
    .deduplicate(by: "id", ttl: .seconds(10)), records, keys: keys)
SWIFT

echo "==> building the operator benchmark (swift build -c release in .build/bench-operators)" >&2
swift build -c release --package-path "$BENCH" --product BenchOperators >&2
echo "==> $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); $RECORDS records per family" >&2
"$BENCH/.build/release/BenchOperators" "$RECORDS" ${ONLY:+"$ONLY"}
