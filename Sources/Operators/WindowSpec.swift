/// The shape of a window operator's windows.
public enum WindowSpec: Sendable, Equatable {
    /// Adjacent windows of `size`, aligned to the epoch: `[k·size, (k+1)·size)`.
    case tumbling(size: Duration)
    /// Windows of `size` starting every `slide`, aligned to the epoch; a record is in
    /// `size / slide` windows (rounded up).
    case sliding(size: Duration, slide: Duration)
    /// Per key, records at most `gap` apart share a window `[first, last + gap)`; windows that come
    /// to touch or overlap merge.
    case session(gap: Duration)

    var shape: WindowShape {
        switch self {
        case .tumbling(let size): .sliding(size: size.milliseconds, slide: size.milliseconds)
        case .sliding(let size, let slide): .sliding(size: size.milliseconds, slide: slide.milliseconds)
        case .session(let gap): .session(gap: gap.milliseconds)
        }
    }
}
