#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Kills (or freezes) the process at a named phase of the checkpoint protocol, for crash tests.
///
/// Set `EXACTLY_CRASH_AT=<phase>[:<n>[:stop]]` to raise SIGKILL the n-th time (default: the
/// first) the processor reaches `<phase>`. SIGKILL, not exit: nothing is flushed, closed or
/// committed, exactly as when a machine dies. With `:stop` it raises SIGSTOP instead: the
/// process freezes there, as in a long pause or a network freeze, until someone sends SIGCONT,
/// and then goes on as a zombie whose group may have moved on.
public struct FaultInjection: Sendable, Equatable {
    /// What happens at the chosen moment.
    public enum Action: String, Sendable, CaseIterable {
        /// SIGKILL: the process dies.
        case kill
        /// SIGSTOP: the process freezes until SIGCONT.
        case stop

        /// The signal the action raises.
        public var signal: Int32 { self == .kill ? SIGKILL : SIGSTOP }
    }

    /// The points of the protocol a crash test can stop at.
    public enum Phase: String, Sendable, CaseIterable {
        /// Every partition's state captured and offsets noted.
        case afterCapture
        /// The offsets are in the transaction (counted only for checkpoints that have some).
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
    /// Whether the process dies or freezes there.
    public let action: Action
    private var seen = 0

    /// A switch that crashes (or freezes) at the `occurrence`-th time `phase` is reached.
    public init(phase: Phase, occurrence: Int = 1, action: Action = .kill) {
        self.phase = phase
        self.occurrence = occurrence
        self.action = action
    }

    /// Parses `<phase>[:<n>[:stop]]`, naming what is allowed when the text is wrong.
    public init(parsing text: String) throws(ConfigurationError) {
        let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        let allowed = "one of \(Phase.allCases.map(\.rawValue).joined(separator: ", ")), optionally followed by :<n> (n >= 1) and then by :kill (the default) or :stop"
        guard let name = parts.first, let phase = Phase(rawValue: name) else {
            throw ConfigurationError(key: "EXACTLY_CRASH_AT", value: text, allowed: allowed)
        }
        var occurrence = 1
        if parts.count >= 2 {
            guard let n = Int(parts[1]), n >= 1 else {
                throw ConfigurationError(key: "EXACTLY_CRASH_AT", value: text, allowed: allowed)
            }
            occurrence = n
        }
        var action = Action.kill
        if parts.count == 3 {
            guard let chosen = Action(rawValue: parts[2]) else {
                throw ConfigurationError(key: "EXACTLY_CRASH_AT", value: text, allowed: allowed)
            }
            action = chosen
        }
        self.init(phase: phase, occurrence: occurrence, action: action)
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

    /// Records that `phase` was reached and kills (or freezes) the process if this is the moment.
    public mutating func reach(_ reached: Phase) {
        if shouldCrash(at: reached) {
            kill(getpid(), action.signal)
        }
    }
}
