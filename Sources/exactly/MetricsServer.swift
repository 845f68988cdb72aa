import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import Runtime

/// The metrics endpoint of `exactly run --metrics-port`: `GET /metrics` answers with every
/// metric of `registry` in Prometheus' text format; `GET /livez` and `GET /readyz` with 200 or
/// 503 and a line saying why (``ProcessorHealth``); any other path is 404.
///
/// One event-loop thread of its own, so a scrape never waits behind processing (which runs on
/// Dispatch threads) and processing never waits behind a scrape.
final class MetricsServer: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    /// The port it listens on (the one picked when 0 was asked for).
    let port: Int

    private init(group: MultiThreadedEventLoopGroup, channel: any Channel, port: Int) {
        self.group = group
        self.channel = channel
        self.port = port
    }

    /// Listens on `host:port`.
    ///
    /// - Throws: a `MetricsServerError` naming the address when it cannot be bound.
    static func start(host: String, port: Int, registry: PrometheusCollectorRegistry, health: HealthBoard) async throws -> MetricsServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 64)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        try channel.pipeline.syncOperations.addHandler(MetricsRequestHandler(registry: registry, health: health))
                    }
                }
                .bind(host: host, port: port)
                .get()
            return MetricsServer(group: group, channel: channel, port: channel.localAddress?.port ?? port)
        } catch {
            try? await group.shutdownGracefully()
            throw MetricsServerError(description: "cannot serve metrics on \(host):\(port): \(error). Choose another --metrics-port (or --metrics-host).")
        }
    }

    /// Stops listening and closes open connections.
    func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}

/// Why the metrics endpoint could not start.
struct MetricsServerError: Error, CustomStringConvertible {
    let description: String
}

/// Answers one HTTP/1 request at a time on its connection.
private final class MetricsRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let registry: PrometheusCollectorRegistry
    private let health: HealthBoard
    private var request: HTTPRequestHead?

    init(registry: PrometheusCollectorRegistry, health: HealthBoard) {
        self.registry = registry
        self.health = health
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
        case .body:
            break
        case .end:
            guard let head = request else { return }
            request = nil
            respond(to: head, context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let (status, contentType, body): (HTTPResponseStatus, String, [UInt8])
        let readable = head.method == .GET || head.method == .HEAD
        switch path {
        case "/metrics" where readable:
            (status, contentType, body) = (.ok, "text/plain; version=0.0.4; charset=utf-8", registry.emitToBuffer())
        case "/livez" where readable, "/readyz" where readable:
            let current = health.current()
            let verdict = path == "/livez" ? current.liveness(at: .now) : current.readiness(at: .now)
            (status, contentType, body) = (
                verdict.passes ? .ok : .serviceUnavailable, "text/plain; charset=utf-8", Array("\(verdict)\n".utf8)
            )
        default:
            (status, contentType, body) = (
                .notFound, "text/plain; charset=utf-8",
                Array("not found: the metrics are at GET /metrics, liveness at GET /livez, readiness at GET /readyz\n".utf8)
            )
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.count))
        if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if head.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        let keepAlive = head.isKeepAlive
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            if !keepAlive { context.close(promise: nil) }
        }
    }
}
