import NIOCore

/// A response body that can write itself at the request's version.
protocol KafkaResponseBody: Sendable {
    func encode(into w: inout KafkaWriter, version: Int16)
}


extension KafkaResponseBody {
    /// The whole frame: size, correlation id, header tagged fields when flexible, body.
    func frame(correlationId: Int32, key: ApiKey, version: Int16, allocator: ByteBufferAllocator, capacity: Int = 256) -> ByteBuffer {
        var w = KafkaWriter(buffer: allocator.buffer(capacity: capacity), flexible: key.isFlexible(version))
        w.int32(0)
        w.int32(correlationId)
        if key.responseHeaderIsFlexible(version) { w.uvarint(0) }
        encode(into: &w, version: version)
        w.buffer.setInteger(Int32(w.buffer.readableBytes - 4), at: w.buffer.readerIndex)
        return w.buffer
    }
}
