import NIOCore

/// A response body that can write itself at the request's version.
protocol KafkaResponseBody: Sendable {
    func encode(into w: inout KafkaWriter, version: Int16)
}


extension KafkaResponseBody {
    /// The whole frame (size, correlation id, header tagged fields when flexible, body) as the
    /// pieces to write in order: one buffer, or several when stored batches were attached.
    func frame(correlationId: Int32, key: ApiKey, version: Int16, allocator: ByteBufferAllocator) -> [ByteBuffer] {
        var w = KafkaWriter(buffer: allocator.buffer(capacity: 256), flexible: key.isFlexible(version))
        w.int32(0)
        w.int32(correlationId)
        if key.responseHeaderIsFlexible(version) { w.uvarint(0) }
        encode(into: &w, version: version)
        var parts = w.finish()
        let size = parts.reduce(0) { $0 + $1.readableBytes } - 4
        parts[0].setInteger(Int32(size), at: parts[0].readerIndex)
        return parts
    }
}
