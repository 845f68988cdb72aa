/// How far a long read of known size has come, for the `--dry-run` audit's two reads (the input it
/// replays, the sink's committed output): a progress line every `interval`, and whether the read
/// has stalled (nothing arrived and no position moved for `stallLimit`), so that a read of a large topic is neither
/// silent nor cut short by a fixed deadline, and one that cannot go on says so.
///
/// A value: the caller tells it what arrived and when, and logs the lines it returns.
struct ReadProgress: Sendable {
    /// What is being read, as it reads in a sentence ("replaying the input").
    let activity: String
    /// The records expected, from the offsets (transaction markers and aborted records in that
    /// range are never read, so the count can end below it).
    let expected: Int64
    let interval: Duration
    let stallLimit: Duration
    /// The records that arrived so far.
    private(set) var arrived: Int64 = 0
    private var lastLine: ContinuousClock.Instant
    private var lastArrival: ContinuousClock.Instant

    init(_ activity: String, expected: Int64, startedAt start: ContinuousClock.Instant, interval: Duration = .seconds(5), stallLimit: Duration = .seconds(60)) {
        self.activity = activity
        self.expected = expected
        self.interval = interval
        self.stallLimit = stallLimit
        lastLine = start
        lastArrival = start
    }

    /// Counts `count` records that arrived at `now`; returns a progress line when one is due.
    mutating func record(_ count: Int, at now: ContinuousClock.Instant) -> String? {
        if count > 0 {
            arrived += Int64(count)
            lastArrival = now
        }
        guard now - lastLine >= interval else { return nil }
        lastLine = now
        let percent = expected > 0 ? min(100, arrived * 100 / expected) : 100
        return "\(activity): \(arrived) of about \(expected) records (\(percent)%)"
    }

    /// Notes progress that brought no records at `now` (a read position that moved over
    /// transaction markers or aborted records): the read is not stalled.
    mutating func moved(at now: ContinuousClock.Instant) {
        lastArrival = now
    }

    /// Whether nothing has arrived (nor moved) for `stallLimit` by `now`.
    func hasStalled(at now: ContinuousClock.Instant) -> Bool {
        now - lastArrival >= stallLimit
    }
}
