import Foundation
import Testing
import ExactlyTesting

@testable import Operators

@Suite struct JSONReaderTests {
    private func find(_ path: String, _ json: String) throws -> String? {
        let value = bytes(json)
        return try JSONReader.find(FieldPath(path), in: value).map { JSONReader.text($0, in: value) }
    }

    @Test func findsTopLevelFieldsOfEveryType() throws {
        let json = #"{"s":"a,b}\"c","n":-12.5e1,"o":{"x":[1,{"y":2}]},"a":[],"t":true,"f":false,"z":null}"#
        #expect(try find("s", json) == #""a,b}\"c""#)
        #expect(try find("n", json) == "-12.5e1")
        #expect(try find("o", json) == #"{"x":[1,{"y":2}]}"#)
        #expect(try find("a", json) == "[]")
        #expect(try find("t", json) == "true")
        #expect(try find("f", json) == "false")
        #expect(try find("z", json) == "null")
        #expect(try find("missing", json) == nil)
    }

    @Test func findsNestedFieldsAndSkipsLookalikesInsideStringsAndChildren() throws {
        let json = #" { "x" : "\"y\":1", "inner": {"y": 5}, "y" : 7 , "p": {"q": {"r": "deep"}} } "#
        #expect(try find("y", json) == "7")
        #expect(try find("inner.y", json) == "5")
        #expect(try find("p.q.r", json) == #""deep""#)
        #expect(try find("p.q.missing", json) == nil)
    }

    @Test func matchesEscapedMemberNames() throws {
        #expect(try find("név", #"{"n\u00e9v": 3}"#) == "3")
    }

    @Test func rejectsMalformedJSONAndNonObjects() {
        for bad in [#"{"a":1"#, #"{"a" 1}"#, #"[1,2]"#, #"{"a":"unterminated}"#, "", "tru"] {
            #expect(throws: RecordError.self, "\(bad)") { try JSONReader.find("b", in: bytes(bad)) }
        }
    }

    @Test func readsNumbersExactlyLikeFoundation() throws {
        for text in ["0", "-0", "42", "-17", "123456789012345678", "3.25", "-1e-7", "6.02e23", "9007199254740993",
                     "0.1", "-0.3", "12345.6789", "1.000000000000001", "0.30000000000000004", "1.", "-.5", "5.e3"] {
            #expect(JSONReader.parseNumber(bytes(text)[...]) == Double(text), "\(text)")
        }
        var random = SeededRandom(seed: 11)
        for _ in 0..<20_000 {
            let digits = Int.random(in: 1...17, using: &random)
            let mantissa = String((0..<digits).map { _ in Character(String(Int.random(in: 0...9, using: &random))) })
            let point = Int.random(in: 1...digits, using: &random)
            let text = (Bool.random(using: &random) ? "-" : "") + mantissa.prefix(point) + "." + mantissa.dropFirst(point) + "1"
            #expect(JSONReader.parseNumber(bytes(text)[...]) == Double(text), "\(text)")
        }
    }

    @Test func unescapesStringsIncludingSurrogatePairs() {
        let json = bytes(#""a\"b\\c\nd\u00e9\ud83d\ude00""#)
        #expect(JSONReader.stringContent(JSONToken(kind: .string, range: 0..<json.count, hasEscapes: true), in: json) == bytes("a\"b\\c\nd\u{e9}\u{1F600}"))
    }

    @Test func writerOutputParsesBackWithFoundation() throws {
        var writer = JSONWriter()
        writer.name(JSONWriter.encodedName(bytes("key")))
        writer.string(bytes("q\"uote\\ \n tab\t \u{1}"))
        writer.name(JSONWriter.encodedName(bytes("n")))
        writer.number(42.5)
        writer.name(JSONWriter.encodedName(bytes("i")))
        writer.number(-3)
        writer.name(JSONWriter.encodedName(bytes("big")))
        writer.integer(Int64.min)
        let parsed = try object(writer.finish())
        #expect(parsed["key"] as? String == "q\"uote\\ \n tab\t \u{1}")
        #expect(parsed["n"] as? Double == 42.5)
        #expect(parsed["i"] as? Int == -3)
        #expect(parsed["big"] as? Int64 == Int64.min)
    }

    @Test func parsesISO8601TimesWithFractionsAndOffsets() {
        #expect(EventTime.parseISO8601(bytes("1970-01-01T00:00:00Z")) == 0)
        #expect(EventTime.parseISO8601(bytes("2026-11-24T19:30:00.250Z")) == 1_795_548_600_250)
        #expect(EventTime.parseISO8601(bytes("2026-11-24T20:30:00.250+01:00")) == 1_795_548_600_250)
        #expect(EventTime.parseISO8601(bytes("1969-12-31T23:59:59.5Z")) == -500)
        #expect(EventTime.parseISO8601(bytes("2026-13-01T00:00:00Z")) == nil)
        #expect(EventTime.parseISO8601(bytes("2026-11-24 19:30")) == nil)
    }
}

@Suite struct JSONNumberWriterTests {
    private func written(_ value: Double) -> String {
        var writer = JSONWriter()
        writer.name(JSONWriter.encodedName(bytes("n")))
        writer.number(value)
        return text(writer.finish())
    }

    @Test func numbersAreShortestAndReadBackExactly() {
        #expect(written(42.5) == #"{"n":42.5}"#)
        #expect(written(-0.25) == #"{"n":-0.25}"#)
        #expect(written(0.05) == #"{"n":0.05}"#, "a fraction's leading zeros are kept")
        #expect(written(-7.000125) == #"{"n":-7.000125}"#, "six decimals, the most written without description")
        #expect(written(0.1 + 0.2) == #"{"n":0.30000000000000004}"#)
        #expect(written(1e20) == #"{"n":1e+20}"#)
        #expect(written(.nan) == #"{"n":null}"#)
        var random = SeededRandom(seed: 7)
        for _ in 0..<20_000 {
            let value = Double(Int.random(in: -10_000_000...10_000_000, using: &random)) / [1.0, 10, 100, 1000, 3][Int.random(in: 0..<5, using: &random)]
            let text = written(value)
            let number = Double(text.dropFirst(5).dropLast())
            #expect(number == value, "\(value) written as \(text)")
            #expect(text.count <= "{\"n\":}".count + value.description.count, "\(value) written as \(text), longer than \(value.description)")
        }
    }
}
