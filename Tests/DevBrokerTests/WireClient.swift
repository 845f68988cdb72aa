import ExactlyTesting
import NIOCore
import NIOPosix
@testable import DevBroker

/// A bare Kafka-protocol connection for tests: sends hand-built frames, receives raw response
/// frames, and sees when the broker closes the connection.
struct WireClient: Sendable {
    let channel: Channel
    let frames: AsyncStream<ByteBuffer>

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let continuation: AsyncStream<ByteBuffer>.Continuation
        init(_ continuation: AsyncStream<ByteBuffer>.Continuation) { self.continuation = continuation }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            continuation.yield(unwrapInboundIn(data))
        }
        func channelInactive(context: ChannelHandlerContext) {
            continuation.finish()
        }
        func errorCaught(context: ChannelHandlerContext, error: Error) {
            context.close(promise: nil)
        }
    }

    static func connect(port: Int, group: EventLoopGroup) async throws -> WireClient {
        let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(Collector(continuation))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        return WireClient(channel: channel, frames: stream)
    }

    /// Sends a request with a v1 or v2 header (by the API's flexibility) and the given body.
    func send(_ key: Int16, version: Int16, correlationId: Int32, flexibleHeader: Bool = false, body: ByteBuffer) async throws {
        var frame = ByteBuffer()
        frame.writeInteger(Int32(0))
        frame.writeInteger(key)
        frame.writeInteger(version)
        frame.writeInteger(correlationId)
        frame.writeInteger(Int16(4))
        frame.writeString("test")
        if flexibleHeader { frame.writeInteger(UInt8(0)) }
        frame.writeImmutableBuffer(body)
        frame.setInteger(Int32(frame.readableBytes - 4), at: 0)
        try await sendRaw(frame)
    }

    func sendRaw(_ bytes: ByteBuffer) async throws {
        try await channel.writeAndFlush(bytes)
    }

    /// The next response frame, or nil once the broker has closed the connection.
    func next() async -> ByteBuffer? {
        var iterator = frames.makeAsyncIterator()
        return await iterator.next()
    }

    func close() async {
        try? await channel.close()
    }
}

extension WireClient {
    /// Runs `body` with a development broker and an event loop group for wire clients, both
    /// stopped afterwards, also when `body` throws.
    static func withBroker(_ body: (DevBroker, EventLoopGroup) async throws -> Void) async throws {
        let broker = try await TestKafka.startBroker()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            try await body(broker, group)
        } catch {
            await broker.stop()
            try? await group.shutdownGracefully()
            throw error
        }
        await broker.stop()
        try await group.shutdownGracefully()
    }
}
