import Yams

/// Reads the YAML schema node by node, keeping the key path and the node's mark for errors.
struct PipelineYAMLParser {
    let prefix: String

    private func path(_ key: String) -> String {
        prefix.isEmpty ? key : prefix + "." + key
    }

    func error(_ code: PipelineDefinitionError.Code, _ node: Node?, _ path: String, _ message: String, allowed: String) -> PipelineDefinitionError {
        PipelineDefinitionError(code, path: path, line: node?.mark?.line, column: node?.mark?.column, message: message, allowed: allowed)
    }

    // MARK: Shapes

    /// The pairs of a mapping, after checking every key is one of `allowed`.
    func mapping(_ node: Node, _ path: String, allowed: [String]) throws -> [String: (key: Node, value: Node)] {
        guard case .mapping(let members) = node else {
            throw error(.wrongType, node, path, "expected a mapping, found \(describe(node))", allowed: "a mapping with keys \(list(allowed))")
        }
        var pairs: [String: (key: Node, value: Node)] = [:]
        for (key, value) in members {
            guard let name = key.scalar?.string else {
                throw error(.wrongType, key, path, "a key is not a string", allowed: list(allowed))
            }
            guard allowed.contains(name) else {
                throw error(.unknownKey, key, path + "." + name, "unknown key `\(name)`", allowed: list(allowed))
            }
            pairs[name] = (key, value)
        }
        return pairs
    }

    func required(_ pairs: [String: (key: Node, value: Node)], _ key: String, in node: Node, _ path: String, what: String) throws -> Node {
        guard let pair = pairs[key] else {
            throw error(.missingKey, node, path + "." + key, "`\(key)` is missing", allowed: what)
        }
        return pair.value
    }

    func string(_ node: Node, _ path: String, what: String = "a string") throws -> String {
        guard case .scalar(let scalar) = node else {
            throw error(.wrongType, node, path, "expected \(what), found \(describe(node))", allowed: what)
        }
        return scalar.string
    }

    func choice<T: RawRepresentable<String> & CaseIterable>(_ node: Node, _ path: String, _ type: T.Type) throws -> T {
        let allowed = list(T.allCases.map(\.rawValue))
        let text = try string(node, path, what: "one of \(allowed)")
        guard let value = T(rawValue: text) else {
            throw error(.invalidValue, node, path, "unknown value `\(text)`", allowed: allowed)
        }
        return value
    }

    static let durationHelp = "a duration: milliseconds as an integer, or a number with a unit ms, s, m, h, d (e.g. 500ms, 10s, 5m)"

    /// A duration in ms: `250` (ms) or `250ms`, `10s`, `5m`, `2h`, `1d`.
    func duration(_ node: Node, _ path: String) throws -> Duration {
        let text = try string(node, path, what: Self.durationHelp)
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        var digits = Substring(text)
        var scale: Int64 = 1
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            digits = text.dropLast(suffix.count)
            scale = factor
            break
        }
        guard let amount = Int64(digits), amount >= 0 else {
            throw error(.invalidValue, node, path, "`\(text)` is not a duration", allowed: Self.durationHelp)
        }
        return .milliseconds(amount * scale)
    }

    func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): "`\(scalar.string)`"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    func list(_ items: [String]) -> String {
        items.map { "`\($0)`" }.joined(separator: ", ")
    }

    // MARK: The pipeline

    func pipeline(_ root: Node) throws -> Pipeline {
        let rootPath = prefix.isEmpty ? "(root)" : prefix
        let pairs = try mapping(root, rootPath, allowed: ["event_time", "watermarks", "on_error", "operators"])
        var pipeline = Pipeline()
        if let node = pairs["event_time"]?.value {
            pipeline.eventTime = try eventTime(node, path("event_time"))
        }
        if let node = pairs["watermarks"]?.value {
            pipeline.watermarks = try watermarks(node, path("watermarks"))
        }
        if let node = pairs["on_error"]?.value {
            pipeline.onError = try choice(node, path("on_error"), ErrorPolicy.self)
        }
        let operatorsNode = try required(pairs, "operators", in: root, rootPath, what: "a list of operators: \(list(Pipeline.yamlOperators))")
        guard case .sequence(let operators) = operatorsNode else {
            throw error(.wrongType, operatorsNode, path("operators"), "expected a list, found \(describe(operatorsNode))",
                        allowed: "a list of operators: \(list(Pipeline.yamlOperators))")
        }
        for (index, node) in operators.enumerated() {
            pipeline = try addOperator(node, path("operators[\(index)]"), to: pipeline)
        }
        return pipeline
    }

    private func eventTime(_ node: Node, _ path: String) throws -> EventTime {
        let pairs = try mapping(node, path, allowed: ["field", "format", "source"])
        if let source = pairs["source"] {
            let text = try string(source.value, path + ".source")
            guard text == "record_timestamp", pairs["field"] == nil else {
                throw error(.invalidValue, source.value, path + ".source", "`source: \(text)`" + (pairs["field"] == nil ? "" : " together with `field`"),
                            allowed: "`source: record_timestamp` alone, or `field` with `format`")
            }
            return .recordTimestamp
        }
        let field = try string(required(pairs, "field", in: node, path, what: "a JSON field path, or `source: record_timestamp`"), path + ".field")
        let formatNode = try required(pairs, "format", in: node, path, what: list(EventTime.Format.allCases.map(\.rawValue)))
        return .field(FieldPath(field), format: try choice(formatNode, path + ".format", EventTime.Format.self))
    }

    private func watermarks(_ node: Node, _ path: String) throws -> Watermarks {
        let pairs = try mapping(node, path, allowed: ["max_out_of_orderness", "mode", "idle_timeout"])
        let bound = try pairs["max_out_of_orderness"].map { try duration($0.value, path + ".max_out_of_orderness") } ?? .zero
        let modeText = try pairs["mode"].map { try string($0.value, path + ".mode") } ?? "per_partition"
        switch modeText {
        case "per_partition":
            if let idle = pairs["idle_timeout"] {
                throw error(.invalidValue, idle.key, path + ".idle_timeout", "`idle_timeout` applies only to `mode: aligned`",
                            allowed: "remove it, or set `mode: aligned`")
            }
            return Watermarks(maxOutOfOrderness: bound, mode: .perPartition)
        case "aligned":
            let idle = try duration(required(pairs, "idle_timeout", in: node, path, what: Self.durationHelp), path + ".idle_timeout")
            return Watermarks(maxOutOfOrderness: bound, mode: .aligned(idleTimeout: idle))
        default:
            throw error(.invalidValue, pairs["mode"]?.value, path + ".mode", "unknown value `\(modeText)`", allowed: "`per_partition`, `aligned`")
        }
    }

    // MARK: Operators

    private func addOperator(_ node: Node, _ path: String, to pipeline: Pipeline) throws -> Pipeline {
        let allowed = "one of \(list(Pipeline.yamlOperators)), as a one-key mapping such as `- key_by: user`"
        guard case .mapping(let single) = node, single.count == 1, let (keyNode, body) = single.first.map({ ($0.key, $0.value) }),
            let name = keyNode.scalar?.string
        else {
            throw error(.wrongType, node, path, "expected an operator, found \(describe(node))", allowed: allowed)
        }
        let line = keyNode.mark?.line
        let path = path + "." + name
        switch name {
        case "filter":
            return pipeline.adding(.filter { [predicate = try predicate(body, path)] in try predicate.matches($0.value) }, name, line: line)
        case "select":
            return pipeline.adding(.map(JSONTransforms.select(FieldPath(try string(body, path, what: "a JSON field path")))), name, line: line)
        case "project":
            return pipeline.adding(.map(JSONTransforms.project(try projection(body, path))), name, line: line)
        case "explode":
            return pipeline.adding(.flatMap(JSONTransforms.explode(FieldPath(try string(body, path, what: "a JSON field path")))), name, line: line)
        case "key_by":
            return pipeline.adding(.keyBy(JSONTransforms.keyBy(FieldPath(try string(body, path, what: "a JSON field path")))), name, line: line)
        case "aggregate":
            return pipeline.adding(.aggregate(try aggregation(body, path)), name, line: line)
        case "window":
            return pipeline.adding(try window(body, path), name, line: line)
        case "deduplicate":
            let pairs = try mapping(body, path, allowed: ["field", "ttl"])
            let field = try pairs["field"].map { FieldPath(try string($0.value, path + ".field", what: "a JSON field path")) }
            let ttl = try duration(required(pairs, "ttl", in: body, path, what: Self.durationHelp), path + ".ttl")
            return pipeline.adding(.deduplicate(by: field, ttlMillis: ttl.milliseconds), name, line: line)
        default:
            throw error(.unknownOperator, keyNode, path, "unknown operator `\(name)`", allowed: list(Pipeline.yamlOperators))
        }
    }

    static let comparisons = ["equals", "not_equals", "greater_than", "at_least", "less_than", "at_most", "exists", "in"]

    private func predicate(_ node: Node, _ path: String) throws -> FieldPredicate {
        let pairs = try mapping(node, path, allowed: ["field"] + Self.comparisons)
        let field = FieldPath(try string(required(pairs, "field", in: node, path, what: "a JSON field path"), path + ".field"))
        let present = Self.comparisons.filter { pairs[$0] != nil }
        guard present.count == 1, let name = present.first, let value = pairs[name]?.value else {
            throw error(.missingKey, node, path, present.isEmpty ? "no comparison" : "several comparisons (\(list(present)))",
                        allowed: "exactly one of \(list(Self.comparisons))")
        }
        let valuePath = path + "." + name
        func number() throws -> Double {
            guard let number = value.float, value.scalar != nil else {
                throw error(.wrongType, value, valuePath, "expected a number, found \(describe(value))", allowed: "a number")
            }
            return number
        }
        switch name {
        case "equals": return FieldPredicate(field, .equals(try scalar(value, valuePath)))
        case "not_equals": return FieldPredicate(field, .notEquals(try scalar(value, valuePath)))
        case "greater_than": return FieldPredicate(field, .greaterThan(try number()))
        case "at_least": return FieldPredicate(field, .atLeast(try number()))
        case "less_than": return FieldPredicate(field, .lessThan(try number()))
        case "at_most": return FieldPredicate(field, .atMost(try number()))
        case "exists":
            guard let flag = value.bool else {
                throw error(.wrongType, value, valuePath, "expected true or false, found \(describe(value))", allowed: "`true`, `false`")
            }
            return FieldPredicate(field, .exists(flag))
        default:
            guard case .sequence(let items) = value else {
                throw error(.wrongType, value, valuePath, "expected a list, found \(describe(value))", allowed: "a list of strings, numbers or booleans")
            }
            return FieldPredicate(field, .oneOf(try items.enumerated().map { try scalar($1, valuePath + "[\($0)]") }))
        }
    }

    /// A YAML scalar as the JSON scalar it compares with: quoted text stays a string.
    private func scalar(_ node: Node, _ path: String) throws -> FieldPredicate.Scalar {
        guard case .scalar(let scalar) = node else {
            throw error(.wrongType, node, path, "expected a string, number or boolean, found \(describe(node))", allowed: "a scalar")
        }
        if scalar.style == .singleQuoted || scalar.style == .doubleQuoted { return .string(scalar.string) }
        if node.null != nil { return .null }
        if let flag = node.bool { return .bool(flag) }
        if let number = node.float { return .number(number) }
        return .string(scalar.string)
    }

    private func projection(_ node: Node, _ path: String) throws -> [(name: String, path: FieldPath)] {
        switch node {
        case .sequence(let items):
            return try items.enumerated().map { index, item in
                let field = FieldPath(try string(item, path + "[\(index)]", what: "a JSON field path"))
                return (String(decoding: field.lastComponent, as: UTF8.self), field)
            }
        case .mapping(let pairs):
            var fields: [(name: String, path: FieldPath)] = []
            for (key, value) in pairs {
                let name = try string(key, path, what: "an output field name")
                fields.append((name, FieldPath(try string(value, path + "." + name, what: "a JSON field path"))))
            }
            return fields
        default:
            throw error(.wrongType, node, path, "expected a list of fields or a mapping of output name to field, found \(describe(node))",
                        allowed: "`[id, amount]` or `{id: order.id}`")
        }
    }

    private func aggregation(_ node: Node, _ path: String) throws -> Aggregation {
        let operations = FieldAggregate.Operation.allCases.map(\.rawValue)
        guard case .sequence(let items) = node, !items.isEmpty else {
            throw error(.wrongType, node, path, "expected a non-empty list of aggregates, found \(describe(node))",
                        allowed: "a list like `[{op: count}, {op: sum, field: amount}]` with op one of \(list(operations))")
        }
        var fields: [FieldAggregate] = []
        for (index, item) in items.enumerated() {
            let itemPath = path + "[\(index)]"
            let pairs = try mapping(item, itemPath, allowed: ["op", "field", "as"])
            let operation = try choice(required(pairs, "op", in: item, itemPath, what: list(operations)), itemPath + ".op", FieldAggregate.Operation.self)
            let name = try pairs["as"].map { try string($0.value, itemPath + ".as") } ?? operation.rawValue
            var field: FieldPath?
            if operation == .count {
                if let extra = pairs["field"] {
                    throw error(.unknownKey, extra.key, itemPath + ".field", "`count` takes no field", allowed: "`op`, `as`")
                }
            } else {
                field = FieldPath(try string(required(pairs, "field", in: item, itemPath, what: "the JSON number field to \(operation.rawValue)"), itemPath + ".field"))
            }
            guard !fields.contains(where: { $0.name == name }) else {
                throw error(.invalidValue, pairs["as"]?.value ?? item, itemPath, "output name `\(name)` is used twice", allowed: "distinct names (set `as`)")
            }
            fields.append(FieldAggregate(operation: operation, field: field, name: name))
        }
        return .fields(fields)
    }

    static let windowTypes = ["tumbling", "sliding", "session"]

    private func window(_ node: Node, _ path: String) throws -> Stage.Kind {
        let pairs = try mapping(node, path, allowed: ["type", "size", "slide", "gap", "allowed_lateness", "late", "aggregate"])
        let typeNode = try required(pairs, "type", in: node, path, what: list(Self.windowTypes))
        let type = try string(typeNode, path + ".type")
        let keysByType = ["tumbling": ["size"], "sliding": ["size", "slide"], "session": ["gap"]]
        guard let needed = keysByType[type] else {
            throw error(.invalidValue, typeNode, path + ".type", "unknown window type `\(type)`", allowed: list(Self.windowTypes))
        }
        for key in ["size", "slide", "gap"] where pairs[key] != nil && !needed.contains(key) {
            throw error(.unknownKey, pairs[key]!.key, path + "." + key, "`\(key)` does not apply to a \(type) window",
                        allowed: "for \(type): \(list(needed))")
        }
        func length(_ key: String) throws -> Duration {
            try duration(required(pairs, key, in: node, path, what: Self.durationHelp), path + "." + key)
        }
        let spec: WindowSpec = switch type {
        case "tumbling": .tumbling(size: try length("size"))
        case "sliding": .sliding(size: try length("size"), slide: try length("slide"))
        default: .session(gap: try length("gap"))
        }
        let lateness = try pairs["allowed_lateness"].map { try duration($0.value, path + ".allowed_lateness") } ?? .zero
        let late = try pairs["late"].map { try choice($0.value, path + ".late", LatePolicy.self) } ?? .drop
        let aggregateNode = try required(pairs, "aggregate", in: node, path, what: "a list of aggregates")
        return .window(spec.shape, allowedLatenessMillis: lateness.milliseconds, late: late, try aggregation(aggregateNode, path + ".aggregate"))
    }
}
