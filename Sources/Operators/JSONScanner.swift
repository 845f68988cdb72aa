/// A forward-only cursor over JSON text that skips values without building them.
///
/// It checks structure only as far as it needs to find the value it was asked for: brackets
/// balance, strings end, separators are where they belong. It does not validate numbers digit by
/// digit or check the text after the field it found; an operator that needs a field's value
/// decodes that value strictly.
struct JSONScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var index: Int

    init(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int = 0) {
        self.bytes = bytes
        self.index = index
    }

    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    func malformed(_ what: String) -> RecordError {
        RecordError(.malformedJSON, "value is not valid JSON: \(what) at byte \(index)")
    }

    /// Reads the value at the cursor (after whitespace) and leaves the cursor after it.
    mutating func value() throws -> JSONToken {
        skipWhitespace()
        guard index < bytes.count else { throw malformed("unexpected end") }
        let start = index
        switch bytes[index] {
        case Self.quote:
            let escaped = try string()
            return JSONToken(kind: .string, range: start..<index, hasEscapes: escaped)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let kind: JSONToken.Kind = bytes[index] == UInt8(ascii: "{") ? .object : .array
            try container()
            return JSONToken(kind: kind, range: start..<index, hasEscapes: false)
        case UInt8(ascii: "t"):
            try literal("true")
            return JSONToken(kind: .bool, range: start..<index, hasEscapes: false)
        case UInt8(ascii: "f"):
            try literal("false")
            return JSONToken(kind: .bool, range: start..<index, hasEscapes: false)
        case UInt8(ascii: "n"):
            try literal("null")
            return JSONToken(kind: .null, range: start..<index, hasEscapes: false)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"),
                    UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"):
                    index += 1
                default:
                    return JSONToken(kind: .number, range: start..<index, hasEscapes: false)
                }
            }
            return JSONToken(kind: .number, range: start..<index, hasEscapes: false)
        default:
            throw malformed("unexpected character `\(Character(Unicode.Scalar(bytes[index])))`")
        }
    }

    /// Skips a string at the cursor; returns whether it held escapes.
    mutating func string() throws -> Bool {
        index += 1
        var escaped = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == Self.quote {
                index += 1
                return escaped
            }
            if byte == Self.backslash {
                escaped = true
                index += 2
            } else {
                index += 1
            }
        }
        throw malformed("unterminated string")
    }

    private mutating func literal(_ word: StaticString) throws {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw malformed("truncated literal") }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] {
            throw malformed("bad literal")
        }
        index += count
    }

    /// Skips an object or array at the cursor, strings and nesting included.
    private mutating func container() throws {
        var depth = 0
        while index < bytes.count {
            switch bytes[index] {
            case Self.quote:
                _ = try string()
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 {
                    index += 1
                    return
                }
            default:
                break
            }
            index += 1
        }
        throw malformed("unterminated object or array")
    }

    /// Calls `body` with each member of the object at the cursor (key token, value token), in
    /// order; stops early when `body` returns `false`.
    mutating func members(_ body: (JSONToken, JSONToken) throws -> Bool) throws {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else {
            throw RecordError(.malformedJSON, "value is not a JSON object")
        }
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == Self.quote else { throw malformed("expected a member name") }
            let keyStart = index
            let escaped = try string()
            let key = JSONToken(kind: .string, range: keyStart..<index, hasEscapes: escaped)
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw malformed("expected `:`") }
            index += 1
            let value = try value()
            guard try body(key, value) else { return }
            skipWhitespace()
            guard index < bytes.count else { throw malformed("unterminated object") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return
            } else {
                throw malformed("expected `,` or `}`")
            }
        }
    }

    /// Calls `body` with each element of the array at the cursor, in order.
    mutating func elements(_ body: (JSONToken) throws -> Void) throws {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "[") else {
            throw RecordError(.malformedJSON, "value is not a JSON array")
        }
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            try body(try value())
            skipWhitespace()
            guard index < bytes.count else { throw malformed("unterminated array") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return
            } else {
                throw malformed("expected `,` or `]`")
            }
        }
    }
}
