#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Kills the process at a named phase of the checkpoint protocol, for crash tests.
///
/// Set `EXACTLY_CRASH_AT=<phase>[:<n>]` to raise SIGKILL the n-th time (default: the first)
/// the processor reaches `<phase>`. SIGKILL, not exit: nothing is flushed, closed or committed,
/// exactly as when a machine dies.
public struct FaultInjection: Sendable, Equatable {
    /// The points of the protocol a crash test can stop at.
    public enum Phase: String, Sendable, CaseIterable {
        /// Every partition's state captured and offsets noted.
        case afterCapture
        /// The offsets are in the transaction.
        case afterOffsetsSent
        /// The manifest is durable.
        case afterManifestDurable
        /// The commit request is on its way; its outcome unknown.
        case afterCommitSent
        /// The commit returned successfully.
        case afterCommitReturned
    }

    /// Where to crash.
    public let phase: Phase
    /// At which occurrence of `phase`, from 1.
    public let occurrence: Int
    private var seen = 0

    /// A switch that crashes at the `occurrence`-th time `phase` is reached.
    public init(phase: Phase, occurrence: Int = 1) {
        self.phase = phase
        self.occurrence = occurrence
    }

    /// Parses `<phase>[:<n>]`, naming what is allowed when the text is wrong.
    public init(parsing text: String) throws(ConfigurationError) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let allowed = "one of \(Phase.allCases.map(\.rawValue).joined(separator: ", ")), optionally followed by :<n> (n >= 1)"
        guard let name = parts.first, let phase = Phase(rawValue: name) else {
            throw ConfigurationError(key: "EXACTLY_CRASH_AT", value: text, allowed: allowed)
        }
        var occurrence = 1
        if parts.count == 2 {
            guard let n = Int(parts[1]), n >= 1 else {
                throw ConfigurationError(key: "EXACTLY_CRASH_AT", value: text, allowed: allowed)
            }
            occurrence = n
        }
        self.init(phase: phase, occurrence: occurrence)
    }

    /// The switch the environment asks for, or `nil` when `EXACTLY_CRASH_AT` is not set.
    public static func fromEnvironment() throws(ConfigurationError) -> FaultInjection? {
        guard let text = getenv("EXACTLY_CRASH_AT").map({ String(cString: $0) }), !text.isEmpty else { return nil }
        return try FaultInjection(parsing: text)
    }

    /// Records that `phase` was reached; returns whether this is the moment to crash.
    public mutating func shouldCrash(at reached: Phase) -> Bool {
        guard reached == phase else { return false }
        seen += 1
        return seen == occurrence
    }

    /// Records that `phase` was reached and kills the process if this is the moment.
    public mutating func reach(_ reached: Phase) {
        if shouldCrash(at: reached) {
            kill(getpid(), SIGKILL)
        }
    }
}
