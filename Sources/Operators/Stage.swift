/// One operator of a pipeline, as the processor runs it.
struct Stage: Sendable {
    enum Kind: Sendable {
        case map(@Sendable (Record) throws -> Record)
        case filter(@Sendable (Record) throws -> Bool)
        case flatMap(@Sendable (Record) throws -> [Record])
        case keyBy(@Sendable (Record) throws -> [UInt8])
        case aggregate(Aggregation)
        case window(WindowShape, allowedLatenessMillis: Int64, late: LatePolicy, Aggregation)
        case deduplicate(by: FieldPath?, ttlMillis: Int64)

        var needsEventTime: Bool {
            switch self {
            case .window, .deduplicate: true
            default: false
            }
        }

        var hasTimers: Bool { needsEventTime }
    }

    var kind: Kind
    /// What a person calls it: the operator name, and the YAML line when it came from YAML.
    var label: String
    var line: Int?
}
