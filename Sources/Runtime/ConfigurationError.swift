/// A configuration value that cannot be used: where it is, what it is, and what is allowed.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The configuration file, when the value came from one.
    public let file: String?
    /// The 1-based line of the value in the file, when known.
    public let line: Int?
    /// The dotted key path, e.g. `checkpoint.interval`.
    public let key: String
    /// The offending value as written, or `nil` when the key is missing.
    public let value: String?
    /// What would be accepted.
    public let allowed: String

    /// An error for `key`.
    public init(file: String? = nil, line: Int? = nil, key: String, value: String?, allowed: String) {
        self.file = file
        self.line = line
        self.key = key
        self.value = value
        self.allowed = allowed
    }

    public var description: String {
        var location = ""
        if let file { location = file }
        if let line { location += location.isEmpty ? "line \(line)" : ":\(line)" }
        if !location.isEmpty { location += ": " }
        if let value {
            return "\(location)`\(key)` = `\(value)` is not allowed: \(allowed)"
        }
        return "\(location)`\(key)` is missing: \(allowed)"
    }
}
