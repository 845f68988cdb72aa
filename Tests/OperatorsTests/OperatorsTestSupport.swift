import Foundation
import KeyedState
import Testing
import ExactlyTesting

@testable import Operators

/// The seeds the random tests run: a fixed set, or `EXACTLY_OPERATOR_SEED` to rerun one.
func testSeeds(count: Int = 12) -> [UInt64] {
    if let text = ProcessInfo.processInfo.environment["EXACTLY_OPERATOR_SEED"], let seed = UInt64(text) {
        return [seed]
    }
    let extra = Int(ProcessInfo.processInfo.environment["EXACTLY_OPERATOR_SEEDS"] ?? "") ?? count
    return (0..<UInt64(extra)).map { 0x5EED_0000 + $0 * 7919 }
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// A record of topic `in`, partition 0, with a JSON value.
func record(_ json: String, key: String? = nil, offset: Int64 = 0, timestamp: Int64 = 0, headers: [RecordHeader] = []) -> Record {
    Record(key: key.map(bytes), value: bytes(json), headers: headers, topic: "in", partition: 0, offset: offset, timestamp: timestamp)
}

/// Records from JSON values, numbered by offset.
func records(_ values: [String]) -> [Record] {
    values.enumerated().map { record($1, offset: Int64($0), timestamp: Int64($0)) }
}

/// Feeds `input` to a fresh processor of `pipeline`; returns every emission in order.
func run(_ pipeline: Pipeline, _ input: [Record]) throws -> [Emission] {
    var state = PartitionState()
    return try run(pipeline, input, state: &state)
}

func run(_ pipeline: Pipeline, _ input: [Record], state: inout PartitionState) throws -> [Emission] {
    var processor = try pipeline.processor(topic: "in", partition: 0)
    var emissions: [Emission] = []
    for record in input {
        try processor.process(record, state: &state, into: &emissions)
    }
    return emissions
}

/// Feeds `input[..<cut]`, checkpoints (an O(1) snapshot), restores into a new processor and a
/// state rebuilt from the snapshot's entries, then feeds the rest: what a crash and recovery do.
func runWithRestore(_ pipeline: Pipeline, _ input: [Record], cut: Int) throws -> [Emission] {
    var state = PartitionState()
    var first = try pipeline.processor(topic: "in", partition: 0)
    var emissions: [Emission] = []
    for record in input[..<cut] {
        try first.process(record, state: &state, into: &emissions)
    }
    let snapshot = state.captureSnapshot()
    // What happens after the checkpoint in the crashed run is lost with the process.
    for record in input[cut...] {
        _ = try first.process(record, state: &state)
    }
    var restored = PartitionState(restoring: snapshot.entries)
    var second = try pipeline.processor(topic: "in", partition: 0)
    second.restore(from: restored)
    for record in input[cut...] {
        try second.process(record, state: &restored, into: &emissions)
    }
    return emissions
}

/// The output values as strings (dead letters excluded).
func outputs(_ emissions: [Emission]) -> [String] {
    emissions.compactMap { emission in
        guard case .output(let record) = emission else { return nil }
        return text(record.value)
    }
}

func deadLetters(_ emissions: [Emission]) -> [OutputRecord] {
    emissions.compactMap { emission in
        guard case .deadLetter(let record) = emission else { return nil }
        return record
    }
}

/// A JSON object parsed with Foundation, independent of the module's own reader and writer.
func object(_ bytes: [UInt8]) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
}
