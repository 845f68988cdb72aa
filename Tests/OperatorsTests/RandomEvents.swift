import Foundation
import Testing
import ExactlyTesting

@testable import Operators

/// A random event stream with the disorder real partitions have: mostly slightly out of order,
/// some late, some very late, some exact duplicates, keys of different lengths, times that start
/// below zero.
struct RandomEvent {
    var key: String
    var time: Int64
    var amount: Int
    var id: Int

    var json: String { #"{"k":"\#(key)","ts":\#(time),"amount":\#(amount),"id":\#(id)}"# }

    static let keys = ["a", "ab", "b", "ba", "c"]

    static func stream(seed: UInt64, count: Int = 300) -> [RandomEvent] {
        var random = SeededRandom(seed: seed)
        var clock: Int64 = -500
        var events: [RandomEvent] = []
        for id in 0..<count {
            clock += Int64.random(in: 0...30, using: &random)
            let roll = Int.random(in: 0..<100, using: &random)
            if roll >= 88, let earlier = events.randomElement(using: &random) {
                events.append(earlier)  // a redelivered duplicate
                continue
            }
            let time: Int64 = switch roll {
            case ..<70: clock + Int64.random(in: -40...10, using: &random)
            case ..<82: clock - Int64.random(in: 50...400, using: &random)
            default: clock - Int64.random(in: 400...3000, using: &random)
            }
            events.append(RandomEvent(
                key: keys.randomElement(using: &random)!, time: time, amount: Int.random(in: -50...100, using: &random), id: id % 97))
        }
        return events
    }

    static func records(_ events: [RandomEvent]) -> [Record] {
        events.enumerated().map { offset, event in
            Record(key: nil, value: Array(event.json.utf8), topic: "in", partition: 0, offset: Int64(offset), timestamp: 0)
        }
    }
}

/// A window result as a person reads it, or a late record sent to the dead letters.
enum WindowEmission: Equatable, CustomStringConvertible {
    case result(key: String, start: Int64, end: Int64, count: Int, sum: Int, min: Int, max: Int)
    case late(offset: Int64)

    static func result(_ key: String, _ window: Window, _ amounts: [Int]) -> WindowEmission {
        .result(key: key, start: window.start, end: window.end, count: amounts.count, sum: amounts.reduce(0, +),
                min: amounts.min()!, max: amounts.max()!)
    }

    /// Decodes what the processor emitted, with Foundation's JSON parser.
    static func decode(_ emission: Emission) throws -> WindowEmission {
        switch emission {
        case .deadLetter(let record):
            #expect(record.header(DeadLetterHeader.code) == "lateRecord")
            return .late(offset: Int64(try #require(record.header(DeadLetterHeader.sourceOffset).flatMap { Int64($0) })))
        case .output(let record):
            let fields = try object(record.value)
            return .result(
                key: try #require(fields["key"] as? String), start: try #require((fields["window_start"] as? NSNumber)?.int64Value),
                end: try #require((fields["window_end"] as? NSNumber)?.int64Value), count: try #require(fields["count"] as? Int),
                sum: try #require(fields["sum"] as? Int), min: try #require(fields["min"] as? Int), max: try #require(fields["max"] as? Int))
        }
    }

    var description: String {
        switch self {
        case .result(let key, let start, let end, let count, let sum, let min, let max):
            "\(key)[\(start),\(end)) n=\(count) sum=\(sum) min=\(min) max=\(max)"
        case .late(let offset): "late@\(offset)"
        }
    }
}

/// Orders window results as the processor promises: by end, then start, then key bytes.
func firingOrder(_ a: (key: String, window: Window), _ b: (key: String, window: Window)) -> Bool {
    if a.window.end != b.window.end { return a.window.end < b.window.end }
    if a.window.start != b.window.start { return a.window.start < b.window.start }
    return Array(a.key.utf8).lexicographicallyPrecedes(Array(b.key.utf8))
}
