import KeyedState

/// Whether a state file holds a partition's whole state or the changes since the file before it.
public enum StateFileKind: String, Sendable, Codable, Hashable {
    /// Every live entry: the base of a chain.
    case full
    /// Entries put and deleted since the previous file of the chain.
    case delta

    var code: UInt8 { self == .full ? 1 : 2 }
}

/// The binary format of a state file, version 1. One file holds one partition's entries (a
/// full base) or changes (a delta). All integers are little-endian.
///
/// ```
/// header, 24 bytes
///   0  8  magic "EXCKSTAT"
///   8  2  format version (1)
///  10  1  kind: 1 = full, 2 = delta
///  11  1  flags (0)
///  12  8  record count
///  20  4  reserved (0)
/// records, one per entry
///      1  operation: 1 = put, 2 = delete (a full file holds only puts)
///      v  key length (unsigned LEB128), then the key's bytes
///      v  value length (unsigned LEB128), then the value's bytes   (puts only)
/// trailer, 16 bytes
///   0  4  magic "EXND"
///   4  8  length of the records section in bytes
///  12  4  CRC-32C of every byte of the file before this field
/// ```
///
/// The trailer comes last so that a file cut short anywhere fails to decode; its checksum makes
/// the file self-checking even without its manifest. The manifest records the same checksum
/// and the file's size, which ties the file to the manifest: a different valid file put in its
/// place fails. (A CRC over a message followed by its own CRC is a constant, which is why the
/// manifest does not record the CRC of all bytes.)
enum StateFileFormat {
    static let magic: [UInt8] = Array("EXCKSTAT".utf8)
    static let trailerMagic: [UInt8] = Array("EXND".utf8)
    static let version: UInt16 = 1
    static let headerSize = 24
    static let trailerSize = 16
    static let put: UInt8 = 1
    static let delete: UInt8 = 2

    static func header(kind: StateFileKind, recordCount: Int) -> [UInt8] {
        var bytes = magic
        bytes.appendLittleEndian(version)
        bytes.append(kind.code)
        bytes.append(0)
        bytes.appendLittleEndian(UInt64(recordCount))
        bytes.appendLittleEndian(UInt32(0))
        return bytes
    }
}

/// Streams one state file to disk: header, records, trailer, then an atomic rename.
struct StateFileWriter: ~Copyable {
    private var file: AtomicFileWriter
    private var buffer: [UInt8] = []
    private var checksum = CRC32C()
    private var recordBytes: UInt64 = 0
    private var written = 0
    private let declared: Int
    private static let flushThreshold = 1 << 20

    /// Starts the file at `path` that will hold exactly `recordCount` records of `kind`.
    init(path: String, kind: StateFileKind, recordCount: Int) throws {
        file = try AtomicFileWriter(path: path)
        declared = recordCount
        buffer.reserveCapacity(StateFileWriter.flushThreshold + 4096)
        buffer.append(contentsOf: StateFileFormat.header(kind: kind, recordCount: recordCount))
    }

    /// Appends a put of `value` for `key`.
    mutating func put(_ key: StateKey, _ value: UnsafeRawBufferPointer) throws {
        let start = buffer.count
        buffer.append(StateFileFormat.put)
        key.withUnsafeBytes { appendBytes($0) }
        appendBytes(value)
        try recorded(buffer.count - start)
    }

    /// Appends a deletion of `key`.
    mutating func delete(_ key: StateKey) throws {
        let start = buffer.count
        buffer.append(StateFileFormat.delete)
        key.withUnsafeBytes { appendBytes($0) }
        try recorded(buffer.count - start)
    }

    /// Writes the trailer and renames the file into place, durably; returns its size and its
    /// checksum (the trailer's: the CRC-32C of every byte before it).
    mutating func finish() throws -> (size: Int64, crc32c: UInt32) {
        precondition(written == declared, "state file declared \(declared) records but got \(written)")
        buffer.append(contentsOf: StateFileFormat.trailerMagic)
        buffer.appendLittleEndian(recordBytes)
        checksum.update(buffer)
        buffer.appendLittleEndian(checksum.value)
        try file.append(buffer)
        buffer.removeAll()
        try file.commit()
        return (file.size, checksum.value)
    }

    /// Removes the partly written file.
    mutating func abandon() {
        file.abandon()
    }

    var temporaryPath: String { file.temporaryPath }

    private mutating func appendBytes(_ bytes: UnsafeRawBufferPointer) {
        var length = UInt64(bytes.count)
        while length >= 0x80 {
            buffer.append(UInt8(truncatingIfNeeded: length) | 0x80)
            length >>= 7
        }
        buffer.append(UInt8(length))
        buffer.append(contentsOf: bytes)
    }

    private mutating func recorded(_ size: Int) throws {
        written += 1
        recordBytes += UInt64(size)
        if buffer.count >= StateFileWriter.flushThreshold {
            checksum.update(buffer)
            try file.append(buffer)
            buffer.removeAll(keepingCapacity: true)
        }
    }
}

/// Reads a state file that has already been read whole into memory.
struct StateFileReader {
    /// One record: a put (with a value) or a deletion (value `nil`).
    typealias Record = (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer?)

    /// Checks `bytes` against `reference` (size, CRC-32C) and against themselves
    /// (trailer checksum, magic, version, kind), then calls `body` for every record in order.
    ///
    /// - Throws: ``CheckpointError`` naming `path` and the numbers that disagree; `body` is
    ///   never called for a file that fails a check.
    static func read(
        _ bytes: [UInt8], path: String, reference: StateFileReference, body: (Record) throws -> Void
    ) throws {
        try check(bytes, path: path, reference: reference)
        try bytes.withUnsafeBytes { raw in
            var offset = StateFileFormat.headerSize
            let end = raw.count - StateFileFormat.trailerSize
            let count = raw.loadUnaligned(fromByteOffset: 12, as: UInt64.self).littleEndian
            var seen: UInt64 = 0
            while offset < end {
                let operation = raw[offset]
                offset += 1
                guard operation == StateFileFormat.put || operation == StateFileFormat.delete,
                      let key = slice(raw, &offset, end)
                else { throw malformed(path, "record \(seen) at byte \(offset) is not a valid record") }
                if operation == StateFileFormat.put {
                    guard let value = slice(raw, &offset, end) else {
                        throw malformed(path, "record \(seen) at byte \(offset) has a value past the records' end")
                    }
                    try body((key, value))
                } else {
                    guard reference.kind == .delta else {
                        throw malformed(path, "a full file holds a deletion (record \(seen))")
                    }
                    try body((key, nil))
                }
                seen += 1
            }
            guard seen == count else {
                throw malformed(path, "holds \(seen) records but its header says \(count)")
            }
        }
    }

    /// Throws when a file of `size` bytes cannot be the one `reference` names.
    static func checkSize(_ size: Int64, path: String, reference: StateFileReference) throws {
        guard size == reference.size else {
            throw CheckpointError(
                .fileSizeMismatch, file: path, expectedSize: reference.size, actualSize: size,
                reason: "has a state file of the wrong size",
                remedy: "the file was truncated or overwritten; restore from an older checkpoint")
        }
    }

    /// The bytes of the state file at `path`, or `nil` when it is missing. A file whose size
    /// is not the manifest's is refused before it is read: a damaged or replaced file could be
    /// of any size, and reading it whole first could exhaust memory.
    static func bytes(at path: String, reference: StateFileReference) throws -> [UInt8]? {
        try DurableFiles.readAll(path) { try checkSize($0, path: path, reference: reference) }
    }

    /// The checks of ``read(_:path:reference:body:)`` without decoding the records.
    static func check(_ bytes: [UInt8], path: String, reference: StateFileReference) throws {
        try checkSize(Int64(bytes.count), path: path, reference: reference)
        let computed = bytes.withUnsafeBytes { raw in
            var crc = CRC32C()
            crc.update(UnsafeRawBufferPointer(rebasing: raw[..<Swift.max(0, raw.count - 4)]))
            return crc.value
        }
        guard computed == reference.crc32c else {
            throw CheckpointError(
                .fileChecksumMismatch, file: path, expectedChecksum: reference.crc32c, actualChecksum: computed,
                reason: "has a state file that fails its checksum",
                remedy: "the file is damaged or was replaced; restore from an older checkpoint")
        }
        guard bytes.count >= StateFileFormat.headerSize + StateFileFormat.trailerSize,
              bytes.starts(with: StateFileFormat.magic)
        else { throw malformed(path, "does not start with the state file magic \"EXCKSTAT\"") }
        let version = UInt16(bytes[8]) | UInt16(bytes[9]) << 8
        guard version == StateFileFormat.version else {
            throw CheckpointError(
                .unsupportedFormatVersion, file: path,
                reason: "has a state file of format version \(version); this build reads version \(StateFileFormat.version)",
                remedy: "restore with the version of Exactly that wrote it")
        }
        guard bytes[10] == reference.kind.code else {
            throw malformed(path, "is of kind \(bytes[10]) but the manifest says \(reference.kind.rawValue)")
        }
        let trailer = bytes.count - StateFileFormat.trailerSize
        guard Array(bytes[trailer..<(trailer + 4)]) == StateFileFormat.trailerMagic else {
            throw malformed(path, "has no trailer: it was cut short")
        }
        let stored = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: bytes.count - 4, as: UInt32.self).littleEndian }
        guard stored == computed else {
            throw CheckpointError(
                .fileChecksumMismatch, file: path, expectedChecksum: stored, actualChecksum: computed,
                reason: "has a state file whose trailer checksum does not match its bytes",
                remedy: "the file is damaged; restore from an older checkpoint")
        }
    }

    private static func slice(_ raw: UnsafeRawBufferPointer, _ offset: inout Int, _ end: Int) -> UnsafeRawBufferPointer? {
        var length: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < end, shift < 64 else { return nil }
            let byte = raw[offset]
            offset += 1
            length |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
        }
        guard length <= UInt64(end - offset) else { return nil }
        let start = offset
        offset += Int(length)
        return UnsafeRawBufferPointer(rebasing: raw[start..<offset])
    }

    private static func malformed(_ path: String, _ what: String) -> CheckpointError {
        CheckpointError(
            .fileMalformed, file: path, reason: "has a state file that \(what)",
            remedy: "the file was not written by this format; restore from an older checkpoint")
    }
}

extension Array where Element == UInt8 {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
