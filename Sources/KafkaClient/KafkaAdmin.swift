import CRdKafka
import Logging

/// The partitions of a topic as the cluster describes them.
public struct TopicDescription: Sendable, Equatable {
    /// The topic's name.
    public let name: String
    /// Its partitions, sorted by number.
    public let partitions: [PartitionDescription]
}

/// One partition of a topic: its leader and replicas.
public struct PartitionDescription: Sendable, Equatable {
    /// The partition's number.
    public let id: Int32
    /// The broker id of its leader, or -1 when it has none.
    public let leader: Int32
    /// The broker ids holding replicas.
    public let replicas: [Int32]
    /// The broker ids of the in-sync replicas.
    public let inSyncReplicas: [Int32]
}

/// Topic administration: create, delete, describe; and deleting a partition's oldest records
/// (``deleteRecords(_:timeout:)``).
///
/// - Important: Every method is *blocking* up to its timeout; call it from a dedicated thread
///   (or ``BlockingCalls/run(_:)``), never directly from Swift's cooperative thread pool.
public final class KafkaAdmin: Sendable {
    /// The client; the admin calls in other files (`KafkaAdmin+DeleteRecords.swift`) use it too.
    let handle: KafkaHandle

    /// An admin client for `configuration`'s cluster.
    public init(
        configuration: KafkaConfiguration,
        logger: Logger = Logger(label: "exactly.kafka.admin")
    ) throws(KafkaError) {
        handle = try KafkaHandle(
            type: RD_KAFKA_PRODUCER,
            properties: configuration.librdkafkaProperties(adding: []),
            context: ClientContext(logger: logger, statistics: nil)
        )
    }

    /// Creates `name` with `partitions` partitions. Throws when it exists already unless
    /// `ifNotExists`, in which case an existing topic is left as it is.
    public func createTopic(
        _ name: String,
        partitions: Int32,
        replicationFactor: Int32 = 1,
        configs: [String: String] = [:],
        ifNotExists: Bool = false,
        timeout: Duration = .seconds(30)
    ) throws(KafkaError) {
        var errorText = [CChar](repeating: 0, count: 512)
        guard let newTopic = rd_kafka_NewTopic_new(name, partitions, replicationFactor, &errorText, errorText.count) else {
            throw KafkaError(.invalidConfiguration, "cannot create topic `\(name)` with \(partitions) partitions: \(String(errorBuffer: errorText))")
        }
        defer { rd_kafka_NewTopic_destroy(newTopic) }
        for (key, value) in configs.sorted(by: { $0.key < $1.key }) {
            if let error = KafkaError.from(rd_kafka_NewTopic_set_config(newTopic, key, value), while: "set topic config `\(key)`") {
                throw error
            }
        }
        var topics: [OpaquePointer?] = [newTopic]
        try runAdminRequest(
            "create topic `\(name)`",
            expecting: RD_KAFKA_EVENT_CREATETOPICS_RESULT,
            timeout: timeout,
            start: { options, queue in rd_kafka_CreateTopics(handle.pointer, &topics, 1, options, queue) },
            results: { event in
                var count = 0
                let results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count)
                return (0..<count).map { results![$0] }
            },
            tolerate: ifNotExists ? [RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS] : []
        )
    }

    /// Deletes `name`. Throws when it does not exist unless `ifExists`.
    public func deleteTopic(_ name: String, ifExists: Bool = false, timeout: Duration = .seconds(30)) throws(KafkaError) {
        guard let deleteTopic = rd_kafka_DeleteTopic_new(name) else {
            throw KafkaError(.invalidConfiguration, "cannot delete topic `\(name)`")
        }
        defer { rd_kafka_DeleteTopic_destroy(deleteTopic) }
        var topics: [OpaquePointer?] = [deleteTopic]
        try runAdminRequest(
            "delete topic `\(name)`",
            expecting: RD_KAFKA_EVENT_DELETETOPICS_RESULT,
            timeout: timeout,
            start: { options, queue in rd_kafka_DeleteTopics(handle.pointer, &topics, 1, options, queue) },
            results: { event in
                var count = 0
                let results = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event), &count)
                return (0..<count).map { results![$0] }
            },
            tolerate: ifExists ? [RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART] : []
        )
    }

    /// The partitions of `name`, from the cluster's metadata.
    ///
    /// Asks for the metadata of all topics rather than of `name` alone: a request naming one
    /// topic makes brokers with `auto.create.topics.enable` create it, and describing must not.
    public func describeTopic(_ name: String, timeout: Duration = .seconds(10)) throws(KafkaError) -> TopicDescription {
        try withMetadataOfAllTopics(while: "describe topic `\(name)`", timeout: timeout) { metadata throws(KafkaError) in
            try Self.describe(name, in: metadata)
        }
    }

    /// The names of the cluster's topics (those it would create on first use are not among them).
    public func topicNames(timeout: Duration = .seconds(10)) throws(KafkaError) -> Set<String> {
        try withMetadataOfAllTopics(while: "list topics", timeout: timeout) { metadata in
            Set((0..<Int(metadata.pointee.topic_cnt)).compactMap { index -> String? in
                let entry = metadata.pointee.topics[index]
                return entry.err == RD_KAFKA_RESP_ERR_NO_ERROR ? String(cString: entry.topic) : nil
            })
        }
    }

    /// Whether the cluster creates a topic on its first use (`auto.create.topics.enable` of a
    /// broker it names, asked with DescribeConfigs).
    ///
    /// - Throws: when the cluster does not answer, or does not say (an ACL, an old broker).
    public func createsTopicsOnFirstUse(timeout: Duration = .seconds(10)) throws(KafkaError) -> Bool {
        let operation = "read the broker setting auto.create.topics.enable"
        let broker = try withMetadataOfAllTopics(while: operation, timeout: timeout) { metadata throws(KafkaError) in
            guard metadata.pointee.broker_cnt > 0 else { throw KafkaError(.broker, "\(operation): the cluster named no broker") }
            return metadata.pointee.brokers[0].id
        }
        guard let resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_BROKER, "\(broker)") else {
            throw KafkaError(.broker, "\(operation): cannot name broker \(broker)")
        }
        defer { rd_kafka_ConfigResource_destroy(resource) }
        var resources: [OpaquePointer?] = [resource]
        return try handle.withAdminResult(
            operation, expecting: RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT, timeout: timeout,
            start: { options, queue in rd_kafka_DescribeConfigs(handle.pointer, &resources, 1, options, queue) }
        ) { event throws(KafkaError) in
            var count = 0
            guard let described = rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(event), &count),
                count > 0, let first = described[0]
            else { throw KafkaError(.broker, "\(operation): no answer for broker \(broker)") }
            if let error = KafkaError.from(rd_kafka_ConfigResource_error(first), while: operation) { throw error }
            var entryCount = 0
            let entries = rd_kafka_ConfigResource_configs(first, &entryCount)
            for index in 0..<entryCount {
                guard let entry = entries?[index], String(cString: rd_kafka_ConfigEntry_name(entry)) == "auto.create.topics.enable" else { continue }
                return rd_kafka_ConfigEntry_value(entry).map { String(cString: $0) } == "true"
            }
            throw KafkaError(.broker, "\(operation): broker \(broker) did not name it")
        }
    }

    /// Runs `body` on the metadata of every topic (a request naming none, which creates none),
    /// freed afterwards.
    private func withMetadataOfAllTopics<Result>(
        while doing: String, timeout: Duration,
        _ body: (UnsafePointer<rd_kafka_metadata>) throws(KafkaError) -> Result
    ) throws(KafkaError) -> Result {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        if let error = KafkaError.from(
            rd_kafka_metadata(handle.pointer, 1, nil, &metadata, timeout.timeoutMilliseconds), while: doing
        ) {
            throw error
        }
        guard let metadata else { throw KafkaError(.broker, "\(doing): no metadata returned") }
        defer { rd_kafka_metadata_destroy(metadata) }
        return try body(metadata)
    }

    private static func describe(_ name: String, in metadata: UnsafePointer<rd_kafka_metadata>) throws(KafkaError) -> TopicDescription {
        for index in 0..<Int(metadata.pointee.topic_cnt) {
            let entry = metadata.pointee.topics[index]
            guard String(cString: entry.topic) == name else { continue }
            if let error = KafkaError.from(entry.err, while: "describe topic `\(name)`") {
                throw error
            }
            let partitions = (0..<Int(entry.partition_cnt)).map { partitionIndex in
                let partition = entry.partitions[partitionIndex]
                return PartitionDescription(
                    id: partition.id,
                    leader: partition.leader,
                    replicas: (0..<Int(partition.replica_cnt)).map { partition.replicas[$0] },
                    inSyncReplicas: (0..<Int(partition.isr_cnt)).map { partition.isrs[$0] }
                )
            }.sorted { $0.id < $1.id }
            return TopicDescription(name: name, partitions: partitions)
        }
        throw KafkaError(.broker, "topic `\(name)` is not in the cluster's metadata", rdKafkaCode: RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART.rawValue)
    }

    /// Starts an admin request on a private queue, waits for its result event and turns the
    /// first per-topic error into a `KafkaError`. Frees the queue, options and event on every path.
    private func runAdminRequest(
        _ operation: String,
        expecting expected: Int32,
        timeout: Duration,
        start: (OpaquePointer?, OpaquePointer?) -> Void,
        results: (OpaquePointer) -> [OpaquePointer?],
        tolerate: Set<rd_kafka_resp_err_t>
    ) throws(KafkaError) {
        try handle.withAdminResult(operation, expecting: expected, timeout: timeout, start: start) { event throws(KafkaError) in
            for result in results(event) {
                let code = rd_kafka_topic_result_error(result)
                if code == RD_KAFKA_RESP_ERR_NO_ERROR || tolerate.contains(code) { continue }
                let text = rd_kafka_topic_result_error_string(result).map { String(cString: $0) } ?? ""
                throw KafkaError(
                    .broker,
                    "\(operation) failed: \(text.isEmpty ? String(cString: rd_kafka_err2str(code)) : text)",
                    rdKafkaCode: code.rawValue
                )
            }
        }
    }
}
