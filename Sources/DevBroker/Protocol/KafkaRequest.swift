import NIOCore

/// A decoded request body, one case per API this broker answers.
enum KafkaRequest: Sendable {
    case apiVersions
    case metadata(MetadataRequest)
    case produce(ProduceRequest)
    case fetch(FetchRequest)
    case listOffsets(ListOffsetsRequest)
    case findCoordinator(FindCoordinatorRequest)
    case joinGroup(JoinGroupRequest)
    case syncGroup(SyncGroupRequest)
    case heartbeat(HeartbeatRequest)
    case leaveGroup(LeaveGroupRequest)
    case offsetCommit(OffsetCommitRequest)
    case offsetFetch(OffsetFetchRequest)
    case describeGroups(DescribeGroupsRequest)
    case listGroups
    case initProducerId(InitProducerIdRequest)
    case addPartitionsToTxn(AddPartitionsToTxnRequest)
    case addOffsetsToTxn(AddOffsetsToTxnRequest)
    case txnOffsetCommit(OffsetCommitRequest)
    case endTxn(EndTxnRequest)
    case createTopics(CreateTopicsRequest)
    case deleteTopics(DeleteTopicsRequest)
    case deleteRecords(DeleteRecordsRequest)
    case describeConfigs(DescribeConfigsRequest)

    /// Decodes the body of a request whose header named a supported API and version.
    /// Trailing bytes are tolerated, as Kafka does, so newer clients' extra fields cannot hurt.
    static func decode(_ key: ApiKey, version: Int16, body: ByteBuffer) throws -> KafkaRequest {
        var r = KafkaReader(body, flexible: key.isFlexible(version))
        switch key {
        case .apiVersions:
            if version >= 3 {
                _ = try r.string("client_software_name")
                _ = try r.string("client_software_version")
                try r.taggedFields()
            }
            return .apiVersions
        case .metadata: return .metadata(try MetadataRequest(from: &r, version: version))
        case .produce: return .produce(try ProduceRequest(from: &r, version: version))
        case .fetch: return .fetch(try FetchRequest(from: &r, version: version))
        case .listOffsets: return .listOffsets(try ListOffsetsRequest(from: &r, version: version))
        case .findCoordinator: return .findCoordinator(try FindCoordinatorRequest(from: &r, version: version))
        case .joinGroup: return .joinGroup(try JoinGroupRequest(from: &r, version: version))
        case .syncGroup: return .syncGroup(try SyncGroupRequest(from: &r, version: version))
        case .heartbeat: return .heartbeat(try HeartbeatRequest(from: &r, version: version))
        case .leaveGroup: return .leaveGroup(try LeaveGroupRequest(from: &r, version: version))
        case .offsetCommit: return .offsetCommit(try OffsetCommitRequest(offsetCommitFrom: &r, version: version))
        case .offsetFetch: return .offsetFetch(try OffsetFetchRequest(from: &r, version: version))
        case .describeGroups: return .describeGroups(try DescribeGroupsRequest(from: &r, version: version))
        case .listGroups: return .listGroups
        case .initProducerId: return .initProducerId(try InitProducerIdRequest(from: &r, version: version))
        case .addPartitionsToTxn: return .addPartitionsToTxn(try AddPartitionsToTxnRequest(from: &r, version: version))
        case .addOffsetsToTxn: return .addOffsetsToTxn(try AddOffsetsToTxnRequest(from: &r, version: version))
        case .txnOffsetCommit: return .txnOffsetCommit(try OffsetCommitRequest(txnOffsetCommitFrom: &r, version: version))
        case .endTxn: return .endTxn(try EndTxnRequest(from: &r, version: version))
        case .createTopics: return .createTopics(try CreateTopicsRequest(from: &r, version: version))
        case .deleteTopics: return .deleteTopics(try DeleteTopicsRequest(from: &r, version: version))
        case .deleteRecords: return .deleteRecords(try DeleteRecordsRequest(from: &r, version: version))
        case .describeConfigs: return .describeConfigs(try DescribeConfigsRequest(from: &r, version: version))
        }
    }
}
