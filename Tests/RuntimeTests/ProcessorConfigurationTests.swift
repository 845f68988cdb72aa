import Checkpointing
import Foundation
import KafkaClient
import Logging
import Operators
import Runtime
import Testing

@Suite struct ProcessorConfigurationTests {
    let complete = """
        application: order-totals
        instance: "2"
        kafka:
          bootstrap: broker-1:9092,broker-2:9092
          transaction_timeout: 90s
          static_membership: true
          properties:
            security.protocol: SASL_SSL
        source:
          topics: [orders, returns]
        sink:
          topic: order-totals
          dead_letter_topic: orders-dead-letters
        checkpoint:
          dir: /var/lib/exactly
          interval: 500ms
          timeout: 1m
          min_pause: 100
          tolerable_failures: 5
          retained: 4
        processing:
          lanes: 3
        pipeline:
          - key_by: customer
        """

    @Test func readsEverySetting() throws {
        let configuration = try ProcessorConfiguration.parse(yaml: complete, file: "p.yaml")
        #expect(configuration.application == "order-totals")
        #expect(configuration.transactionalID == "order-totals-2")
        #expect(configuration.bootstrapServers == ["broker-1:9092", "broker-2:9092"])
        #expect(configuration.transactionTimeout == .seconds(90))
        #expect(configuration.kafkaProperties == ["security.protocol": "SASL_SSL"])
        #expect(configuration.staticMembership)
        #expect(configuration.sourceTopics == ["orders", "returns"])
        #expect(configuration.sinkTopic == "order-totals")
        #expect(configuration.deadLetterTopic == "orders-dead-letters")
        #expect(configuration.checkpointDirectory == "/var/lib/exactly")
        #expect(configuration.checkpoint == CheckpointSettings(interval: .milliseconds(500), timeout: .seconds(60), minimumPause: .milliseconds(100), tolerableConsecutiveFailures: 5))
        #expect(configuration.retainedCheckpoints == 4)
        #expect(configuration.processingLanes == 3)
        #expect(configuration.pipeline?.sequence?.count == 1)
    }

    @Test func anEmptyPropertiesKeyMeansNoProperties() throws {
        let configuration = try ProcessorConfiguration.parse(yaml: """
            application: a
            kafka:
              properties:        # none yet
            source: {topics: in}
            sink: {topic: out}
            """)
        #expect(configuration.kafkaProperties.isEmpty)
    }

    @Test func defaultsUseTheEmbeddedBroker() throws {
        let configuration = try ProcessorConfiguration.parse(yaml: """
            application: a
            source: {topics: in}
            sink: {topic: out}
            """)
        #expect(configuration.bootstrapServers == nil)
        #expect(configuration.instance == "0")
        #expect(configuration.checkpoint == CheckpointSettings())
        #expect(configuration.processingLanes == nil, "the processor's default: one fewer than the cores, from 1 to 4")
        #expect(configuration.staticMembership, "a restart should take its place in the group at once")
        #expect(configuration.sourceHeader, "outputs name their input unless told otherwise")
    }

    @Test func theDefaultLanesLeaveACoreForTheKafkaSide() {
        let lanes = [1, 2, 3, 4, 5, 8, 64].map { ProcessorSettings.defaultProcessingLanes(cores: $0) }
        #expect(lanes == [1, 1, 2, 3, 4, 4, 4])
    }

    @Test func theSourceHeaderCanBeTurnedOff() throws {
        let configuration = try ProcessorConfiguration.parse(yaml: """
            application: a
            source: {topics: in}
            sink: {topic: out, source_header: false}
            """)
        #expect(!configuration.sourceHeader)
    }

    @Test func staticMembershipCanBeTurnedOff() throws {
        let configuration = try ProcessorConfiguration.parse(yaml: """
            application: a
            kafka: {static_membership: false}
            source: {topics: in}
            sink: {topic: out}
            """)
        #expect(!configuration.staticMembership)
    }

    /// The refusal of a configuration with this `transaction_timeout` and `checkpoint` section.
    func refusal(transactionTimeout: String, checkpoint: String) -> String {
        let error = #expect(throws: ConfigurationError.self) {
            try ProcessorConfiguration.parse(yaml: """
                application: a
                kafka: {transaction_timeout: \(transactionTimeout)}
                source: {topics: [in]}
                sink: {topic: out}
                checkpoint: \(checkpoint)
                """, file: "p.yaml")
        }
        return error?.description ?? ""
    }

    @Test func refusesATransactionTimeoutNotAboveIntervalPlusTimeout() {
        let text = refusal(transactionTimeout: "30s", checkpoint: "{interval: 1s, timeout: 30s}")
        #expect(text.contains("`kafka.transaction_timeout` = `30000ms`"))
        #expect(text.contains("checkpoint.interval (1000ms) + checkpoint.timeout (30000ms) = 31000ms"))
    }

    /// A minimum pause longer than the interval keeps each transaction open at least that long
    /// (found by review: `min_pause: 60s` with the default timeouts passed, and every start was
    /// fenced at its first commit).
    @Test func refusesATransactionTimeoutNotAboveAMinimumPauseLongerThanTheIntervalPlusTimeout() {
        let text = refusal(transactionTimeout: "60s", checkpoint: "{interval: 1s, timeout: 10s, min_pause: 60s}")
        #expect(text.contains("`kafka.transaction_timeout` = `60000ms`"), "\(text)")
        #expect(text.contains("checkpoint.min_pause (60000ms, longer than checkpoint.interval: each transaction stays open at least that long) + checkpoint.timeout (10000ms) = 70000ms"), "\(text)")
    }

    /// Another instance's retention takes unnamed state files older than the store's grace
    /// period (5 min) for leftovers: a checkpoint may not take that long (found by a review).
    @Test func refusesACheckpointTimeoutAsLongAsTheOrphanGracePeriod() {
        let text = refusal(transactionTimeout: "900s", checkpoint: "{interval: 1s, timeout: 5m}")
        #expect(text.contains("`checkpoint.timeout` = `300000ms`"))
        #expect(text.contains("it must be under 300000ms"))
        #expect(throws: Never.self) {
            try ProcessorConfiguration.parse(yaml: """
                application: a
                kafka: {transaction_timeout: 900s}
                source: {topics: [in]}
                sink: {topic: out}
                checkpoint: {interval: 1s, timeout: 299s}
                """, file: "p.yaml")
        }
    }

    @Test func deletedRecordsStopByDefaultAndMaySkip() throws {
        let base = "application: a\nsink: {topic: out}\n"
        #expect(try ProcessorConfiguration.parse(yaml: base + "source: {topics: [in]}\n").deletedRecords == .stop)
        #expect(try ProcessorConfiguration.parse(yaml: base + "source: {topics: [in], on_deleted_records: skip}\n").deletedRecords == .skip)
        let error = #expect(throws: ConfigurationError.self) {
            try ProcessorConfiguration.parse(yaml: base + "source:\n  topics: [in]\n  on_deleted_records: ignore\n", file: "p.yaml")
        }
        #expect(error?.description.hasPrefix("p.yaml:5: `source.on_deleted_records` = `ignore` is not allowed: stop (the default") == true, "\(error.map { "\($0)" } ?? "accepted")")
    }

    /// Pass-through properties are applied after the runtime's own: each of these would have
    /// quietly replaced a setting exactly-once depends on.
    @Test func propertiesTheRuntimeManagesAreRefusedWithWhatToSetInstead() throws {
        let cases: [(String, String, String)] = [
            ("enable.auto.commit", "\"true\"", "offsets are committed only in each checkpoint's transaction"),
            ("isolation.level", "read_uncommitted", "the runtime reads `read_committed` only"),
            ("transaction.timeout.ms", "\"5000\"", "set it with `kafka.transaction_timeout`"),
            ("transactional.id", "mine", "`<application>-<instance>`"),
            ("group.id", "other", "named after `application`"),
            ("auto.offset.reset", "latest", "the runtime decides where a partition starts"),
            ("bootstrap.servers", "b:9092", "`kafka.bootstrap`"),
        ]
        for (name, value, why) in cases {
            let error = #expect(throws: ConfigurationError.self) {
                try ProcessorConfiguration.parse(yaml: """
                    application: a
                    kafka:
                      properties:
                        security.protocol: PLAINTEXT
                        \(name): \(value)
                    source: {topics: [in]}
                    sink: {topic: out}
                    """, file: "p.yaml")
            }
            let unquoted = value.replacingOccurrences(of: "\"", with: "")
            #expect(error?.description.hasPrefix("p.yaml:5: `kafka.properties.\(name)` = `\(unquoted)` is not allowed: ") == true, "\(error.map { "\($0)" } ?? "accepted")")
            #expect(error?.description.contains(why) == true, "\(error.map { "\($0)" } ?? "accepted")")
        }
        // The Swift API's configurations are checked too.
        var configuration = try! ProcessorConfiguration.parse(yaml: "application: a\nsource: {topics: [in]}\nsink: {topic: out}\n")
        configuration.kafkaProperties["enable.idempotence"] = "false"
        let error = #expect(throws: ConfigurationError.self) { try configuration.validate() }
        #expect(error?.key == "kafka.properties.enable.idempotence")
        // And a processor made from settings directly.
        var settings = ProcessorSettings(kafka: KafkaConfiguration(bootstrapServers: ["b:9092"], properties: ["auto.offset.reset": "earliest"]),
                                         application: "a", instance: "0", sourceTopics: ["in"], sinkTopic: "out")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("exactly-managed-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try CheckpointStore(configuration: CheckpointStoreConfiguration(directory: directory, application: "a", instance: "a-0"))
        let refused = #expect(throws: ProcessorFailure.self) {
            _ = try Processor(settings: settings, pipeline: Pipeline(), store: store, logger: Logger(label: "test"))
        }
        #expect(refused?.message.hasPrefix("the librdkafka property `auto.offset.reset` may not be set for a processor: ") == true)
        settings.kafka.properties = [:]
        // Tuning and security stay open.
        configuration.kafkaProperties = ["enable.idempotence": nil, "partition.assignment.strategy": "range", "sasl.mechanism": "PLAIN"].compactMapValues { $0 }
        #expect(throws: Never.self) { try configuration.validate() }
    }

    @Test func badValuesNameLineKeyValueAndWhatIsAllowed() {
        let cases: [(String, String)] = [
            ("application: a\nsource: {topics: [in]}\nsink: {topic: out}\ncheckpoint:\n  interval: fast\n",
             "p.yaml:5: `checkpoint.interval` = `fast` is not allowed: a duration such as 250ms"),
            ("application: a\nsource: {topics: [in]}\nsink: {topic: out}\ncheckpoint: {retained: 0}\n",
             "`checkpoint.retained` = `0` is not allowed: a whole number from 1 to 10000"),
            ("application: a\nsource: {topics: [in]}\nsink: {topic: out}\nchekpoint: {}\n",
             "p.yaml:4: `chekpoint` = `chekpoint` is not allowed: unknown key; allowed here: application, checkpoint"),
            ("application: a\nsource: {topics: [in]}\n",
             "`sink` is missing"),
            ("application: a\nsource: {topics: [in]}\nsink: {topic: out}\nprocessing: {lanes: 0}\n",
             "p.yaml:4: `processing.lanes` = `0` is not allowed: a whole number from 1 to 64"),
            ("application: a\nsource: {topics: [in]}\nsink:\n  topic: out\n  source_header: sometimes\n",
             "p.yaml:5: `sink.source_header` = `sometimes` is not allowed: true or false"),
            ("application: a\nsource: {topics: [in]}\nsink: {topic: out}\nprocessing: {threads: 2}\n",
             "p.yaml:4: `processing.threads` = `threads` is not allowed: unknown key; allowed here: lanes"),
            ("application: a b\nsource: {topics: [in]}\nsink: {topic: out}\n",
             "`application` = `a b` is not allowed: letters, digits"),
            ("application: a\nsource: {topics: [in]}\nsink: {topic: in}\n",
             "`sink.topic` = `in` is not allowed: a topic that is not also a source"),
            ("application: a\nkafka: {bootstrap: localhost}\nsource: {topics: [in]}\nsink: {topic: out}\n",
             "`kafka.bootstrap` = `localhost` is not allowed: host:port"),
            ("application: a\nsource: {topics: [\"bad topic\"]}\nsink: {topic: out}\n",
             "`source.topics` = `bad topic` is not allowed: a Kafka topic name"),
        ]
        for (yaml, expected) in cases {
            let error = #expect(throws: ConfigurationError.self) {
                try ProcessorConfiguration.parse(yaml: yaml, file: "p.yaml")
            }
            #expect(error?.description.contains(expected) == true, "\(error?.description ?? "no error") should contain \(expected)")
        }
    }
}
