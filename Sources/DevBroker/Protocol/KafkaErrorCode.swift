/// Kafka's protocol error codes that this broker returns (a subset of Kafka's `Errors`).
struct KafkaErrorCode: RawRepresentable, Equatable, Hashable, Sendable, Codable {
    var rawValue: Int16
    init(rawValue: Int16) { self.rawValue = rawValue }
    init(_ rawValue: Int16) { self.rawValue = rawValue }

    static let unknownServerError = Self(-1)
    static let none = Self(0)
    static let offsetOutOfRange = Self(1)
    static let corruptMessage = Self(2)
    static let unknownTopicOrPartition = Self(3)
    static let messageTooLarge = Self(10)
    static let coordinatorNotAvailable = Self(15)
    static let notCoordinator = Self(16)
    static let invalidTopic = Self(17)
    static let illegalGeneration = Self(22)
    static let inconsistentGroupProtocol = Self(23)
    static let invalidGroupId = Self(24)
    static let unknownMemberId = Self(25)
    static let invalidSessionTimeout = Self(26)
    static let rebalanceInProgress = Self(27)
    static let unsupportedVersion = Self(35)
    static let topicAlreadyExists = Self(36)
    static let invalidPartitions = Self(37)
    static let invalidReplicationFactor = Self(38)
    static let invalidRequest = Self(42)
    static let outOfOrderSequenceNumber = Self(45)
    static let duplicateSequenceNumber = Self(46)
    static let invalidProducerEpoch = Self(47)
    static let invalidTxnState = Self(48)
    static let invalidProducerIdMapping = Self(49)
    static let invalidTransactionTimeout = Self(50)
    static let concurrentTransactions = Self(51)
    static let unknownProducerId = Self(59)
    static let nonEmptyGroup = Self(68)
    static let groupIdNotFound = Self(69)
    static let invalidRecord = Self(87)
    static let unstableOffsetCommit = Self(88)
}
