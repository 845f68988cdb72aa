import KeyedState

/// The open session windows of one key, as one state value: sorted by start, each with its
/// accumulator. A key rarely has more than a few open sessions, so one entry per key keeps a
/// lookup to one state read.
struct SessionList {
    struct Session {
        var window: Window
        var accumulator: StateValue
    }

    var sessions: [Session]

    init(_ sessions: [Session] = []) {
        self.sessions = sessions
    }

    init(decoding bytes: [UInt8]) {
        let slice = bytes[...]
        let count = Int(StateBytes.readInt64(slice, at: 0))
        var offset = 8
        sessions = []
        sessions.reserveCapacity(count)
        for _ in 0..<count {
            let start = StateBytes.readInt64(slice, at: offset)
            let end = StateBytes.readInt64(slice, at: offset + 8)
            offset += 16
            sessions.append(Session(window: Window(start: start, end: end), accumulator: StateValue(StateBytes.readBlob(slice, at: &offset))))
        }
    }

    func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        StateBytes.appendInt64(Int64(sessions.count), to: &bytes)
        for session in sessions {
            StateBytes.appendInt64(session.window.start, to: &bytes)
            StateBytes.appendInt64(session.window.end, to: &bytes)
            StateBytes.appendBlob(session.accumulator.bytes, to: &bytes)
        }
        return bytes
    }
}
