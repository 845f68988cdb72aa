/// Why the development broker could not start or keep its data.
public struct DevBrokerError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure; new kinds may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: Hashable, Sendable { case invalidConfiguration, dataDirectory, dataDirectoryInUse, listen }
        private let kind: Kind
        /// A setting is out of range.
        public static let invalidConfiguration = Code(kind: .invalidConfiguration)
        /// The data directory cannot be read or written, or holds damaged state.
        public static let dataDirectory = Code(kind: .dataDirectory)
        /// Another broker, in this process or another, is running on the data directory; this
        /// one was refused before it read or wrote anything there.
        public static let dataDirectoryInUse = Code(kind: .dataDirectoryInUse)
        /// The address cannot be bound (in use, or not an address of this machine).
        public static let listen = Code(kind: .listen)
        /// The kind's name, for logs.
        public var description: String { String(describing: kind) }
    }

    /// What kind of failure.
    public let code: Code
    /// What was wrong, with the value, and what to do.
    public let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message, as a person should read it.
    public var description: String { message }
}
