import NIOCore

/// Reads Kafka protocol primitives from a request body, classic and flexible ("compact") forms.
///
/// Every read is bounds-checked and throws `KafkaDecodeError` instead of trapping, so a malformed
/// frame costs one error response or one closed connection, never the broker.
struct KafkaReader {
    var buffer: ByteBuffer
    /// Whether this message uses the flexible encoding (compact strings, arrays, tagged fields).
    let flexible: Bool

    init(_ buffer: ByteBuffer, flexible: Bool = false) {
        self.buffer = buffer
        self.flexible = flexible
    }

    /// A cap on element counts: a count larger than the remaining bytes cannot be honest, and
    /// trusting it would let a 4-byte frame make us reserve gigabytes.
    private func checkCount(_ count: Int, minElementSize: Int, _ what: String) throws {
        if count < 0 || count > buffer.readableBytes / max(minElementSize, 1) {
            throw KafkaDecodeError("\(what) claims \(count) elements but only \(buffer.readableBytes) bytes remain")
        }
    }

    mutating func int8(_ what: String = "int8") throws -> Int8 {
        guard let v = buffer.readInteger(as: Int8.self) else { throw KafkaDecodeError("truncated \(what)") }
        return v
    }
    mutating func int16(_ what: String = "int16") throws -> Int16 {
        guard let v = buffer.readInteger(as: Int16.self) else { throw KafkaDecodeError("truncated \(what)") }
        return v
    }
    mutating func int32(_ what: String = "int32") throws -> Int32 {
        guard let v = buffer.readInteger(as: Int32.self) else { throw KafkaDecodeError("truncated \(what)") }
        return v
    }
    mutating func int64(_ what: String = "int64") throws -> Int64 {
        guard let v = buffer.readInteger(as: Int64.self) else { throw KafkaDecodeError("truncated \(what)") }
        return v
    }
    mutating func bool(_ what: String = "bool") throws -> Bool {
        try int8(what) != 0
    }

    /// An unsigned LEB128 varint, at most 5 bytes (32 bits), as the flexible encoding uses.
    mutating func uvarint(_ what: String = "varint") throws -> UInt32 {
        var result: UInt32 = 0
        var shift: UInt32 = 0
        while true {
            guard let byte = buffer.readInteger(as: UInt8.self) else { throw KafkaDecodeError("truncated \(what)") }
            if shift == 28 && byte > 0x0f { throw KafkaDecodeError("\(what) overflows 32 bits") }
            result |= UInt32(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// The length prefix of a string, bytes or array: -1 means null.
    private mutating func lengthPrefix(_ what: String) throws -> Int {
        if flexible {
            return Int(try uvarint(what)) - 1
        }
        return Int(try int16(what))
    }

    mutating func nullableString(_ what: String = "string") throws -> String? {
        let length = try lengthPrefix(what)
        if length < 0 { return nil }
        guard let s = buffer.readString(length: length) else {
            throw KafkaDecodeError("\(what) claims \(length) bytes but only \(buffer.readableBytes) remain")
        }
        return s
    }

    mutating func string(_ what: String = "string") throws -> String {
        guard let s = try nullableString(what) else { throw KafkaDecodeError("\(what) is null") }
        return s
    }

    /// Bytes (int32 length, or compact) as a slice of the request: no copy.
    mutating func nullableBytes(_ what: String = "bytes") throws -> ByteBuffer? {
        let length: Int
        if flexible {
            length = Int(try uvarint(what)) - 1
        } else {
            length = Int(try int32(what))
        }
        if length < 0 { return nil }
        guard let slice = buffer.readSlice(length: length) else {
            throw KafkaDecodeError("\(what) claims \(length) bytes but only \(buffer.readableBytes) remain")
        }
        return slice
    }

    mutating func bytes(_ what: String = "bytes") throws -> ByteBuffer {
        try nullableBytes(what) ?? ByteBuffer()
    }

    /// An array; a null array reads as empty.
    mutating func array<T>(_ what: String, minElementSize: Int = 1, _ element: (inout KafkaReader) throws -> T) throws -> [T] {
        let count: Int
        if flexible {
            count = Int(try uvarint(what)) - 1
        } else {
            count = Int(try int32(what))
        }
        if count < 0 { return [] }
        try checkCount(count, minElementSize: minElementSize, what)
        var result: [T] = []
        result.reserveCapacity(count)
        for _ in 0..<count {
            result.append(try element(&self))
        }
        return result
    }

    /// An array that may be null (a null topic list in Metadata means "every topic").
    mutating func nullableArray<T>(_ what: String, minElementSize: Int = 1, _ element: (inout KafkaReader) throws -> T) throws -> [T]? {
        let save = buffer
        let count: Int
        if flexible {
            count = Int(try uvarint(what)) - 1
        } else {
            count = Int(try int32(what))
        }
        if count < 0 { return nil }
        buffer = save
        return try array(what, minElementSize: minElementSize, element)
    }

    /// Skips a tagged-field section (flexible versions only; a no-op otherwise).
    mutating func taggedFields() throws {
        guard flexible else { return }
        let count = try uvarint("tagged field count")
        try checkCount(Int(count), minElementSize: 2, "tagged fields")
        for _ in 0..<count {
            _ = try uvarint("tag")
            let size = Int(try uvarint("tagged field size"))
            guard buffer.readableBytes >= size else { throw KafkaDecodeError("tagged field of \(size) bytes is truncated") }
            buffer.moveReaderIndex(forwardBy: size)
        }
    }
}

/// Why a request could not be decoded; logged with the API and version, then the connection closes.
struct KafkaDecodeError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
