/// A JSON field named by a dotted path (`payload.user.id`): each component is a member name of
/// a nested object. Arrays are not indexed.
public struct FieldPath: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The member names, outermost first, as UTF-8 bytes.
    let components: [[UInt8]]
    /// The path as written.
    public let description: String

    /// The path `text`, split at dots.
    public init(_ text: String) {
        description = text
        components = text.split(separator: ".", omittingEmptySubsequences: false).map { Array($0.utf8) }
    }

    public init(stringLiteral value: String) {
        self.init(value)
    }

    /// The last component, used as the output name of a projected field.
    var lastComponent: [UInt8] { components.last ?? [] }
}
