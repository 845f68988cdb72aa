import Logging
import NIOCore

/// BrokerState: topics: creation on first use and by CreateTopics, deletion, configs.
extension BrokerState {
    static func isValidTopicName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 249 && name != "." && name != ".."
            && name.utf8.allSatisfy { c in
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x2e || c == 0x5f || c == 0x2d
            }
    }

    @discardableResult
    mutating func createTopic(_ name: String, partitions: Int32) -> KafkaErrorCode {
        guard Self.isValidTopicName(name) else { return .invalidTopic }
        guard topics[name] == nil else { return .topicAlreadyExists }
        guard partitions > 0 && partitions <= 10_000 else { return .invalidPartitions }
        // A file left by a deleted topic of the same name (the broker stopped between saving
        // the deletion and removing the files) must not come back as this topic's records.
        guard removeFiles(ofTopic: name, partitions: partitions, "the old file") else { return .kafkaStorageError }
        topics[name] = Array(repeating: PartitionLog(), count: Int(partitions))
        logger.info("created topic \(name) with \(partitions) partition(s)")
        persist()
        return .none
    }

    /// The topic's partitions, creating the topic if allowed.
    mutating func partitions(of name: String, create: Bool) -> Int? {
        if let p = topics[name] { return p.count }
        guard create && autoCreateTopics, createTopic(name, partitions: defaultPartitions) == .none else { return nil }
        return topics[name]?.count
    }

    mutating func metadata(_ request: MetadataRequest) -> MetadataResponse {
        let names = request.topics ?? topics.keys.sorted()
        let result = names.map { name -> MetadataResponse.Topic in
            if !Self.isValidTopicName(name) {
                return .init(errorCode: .invalidTopic, name: name, partitions: [])
            }
            guard let count = partitions(of: name, create: request.allowAutoTopicCreation && request.topics != nil) else {
                return .init(errorCode: .unknownTopicOrPartition, name: name, partitions: [])
            }
            return .init(errorCode: .none, name: name, partitions: (0..<Int32(count)).map { .init(errorCode: .none, index: $0) })
        }
        return MetadataResponse(nodeId: nodeId, host: host, port: port, clusterId: clusterId, topics: result)
    }

    mutating func createTopics(_ request: CreateTopicsRequest) -> CreateTopicsResponse {
        CreateTopicsResponse(topics: request.topics.map { t in
            let count = t.numPartitions == -1 ? (t.assignedPartitions > 0 ? Int32(t.assignedPartitions) : defaultPartitions) : t.numPartitions
            if t.replicationFactor != -1 && t.replicationFactor != 1 && t.assignedPartitions == 0 {
                return (t.name, .invalidReplicationFactor, "this development broker has one node: replication factor must be 1 or -1, got \(t.replicationFactor)")
            }
            if request.validateOnly {
                let code: KafkaErrorCode = !Self.isValidTopicName(t.name) ? .invalidTopic : topics[t.name] != nil ? .topicAlreadyExists : count <= 0 ? .invalidPartitions : .none
                return (t.name, code, nil)
            }
            let code = createTopic(t.name, partitions: count)
            return (t.name, code, code == .none ? nil : "cannot create topic \(t.name) with \(count) partitions")
        })
    }

    mutating func deleteTopics(_ request: DeleteTopicsRequest) -> DeleteTopicsResponse {
        DeleteTopicsResponse(topics: request.names.map { name in
            guard let logs = topics.removeValue(forKey: name) else { return (name, .unknownTopicOrPartition) }
            for group in offsets.keys {
                offsets[group] = offsets[group]?.filter { $0.key.topic != name }
            }
            // The deletion is saved before the files go: a broker stopped in between has no
            // such topic, and its leftover files are removed when the name is created again.
            persist()
            guard storageFailure == nil, removeFiles(ofTopic: name, partitions: Int32(logs.count), "the file") else {
                return (name, .kafkaStorageError)
            }
            logger.info("deleted topic \(name)")
            return (name, .none)
        })
    }

    func describeConfigs(_ request: DescribeConfigsRequest) -> DescribeConfigsResponse {
        DescribeConfigsResponse(results: request.resources.map { r in
            var configs: [DescribeConfigsResponse.Config]
            switch r.type {
            case DescribeConfigsRequest.topicResource:
                guard topics[r.name] != nil else {
                    return .init(errorCode: .unknownTopicOrPartition, message: "topic \(r.name) does not exist", type: r.type, name: r.name, configs: [])
                }
                configs = [
                    .init(name: "cleanup.policy", value: "delete", isDefault: true),
                    .init(name: "retention.ms", value: "-1", isDefault: false),
                    .init(name: "max.message.bytes", value: "104857600", isDefault: false),
                    .init(name: "message.timestamp.type", value: "CreateTime", isDefault: true),
                    .init(name: "min.insync.replicas", value: "1", isDefault: true),
                ]
            case DescribeConfigsRequest.brokerResource:
                configs = [
                    .init(name: "auto.create.topics.enable", value: autoCreateTopics ? "true" : "false", isDefault: false),
                    .init(name: "num.partitions", value: String(defaultPartitions), isDefault: false),
                    .init(name: "transaction.max.timeout.ms", value: String(Self.maxTransactionTimeoutMs), isDefault: true),
                    .init(name: "offsets.topic.replication.factor", value: "1", isDefault: false),
                ]
            default:
                return .init(errorCode: .invalidRequest, message: "resource type \(r.type) is not supported by the development broker", type: r.type, name: r.name, configs: [])
            }
            if let keys = r.keys {
                configs = configs.filter { keys.contains($0.name) }
            }
            return .init(errorCode: .none, message: nil, type: r.type, name: r.name, configs: configs)
        })
    }

    /// Removes the files of partitions 0..<`partitions` of topic `name` (those ever written);
    /// `false`, with the broker stopped, when one cannot be removed.
    private mutating func removeFiles(ofTopic name: String, partitions: Int32, _ which: String) -> Bool {
        for p in 0..<partitions {
            let tp = TopicPartition(topic: name, partition: p)
            do {
                try store?.deletePartition(tp)
            } catch {
                failStorage("cannot remove \(which) of \(name)-\(p) from the data directory", tp, error)
                return false
            }
        }
        return true
    }
}
