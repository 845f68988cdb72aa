import Logging
import NIOCore

/// One client connection: answers its requests one at a time, in order, as Kafka does (a
/// broker mutes a connection while it works on a request, so answers never overtake each other).
///
/// A request that cannot be decoded closes the connection with a log line naming the API, the
/// version and the reason; an unsupported ApiVersions version gets Kafka's error answer instead.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let core: BrokerCore
    private let logger: Logger
    private var queue: [ByteBuffer] = []
    private var busy = false
    private var clientHost = ""

    init(core: BrokerCore, logger: Logger) {
        self.core = core
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        // Kafka reports a member's host as "/address" in DescribeGroups.
        if let ip = context.remoteAddress?.ipAddress {
            clientHost = "/" + ip
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        queue.append(unwrapInboundIn(data))
        if !busy { processNext(context: context) }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if !(error is IOError) {
            logger.warning("closing connection from \(clientHost): \(error)")
        }
        context.close(promise: nil)
    }

    private func processNext(context: ChannelHandlerContext) {
        while !queue.isEmpty {
            var frame = queue.removeFirst()
            let header: RequestHeader
            do {
                header = try RequestHeader.decode(&frame)
            } catch {
                logger.warning("closing connection from \(clientHost): unreadable request header (\(error))")
                context.close(promise: nil)
                return
            }
            guard let key = ApiKey(rawValue: header.apiKey) else {
                logger.warning("closing connection from \(clientHost): API key \(header.apiKey) v\(header.apiVersion) is not supported by the development broker")
                context.close(promise: nil)
                return
            }
            guard key.supportedVersions.contains(header.apiVersion) else {
                if key == .apiVersions {
                    // Kafka answers in v0 so the client can read it and retry at a version we have.
                    let response = ApiVersionsResponse(errorCode: .unsupportedVersion)
                    send(response.frame(correlationId: header.correlationId, key: key, version: 0, allocator: context.channel.allocator), context: context)
                    continue
                }
                logger.warning("closing connection from \(clientHost): \(key.name) v\(header.apiVersion) is not supported (versions \(key.supportedVersions.lowerBound)...\(key.supportedVersions.upperBound))")
                context.close(promise: nil)
                return
            }
            let request: KafkaRequest
            do {
                request = try KafkaRequest.decode(key, version: header.apiVersion, body: frame)
            } catch {
                logger.warning("closing connection from \(clientHost): malformed \(key.name) v\(header.apiVersion) request: \(error)")
                context.close(promise: nil)
                return
            }
            var future: EventLoopFuture<BrokerCore.Reply>
            switch core.handle(request, clientId: header.clientId ?? "", clientHost: clientHost, on: context.eventLoop) {
            case .now(let reply):
                guard let delay = core.takeAnswerDelay(for: key) else {
                    write(reply, header: header, key: key, context: context)
                    continue
                }
                // A test holds the answer to a request the broker already applied (a commit, a
                // write): the client's call stays in flight, its outcome unknown to it, for `delay`.
                let core = self.core
                future = context.eventLoop.scheduleTask(in: delay) {
                    core.releaseHeldAnswer(for: key)
                    return reply
                }.futureResult
            case .later(let f):
                future = f
            case .close:
                // The data directory failed (logged once by the broker): say nothing more.
                context.close(promise: nil)
                return
            }
            busy = true
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            future.hop(to: context.eventLoop).assumeIsolated().whenComplete { result in
                let (handler, context) = loopBound.value
                handler.busy = false
                switch result {
                case .success(let reply):
                    handler.write(reply, header: header, key: key, context: context)
                    if context.channel.isActive { handler.processNext(context: context) }
                case .failure:
                    // Only a stopping broker, or one whose data directory failed, fails a
                    // held-back answer.
                    context.close(promise: nil)
                }
            }
            return
        }
    }

    private func write(_ reply: BrokerCore.Reply, header: RequestHeader, key: ApiKey, context: ChannelHandlerContext) {
        guard let reply else { return }
        send(reply.frame(correlationId: header.correlationId, key: key, version: header.apiVersion, allocator: context.channel.allocator), context: context)
    }

    private func send(_ parts: [ByteBuffer], context: ChannelHandlerContext) {
        for part in parts {
            context.write(wrapOutboundOut(part), promise: nil)
        }
        context.flush()
    }
}
