/// When checkpoints are taken and how failures are tolerated.
public struct CheckpointSettings: Sendable, Equatable {
    /// How often a checkpoint is triggered, measured from the start of the previous one.
    public var interval: Duration
    /// A checkpoint that has not committed this long after it was triggered is aborted.
    public var timeout: Duration
    /// The least time between the end of one checkpoint and the start of the next, so that
    /// slow checkpoints cannot starve processing.
    public var minimumPause: Duration
    /// How many checkpoints in a row may fail before the process stops.
    public var tolerableConsecutiveFailures: Int

    /// Settings with these values.
    public init(
        interval: Duration = .seconds(1),
        timeout: Duration = .seconds(30),
        minimumPause: Duration = .zero,
        tolerableConsecutiveFailures: Int = 3
    ) {
        self.interval = interval
        self.timeout = timeout
        self.minimumPause = minimumPause
        self.tolerableConsecutiveFailures = tolerableConsecutiveFailures
    }
}
