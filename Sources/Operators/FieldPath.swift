/// A JSON field named by a dotted path (`payload.user.id`): each component is a member name of
/// a nested object. Arrays are not indexed.
///
/// A path is read for every record by the operators that name one, so its parts live in one
/// shared object: copying a path (as the record path does, more than once per record) is one
/// reference count update instead of one per part.
public struct FieldPath: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    private final class Storage: Sendable {
        let components: [[UInt8]]
        let text: String

        init(_ text: String) {
            self.text = text
            components = text.split(separator: ".", omittingEmptySubsequences: false).map { Array($0.utf8) }
        }
    }

    private let storage: Storage

    /// The member names, outermost first, as UTF-8 bytes.
    var components: [[UInt8]] { storage.components }
    /// The path as written.
    public var description: String { storage.text }

    /// The path `text`, split at dots.
    public init(_ text: String) {
        storage = Storage(text)
    }

    public static func == (lhs: FieldPath, rhs: FieldPath) -> Bool {
        lhs.storage === rhs.storage || lhs.description == rhs.description
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(description)
    }

    public init(stringLiteral value: String) {
        self.init(value)
    }

    /// The last component, used as the output name of a projected field.
    var lastComponent: [UInt8] { components.last ?? [] }
}
