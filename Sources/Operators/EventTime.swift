/// Where a pipeline reads each record's event time.
public struct EventTime: Sendable, Equatable {
    /// How an event-time field is written.
    public enum Format: String, Sendable, CaseIterable {
        /// A JSON number of milliseconds since the epoch.
        case epochMillis = "epoch_millis"
        /// A JSON number of seconds since the epoch (fractions kept to the millisecond).
        case epochSeconds = "epoch_seconds"
        /// A JSON string in RFC 3339 / ISO 8601 form: `2026-11-24T19:30:00.250Z` or with an
        /// offset such as `+01:00`.
        case iso8601
    }

    enum Source: Sendable, Equatable {
        case field(FieldPath, Format)
        case recordTimestamp
    }

    let source: Source

    /// The event time is the JSON field at `path`, written in `format`.
    public static func field(_ path: FieldPath, format: Format) -> EventTime {
        EventTime(source: .field(path, format))
    }

    /// The event time is the Kafka record timestamp.
    public static let recordTimestamp = EventTime(source: .recordTimestamp)

    /// The event time of `record`, in milliseconds since the epoch.
    func extract(from record: Record) throws -> Int64 {
        switch source {
        case .recordTimestamp:
            return record.timestamp
        case .field(let path, let format):
            guard let token = try JSONReader.find(path, in: record.value) else {
                throw RecordError(.badEventTime, "event-time field `\(path)` is missing")
            }
            switch format {
            case .epochMillis, .epochSeconds:
                guard token.kind == .number, let number = JSONReader.parseNumber(record.value[token.range]) else {
                    throw RecordError(.badEventTime, "event-time field `\(path)` is \(token.kindName) (`\(JSONReader.text(token, in: record.value))`), not a number of \(format == .epochMillis ? "milliseconds" : "seconds")")
                }
                let millis = format == .epochMillis ? number : number * 1000
                guard millis.isFinite, abs(millis) < 9.2e18 else {
                    throw RecordError(.badEventTime, "event-time field `\(path)` is out of range (\(number))")
                }
                return Int64(millis.rounded(.down))
            case .iso8601:
                guard token.kind == .string, let millis = Self.parseISO8601(JSONReader.stringContent(token, in: record.value)) else {
                    throw RecordError(.badEventTime, "event-time field `\(path)` is `\(JSONReader.text(token, in: record.value))`, not an ISO 8601 time such as \"2026-11-24T19:30:00.250Z\"")
                }
                return millis
            }
        }
    }

    /// Milliseconds since the epoch for `YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM]`, or `nil`.
    static func parseISO8601(_ text: [UInt8]) -> Int64? {
        var index = 0
        func digits(_ count: Int) -> Int64? {
            guard index + count <= text.count else { return nil }
            var value: Int64 = 0
            for _ in 0..<count {
                let byte = text[index]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int64(byte - 0x30)
                index += 1
            }
            return value
        }
        func expect(_ characters: String) -> Bool {
            guard index < text.count, characters.utf8.contains(text[index]) else { return false }
            index += 1
            return true
        }
        guard let year = digits(4), expect("-"), let month = digits(2), expect("-"), let day = digits(2),
            expect("Tt "), let hour = digits(2), expect(":"), let minute = digits(2), expect(":"),
            let second = digits(2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var millis: Int64 = 0
        if index < text.count, text[index] == UInt8(ascii: ".") {
            index += 1
            var scale: Int64 = 100
            let start = index
            while index < text.count, text[index] >= 0x30, text[index] <= 0x39 {
                millis += Int64(text[index] - 0x30) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        var offsetMinutes: Int64 = 0
        if expect("Zz") {
            // UTC
        } else if index < text.count, text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") {
            let sign: Int64 = text[index] == UInt8(ascii: "-") ? -1 : 1
            index += 1
            guard let offsetHours = digits(2), expect(":"), let offsetMins = digits(2) else { return nil }
            offsetMinutes = sign * (offsetHours * 60 + offsetMins)
        } else {
            return nil
        }
        guard index == text.count else { return nil }
        let days = daysSinceEpoch(year: year, month: month, day: day)
        let seconds = ((days * 24 + hour) * 60 + minute) * 60 + second - offsetMinutes * 60
        return seconds * 1000 + millis
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
