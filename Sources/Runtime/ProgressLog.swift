/// The periodic progress line of a long run, so that an operator reading the log sees that the
/// processor is alive, how fast it reads, and whether its checkpoints still commit (the metrics
/// endpoint says the same, when it is on).
///
/// A value: the processor tells it about commits and asks it, once per loop, for a line; it
/// answers `nil` until the interval has passed since the last line.
///
///     progress: 4,512,000 records read, 451,200 a second over the last 10 s; 24 checkpoints
///     committed, the last (order-totals-0-3.24) 0.4 s ago; 8 partitions assigned
public struct ProgressLog: Sendable {
    /// The time between two lines.
    public let interval: Duration
    private var lastLineAt: ContinuousClock.Instant
    private var recordsAtLastLine = 0
    private var checkpointsCommitted = 0
    private var lastCommit: (id: CheckpointID, at: ContinuousClock.Instant)?

    /// A log whose first line is due `interval` after `start`.
    public init(interval: Duration, startingAt start: ContinuousClock.Instant) {
        self.interval = interval
        lastLineAt = start
    }

    /// Notes that checkpoint `id` committed at `instant`.
    public mutating func committed(_ id: CheckpointID, at instant: ContinuousClock.Instant) {
        checkpointsCommitted += 1
        lastCommit = (id, instant)
    }

    /// The progress line, when one is due at `now`; `recordsRead` counts from the start of the run.
    public mutating func line(at now: ContinuousClock.Instant, recordsRead: Int, partitionsAssigned: Int) -> String? {
        let elapsed = now - lastLineAt
        guard elapsed >= interval else { return nil }
        let seconds = Self.seconds(elapsed)
        let rate = Double(recordsRead - recordsAtLastLine) / max(seconds, 1e-9)
        lastLineAt = now
        recordsAtLastLine = recordsRead
        let commits: String
        if let lastCommit {
            let noun = checkpointsCommitted == 1 ? "checkpoint" : "checkpoints"
            commits = "\(Self.grouped(checkpointsCommitted)) \(noun) committed, the last (\(lastCommit.id)) "
                + "\(Self.oneDecimal(Self.seconds(now - lastCommit.at))) s ago"
        } else {
            commits = "no checkpoint committed yet"
        }
        let partitions = partitionsAssigned == 1 ? "partition" : "partitions"
        return "progress: \(Self.grouped(recordsRead)) records read, \(Self.grouped(Int(rate.rounded()))) a second "
            + "over the last \(Self.oneDecimal(seconds)) s; \(commits); \(partitionsAssigned) \(partitions) assigned"
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.nanoseconds) / 1e9
    }

    /// `12.0` as "12", `0.44` as "0.4": tenths, without a trailing ".0".
    private static func oneDecimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return tenths % 10 == 0 ? "\(tenths / 10)" : "\(tenths / 10).\(tenths % 10)"
    }

    /// `4512000` as "4,512,000", whatever the locale: log lines are read by people and by greps.
    private static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return value < 0 ? "-" + out : out
    }
}
