import KafkaClient

/// Who this process is to Kafka: for saying plainly, wherever a fence surfaces (a commit, a send
/// of offsets, a lane's produce), that a newer process with the same identity took over.
struct InstanceIdentity: Sendable {
    let transactionalID: String
    let application: String
    let instance: String
    /// The producer's `transaction.timeout.ms`: the broker fences a producer whose transaction
    /// outlived it, which looks the same to the producer as a takeover.
    let transactionTimeout: Duration

    init(_ settings: ProcessorSettings) {
        transactionalID = settings.transactionalID
        application = settings.application
        instance = settings.instance
        transactionTimeout = settings.transactionTimeout
    }

    /// librdkafka's names for the errors that mean this process was fenced: its producer
    /// (`_FENCED`, `PRODUCER_FENCED`, `INVALID_PRODUCER_EPOCH`) or its static group membership
    /// (`FENCED_INSTANCE_ID`).
    static let fencingErrors: Set<String> = ["_FENCED", "PRODUCER_FENCED", "INVALID_PRODUCER_EPOCH", "FENCED_INSTANCE_ID"]

    /// `error` in words when it means this process was fenced, `nil` otherwise. It advises no
    /// restart unless no other process has this identity: restarting would fence the process
    /// that took over. The other cause, a transaction the broker aborted on its timeout (after a
    /// broker or network outage that long), gives the producer the same error.
    func fencedExplanation(of error: any Error) -> String? {
        guard let kafka = error as? KafkaError, let name = kafka.rdKafkaName, Self.fencingErrors.contains(name) else { return nil }
        return "this process was fenced: another process started with the same identity "
            + "`\(transactionalID)` (application `\(application)`, instance `\(instance)`) "
            + "and took over from the last committed checkpoint. Run each instance id once. "
            + "If no other process runs as `\(transactionalID)`, the broker aborted this process's transaction for outliving "
            + "transaction.timeout.ms (\(transactionTimeout), as after a broker or network outage that long): restart it, and it "
            + "recovers from the last committed checkpoint. (\(kafka.message))"
    }
}
