import Foundation
import CoreMetrics

/// Turns librdkafka's statistics (a JSON document every `statistics.interval.ms`) into
/// swift-metrics gauges named `kafka_client_<field>`, labelled with the client's name.
///
/// Records the top-level counters an operator watches: messages and bytes queued, sent and
/// received, reply queue depth, and the consumer's summed lag.
final class StatisticsBridge: Sendable {
    private let clientName: String
    private let gauges: [String: Gauge]
    private static let fields = [
        "msg_cnt", "msg_size", "replyq", "tx", "tx_bytes", "rx", "rx_bytes", "txmsgs", "rxmsgs",
    ]

    init(clientName: String, factory: any MetricsFactory) {
        self.clientName = clientName
        var gauges: [String: Gauge] = [:]
        for field in Self.fields + ["consumer_lag"] {
            gauges[field] = Gauge(label: "kafka_client_\(field)", dimensions: [("client", clientName)], factory: factory)
        }
        self.gauges = gauges
    }

    /// Records the figures of one statistics document; a document that does not parse is ignored.
    func record(json: UnsafeRawBufferPointer) {
        guard
            let object = try? JSONSerialization.jsonObject(with: Data(json)),
            let top = object as? [String: Any]
        else { return }
        for field in Self.fields {
            if let value = (top[field] as? NSNumber)?.doubleValue {
                gauges[field]?.record(value)
            }
        }
        var lag = 0.0
        if let topics = top["topics"] as? [String: Any] {
            for case let topic as [String: Any] in topics.values {
                guard let partitions = topic["partitions"] as? [String: Any] else { continue }
                for case let partition as [String: Any] in partitions.values {
                    if let partitionLag = (partition["consumer_lag"] as? NSNumber)?.doubleValue, partitionLag > 0 {
                        lag += partitionLag
                    }
                }
            }
        }
        gauges["consumer_lag"]?.record(lag)
    }
}
