/// One JSON value located in a byte buffer by ``JSONReader``, without decoding it.
struct JSONToken: Sendable, Equatable {
    enum Kind: String, Sendable {
        case string, number, object, array, bool, null
    }

    /// The JSON type.
    var kind: Kind
    /// The value's text, quotes included for a string.
    var range: Range<Int>
    /// For a string: whether it holds backslash escapes (so its bytes must be unescaped).
    var hasEscapes: Bool

    /// The kind as a person would name it in an error message.
    var kindName: String {
        switch kind {
        case .string: "a string"
        case .number: "a number"
        case .object: "an object"
        case .array: "an array"
        case .bool: "a boolean"
        case .null: "null"
        }
    }
}
