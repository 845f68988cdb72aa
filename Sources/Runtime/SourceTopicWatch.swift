/// Decides when a source topic has gone from the cluster under a running processor, and so
/// when the processor stops.
///
/// librdkafka's answer to a deleted source topic is to keep asking for it: the consumer reports
/// "topic does not exist" per partition every second, nothing more is read, and a processor
/// that went on would commit empty checkpoints and report itself ready for as long as anyone
/// let it. A report alone is not proof (a cluster can report a topic missing for a moment while
/// its metadata settles), so the watch waits ``grace`` after the first report, then asks for a
/// check of the cluster's topic list; only a list without a source topic stops the processor.
/// A list that has them all clears the suspicion; a check that fails is tried again after
/// another ``grace``.
///
/// A value: events in, decisions out, no I/O (the processor lists the topics).
struct SourceTopicWatch {
    /// The topics the processor reads.
    let sourceTopics: [String]
    /// How long reports must have gone on before the topic list is checked.
    let grace: Duration

    private var suspectedSince: ContinuousClock.Instant?
    private var checking = false

    init(sourceTopics: [String], grace: Duration) {
        self.sourceTopics = sourceTopics
        self.grace = grace
    }

    /// The consumer reported a subscribed topic or partition missing.
    mutating func missingReported(at now: ContinuousClock.Instant) {
        if suspectedSince == nil { suspectedSince = now }
    }

    /// Whether to list the cluster's topics now; once true, false until ``listed(_:at:)``.
    mutating func checkIsDue(at now: ContinuousClock.Instant) -> Bool {
        guard let since = suspectedSince, !checking, now - since >= grace else { return false }
        checking = true
        return true
    }

    /// The outcome of a check: the cluster's topic names, or why they could not be listed.
    /// Returns the source topics the cluster no longer has (empty: go on).
    mutating func listed(_ outcome: Result<Set<String>, any Error>, at now: ContinuousClock.Instant) -> [String] {
        checking = false
        switch outcome {
        case .success(let existing):
            let missing = sourceTopics.filter { !existing.contains($0) }
            if missing.isEmpty { suspectedSince = nil }
            return missing
        case .failure:
            // Not knowing is no reason to stop: ask again after another grace period.
            suspectedSince = now
            return []
        }
    }

    /// Why the processor stops, and what to do: `missing` are the source topics the cluster's
    /// list (`clusterListing`, "it has ...") no longer has after `grace` of reports.
    static func stopMessage(
        missing: [String], bootstrap: String, clusterListing: String, grace: Duration,
        lastCommitted: CheckpointID?, group: String
    ) -> String {
        let one = missing.count == 1
        let names = missing.map { "`\($0)`" }.joined(separator: ", ")
        let committed = lastCommitted.map { "the last committed checkpoint is \($0), with its offsets and outputs" } ?? "no checkpoint was committed by this run"
        return "source topic\(one ? "" : "s") \(names) no longer exist\(one ? "s" : "") on \(bootstrap) "
            + "(deleted while the processor ran, or this client may no longer see \(one ? "it" : "them"); the consumer reported \(one ? "it" : "them") missing for \(grace), and \(clusterListing)): "
            + "there is nothing more to read, so the processor stops. The open transaction is aborted and everything committed stays as it was (\(committed)). "
            + "If the topic\(one ? " was" : "s were") deleted on purpose: deleting a topic also deletes the consumer group `\(group)`'s committed offsets for it, so a restart on a new topic of the same name is refused; "
            + "start over under a new application id, or delete this application's checkpoint directory first. If not: restore \(one ? "it" : "them") or the client's access, or fix `source.topics`."
    }
}
