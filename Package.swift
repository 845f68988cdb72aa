// swift-tools-version: 6.2
//
// Exactly: a Kafka consumer-processor with exactly-once checkpoints.
// Module map and the rules for what may import what: docs/MODULES.md.
import PackageDescription

let strictSwift6: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]

let package = Package(
    name: "Exactly",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "exactly", targets: ["exactly"]),
        .library(name: "KafkaClient", targets: ["KafkaClient"]),
        .library(name: "KeyedState", targets: ["KeyedState"]),
        .library(name: "Checkpointing", targets: ["Checkpointing"]),
        .library(name: "Operators", targets: ["Operators"]),
        .library(name: "DevBroker", targets: ["DevBroker"]),
        .library(name: "Runtime", targets: ["Runtime"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.2.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // librdkafka from the system (Debian: librdkafka-dev), with shims for variadic C calls.
        .systemLibrary(
            name: "CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        .target(
            name: "KafkaClient",
            dependencies: [
                "CRdKafka",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSwift6
        ),
        // Keyed, per-partition, copy-on-write state. No files, no Kafka.
        // CRC-32C with the CPU's instruction where there is one (checkpoint files, record batches).
        .target(name: "CCRC32C"),
        // A cache-line prefetch hint, which Swift has no way to say (the state's hash tables).
        .target(name: "CPrefetch"),
        .target(
            name: "KeyedState",
            dependencies: ["CPrefetch"],
            swiftSettings: strictSwift6
        ),
        // Snapshots, the checkpoint store, manifests, checksums, retention. No Kafka.
        .target(
            name: "Checkpointing",
            dependencies: [
                "CCRC32C",
                "KeyedState",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift6
        ),
        // Records, operators, pipelines (Swift API and YAML). No Kafka, no files.
        .target(
            name: "Operators",
            dependencies: [
                "KeyedState",
                .product(name: "Yams", package: "Yams"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: strictSwift6
        ),
        // A single-node Kafka-protocol broker for development and tests.
        .target(
            name: "DevBroker",
            dependencies: [
                "CCRC32C",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift6
        ),
        // Test support shared by every integration test target: DevBroker in-process on an ephemeral port.
        .target(
            name: "ExactlyTesting",
            dependencies: [
                "DevBroker",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift6
        ),
        // The processing loop, checkpoint coordinator, two-phase commit, recovery, replay.
        .target(
            name: "Runtime",
            dependencies: [
                "KafkaClient",
                "KeyedState",
                "Checkpointing",
                "Operators",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSwift6
        ),
        // jemalloc's start-up options, compiled into the executable only (tests use glibc's malloc).
        .target(name: "CAllocatorOptions"),
        .executableTarget(
            name: "exactly",
            dependencies: [
                "CAllocatorOptions",
                "Runtime",
                "DevBroker",
                "KafkaClient",
                "Checkpointing",
                "Operators",
                "KeyedState",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSwift6,
            linkerSettings: [.linkedLibrary("jemalloc")]
        ),
        .testTarget(
            name: "KafkaClientTests",
            dependencies: [
                "KafkaClient",
                "CRdKafka",
                "ExactlyTesting",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strictSwift6
        ),
        .testTarget(
            name: "KeyedStateTests",
            dependencies: ["KeyedState"],
            swiftSettings: strictSwift6
        ),
        .testTarget(
            name: "CheckpointingTests",
            dependencies: ["Checkpointing", "KeyedState", "ExactlyTesting"],
            swiftSettings: strictSwift6
        ),
        .testTarget(
            name: "OperatorsTests",
            dependencies: ["Operators", "KeyedState", "ExactlyTesting", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSwift6
        ),
        .testTarget(
            name: "DevBrokerTests",
            dependencies: [
                "DevBroker", "KafkaClient", "ExactlyTesting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSwift6
        ),
        .testTarget(
            name: "RuntimeTests",
            dependencies: [
                "Runtime", "KafkaClient", "Checkpointing", "Operators", "KeyedState", "DevBroker", "ExactlyTesting",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strictSwift6
        ),
    ]
)
