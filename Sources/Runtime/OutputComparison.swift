/// The `--dry-run` comparison of one input partition's committed outputs with its replayed
/// ones, each output known by the input offset it came from and a digest of its value.
///
/// The committed side is held as one flat array of (offset, digest) pairs, 16 bytes an output
/// (up to twice that while the sink is read and the array grows), sorted once; the replay is compared as it runs, record by record in offset order (a
/// partition's records arrive in order), and keeps nothing. Holding both sides in dictionaries
/// of arrays took about 60 bytes an output on each side, several GB for a range of 100 million.
///
/// Outputs are compared per input offset as multisets: a record's outputs may come in another
/// order, but each committed output needs its own replayed twin.
struct OutputComparison {
    /// The committed outputs: sorted by offset, then digest, after ``init(committed:)``.
    private var committed: [(offset: Int64, digest: Int)]
    /// The first committed output not yet matched against the replay or counted as missing.
    private var next = 0
    /// Replayed outputs that have a committed twin.
    private(set) var matching = 0
    /// Committed outputs the replay did not make (known once the replay has passed them).
    private(set) var onlyCommitted = 0
    /// Replayed outputs without a committed twin.
    private(set) var onlyReplayed = 0
    /// The lowest input offset whose outputs differ.
    private(set) var firstDifference: Int64?

    /// Starts a comparison against `committed`, in any order.
    init(committed: [(offset: Int64, digest: Int)]) {
        self.committed = committed
        self.committed.sort { ($0.offset, $0.digest) < ($1.offset, $1.digest) }
    }

    /// Compares the outputs the replay made for the record at `offset` (their digests, in
    /// ascending order), which should be above any offset given before: a record given again, or
    /// out of order, finds no committed twins left and counts as replayed only. Call it for every
    /// replayed record in the compared range, with or without outputs, so that committed outputs
    /// of a record that now makes none are counted.
    mutating func replayed(offset: Int64, sortedDigests digests: [Int]) {
        passCommitted(below: offset)
        // The committed outputs of this record are next ..< end, sorted by digest.
        var end = next
        while end < committed.count, committed[end].offset == offset { end += 1 }
        var unmatched = end - next
        // Both sides sorted by digest, then merged.
        var candidate = next
        for digest in digests {
            while candidate < end, committed[candidate].digest < digest { candidate += 1 }
            if candidate < end, committed[candidate].digest == digest {
                matching += 1
                unmatched -= 1
                candidate += 1
            } else {
                onlyReplayed += 1
                noteDifference(at: offset)
            }
        }
        if unmatched > 0 {
            onlyCommitted += unmatched
            noteDifference(at: offset)
        }
        next = end
    }

    /// Ends the comparison: committed outputs the replay never reached count as missing.
    mutating func finish() {
        passCommitted(below: .max)
    }

    /// Counts the committed outputs below `offset` not yet compared as made by no replayed record.
    private mutating func passCommitted(below offset: Int64) {
        while next < committed.count, committed[next].offset < offset {
            onlyCommitted += 1
            noteDifference(at: committed[next].offset)
            next += 1
        }
    }

    /// The lowest, not the first found: a record given out of order may differ below one before it.
    private mutating func noteDifference(at offset: Int64) {
        firstDifference = min(firstDifference ?? offset, offset)
    }
}
