/// The byte encodings operators use for state keys and values.
///
/// Times are written big-endian with the sign bit flipped, so that byte-wise order (how
/// ``KeyedState/StateKey`` sorts) is numeric order, negative times included.
enum StateBytes {
    static func appendOrdered(_ value: Int64, to bytes: inout [UInt8]) {
        let bits = UInt64(bitPattern: value) ^ (1 << 63)
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift)))
        }
    }

    static func readOrdered(_ bytes: ArraySlice<UInt8>) -> Int64 {
        var bits: UInt64 = 0
        var index = bytes.startIndex
        for _ in 0..<8 {
            bits = bits << 8 | UInt64(bytes[index])
            index += 1
        }
        return Int64(bitPattern: bits ^ (1 << 63))
    }

    static func ordered(_ value: Int64) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8)
        appendOrdered(value, to: &bytes)
        return bytes
    }

    static func appendInt64(_ value: Int64, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    static func appendDouble(_ value: Double, to bytes: inout [UInt8]) {
        appendInt64(Int64(bitPattern: value.bitPattern), to: &bytes)
    }

    static func readInt64(_ bytes: ArraySlice<UInt8>, at offset: Int) -> Int64 {
        var value: UInt64 = 0
        let start = bytes.startIndex + offset
        for index in 0..<8 {
            value |= UInt64(bytes[start + index]) << UInt64(8 * index)
        }
        return Int64(bitPattern: value)
    }

    static func readDouble(_ bytes: ArraySlice<UInt8>, at offset: Int) -> Double {
        Double(bitPattern: UInt64(bitPattern: readInt64(bytes, at: offset)))
    }

    /// A length-prefixed byte string, for values that hold several variable-length parts.
    static func appendBlob(_ blob: [UInt8], to bytes: inout [UInt8]) {
        appendInt64(Int64(blob.count), to: &bytes)
        bytes.append(contentsOf: blob)
    }

    /// Reads a blob written by ``appendBlob(_:to:)`` at `offset`, advancing it.
    static func readBlob(_ bytes: ArraySlice<UInt8>, at offset: inout Int) -> [UInt8] {
        let count = Int(readInt64(bytes, at: offset))
        let start = bytes.startIndex + offset + 8
        offset += 8 + count
        return Array(bytes[start..<(start + count)])
    }
}
