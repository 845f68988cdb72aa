import Foundation
import KeyedState
import Testing

@testable import Operators

/// Every example under `examples/` parses and produces exactly its `.expected.jsonl`.
@Suite struct ExampleTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples")

    static var names: [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
    }

    private func lines(_ name: String, _ suffix: String) throws -> [String] {
        let text = try String(contentsOf: Self.directory.appendingPathComponent(name + suffix), encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    /// The emissions as the expected files spell them.
    static func describe(_ emissions: [Emission]) -> [String] {
        emissions.map { emission in
            switch emission {
            case .output(let record): "out " + text(record.value)
            case .deadLetter(let record): "dead-letter \(record.header(DeadLetterHeader.code) ?? "?") " + text(record.value)
            }
        }
    }

    @Test func thereIsAnExampleForEveryOperatorFamily() {
        #expect(Self.names.count >= 7)
    }

    @Test(arguments: names)
    func exampleParsesAndProducesItsExpectedOutput(_ name: String) throws {
        let yaml = try String(contentsOf: Self.directory.appendingPathComponent(name + ".yaml"), encoding: .utf8)
        let pipeline = try Pipeline(yaml: yaml)
        let input = try lines(name, ".input.jsonl").enumerated().map { offset, value in
            Record(key: nil, value: bytes(value), topic: "example", partition: 0, offset: Int64(offset), timestamp: Int64(offset) * 60_000)
        }
        let actual = Self.describe(try run(pipeline, input))
        if ProcessInfo.processInfo.environment["EXACTLY_WRITE_EXAMPLE_EXPECTATIONS"] == "1" {
            let path = Self.directory.appendingPathComponent(name + ".expected.jsonl")
            try (actual.joined(separator: "\n") + "\n").write(to: path, atomically: true, encoding: .utf8)
        }
        #expect(actual == (try lines(name, ".expected.jsonl")), "\(name)")
        #expect(!actual.isEmpty)
    }
}
