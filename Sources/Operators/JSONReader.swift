/// Finds fields in JSON text held as UTF-8 bytes, without building a tree and without
/// Foundation: the per-record path of the YAML operators.
enum JSONReader {
    /// The value at `path` in the JSON object `bytes`, or `nil` when a member is absent.
    ///
    /// Throws `malformedJSON` when the text (up to the field) is not JSON or the value is not an
    /// object, and `wrongType` when an intermediate member is not an object.
    static func find(_ path: FieldPath, in bytes: [UInt8]) throws -> JSONToken? {
        try bytes.withUnsafeBufferPointer { buffer in
            var start = 0
            var found: JSONToken?
            for (depth, component) in path.components.enumerated() {
                if depth > 0 {
                    guard let outer = found else { return nil }
                    guard outer.kind == .object else {
                        throw RecordError(.wrongType, "field `\(path)` cannot be read: its parent is \(outer.kindName), not an object")
                    }
                    start = outer.range.lowerBound
                    found = nil
                }
                var scanner = JSONScanner(buffer, at: start)
                try scanner.members { key, value in
                    if nameMatches(key, component, in: buffer) {
                        found = value
                        return false
                    }
                    return true
                }
                if found == nil { return nil }
            }
            return found
        }
    }

    /// The value at `path`, or a `missingField` error naming it.
    static func require(_ path: FieldPath, in bytes: [UInt8]) throws -> JSONToken {
        guard let token = try find(path, in: bytes) else {
            throw RecordError(.missingField, "field `\(path)` is missing")
        }
        return token
    }

    private static func nameMatches(_ key: JSONToken, _ name: [UInt8], in buffer: UnsafeBufferPointer<UInt8>) -> Bool {
        let inner = (key.range.lowerBound + 1)..<(key.range.upperBound - 1)
        if key.hasEscapes {
            return unescape(buffer[inner]) == name
        }
        guard inner.count == name.count else { return false }
        var offset = 0
        for index in inner {
            if buffer[index] != name[offset] { return false }
            offset += 1
        }
        return true
    }

    /// The number in `token`, or a `wrongType` error naming `path`.
    static func number(_ token: JSONToken, in bytes: [UInt8], path: FieldPath) throws -> Double {
        guard token.kind == .number, let value = parseNumber(bytes[token.range]) else {
            throw RecordError(.wrongType, "field `\(path)` is \(token.kindName) (`\(text(token, in: bytes))`), not a number")
        }
        return value
    }

    private static let exactPowersOfTen: [Double] = (0...15).map { exponent in
        (0..<exponent).reduce(1.0) { value, _ in value * 10 }
    }

    /// Parses JSON number text. Integers of up to 18 digits, and decimals of up to 15 significant
    /// digits without an exponent, are read without a String: such a decimal is m / 10^k with m
    /// and 10^k exact doubles, so the correctly rounded division gives the same double as strtod.
    static func parseNumber(_ text: ArraySlice<UInt8>) -> Double? {
        var index = text.startIndex
        var negative = false
        if index < text.endIndex, text[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        let digitsStart = index
        var mantissa: Int64 = 0
        while index < text.endIndex, index - digitsStart < 18, text[index] >= 0x30, text[index] <= 0x39 {
            mantissa = mantissa * 10 + Int64(text[index] - 0x30)
            index += 1
        }
        let integerDigits = index - digitsStart
        if index == text.endIndex, integerDigits > 0 {
            return Double(negative ? -mantissa : mantissa)
        }
        if integerDigits > 0, integerDigits <= 15, text[index] == UInt8(ascii: ".") {
            index += 1
            let fractionStart = index
            while index < text.endIndex, integerDigits + (index - fractionStart) < 15, text[index] >= 0x30, text[index] <= 0x39 {
                mantissa = mantissa * 10 + Int64(text[index] - 0x30)
                index += 1
            }
            let decimals = index - fractionStart
            if index == text.endIndex, decimals > 0 {
                let value = Double(mantissa) / exactPowersOfTen[decimals]
                return negative ? -value : value
            }
        }
        return Double(String(decoding: text, as: UTF8.self))
    }

    /// The token's text as written.
    static func text(_ token: JSONToken, in bytes: [UInt8]) -> String {
        String(decoding: bytes[token.range], as: UTF8.self)
    }

    /// The bytes a scalar stands for: a string's unescaped content, or a number's or literal's
    /// text. Objects and arrays are `wrongType`.
    static func scalarBytes(_ token: JSONToken, in bytes: [UInt8], path: FieldPath) throws -> [UInt8] {
        switch token.kind {
        case .string:
            return stringContent(token, in: bytes)
        case .number, .bool, .null:
            return Array(bytes[token.range])
        case .object, .array:
            throw RecordError(.wrongType, "field `\(path)` is \(token.kindName), not a string, number or boolean")
        }
    }

    /// A string token's content with escapes resolved.
    static func stringContent(_ token: JSONToken, in bytes: [UInt8]) -> [UInt8] {
        let inner = bytes[(token.range.lowerBound + 1)..<(token.range.upperBound - 1)]
        return token.hasEscapes ? unescape(inner) : Array(inner)
    }

    /// Resolves JSON escapes (`\n`, `\"`, `\u00e9`, surrogate pairs) into UTF-8.
    static func unescape<C: Collection<UInt8>>(_ text: C) -> [UInt8] where C.Index == Int {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var index = text.startIndex
        func hex(_ at: Int) -> UInt32? {
            guard at + 4 <= text.endIndex else { return nil }
            var value: UInt32 = 0
            for offset in 0..<4 {
                let byte = text[at + offset]
                let digit: UInt32
                switch byte {
                case 0x30...0x39: digit = UInt32(byte - 0x30)
                case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
                case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
                default: return nil
                }
                value = value << 4 | digit
            }
            return value
        }
        while index < text.endIndex {
            let byte = text[index]
            guard byte == UInt8(ascii: "\\"), index + 1 < text.endIndex else {
                out.append(byte)
                index += 1
                continue
            }
            let escape = text[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                guard var scalar = hex(index) else {
                    out.append(contentsOf: [UInt8(ascii: "\\"), escape])
                    continue
                }
                index += 4
                if (0xD800..<0xDC00).contains(scalar), index + 6 <= text.endIndex,
                    text[index] == UInt8(ascii: "\\"), text[index + 1] == UInt8(ascii: "u"),
                    let low = hex(index + 2), (0xDC00..<0xE000).contains(low)
                {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    index += 6
                }
                out.append(contentsOf: Array(String(Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8))
            default: out.append(escape)
            }
        }
        return out
    }
}
