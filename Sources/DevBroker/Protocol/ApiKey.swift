/// The Kafka APIs this broker answers, with the version ranges it advertises in ApiVersions.
///
/// The ranges stop below the flexible versions wherever the clients we serve (librdkafka 2.x,
/// kcat, kafka-python 3.x) accept that; the exceptions need a flexible version for a feature:
/// ApiVersions v3 (librdkafka's first request), OffsetFetch v7 (require_stable),
/// TxnOffsetCommit v3 (the group generation check of KIP-447) and InitProducerId v3-4 (the
/// epoch bump of KIP-360, without which librdkafka fails a transactional producer fatally
/// when it must reset its sequence numbers).
enum ApiKey: Int16, CaseIterable, Sendable {
    case produce = 0
    case fetch = 1
    case listOffsets = 2
    case metadata = 3
    case offsetCommit = 8
    case offsetFetch = 9
    case findCoordinator = 10
    case joinGroup = 11
    case heartbeat = 12
    case leaveGroup = 13
    case syncGroup = 14
    case describeGroups = 15
    case listGroups = 16
    case apiVersions = 18
    case createTopics = 19
    case deleteTopics = 20
    case deleteRecords = 21
    case initProducerId = 22
    case addPartitionsToTxn = 24
    case addOffsetsToTxn = 25
    case endTxn = 26
    case txnOffsetCommit = 28
    case describeConfigs = 32

    var supportedVersions: ClosedRange<Int16> {
        switch self {
        case .produce: 3...7
        case .fetch: 4...4
        case .listOffsets: 1...2
        case .metadata: 0...5
        case .offsetCommit: 2...7
        case .offsetFetch: 1...7
        case .findCoordinator: 0...2
        case .joinGroup: 0...5
        case .heartbeat: 0...3
        case .leaveGroup: 0...2
        case .syncGroup: 0...3
        case .describeGroups: 0...4
        case .listGroups: 0...2
        case .apiVersions: 0...3
        case .createTopics: 0...4
        case .deleteTopics: 0...3
        case .deleteRecords: 0...2
        case .initProducerId: 0...4
        case .addPartitionsToTxn: 0...1
        case .addOffsetsToTxn: 0...1
        case .endTxn: 0...1
        case .txnOffsetCommit: 0...3
        case .describeConfigs: 0...2
        }
    }

    /// The first version that uses the flexible encoding, from Kafka's message definitions.
    var firstFlexibleVersion: Int16 {
        switch self {
        case .produce: 9
        case .fetch: 12
        case .listOffsets: 6
        case .metadata: 9
        case .offsetCommit: 8
        case .offsetFetch: 6
        case .findCoordinator: 3
        case .joinGroup: 6
        case .heartbeat: 4
        case .leaveGroup: 4
        case .syncGroup: 4
        case .describeGroups: 5
        case .listGroups: 3
        case .apiVersions: 3
        case .createTopics: 5
        case .deleteTopics: 4
        case .deleteRecords: 2
        case .initProducerId: 2
        case .addPartitionsToTxn: 3
        case .addOffsetsToTxn: 3
        case .endTxn: 3
        case .txnOffsetCommit: 3
        case .describeConfigs: 4
        }
    }

    func isFlexible(_ version: Int16) -> Bool { version >= firstFlexibleVersion }

    /// Kafka answers ApiVersions with a v0 response header even when the request is flexible,
    /// so that a client can read the answer before it knows the broker's versions.
    func responseHeaderIsFlexible(_ version: Int16) -> Bool {
        self != .apiVersions && isFlexible(version)
    }

    var name: String { String(describing: self) }
}
