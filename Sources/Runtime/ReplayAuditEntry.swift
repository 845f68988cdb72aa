import KafkaClient

/// What a `--dry-run` replay found for one input partition.
public struct ReplayAuditEntry: Sendable, CustomStringConvertible {
    /// The input partition.
    public let partition: TopicPartition
    /// The replayed input range.
    public let from: Int64
    /// The end of the replayed input range (the log's end when the audit started).
    public let to: Int64
    /// Outputs the replay would produce for the sink.
    public let outputs: Int
    /// Records it would send to the dead-letter topic.
    public let deadLetters: Int
    /// The part of the range whose outputs are committed already, if any.
    public let committedUpTo: Int64?
    /// For that part: how many outputs match, are missing from the replay, or are new in it.
    public let matching: Int
    public let onlyCommitted: Int
    public let onlyReplayed: Int
    /// The first input offset whose outputs differ, if any.
    public let firstDifference: Int64?
    /// Outputs in the sink (any partition's) that no input range can claim: no ``SourceHeader``
    /// naming one of the application's source topics (written with `sink.source_header: false`,
    /// or by another producer).
    public let unattributedCommitted: Int
    /// Where the replay began, when the log no longer held the range's start (retention or a
    /// DeleteRecords removed `from..<readFrom`): those inputs were not replayed.
    public var readFrom: Int64? = nil
    /// The sink partitions that no longer hold all their records and may have held outputs of
    /// this range, each with its log start (retention or a DeleteRecords removed the records
    /// below it). Empty when the sink holds everything, or when each trimmed partition still
    /// holds an output of this input partition from before the range (outputs of one input
    /// partition are committed in input order, so the range's outputs came after it).
    public var sinkTrimmedBelow: [TopicPartition: Int64] = [:]
    /// Whether the dead letters are compared with the committed output too: they go to the sink
    /// topic (`sink.dead_letter_topic` is `sink.topic`), where the committed ones sit among the
    /// outputs. Otherwise they are only counted, and ``matching`` and the other counts are of
    /// outputs alone.
    public var deadLettersCompared = false

    /// Whether the sink is compacted (its `cleanup.policy` includes `compact`): it may have
    /// dropped any output that a newer one of the same key followed, leaving the log start at 0,
    /// so neither which nor how many are known.
    public var sinkCompacted = false

    /// At most how many committed records the sink no longer holds among the partitions that may
    /// have held outputs of this range (offsets count transaction markers too: a bound).
    public var removedFromSink: Int64 { sinkTrimmedBelow.values.reduce(0, +) }

    /// Whether the comparison with the committed output means anything. Any of the unattributed
    /// outputs, and any of the records the sink no longer holds, may be an output of this range:
    /// then a match may hide committed outputs the replay would not make, and replayed outputs
    /// without a twin may have had one among them. Only a certain difference survives: a
    /// committed output *with* a source header in the range that the replay did not make, or
    /// more replayed outputs without a twin than there are such unknown outputs at all (over a
    /// compacted sink their number is unknown: only the first kind).
    public var isComparable: Bool {
        guard let committedUpTo, committedUpTo > from else { return true }
        if sinkCompacted { return onlyCommitted > 0 }
        let unknown = Int64(unattributedCommitted) + removedFromSink
        guard unknown > 0 else { return true }
        return onlyCommitted > 0 || Int64(onlyReplayed) > unknown
    }

    /// Why outputs of this range may be missing from what the sink holds, as clauses of the report.
    private var unknownOutputs: [String] {
        var reasons: [String] = []
        if unattributedCommitted > 0 {
            reasons.append("\(unattributedCommitted) outputs in the sink carry no `\(SourceHeader.name)` header naming a source "
                + "of this application (written with `sink.source_header: false`, or by another producer), and any of "
                + "them may belong to these inputs")
        }
        if !sinkTrimmedBelow.isEmpty {
            let starts = sinkTrimmedBelow.sorted { $0.key < $1.key }.map { "\($0.key) starts at offset \($0.value)" }
            reasons.append("the sink NO LONGER HOLDS ALL ITS OUTPUTS (\(starts.joined(separator: ", ")): retention or a DeleteRecords "
                + "removed the records below), and any of those \(removedFromSink) records may have been outputs of these inputs")
        }
        if sinkCompacted {
            reasons.append("the sink is COMPACTED (its `cleanup.policy` includes `compact`): it may have dropped any output that a newer "
                + "one of the same key followed, and any of those may have been outputs of these inputs")
        }
        return reasons
    }

    /// Whether the replay's outputs differ from the committed ones for the same inputs.
    public var differs: Bool { isComparable && (onlyCommitted > 0 || onlyReplayed > 0) }

    public var description: String {
        var line = "\(partition): offsets \(from)..<\(to) would emit \(outputs) outputs and \(deadLetters) dead letters"
            + (deadLettersCompared ? " (dead letters go to the sink topic, so they are compared too)" : "")
        if let readFrom, readFrom > from, to > from {
            line += "; offsets \(from)..<\(min(readFrom, to)) are NO LONGER IN THE LOG (retention or a DeleteRecords removed them): "
                + "they were not replayed, and their committed outputs are left out of the comparison"
        }
        if let committedUpTo, committedUpTo > from {
            if !isComparable {
                line += "; for \(from)..<\(committedUpTo) they CANNOT BE COMPARED with the committed output: "
                    + unknownOutputs.joined(separator: "; and ")
                    + "; \(matching) replayed outputs match, \(onlyReplayed) have no twin in what the sink holds"
            } else if onlyCommitted == 0, onlyReplayed == 0 {
                line += "; for \(from)..<\(committedUpTo) they match the \(matching) committed outputs"
            } else {
                line += "; for \(from)..<\(committedUpTo) they DIFFER from the committed output: \(matching) match, "
                    + "\(onlyCommitted) committed but not replayed, \(onlyReplayed) replayed but not committed"
                    + (firstDifference.map { ", first at offset \($0)" } ?? "")
                // The difference is certain, its counts are not: some replayed outputs may have
                // had twins among the unknown ones.
                if Int64(unattributedCommitted) + removedFromSink > 0 || sinkCompacted, onlyReplayed > 0 {
                    line += " (of those replayed but not committed, some may have twins the sink no longer holds or cannot attribute: "
                        + unknownOutputs.joined(separator: "; and ") + ")"
                }
            }
        }
        return line
    }
}
