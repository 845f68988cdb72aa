/// What the transaction coordinator knows of one transactional id.
struct TransactionState: Codable, Sendable {
    enum Phase: String, Codable, Sendable {
        case empty
        case ongoing
        /// The commit is decided and durable (its offsets already applied to the groups), its
        /// markers not all written: a broker that stops here finishes the commit on restart.
        case prepareCommit
    }
    var transactionalId: String
    var producerId: Int64
    var producerEpoch: Int16
    /// The producer id and epoch before the last epoch bump a producer asked for (KIP-360), so
    /// that a retry of that request (its answer lost, say to a broker restart) gets the bumped
    /// epoch again instead of being fenced; `nil` after any other change of epoch. Optional,
    /// so that state saved before these existed still loads.
    var lastProducerId: Int64?
    var lastProducerEpoch: Int16?
    var timeoutMs: Int32
    var phase: Phase = .empty
    /// When the current transaction began (first partition or offsets added), in ms since 1970.
    var startedMs: Int64 = 0
    var partitions: Set<TopicPartition> = []
    var groups: Set<String> = []
    /// TxnOffsetCommit offsets, applied to the group only when the transaction commits.
    var pendingOffsets: [String: [TopicPartition: CommittedOffset]] = [:]

    mutating func begin(nowMs: Int64) {
        if phase == .empty {
            phase = .ongoing
            startedMs = nowMs
        }
    }

    mutating func reset() {
        phase = .empty
        partitions = []
        groups = []
        pendingOffsets = [:]
    }

    /// The error a request from (producerId, epoch) gets; `.none` when it is the current holder.
    func check(producerId: Int64, epoch: Int16) -> KafkaErrorCode {
        if producerId != self.producerId { return .invalidProducerIdMapping }
        if epoch != producerEpoch { return .invalidProducerEpoch }
        return .none
    }
}
