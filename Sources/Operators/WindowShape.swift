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
