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
