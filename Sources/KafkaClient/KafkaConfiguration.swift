import CoreMetrics

/// Settings shared by every Kafka client: where the cluster is, who we are, and any librdkafka
/// property passed through as it is (security, timeouts, tuning).
///
/// Every property is checked by librdkafka when a client is created; an unknown key or a bad
/// value fails with librdkafka's message and the key named.
public struct KafkaConfiguration: Sendable {
    /// `host:port` of one or more brokers to bootstrap from.
    public var bootstrapServers: [String]
    /// `client.id`, shown in broker logs and metrics.
    public var clientID: String
    /// How often librdkafka reports statistics to swift-metrics; `nil` turns statistics off.
    public var statisticsInterval: Duration?
    /// Where statistics go; `nil` means swift-metrics' bootstrapped `MetricsSystem.factory`.
    public var metricsFactory: (any MetricsFactory)?
    /// librdkafka properties passed through verbatim (e.g. `security.protocol`,
    /// `sasl.mechanism`, `ssl.ca.location`). Applied after the typed fields, so a property
    /// here overrides the typed field that sets the same key.
    public var properties: [String: String]

    /// Settings for the cluster at `bootstrapServers`.
    public init(
        bootstrapServers: [String],
        clientID: String = "exactly",
        statisticsInterval: Duration? = nil,
        metricsFactory: (any MetricsFactory)? = nil,
        properties: [String: String] = [:]
    ) {
        self.metricsFactory = metricsFactory
        self.bootstrapServers = bootstrapServers
        self.clientID = clientID
        self.statisticsInterval = statisticsInterval
        self.properties = properties
    }

    /// The typed fields as librdkafka properties, in the order they are applied.
    var typedProperties: [(String, String)] {
        var result: [(String, String)] = [
            ("bootstrap.servers", bootstrapServers.joined(separator: ",")),
            ("client.id", clientID),
        ]
        if let statisticsInterval {
            result.append(("statistics.interval.ms", String(statisticsInterval.milliseconds)))
        }
        return result
    }

    /// The statistics bridge for a client, when statistics are on.
    func makeStatisticsBridge() -> StatisticsBridge? {
        guard statisticsInterval != nil else { return nil }
        return StatisticsBridge(clientName: clientID, factory: metricsFactory ?? MetricsSystem.factory)
    }

    /// Typed fields first, then the pass-through properties sorted by key (deterministic).
    func librdkafkaProperties(adding specific: [(String, String)]) -> [(String, String)] {
        typedProperties + specific + properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}

extension Duration {
    /// The duration in whole milliseconds, rounded down (what librdkafka's `*.ms` settings take).
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// The duration in whole milliseconds as the `Int32` that librdkafka's timeouts take,
    /// clamped to `Int32.max`.
    var timeoutMilliseconds: Int32 {
        Int32(clamping: milliseconds)
    }
}
