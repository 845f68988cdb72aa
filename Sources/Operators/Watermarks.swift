/// How a pipeline turns event times into watermarks.
///
/// A partition's watermark is the largest event time it has seen minus `maxOutOfOrderness`: a
/// record whose event time is below the watermark is late. A window `[start, end)` emits its
/// result once the watermark reaches `end`.
public struct Watermarks: Sendable, Equatable {
    /// Which watermark drives a partition's windows, timers and time-to-live.
    public enum Mode: Sendable, Equatable {
        /// Each partition's operators follow that partition's own watermark, advanced after every
        /// record. Fully deterministic: a restored partition fed the same records emits the same
        /// records. The default.
        case perPartition
        /// The operators follow the minimum watermark over the active input partitions, which the
        /// runtime computes with a ``WatermarkAligner`` and hands to
        /// ``PartitionProcessor/advanceWatermark(to:state:into:)``. A partition with no record for
        /// `idleTimeout` of **processing time** stops holding the minimum back.
        ///
        /// - Important: Not deterministic: results depend on how partitions interleave and on the
        ///   wall clock, so a replay may fire windows at different points (the results of a window
        ///   stay the same unless records come late relative to the aligned watermark).
        case aligned(idleTimeout: Duration)
    }

    /// How far behind the largest event time seen a record may still be on time, in ms.
    public var maxOutOfOrdernessMillis: Int64
    /// Which watermark drives the operators.
    public var mode: Mode

    /// Bounded out-of-orderness watermarks in `mode`.
    public init(maxOutOfOrderness: Duration = .zero, mode: Mode = .perPartition) {
        self.maxOutOfOrdernessMillis = maxOutOfOrderness.milliseconds
        self.mode = mode
    }
}

extension Duration {
    /// The duration in whole milliseconds (rounded toward zero).
    var milliseconds: Int64 {
        let parts = components
        return parts.seconds * 1000 + parts.attoseconds / 1_000_000_000_000_000
    }
}
