import Operators

/// An output made while no transaction is open (from a checkpoint's barrier until the next
/// transaction begins), held with what its send needs: it is sent later through the same path
/// as an output sent at once, its source header written on the stack then.
///
/// Kept in this form rather than as a `ProducerRecord`: building the source header into an
/// array per held output, the headers array around it, and finding the topic by name at send
/// time (a lock per record) made a held output cost far more than one sent at once, and at a
/// 100 ms checkpoint interval a good share of the outputs are held.
struct HeldOutput: Sendable {
    /// The output, as the pipeline made it.
    var record: OutputRecord
    /// Whether it goes to the dead-letter topic rather than the sink.
    var isDeadLetter: Bool
    /// `<topic>/<partition>/` of the input record it came from (``SourceHeader``).
    var sourcePrefix: [UInt8]
    /// The offset of that input record.
    var sourceOffset: Int64

    /// The bytes it counts for against the lane's held-back capacity.
    var size: Int { record.value.count + (record.key?.count ?? 0) + 64 }
}
