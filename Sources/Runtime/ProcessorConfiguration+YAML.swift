import Yams

extension ProcessorConfiguration {
    /// Parses and validates a configuration file's text. Every error names the file, the line,
    /// the key, the value and what is allowed; unknown keys are refused (a typo must not be
    /// silently ignored).
    public static func parse(yaml text: String, file: String? = nil) throws(ConfigurationError) -> ProcessorConfiguration {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ConfigurationError(file: file, key: "application", value: nil, allowed: "the file is empty; see docs/PIPELINE.md for an example")
            }
            root = node
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw ConfigurationError(file: file, key: "(file)", value: nil, allowed: "the file is not valid YAML: \(error)")
        }
        let reader = YAMLReader(file: file)
        let top = try reader.mapping(root, key: "(top level)", allowedKeys: ["application", "instance", "kafka", "source", "sink", "checkpoint", "processing", "pipeline"])

        let application = try reader.identifier(reader.required(top, "application", in: root), key: "application")
        let instance = try top["instance"].map { (node) throws(ConfigurationError) in try reader.identifier(node, key: "instance") } ?? "0"

        var bootstrap: [String]?
        var transactionTimeout = Duration.seconds(60)
        var properties: [String: String] = [:]
        var staticMembership = true
        if let kafkaNode = top["kafka"] {
            let kafka = try reader.mapping(kafkaNode, key: "kafka", allowedKeys: ["bootstrap", "transaction_timeout", "static_membership", "properties"])
            if let node = kafka["static_membership"] {
                staticMembership = try reader.boolean(node, key: "kafka.static_membership")
            }
            if let node = kafka["bootstrap"] {
                let servers = try reader.stringList(node, key: "kafka.bootstrap", splittingCommas: true)
                for server in servers where !server.contains(":") {
                    throw reader.error(node, key: "kafka.bootstrap", value: server, allowed: "host:port, e.g. localhost:9092")
                }
                bootstrap = servers
            }
            if let node = kafka["transaction_timeout"] {
                transactionTimeout = try reader.duration(node, key: "kafka.transaction_timeout")
            }
            // `properties:` left empty (YAML null) means no properties.
            if let node = kafka["properties"], !(node.scalar.map { ["", "~", "null"].contains($0.string) } ?? false) {
                let mapping = try reader.mapping(node, key: "kafka.properties", allowedKeys: nil)
                for (name, value) in mapping {
                    properties[name] = try reader.scalar(value, key: "kafka.properties.\(name)")
                    if let refusal = ManagedKafkaProperties.refusal(for: name) {
                        throw reader.error(value, key: "kafka.properties.\(name)", value: properties[name], allowed: refusal)
                    }
                }
            }
        }

        let source = try reader.mapping(reader.required(top, "source", in: root), key: "source", allowedKeys: ["topics", "on_deleted_records"])
        let topicsNode = try reader.required(source, "topics", in: root, prefix: "source.")
        let sourceTopics = try reader.stringList(topicsNode, key: "source.topics", splittingCommas: false)
        if sourceTopics.isEmpty {
            throw reader.error(topicsNode, key: "source.topics", value: "[]", allowed: "at least one topic")
        }
        for topic in sourceTopics { try reader.topicName(topic, node: topicsNode, key: "source.topics") }
        var deletedRecords = DeletedRecordsPolicy.stop
        if let node = source["on_deleted_records"] {
            let value = try reader.scalar(node, key: "source.on_deleted_records")
            guard let policy = DeletedRecordsPolicy(rawValue: value) else {
                throw reader.error(node, key: "source.on_deleted_records", value: value,
                                   allowed: "stop (the default: stop and say which records are gone) or skip (go on from the oldest record the log still holds)")
            }
            deletedRecords = policy
        }

        let sink = try reader.mapping(reader.required(top, "sink", in: root), key: "sink", allowedKeys: ["topic", "dead_letter_topic", "source_header"])
        let sinkNode = try reader.required(sink, "topic", in: root, prefix: "sink.")
        let sinkTopic = try reader.scalar(sinkNode, key: "sink.topic")
        try reader.topicName(sinkTopic, node: sinkNode, key: "sink.topic")
        if sourceTopics.contains(sinkTopic) {
            throw reader.error(sinkNode, key: "sink.topic", value: sinkTopic, allowed: "a topic that is not also a source (the pipeline would read its own output)")
        }
        var deadLetterTopic: String?
        if let node = sink["dead_letter_topic"] {
            let topic = try reader.scalar(node, key: "sink.dead_letter_topic")
            try reader.topicName(topic, node: node, key: "sink.dead_letter_topic")
            deadLetterTopic = topic
        }
        var sourceHeader = true
        if let node = sink["source_header"] { sourceHeader = try reader.boolean(node, key: "sink.source_header") }

        var settings = CheckpointSettings()
        var directory = "./checkpoints"
        var retained = 3
        if let node = top["checkpoint"] {
            let checkpoint = try reader.mapping(node, key: "checkpoint", allowedKeys: ["dir", "interval", "timeout", "min_pause", "tolerable_failures", "retained"])
            if let value = checkpoint["dir"] { directory = try reader.scalar(value, key: "checkpoint.dir") }
            if let value = checkpoint["interval"] {
                settings.interval = try reader.duration(value, key: "checkpoint.interval", minimum: .milliseconds(10))
            }
            if let value = checkpoint["timeout"] {
                settings.timeout = try reader.duration(value, key: "checkpoint.timeout", minimum: .milliseconds(100))
            }
            if let value = checkpoint["min_pause"] { settings.minimumPause = try reader.duration(value, key: "checkpoint.min_pause") }
            if let value = checkpoint["tolerable_failures"] {
                settings.tolerableConsecutiveFailures = try reader.integer(value, key: "checkpoint.tolerable_failures", range: 0...1000)
            }
            if let value = checkpoint["retained"] { retained = try reader.integer(value, key: "checkpoint.retained", range: 1...10000) }
        }

        var lanes: Int?
        if let node = top["processing"] {
            let processing = try reader.mapping(node, key: "processing", allowedKeys: ["lanes"])
            if let value = processing["lanes"] { lanes = try reader.integer(value, key: "processing.lanes", range: 1...64) }
        }

        let configuration = ProcessorConfiguration(
            application: application,
            instance: instance,
            bootstrapServers: bootstrap,
            transactionTimeout: transactionTimeout,
            kafkaProperties: properties,
            sourceTopics: sourceTopics,
            sinkTopic: sinkTopic,
            deadLetterTopic: deadLetterTopic,
            checkpointDirectory: directory,
            checkpoint: settings,
            retainedCheckpoints: retained,
            pipeline: top["pipeline"]
        )
        var result = configuration
        result.staticMembership = staticMembership
        result.processingLanes = lanes
        result.sourceHeader = sourceHeader
        result.deletedRecords = deletedRecords
        try result.validate(file: file)
        return result
    }
}

/// Reads typed values out of YAML nodes, turning every mismatch into a `ConfigurationError`
/// that names the line, the key, the value and what is allowed.
struct YAMLReader {
    let file: String?

    func error(_ node: Node?, key: String, value: String?, allowed: String) -> ConfigurationError {
        ConfigurationError(file: file, line: node?.mark?.line, key: key, value: value, allowed: allowed)
    }

    func mapping(_ node: Node, key: String, allowedKeys: Set<String>?) throws(ConfigurationError) -> [(String, Node)] {
        guard let mapping = node.mapping else {
            throw error(node, key: key, value: node.scalar?.string ?? "a list", allowed: "a mapping of keys to values")
        }
        var result: [(String, Node)] = []
        for (keyNode, value) in mapping {
            guard let name = keyNode.scalar?.string else {
                throw error(keyNode, key: key, value: nil, allowed: "keys must be plain text")
            }
            if let allowedKeys, !allowedKeys.contains(name) {
                let path = key == "(top level)" ? name : "\(key).\(name)"
                throw error(keyNode, key: path, value: name, allowed: "unknown key; allowed here: \(allowedKeys.sorted().joined(separator: ", "))")
            }
            result.append((name, value))
        }
        return result
    }

    func required(_ mapping: [(String, Node)], _ name: String, in root: Node, prefix: String = "") throws(ConfigurationError) -> Node {
        guard let node = mapping[name] else {
            throw error(root, key: prefix + name, value: nil, allowed: "this key is required; see docs/PIPELINE.md for an example")
        }
        return node
    }

    func scalar(_ node: Node, key: String) throws(ConfigurationError) -> String {
        guard let text = node.scalar?.string, !text.isEmpty else {
            throw error(node, key: key, value: node.scalar?.string ?? "a mapping or list", allowed: "a non-empty text value")
        }
        return text
    }

    func identifier(_ node: Node, key: String) throws(ConfigurationError) -> String {
        let text = try scalar(node, key: key)
        let allowedCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard text.count <= 200, text.allSatisfy(allowedCharacters.contains) else {
            throw error(node, key: key, value: text, allowed: "letters, digits, '.', '_' and '-', at most 200 characters")
        }
        return text
    }

    func topicName(_ name: String, node: Node, key: String) throws(ConfigurationError) {
        let allowedCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard !name.isEmpty, name.count <= 249, name != ".", name != "..", name.allSatisfy(allowedCharacters.contains) else {
            throw error(node, key: key, value: name, allowed: "a Kafka topic name: letters, digits, '.', '_' and '-', at most 249 characters")
        }
    }

    func stringList(_ node: Node, key: String, splittingCommas: Bool) throws(ConfigurationError) -> [String] {
        if let sequence = node.sequence {
            var result: [String] = []
            for item in sequence { result.append(try scalar(item, key: key)) }
            return result
        }
        let text = try scalar(node, key: key)
        return splittingCommas ? text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } : [text]
    }

    func boolean(_ node: Node, key: String) throws(ConfigurationError) -> Bool {
        let text = try scalar(node, key: key)
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(node, key: key, value: text, allowed: "true or false")
        }
    }

    func integer(_ node: Node, key: String, range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        let text = try scalar(node, key: key)
        guard let value = Int(text), range.contains(value) else {
            throw error(node, key: key, value: text, allowed: "a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// A duration such as `250ms`, `1s`, `1.5s` or `2m`; a bare number is milliseconds.
    func duration(_ node: Node, key: String, minimum: Duration = .zero) throws(ConfigurationError) -> Duration {
        let text = try scalar(node, key: key)
        let allowed = "a duration such as 250ms, 1s, 1.5s or 2m (a bare number is milliseconds)"
            + (minimum > .zero ? ", at least \(minimum.milliseconds)ms" : "")
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        var number = Substring(text)
        var scale = 0.001
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            number = text.dropLast(suffix.count)
            scale = factor
            break
        }
        guard let amount = Double(number), amount >= 0, amount.isFinite else {
            throw error(node, key: key, value: text, allowed: allowed)
        }
        let duration = Duration.milliseconds(Int64((amount * scale * 1000).rounded()))
        guard duration >= minimum else { throw error(node, key: key, value: text, allowed: allowed) }
        return duration
    }
}

extension Array where Element == (String, Node) {
    subscript(name: String) -> Node? {
        first { $0.0 == name }?.1
    }
}
