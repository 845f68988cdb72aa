/// ``WindowSpec`` in milliseconds; tumbling is sliding with slide == size.
enum WindowShape: Sendable, Equatable {
    case sliding(size: Int64, slide: Int64)
    case session(gap: Int64)

    /// The fixed windows that contain `time`, earliest start first.
    static func windows(containing time: Int64, size: Int64, slide: Int64) -> [Window] {
        let remainder = time % slide
        let lastStart = PartitionProcessor.subtract(time, remainder < 0 ? remainder + slide : remainder)
        var windows: [Window] = []
        var start = lastStart
        // Saturating, so event times near the ends of Int64 cannot trap.
        let earliest = PartitionProcessor.subtract(time, size)
        while start > earliest {
            windows.append(Window(start: start, end: PartitionProcessor.add(start, size)))
            let (previous, overflow) = start.subtractingReportingOverflow(slide)
            if overflow { break }
            start = previous
        }
        return windows.reversed()
    }
}
