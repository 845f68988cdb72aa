@testable import Operators

/// A brute-force model of the window semantics, written without state, timers or bytes: every
/// window keeps the list of its records, and every watermark step scans all windows.
///
/// The rules it encodes (docs/PIPELINE.md): the watermark after a record is the largest event
/// time so far minus the bound; a window `[s, e)` emits when the watermark first reaches `e`; a
/// record whose window has emitted but whose `e + lateness` is still above the watermark updates
/// the window and emits the updated result at once; a record too late for all of its windows is
/// late. Results due at one step come out ordered by (end, start, key).
struct WindowOracle {
    enum Shape {
        case fixed(size: Int64, slide: Int64)
        case session(gap: Int64)
    }

    var shape: Shape
    var bound: Int64
    var lateness: Int64
    var deadLetterLate: Bool

    struct Session {
        var key: String
        var window: Window
        var amounts: [Int]
        var emitted: Bool
    }

    func run(_ events: [RandomEvent]) -> (emissions: [WindowEmission], dropped: Int) {
        var watermark: Int64?
        var maxTime: Int64?
        var fixed: [String: [Window: [Int]]] = [:]
        var sessions: [Session] = []
        var out: [WindowEmission] = []
        var dropped = 0
        func tooLate(_ end: Int64) -> Bool { watermark.map { end + lateness <= $0 } ?? false }
        func emitted(_ end: Int64) -> Bool { watermark.map { end <= $0 } ?? false }

        for (offset, event) in events.enumerated() {
            var accepted = true
            switch shape {
            case .fixed(let size, let slide):
                let windows = stride(from: (event.time - size) / slide - 2, through: event.time / slide + 2, by: 1)
                    .map { Window(start: $0 * slide, end: $0 * slide + size) }
                    .filter { $0.start <= event.time && event.time < $0.end && !tooLate($0.end) }
                accepted = !windows.isEmpty
                for window in windows {
                    fixed[event.key, default: [:]][window, default: []].append(event.amount)
                    if emitted(window.end) { out.append(.result(event.key, window, fixed[event.key]![window]!)) }
                }
            case .session(let gap):
                let own = Window(start: event.time, end: event.time + gap)
                let touching = sessions.indices.filter {
                    sessions[$0].key == event.key && sessions[$0].window.start <= own.end && own.start <= sessions[$0].window.end
                }
                if touching.isEmpty && tooLate(own.end) {
                    accepted = false
                    break
                }
                var merged = Session(key: event.key, window: own, amounts: [], emitted: false)
                for index in touching {
                    merged.window.start = min(merged.window.start, sessions[index].window.start)
                    merged.window.end = max(merged.window.end, sessions[index].window.end)
                    merged.amounts += sessions[index].amounts
                }
                merged.amounts.append(event.amount)
                sessions = sessions.indices.filter { !touching.contains($0) }.map { sessions[$0] }
                if emitted(merged.window.end) {
                    merged.emitted = true
                    out.append(.result(event.key, merged.window, merged.amounts))
                }
                sessions.append(merged)
            }
            if !accepted {
                if deadLetterLate { out.append(.late(offset: Int64(offset))) } else { dropped += 1 }
            }

            maxTime = max(maxTime ?? event.time, event.time)
            let next = maxTime! - bound
            guard next > (watermark ?? .min) else { continue }
            var due: [(key: String, window: Window, amounts: [Int])] = []
            switch shape {
            case .fixed:
                for (key, windows) in fixed {
                    for (window, amounts) in windows where !emitted(window.end) && window.end <= next {
                        due.append((key, window, amounts))
                    }
                }
            case .session:
                for index in sessions.indices where !sessions[index].emitted && sessions[index].window.end <= next {
                    sessions[index].emitted = true
                    due.append((sessions[index].key, sessions[index].window, sessions[index].amounts))
                }
                sessions.removeAll { $0.window.end + lateness <= next }
            }
            due.sort { firingOrder(($0.key, $0.window), ($1.key, $1.window)) }
            out += due.map { .result($0.key, $0.window, $0.amounts) }
            watermark = next
        }
        return (out, dropped)
    }
}
