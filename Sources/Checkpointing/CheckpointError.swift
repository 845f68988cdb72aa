/// Why a checkpoint could not be written, read, verified or restored.
///
/// Every error names what it can of the checkpoint, the partition and the file, carries the
/// numbers that disagree (expected and actual checksum or size), and says what to do. Its
/// ``description`` is a sentence a person can act on, for example:
/// "checkpoint `app-7` for orders-3 fails its checksum: file …/app-7.delta (manifest says
/// 0x1f2e3d4c, file has 0x9a41b2c3); restore from an older checkpoint".
public struct CheckpointError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure. New codes may be added; match the ones you handle.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case manifestMissing, manifestCorrupt, incompleteWrite, fileMissing, fileSizeMismatch
            case fileChecksumMismatch, fileMalformed, partitionNotInCheckpoint, keyCountMismatch
            case checkpointExists, noUsableCheckpoint, invalidArgument, unsupportedFormatVersion, ioFailure
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// No manifest exists for the checkpoint id.
        public static let manifestMissing = Code(.manifestMissing)
        /// The manifest's checksum, framing or JSON is wrong.
        public static let manifestCorrupt = Code(.manifestCorrupt)
        /// Only temporary files of the checkpoint exist: its write was interrupted (torn).
        public static let incompleteWrite = Code(.incompleteWrite)
        /// A state file the manifest lists does not exist.
        public static let fileMissing = Code(.fileMissing)
        /// A state file's size differs from the manifest's.
        public static let fileSizeMismatch = Code(.fileSizeMismatch)
        /// A state file's CRC-32C differs from the manifest's or from its own trailer.
        public static let fileChecksumMismatch = Code(.fileChecksumMismatch)
        /// A state file has the right checksum but cannot be decoded (wrong magic, kind, count).
        public static let fileMalformed = Code(.fileMalformed)
        /// The checkpoint does not hold the partition.
        public static let partitionNotInCheckpoint = Code(.partitionNotInCheckpoint)
        /// Restored state has a different number of keys than the manifest records.
        public static let keyCountMismatch = Code(.keyCountMismatch)
        /// A checkpoint with this id already exists; ids must be unique per application.
        public static let checkpointExists = Code(.checkpointExists)
        /// No checkpoint holding the partition verifies.
        public static let noUsableCheckpoint = Code(.noUsableCheckpoint)
        /// An argument cannot be used (an empty id, a topic that cannot name a directory).
        public static let invalidArgument = Code(.invalidArgument)
        /// A manifest or state file was written by a newer format version.
        public static let unsupportedFormatVersion = Code(.unsupportedFormatVersion)
        /// The operating system refused a file operation.
        public static let ioFailure = Code(.ioFailure)

        /// The code's name, e.g. `fileChecksumMismatch`.
        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// The checkpoint concerned, if any.
    public var checkpointID: String?
    /// The partition concerned, if any.
    public var partition: PartitionID?
    /// The path of the file concerned, if any.
    public var file: String?
    /// The checksum the manifest records, when checksums disagree.
    public var expectedChecksum: UInt32?
    /// The checksum of the bytes found, when checksums disagree.
    public var actualChecksum: UInt32?
    /// The size the manifest records, when sizes disagree.
    public var expectedSize: Int64?
    /// The size found, when sizes disagree.
    public var actualSize: Int64?
    /// What went wrong, in words.
    public var reason: String
    /// What to do about it.
    public var remedy: String

    /// An error of kind `code`; see the properties for what each argument means.
    public init(
        _ code: Code, checkpointID: String? = nil, partition: PartitionID? = nil, file: String? = nil,
        expectedChecksum: UInt32? = nil, actualChecksum: UInt32? = nil,
        expectedSize: Int64? = nil, actualSize: Int64? = nil, reason: String, remedy: String
    ) {
        self.code = code
        self.checkpointID = checkpointID
        self.partition = partition
        self.file = file
        self.expectedChecksum = expectedChecksum
        self.actualChecksum = actualChecksum
        self.expectedSize = expectedSize
        self.actualSize = actualSize
        self.reason = reason
        self.remedy = remedy
    }

    /// One sentence: subject, reason, the numbers, the file, then the remedy.
    public var description: String {
        var subject = "checkpoint"
        if let checkpointID { subject += " `\(checkpointID)`" }
        if let partition { subject += " for \(partition)" }
        var text = "\(subject) \(reason)"
        var numbers: [String] = []
        if let expectedChecksum, let actualChecksum {
            numbers.append("manifest says \(CRC32C.hex(expectedChecksum)), file has \(CRC32C.hex(actualChecksum))")
        }
        if let expectedSize, let actualSize {
            numbers.append("manifest says \(expectedSize) bytes, file has \(actualSize)")
        }
        if !numbers.isEmpty { text += " (" + numbers.joined(separator: "; ") + ")" }
        if let file { text += "; file \(file)" }
        return text + "; " + remedy
    }

    /// The error with `checkpointID` and `partition` filled in where it had none.
    func naming(checkpointID: String?, partition: PartitionID?) -> CheckpointError {
        var copy = self
        copy.checkpointID = copy.checkpointID ?? checkpointID
        copy.partition = copy.partition ?? partition
        return copy
    }
}
