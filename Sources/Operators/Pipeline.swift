import Yams

/// A pipeline definition: where event time comes from, how watermarks advance, what happens to
/// bad records, and the operators in data-flow order. Build it in Swift or parse it from YAML
/// (``init(yaml:)``), then make one ``PartitionProcessor`` per input partition.
///
/// ```swift
/// let pipeline = Pipeline(eventTime: .field("ts", format: .epochMillis),
///                         watermarks: Watermarks(maxOutOfOrderness: .seconds(5)))
///     .filter(FieldPredicate("amount", .greaterThan(0)))
///     .keyBy(field: "user")
///     .window(.tumbling(size: .seconds(60)), allowedLateness: .seconds(30), aggregate: .fields([.count(), .sum("amount")]))
/// ```
///
/// Every builder method returns a new pipeline; a definition is an immutable, sendable value.
public struct Pipeline: Sendable {
    /// Where each record's event time comes from; `nil` when no operator needs it.
    public var eventTime: EventTime?
    /// How watermarks advance.
    public var watermarks: Watermarks
    /// What happens to a record that cannot be decoded or fails an operator.
    public var onError: ErrorPolicy
    var stages: [Stage] = []
    /// The YAML a pipeline was parsed from, to build each partition's operators anew.
    var definition: YAMLDefinition?

    /// An empty pipeline (records pass through unchanged).
    public init(eventTime: EventTime? = nil, watermarks: Watermarks = Watermarks(), onError: ErrorPolicy = .deadLetter) {
        self.eventTime = eventTime
        self.watermarks = watermarks
        self.onError = onError
    }

    /// The number of operators.
    public var operatorCount: Int { stages.count }

    func adding(_ kind: Stage.Kind, _ label: String, line: Int? = nil) -> Pipeline {
        var copy = self
        copy.stages.append(Stage(kind: kind, label: label, line: line))
        return copy
    }

    // MARK: Stateless

    /// Replaces each record by `transform(record)`; a throw is a record error.
    public func map(_ transform: @escaping @Sendable (Record) throws -> Record) -> Pipeline {
        adding(.map(transform), "map")
    }

    /// Keeps the records for which `isIncluded` is true.
    public func filter(_ isIncluded: @escaping @Sendable (Record) throws -> Bool) -> Pipeline {
        adding(.filter(isIncluded), "filter")
    }

    /// Keeps the records whose JSON value matches `predicate`.
    public func filter(_ predicate: FieldPredicate) -> Pipeline {
        adding(.filter { try predicate.matches($0.value) }, "filter")
    }

    /// Replaces each record by zero or more records, in the order returned.
    public func flatMap(_ transform: @escaping @Sendable (Record) throws -> [Record]) -> Pipeline {
        adding(.flatMap(transform), "flatMap")
    }

    /// Replaces each JSON value by the value of its field `path`.
    public func select(_ path: FieldPath) -> Pipeline {
        adding(.map(JSONTransforms.select(path)), "select")
    }

    /// Replaces each JSON value by an object of these fields, named by their last path component.
    public func project(_ paths: [FieldPath]) -> Pipeline {
        project(renaming: paths.map { (String(decoding: $0.lastComponent, as: UTF8.self), $0) })
    }

    /// Replaces each JSON value by an object of these fields under the given names, in order.
    public func project(renaming fields: [(name: String, path: FieldPath)]) -> Pipeline {
        adding(.map(JSONTransforms.project(fields)), "project")
    }

    /// Replaces each record by one record per element of its JSON array field `path`.
    public func explode(_ path: FieldPath) -> Pipeline {
        adding(.flatMap(JSONTransforms.explode(path)), "explode")
    }

    // MARK: Keyed

    /// Sets each record's key to its JSON field `path` (a string's content or a scalar's text);
    /// the keyed operators after it group by that key, and output records carry it.
    public func keyBy(field path: FieldPath) -> Pipeline {
        adding(.keyBy(JSONTransforms.keyBy(path)), "key_by")
    }

    /// Sets each record's key to `key(record)`.
    public func keyBy(_ key: @escaping @Sendable (Record) throws -> [UInt8]) -> Pipeline {
        adding(.keyBy(key), "key_by")
    }

    /// A running aggregate per key: every record updates its key's accumulator and emits the
    /// updated result, keyed by the key.
    public func aggregate(_ aggregation: Aggregation) -> Pipeline {
        adding(.aggregate(aggregation), "aggregate")
    }

    /// Windows per key on event time. A window's result is emitted when the watermark reaches
    /// its end; a record that arrives after that but within `allowedLateness` updates the window
    /// and emits the updated result at once; a record later than that is handled by `late`.
    public func window(
        _ window: WindowSpec, allowedLateness: Duration = .zero, late: LatePolicy = .drop, aggregate: Aggregation
    ) -> Pipeline {
        adding(.window(window.shape, allowedLatenessMillis: allowedLateness.milliseconds, late: late, aggregate), "window")
    }

    /// Drops a record when a record with the same identity (its key, or its JSON field `field`)
    /// passed less than `ttl` of event time before the watermark: precisely, when an earlier
    /// passed record `p` with the same identity has `p.eventTime + ttl` above the watermark.
    public func deduplicate(by field: FieldPath? = nil, ttl: Duration) -> Pipeline {
        adding(.deduplicate(by: field, ttlMillis: ttl.milliseconds), "deduplicate")
    }

    // MARK: Running

    /// A processor for one input partition. Throws when the definition cannot run (a window or
    /// deduplication without event time, a non-positive window size).
    public func processor(topic: String, partition: Int32) throws -> PartitionProcessor {
        try validate()
        if let definition {
            let fresh = try PipelineYAMLParser(prefix: definition.path).pipeline(definition.node)
            return PartitionProcessor(pipeline: fresh, topic: topic, partition: partition)
        }
        return PartitionProcessor(pipeline: self, topic: topic, partition: partition)
    }

    /// Checks what the Swift type system cannot: event time for windows, positive sizes.
    public func validate() throws {
        for (index, stage) in stages.enumerated() {
            let path = "operators[\(index)].\(stage.label)"
            if stage.kind.needsEventTime, eventTime == nil {
                throw PipelineDefinitionError(
                    .needsEventTime, path: path, line: stage.line,
                    message: "`\(stage.label)` needs event time, and the pipeline declares none",
                    allowed: "declare `event_time` (a JSON field with a format, or `source: record_timestamp`)")
            }
            switch stage.kind {
            case .window(.sliding(let size, let slide), let lateness, _, _):
                guard size > 0, slide > 0, slide <= size, lateness >= 0 else {
                    throw PipelineDefinitionError(
                        .invalidValue, path: path, line: stage.line,
                        message: "window size \(size) ms, slide \(slide) ms, allowed lateness \(lateness) ms",
                        allowed: "size > 0, 0 < slide <= size, allowed lateness >= 0")
                }
            case .window(.session(let gap), let lateness, _, _):
                guard gap > 0, lateness >= 0 else {
                    throw PipelineDefinitionError(
                        .invalidValue, path: path, line: stage.line,
                        message: "session gap \(gap) ms, allowed lateness \(lateness) ms",
                        allowed: "gap > 0, allowed lateness >= 0")
                }
            case .deduplicate(_, let ttl):
                guard ttl > 0 else {
                    throw PipelineDefinitionError(
                        .invalidValue, path: path, line: stage.line, message: "ttl \(ttl) ms", allowed: "ttl > 0")
                }
            default:
                break
            }
        }
    }
}

/// A parsed YAML definition, kept to build operators anew.
struct YAMLDefinition: @unchecked Sendable {
    // @unchecked: Yams' `Node` holds a `Tag` class instance; a composed node is never mutated.
    let node: Node
    let path: String
}
