/// A window: the half-open event-time interval `[start, end)` in milliseconds since the epoch.
public struct Window: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The first millisecond inside the window.
    public var start: Int64
    /// The first millisecond after the window.
    public var end: Int64

    /// The window `[start, end)`.
    public init(start: Int64, end: Int64) {
        self.start = start
        self.end = end
    }

    /// Orders by start, then end.
    public static func < (lhs: Window, rhs: Window) -> Bool {
        (lhs.start, lhs.end) < (rhs.start, rhs.end)
    }

    public var description: String { "[\(start), \(end))" }
}

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

/// ``WindowSpec`` in milliseconds; tumbling is sliding with slide == size.
enum WindowShape: Sendable, Equatable {
    case sliding(size: Int64, slide: Int64)
    case session(gap: Int64)

    /// The fixed windows that contain `time`, earliest start first.
    static func windows(containing time: Int64, size: Int64, slide: Int64) -> [Window] {
        let lastStart = floorDiv(time, slide) * slide
        var windows: [Window] = []
        var start = lastStart
        while start > time - size {
            windows.append(Window(start: start, end: start + size))
            start -= slide
        }
        return windows.reversed()
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let quotient = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient
    }
}
