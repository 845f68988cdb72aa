/// An accumulator read from state is shorter than this pipeline's aggregation needs: the state
/// was written by a pipeline whose operators changed since (state is keyed by operator
/// position, not by a fingerprint of the pipeline).
///
/// Not a record's fault, so never a dead letter: ``PartitionProcessor`` stops the pipeline on it
/// whatever its error policy, before a wrong result can be committed.
struct AccumulatorShapeError: Error, CustomStringConvertible {
    let storedBytes: Int
    let neededBytes: Int

    var description: String {
        "a stored accumulator has \(storedBytes) bytes where this aggregation needs \(neededBytes): "
            + "the state was written by a pipeline of another shape. Run the changed pipeline under a new "
            + "application id, or go back to the pipeline that wrote this checkpoint"
    }
}
