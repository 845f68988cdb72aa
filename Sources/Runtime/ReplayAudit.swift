import KafkaClient
import KeyedState
import Logging
import Operators

/// `--dry-run`: replays a checkpoint in memory, produces nothing, and reports per partition what
/// would be emitted and whether it matches the output already committed for the same inputs
/// (matched through the ``SourceHeader`` every output carries).
///
/// - Important: *Blocking*; call it from a dedicated thread.
public enum ReplayAudit {
    /// Runs the audit of `checkpoint` for the partitions in `restored` (state and start offset).
    /// Either read gives up when nothing arrived for `stallLimit`; the sink's read, when an open
    /// transaction holds it at the start, only after `transactionTimeout` (the application's) plus
    /// `abortSlack` (the broker's check for timed-out transactions), if that is longer, and the
    /// error then names the transaction.
    ///
    /// - Parameter deadLetterTopic: where the application sends dead letters. When it is
    ///   `sinkTopic`, the sink holds committed dead letters among the outputs (with the same
    ///   source header), and the replay's dead letters are compared with them like outputs;
    ///   otherwise dead letters are only counted.
    public static func run(
        kafka: KafkaConfiguration,
        application: String,
        pipeline: Pipeline,
        sourceTopics: [String],
        sinkTopic: String,
        deadLetterTopic: String? = nil,
        checkpoint: CheckpointID,
        restored: [TopicPartition: (state: PartitionState, offset: Int64)],
        committed: [TopicPartition: PartitionOffset],
        transactionTimeout: Duration? = nil,
        stallLimit: Duration = .seconds(60),
        abortSlack: Duration = .seconds(15),
        logger: Logger
    ) throws -> [ReplayAuditEntry] {
        // The audit subscribes to `sourceTopics` only: partitions of another topic would never come.
        if let unread = ReplayAuditUnreadTopics(checkpoint: checkpoint, restored: restored.keys, sourceTopics: sourceTopics) { throw unread }
        let consumer = try KafkaConsumer(
            configuration: auditReading(ConsumerConfiguration(kafka: kafka, groupID: "\(application)-audit-\(checkpoint)-\(ContinuousClock.now.hashValue & 0xffff)")),
            logger: logger,
            rebalanceHandler: { event in
                guard case .assigned = event else { return [:] }
                return AssignmentStart(offsets: restored.mapValues(\.offset))
            }
        )
        defer { try? consumer.close() }
        // Where each partition's replay ends: the log's end when the audit started.
        var ends: [TopicPartition: Int64] = [:]
        for partition in restored.keys { ends[partition] = try consumer.watermarkOffsets(partition).high }

        // The committed side first, so that the replay is compared as it runs and never held.
        var (committedOutputs, unattributed, trimmed) = try readCommittedOutputs(
            kafka: kafka, sinkTopic: sinkTopic, sourceTopics: Set(sourceTopics), restored: restored, committed: committed,
            transactionTimeout: transactionTimeout, stallLimit: stallLimit, abortSlack: abortSlack, logger: logger)
        // Where each replay starts: records below the low watermark are gone, read only now since
        // retention may remove input while the sink is read.
        var starts: [TopicPartition: Int64] = [:]
        for (partition, entry) in restored {
            let (low, _) = try consumer.watermarkOffsets(partition)
            starts[partition] = max(entry.offset, low)
        }
        var comparisons: [TopicPartition: OutputComparison] = [:]
        for (partition, entry) in restored {
            guard let upTo = committed[partition]?.offset, upTo > entry.offset else { continue }
            // Taken out of the dictionary, not copied: sorting a copy would hold the side twice.
            var side = committedOutputs.removeValue(forKey: partition) ?? []
            // Inputs no longer in the log cannot be replayed: their committed outputs are left
            // out of the comparison (the entry names the range instead).
            if starts[partition]! > entry.offset { side.removeAll { $0.offset < starts[partition]! } }
            comparisons[partition] = OutputComparison(committed: side)
        }
        // Joined only now: a member that polls nothing for as long as the sink read takes would
        // be dropped from its group (max.poll.interval.ms).
        try consumer.subscribe(topics: sourceTopics)

        // Replay every partition to the end the log had when the audit started.
        var states = restored.mapValues(\.state)
        var processors = try Dictionary(uniqueKeysWithValues: restored.keys.map { ($0, try pipeline.processor(topic: $0.topic, partition: $0.partition)) })
        for (partition, state) in states { processors[partition]!.restore(from: state) }
        var digests: [Int] = []
        var counts: [TopicPartition: (outputs: Int, deadLetters: Int)] = [:]
        var done = Set(restored.keys.filter { ends[$0]! <= starts[$0]! })
        var progress = ReadProgress(
            "replaying the input", expected: restored.keys.reduce(0) { $0 + max(0, ends[$1]! - starts[$1]!) }, startedAt: .now, stallLimit: stallLimit)
        var positions: [TopicPartition: Int64] = [:]
        let comparesDeadLetters = deadLetterTopic == sinkTopic
        while done.count < restored.count {
            var replayedNow = 0
            for record in try consumer.poll(maxRecords: 5_000, timeout: .milliseconds(100)) {
                let partition = record.topicPartition
                // Only records of the replayed ranges count: others (partitions not restored, or
                // written after the audit started) must not keep a stalled read looking alive.
                guard !done.contains(partition), processors[partition] != nil, states[partition] != nil, record.offset < ends[partition]! else { continue }
                replayedNow += 1
                let input = Record(key: record.key, value: record.value, headers: record.headers.map { RecordHeader(name: $0.name, value: $0.value ?? []) },
                                   topic: partition.topic, partition: partition.partition, offset: record.offset, timestamp: record.timestampMilliseconds ?? 0)
                // The processor and state are changed in place, in their dictionaries: a copy taken
                // out and stored back shared the state's tables with the dictionary's copy while it
                // changed them, so each record copied a whole table (25k records/s on 100k keys).
                let emissions = try processors[partition]!.process(input, state: &states[partition]!)
                digests.removeAll(keepingCapacity: true)
                for emission in emissions {
                    if emission.isDeadLetter {
                        counts[partition, default: (0, 0)].deadLetters += 1
                        // Dead letters in another topic are not read back: only counted.
                        guard comparesDeadLetters else { continue }
                    } else {
                        counts[partition, default: (0, 0)].outputs += 1
                    }
                    let output = emission.record
                    digests.append(digest(key: output.key, value: output.value, headers: output.headers.map { ($0.name, $0.value) }))
                }
                if let upTo = committed[partition]?.offset, record.offset < upTo {
                    digests.sort()
                    comparisons[partition]?.replayed(offset: record.offset, sortedDigests: digests)
                }
                if record.offset + 1 >= ends[partition]! { done.insert(partition) }
            }
            try checkPositions(of: consumer, unfinished: restored.keys, done: &done, positions: &positions, ends: ends, progress: &progress)
            try report(
                &progress, replayedNow, of: consumer, unfinished: restored.keys.filter { !done.contains($0) }, positions: positions, ends: ends,
                transactionTimeout: transactionTimeout, logger: logger)
        }
        return restored.keys.sorted().map { partition in
            let from = restored[partition]!.offset
            var comparison = comparisons[partition] ?? OutputComparison(committed: [])
            comparison.finish()
            var entry = ReplayAuditEntry(
                partition: partition, from: from, to: max(from, ends[partition]!),
                outputs: counts[partition]?.outputs ?? 0, deadLetters: counts[partition]?.deadLetters ?? 0,
                committedUpTo: committed[partition]?.offset, matching: comparison.matching, onlyCommitted: comparison.onlyCommitted,
                onlyReplayed: comparison.onlyReplayed, firstDifference: comparison.firstDifference, unattributedCommitted: unattributed
            )
            if starts[partition]! > from { entry.readFrom = starts[partition]! }
            entry.deadLettersCompared = comparesDeadLetters
            entry.sinkTrimmedBelow = trimmed.mayHaveLost(outputsOf: partition, from: from)
            entry.sinkCompacted = trimmed.compacted
            return entry
        }
    }

    /// The committed outputs in `sinkTopic` whose source is in a replayed range, as (source offset,
    /// digest) pairs by source partition, in sink order, as a read_committed reader sees them; and
    /// how many outputs no input can claim (no source header naming one of `sourceTopics`); and
    /// which sink partitions no longer hold all their records.
    ///
    /// An output's source is its *last* `exactly.source` header: the processor appends its own
    /// after the output's headers, which may hold one passed through from an upstream pipeline.
    private static func readCommittedOutputs(
        kafka: KafkaConfiguration, sinkTopic: String, sourceTopics: Set<String>,
        restored: [TopicPartition: (state: PartitionState, offset: Int64)],
        committed: [TopicPartition: PartitionOffset], transactionTimeout: Duration?, stallLimit: Duration, abortSlack: Duration, logger: Logger
    ) throws -> (outputs: [TopicPartition: [(offset: Int64, digest: Int)]], unattributed: Int, trimmed: SinkTrimming) {
        let wanted = restored.mapValues(\.offset)
        guard wanted.contains(where: { (committed[$0.key]?.offset ?? 0) > $0.value }) else { return ([:], 0, SinkTrimming()) }
        let admin = try KafkaAdmin(configuration: kafka, logger: logger)
        let sinkPartitions = try admin.describeTopic(sinkTopic).partitions.map { TopicPartition(sinkTopic, $0.id) }
        let reader = try KafkaConsumer(
            configuration: auditReading(ConsumerConfiguration(kafka: kafka, groupID: "audit-reader-\(ContinuousClock.now.hashValue & 0xffff)")),
            logger: logger
        )
        defer { try? reader.close() }
        var starts: [TopicPartition: Int64] = [:]
        var ends: [TopicPartition: Int64] = [:]
        var stable: [TopicPartition: Int64] = [:]
        // The read_committed reader's high watermark is the last stable offset: an open
        // transaction's first record. The sink is read to the log's end, past open transactions
        // once they end: outputs committed after one began are committed outputs too, and stopping
        // at it called their replayed twins "replayed but not committed".
        let logEnds = try KafkaConsumer(
            configuration: ConsumerConfiguration(kafka: kafka, groupID: "audit-ends-\(ContinuousClock.now.hashValue & 0xffff)", isolationLevel: .readUncommitted),
            logger: logger)
        defer { try? logEnds.close() }
        for partition in sinkPartitions {
            (starts[partition], stable[partition]) = try reader.watermarkOffsets(partition)
            ends[partition] = try logEnds.watermarkOffsets(partition).high
        }
        let held = sinkPartitions.filter { stable[$0]! < ends[$0]! }
        // Right after a crash (a dry run's usual moment) the stopped instance's open transaction
        // holds the sink until the broker aborts it: up to the transaction timeout after it began,
        // plus the broker's abort check (10 s by default). The read waits that long (bounded),
        // not the stall limit, which a longer transaction timeout always exceeded.
        var sinkStallLimit = stallLimit
        if !held.isEmpty {
            if let transactionTimeout { sinkStallLimit = max(stallLimit, transactionTimeout + abortSlack) }
            logger.warning("dry run: a transaction holds \(held.map { "\($0) from offset \(stable[$0]!)" }.joined(separator: ", ")) open: the committed output is read once it commits or aborts (a running instance's within its checkpoint interval; a stopped instance's when the broker aborts it, up to transaction.timeout.ms after it began); waiting up to \(sinkStallLimit.components.seconds) s for it")
        }
        var trimmed = SinkTrimming(logStarts: starts)
        do {
            let policy = try admin.topicConfiguration(sinkTopic)["cleanup.policy"] ?? nil
            trimmed.compacted = policy?.split(separator: ",").contains { $0.trimmingPrefix(" ") == "compact" } == true
        } catch {
            // A principal without the DescribeConfigs permission can still read the sink.
            logger.warning("dry run: could not read the `cleanup.policy` of `\(sinkTopic)` (\(error)): if it is compacted, outputs it dropped are reported as replayed but not committed")
        }
        try reader.subscribe(topics: [sinkTopic])
        var outputs: [TopicPartition: [(offset: Int64, digest: Int)]] = [:]
        var unattributed = 0
        // Empty partitions, and partitions whose records have all expired, have nothing to read.
        var done = Set(sinkPartitions.filter { ends[$0]! <= starts[$0]! })
        var progress = ReadProgress(
            "reading the committed output", expected: sinkPartitions.reduce(0) { $0 + ends[$1]! - starts[$1]! }, startedAt: .now, stallLimit: sinkStallLimit)
        var positions: [TopicPartition: Int64] = [:]
        while done.count < sinkPartitions.count {
            var readNow = 0
            for record in try reader.poll(maxRecords: 5_000, timeout: .milliseconds(100)) {
                // The sink as it was when the audit started: outputs written since are not compared.
                guard !done.contains(record.topicPartition), record.offset < ends[record.topicPartition] ?? 0 else { continue }
                readNow += 1
                if record.offset + 1 >= ends[record.topicPartition]! { done.insert(record.topicPartition) }
                guard let sourceIndex = record.headers.lastIndex(where: { $0.name == SourceHeader.name }), let value = record.headers[sourceIndex].value,
                    let source = SourceHeader.parse(value), sourceTopics.contains(source.partition.topic)
                else {
                    unattributed += 1
                    continue
                }
                trimmed.read(source, in: record.topicPartition)
                if let from = wanted[source.partition], let upTo = committed[source.partition]?.offset, source.offset >= from, source.offset < upTo {
                    // Every header but the processor's source header is the output's own.
                    var headers = record.headers.map { ($0.name, $0.value ?? []) }
                    headers.remove(at: sourceIndex)
                    outputs[source.partition, default: []].append((source.offset, digest(key: record.key, value: record.value, headers: headers)))
                }
            }
            try checkPositions(of: reader, unfinished: sinkPartitions, done: &done, positions: &positions, ends: ends, progress: &progress)
            try report(
                &progress, readNow, of: reader, unfinished: sinkPartitions.filter { !done.contains($0) }, positions: positions, ends: ends,
                transactionTimeout: transactionTimeout, logger: logger)
        }
        return (outputs, unattributed, trimmed)
    }

    /// Marks done each partition of `unfinished` (not yet `done`) whose read position reached its
    /// end: a tail of transaction markers or aborted records moves the position, not the
    /// records. A position that moved counts as progress for the stall detector.
    private static func checkPositions(
        of consumer: KafkaConsumer, unfinished: some Collection<TopicPartition>, done: inout Set<TopicPartition>,
        positions: inout [TopicPartition: Int64], ends: [TopicPartition: Int64], progress: inout ReadProgress
    ) throws {
        for partition in unfinished where !done.contains(partition) {
            guard let position = try consumer.position([partition])[partition] ?? nil else { continue }
            if position > positions[partition] ?? .min {
                positions[partition] = position
                progress.moved(at: .now)
            }
            if position >= ends[partition]! { done.insert(partition) }
        }
    }

    /// `configuration` with a fetch-ahead queue a quarter of the processor's (100,000 records or
    /// 32 MiB): the processor's is sized to keep its lanes busy through a fetch round trip, while
    /// the audit holds the restored state and the committed side besides, and one thread
    /// replaying in memory drains a small queue as fast. Measured (release, 3M inputs, 100k keys,
    /// about 1.3M outputs compared): peak RSS 560 MB -> 250 MB, the command's time the same
    /// (5.7-6.4 s).
    private static func auditReading(_ configuration: ConsumerConfiguration) -> ConsumerConfiguration {
        var configuration = configuration
        configuration.queuedMinMessages = 100_000
        configuration.queuedMaxKilobytes = 32_768
        return configuration
    }

    /// What the audit keeps of an output's value to compare it: its 64-bit hash (seeded per
    /// process, the same for both sides of one audit). The committed side of a large range is
    /// held in memory, and a value is about 50-150 bytes plus an array's 32; two different values
    /// share a hash with a probability of about 2^-64.
    /// A hash of what a reader sees of an output: its key (none apart from empty), value and
    /// headers (without the processor's source header). Hashing the value alone called a replay
    /// that changed outputs' keys a match, though their partitions and compaction differ.
    /// (Lengths are hashed too: a byte moved from the key to the value changes the hash.)
    private static func digest(key: [UInt8]?, value: [UInt8], headers: [(name: String, value: [UInt8])]) -> Int {
        var hasher = Hasher()
        hasher.combine(key?.count ?? -1)
        key?.withUnsafeBytes { hasher.combine(bytes: $0) }
        hasher.combine(value.count)
        value.withUnsafeBytes { hasher.combine(bytes: $0) }
        hasher.combine(headers.count)
        for header in headers {
            hasher.combine(header.name)
            hasher.combine(header.value.count)
            header.value.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
        return hasher.finalize()
    }

    /// Counts a poll's `count` records into `progress`, logs its line when one is due, and gives
    /// up with a ``ReplayAuditError`` when nothing has arrived for its stall limit, naming the
    /// partitions `consumer` (read_committed) waits at an open transaction in.
    private static func report(
        _ progress: inout ReadProgress, _ count: Int, of consumer: KafkaConsumer, unfinished: [TopicPartition], positions: [TopicPartition: Int64],
        ends: [TopicPartition: Int64], transactionTimeout: Duration?, logger: Logger
    ) throws(ReplayAuditError) {
        let now = ContinuousClock.now
        if let line = progress.record(count, at: now) { logger.info("dry run: \(line)") }
        guard progress.hasStalled(at: now) else { return }
        var error = ReplayAuditError(
            activity: progress.activity, stalledFor: progress.stallLimit, arrived: progress.arrived, expected: progress.expected,
            unfinished: unfinished.sorted().map { ReplayAuditError.Unfinished(partition: $0, position: positions[$0], end: ends[$0] ?? 0) })
        // Held: its last stable offset is below the end, and the read has reached it (or not
        // begun: an open transaction at the log's start leaves nothing to fetch).
        for partition in unfinished {
            guard let stable = try? consumer.watermarkOffsets(partition).high, stable < ends[partition] ?? 0,
                positions[partition].map({ $0 >= stable }) ?? true
            else { continue }
            error.heldOpen[partition] = stable
        }
        error.transactionTimeout = transactionTimeout
        throw error
    }
}
