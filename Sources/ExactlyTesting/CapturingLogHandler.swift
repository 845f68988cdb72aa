import Logging
import Synchronization

/// A log handler that keeps every line, for tests that check what was logged.
public final class CapturingLogHandler: LogHandler, Sendable {
    /// Every line logged, oldest first: its level, message and metadata.
    public let lines = Mutex<[(Logger.Level, String, Logger.Metadata?)]>([])

    public init() {}

    /// The messages logged at `level`, oldest first.
    public func messages(at level: Logger.Level) -> [String] {
        lines.withLock { $0.filter { $0.0 == level }.map(\.1) }
    }

    public var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }
    public var logLevel: Logger.Level {
        get { .trace }
        set {}
    }
    public subscript(metadataKey _: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }
    public func log(event: LogEvent) {
        lines.withLock { $0.append((event.level, "\(event.message)", event.metadata)) }
    }
}
