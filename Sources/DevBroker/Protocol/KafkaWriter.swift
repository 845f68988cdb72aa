import NIOCore

/// Writes Kafka protocol primitives into a response, classic and flexible ("compact") forms.
struct KafkaWriter {
    /// Where the next bytes go.
    var buffer: ByteBuffer
    /// Finished pieces of the response, in order, before `buffer`: written bytes alternating with
    /// attached stored batches, which go to the socket as they are (one writev, no copy).
    private(set) var parts: [ByteBuffer] = []
    let flexible: Bool
    private let allocator = ByteBufferAllocator()

    /// Below this size a stored batch is copied: a gather write of many tiny pieces costs more
    /// than the copy it saves.
    static let attachThreshold = 4096

    init(buffer: ByteBuffer, flexible: Bool = false) {
        self.buffer = buffer
        self.flexible = flexible
    }

    mutating func int8(_ v: Int8) { buffer.writeInteger(v) }
    mutating func int16(_ v: Int16) { buffer.writeInteger(v) }
    mutating func int32(_ v: Int32) { buffer.writeInteger(v) }
    mutating func int64(_ v: Int64) { buffer.writeInteger(v) }
    mutating func bool(_ v: Bool) { buffer.writeInteger(v ? 1 : 0 as Int8) }

    mutating func uvarint(_ value: UInt32) {
        var v = value
        while v >= 0x80 {
            buffer.writeInteger(UInt8(v & 0x7f | 0x80))
            v >>= 7
        }
        buffer.writeInteger(UInt8(v))
    }

    mutating func string(_ s: String?) {
        guard let s else {
            if flexible { uvarint(0) } else { int16(-1) }
            return
        }
        let count = s.utf8.count
        if flexible { uvarint(UInt32(count + 1)) } else { int16(Int16(truncatingIfNeeded: count)) }
        buffer.writeString(s)
    }

    mutating func bytes(_ b: ByteBuffer?) {
        guard let b else {
            if flexible { uvarint(0) } else { int32(-1) }
            return
        }
        if flexible { uvarint(UInt32(b.readableBytes + 1)) } else { int32(Int32(b.readableBytes)) }
        buffer.writeImmutableBuffer(b)
    }

    mutating func arrayCount(_ count: Int) {
        if flexible { uvarint(UInt32(count + 1)) } else { int32(Int32(count)) }
    }

    mutating func array<T>(_ elements: [T], _ write: (inout KafkaWriter, T) -> Void) {
        arrayCount(elements.count)
        for e in elements { write(&self, e) }
    }

    /// Appends stored bytes by reference when they are large, by copy when small.
    mutating func attach(_ bytes: ByteBuffer) {
        guard bytes.readableBytes >= Self.attachThreshold else {
            buffer.writeImmutableBuffer(bytes)
            return
        }
        parts.append(buffer)
        parts.append(bytes)
        buffer = allocator.buffer(capacity: 256)
    }

    /// Every piece of the response, in order.
    mutating func finish() -> [ByteBuffer] {
        parts.append(buffer)
        buffer = ByteBuffer()
        let all = parts
        parts = []
        return all
    }

    /// An empty tagged-field section (flexible versions only).
    mutating func taggedFields() {
        if flexible { uvarint(0) }
    }
}
