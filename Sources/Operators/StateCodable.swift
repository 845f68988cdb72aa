/// A value an operator can keep in keyed state: the accumulator of a user-defined aggregate.
///
/// The encoding must round-trip exactly (a checkpoint stores these bytes and a restore decodes
/// them), and it should be compact: it is written on every record.
public protocol StateCodable: Sendable {
    /// Appends this value's bytes.
    func encodeState(into bytes: inout [UInt8])
    /// Decodes a value from the bytes ``encodeState(into:)`` wrote.
    init(decodingState bytes: ArraySlice<UInt8>) throws
}

extension Int64: StateCodable {
    public func encodeState(into bytes: inout [UInt8]) {
        StateBytes.appendInt64(self, to: &bytes)
    }

    public init(decodingState bytes: ArraySlice<UInt8>) throws {
        guard bytes.count == 8 else { throw RecordError(.operatorFailed, "state holds \(bytes.count) bytes, not an Int64") }
        self = StateBytes.readInt64(bytes, at: 0)
    }
}

extension Int: StateCodable {
    public func encodeState(into bytes: inout [UInt8]) {
        StateBytes.appendInt64(Int64(self), to: &bytes)
    }

    public init(decodingState bytes: ArraySlice<UInt8>) throws {
        self = Int(try Int64(decodingState: bytes))
    }
}

extension Double: StateCodable {
    public func encodeState(into bytes: inout [UInt8]) {
        StateBytes.appendDouble(self, to: &bytes)
    }

    public init(decodingState bytes: ArraySlice<UInt8>) throws {
        guard bytes.count == 8 else { throw RecordError(.operatorFailed, "state holds \(bytes.count) bytes, not a Double") }
        self = StateBytes.readDouble(bytes, at: 0)
    }
}

extension String: StateCodable {
    public func encodeState(into bytes: inout [UInt8]) {
        bytes.append(contentsOf: utf8)
    }

    public init(decodingState bytes: ArraySlice<UInt8>) throws {
        self = String(decoding: bytes, as: UTF8.self)
    }
}

extension Array: StateCodable where Element == UInt8 {
    public func encodeState(into bytes: inout [UInt8]) {
        bytes.append(contentsOf: self)
    }

    public init(decodingState bytes: ArraySlice<UInt8>) throws {
        self = Array(bytes)
    }
}
