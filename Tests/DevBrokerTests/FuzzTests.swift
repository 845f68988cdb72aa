import Foundation
import NIOCore
import ExactlyTesting
import Testing
@testable import DevBroker

@Suite("Request decoder fuzzing")
struct FuzzTests {
    /// Inputs per run; set DEVBROKER_FUZZ_ITERATIONS for a longer run (e.g. 5000000).
    static let iterations = Int(ProcessInfo.processInfo.environment["DEVBROKER_FUZZ_ITERATIONS"] ?? "") ?? 30_000

    /// Valid request bodies for every API, to mutate.
    static func corpus() throws -> [(ApiKey, Int16, ByteBuffer)] {
        let batch = TestBatch.make(["fuzz", "me"], producerId: 1001, epoch: 0, baseSequence: 0)
        var seeds: [(ApiKey, Int16, ByteBuffer)] = []
        func add(_ key: ApiKey, _ version: Int16, _ write: (inout KafkaWriter) -> Void) {
            seeds.append((key, version, TestRequests.body(key.isFlexible(version), write)))
        }
        add(.produce, 7) { w in w.string(nil); w.int16(1); w.int32(100); w.arrayCount(1); w.string("f"); w.arrayCount(1); w.int32(0); w.bytes(batch) }
        add(.fetch, 4) { w in w.int32(-1); w.int32(0); w.int32(1); w.int32(1000); w.int8(1); w.arrayCount(1); w.string("f"); w.arrayCount(1); w.int32(0); w.int64(0); w.int32(1000) }
        add(.metadata, 5) { w in w.arrayCount(1); w.string("f"); w.bool(true) }
        add(.listOffsets, 2) { w in w.int32(-1); w.int8(0); w.arrayCount(1); w.string("f"); w.arrayCount(1); w.int32(0); w.int64(-1) }
        add(.joinGroup, 5) { w in w.string("g"); w.int32(10_000); w.int32(10_000); w.string(""); w.string(nil); w.string("consumer"); w.arrayCount(1); w.string("range"); w.bytes(ByteBuffer(string: "m")) }
        add(.syncGroup, 3) { w in w.string("g"); w.int32(1); w.string("m"); w.string(nil); w.arrayCount(1); w.string("m"); w.bytes(ByteBuffer(string: "a")) }
        add(.heartbeat, 3) { w in w.string("g"); w.int32(1); w.string("m"); w.string(nil) }
        add(.leaveGroup, 2) { w in w.string("g"); w.string("m") }
        add(.offsetCommit, 7) { w in w.string("g"); w.int32(-1); w.string(""); w.string(nil); w.arrayCount(1); w.string("f"); w.arrayCount(1); w.int32(0); w.int64(1); w.int32(-1); w.string("md") }
        add(.offsetFetch, 7) { w in w.string("g"); w.arrayCount(1); w.string("f"); w.arrayCount(1); w.int32(0); w.taggedFields(); w.bool(true); w.taggedFields() }
        add(.findCoordinator, 2) { w in w.string("g"); w.int8(0) }
        add(.describeGroups, 4) { w in w.arrayCount(1); w.string("g"); w.bool(false) }
        add(.initProducerId, 1) { w in w.string("tx"); w.int32(60_000) }
        add(.addPartitionsToTxn, 1) { w in w.string("tx"); w.int64(1001); w.int16(0); w.arrayCount(1); w.string("f"); w.arrayCount(1); w.int32(0) }
        add(.addOffsetsToTxn, 1) { w in w.string("tx"); w.int64(1001); w.int16(0); w.string("g") }
        add(.txnOffsetCommit, 3) { w in w.string("tx"); w.string("g"); w.int64(1001); w.int16(0); w.int32(-1); w.string(""); w.string(nil); w.arrayCount(1); w.string("f"); w.arrayCount(1); w.int32(0); w.int64(1); w.int32(-1); w.string(nil); w.taggedFields(); w.taggedFields(); w.taggedFields() }
        add(.endTxn, 1) { w in w.string("tx"); w.int64(1001); w.int16(0); w.bool(true) }
        add(.createTopics, 4) { w in w.arrayCount(1); w.string("n"); w.int32(2); w.int16(1); w.arrayCount(0); w.arrayCount(0); w.int32(100); w.bool(false) }
        add(.deleteTopics, 3) { w in w.arrayCount(1); w.string("n"); w.int32(100) }
        add(.deleteRecords, 1) { w in w.arrayCount(1); w.string("f"); w.arrayCount(1); w.int32(0); w.int64(1); w.int32(100) }
        add(.deleteRecords, 2) { w in w.arrayCount(1); w.string("f"); w.arrayCount(1); w.int32(0); w.int64(-1); w.taggedFields(); w.taggedFields(); w.int32(100); w.taggedFields() }
        add(.describeConfigs, 2) { w in w.arrayCount(1); w.int8(2); w.string("f"); w.int32(-1); w.bool(false) }
        add(.apiVersions, 3) { w in w.string("c"); w.string("1"); w.taggedFields() }
        // Every seed must itself decode, or the fuzzer would only be testing error paths.
        for (key, version, body) in seeds {
            _ = try KafkaRequest.decode(key, version: version, body: body)
        }
        return seeds
    }

    static func mutate(_ body: ByteBuffer, _ rng: inout SeededRandom) -> ByteBuffer {
        var bytes = Array(body.readableBytesView)
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            switch Int.random(in: 0..<6, using: &rng) {
            case 0 where !bytes.isEmpty:
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
            case 1 where !bytes.isEmpty:
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = [0x00, 0xff, 0x7f, 0x80, 0x01].randomElement(using: &rng)!
            case 2:
                bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
            case 3:
                let at = Int.random(in: 0...bytes.count, using: &rng)
                bytes.insert(contentsOf: (0..<Int.random(in: 1...8, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: at)
            case 4 where bytes.count >= 4:
                // A length or count field turned huge or negative.
                let at = Int.random(in: 0...(bytes.count - 4), using: &rng)
                bytes.replaceSubrange(at..<at + 4, with: [0x7f, 0xff, 0xff, 0xff].shuffled(using: &rng))
            default:
                bytes.append(UInt8.random(in: 0...255, using: &rng))
            }
        }
        return ByteBuffer(bytes: bytes)
    }

    /// Applies a decoded request to the state, as the server would (without sockets).
    static func apply(_ request: KafkaRequest, to state: inout BrokerState, token: UInt64) {
        switch request {
        case .apiVersions, .findCoordinator, .listGroups: break
        case .metadata(let r): _ = state.metadata(r)
        case .produce(let r): _ = state.produce(r, nowMs: 0)
        case .fetch(let r): _ = state.fetch(r)
        case .listOffsets(let r): _ = state.listOffsets(r)
        case .joinGroup(let r): _ = state.joinGroup(token, r, clientId: "fuzz", clientHost: "h", nowMs: 0)
        case .syncGroup(let r): _ = state.syncGroup(token, r)
        case .heartbeat(let r): _ = state.heartbeat(r, nowMs: 0)
        case .leaveGroup(let r): _ = state.leaveGroup(r, nowMs: 0)
        case .offsetCommit(let r): _ = state.offsetCommit(r)
        case .offsetFetch(let r): _ = state.offsetFetch(r)
        case .describeGroups(let r): _ = state.describeGroups(r)
        case .initProducerId(let r): _ = state.initProducerId(r, nowMs: 0)
        case .addPartitionsToTxn(let r): _ = state.addPartitionsToTxn(r, nowMs: 0)
        case .addOffsetsToTxn(let r): _ = state.addOffsetsToTxn(r, nowMs: 0)
        case .txnOffsetCommit(let r): _ = state.txnOffsetCommit(r)
        case .endTxn(let r): _ = state.endTxn(r, nowMs: 0)
        case .createTopics(let r): _ = state.createTopics(r)
        case .deleteTopics(let r): _ = state.deleteTopics(r)
        case .deleteRecords(let r): _ = state.deleteRecords(r)
        case .describeConfigs(let r): _ = state.describeConfigs(r)
        }
        _ = state.tick(nowMs: 0, wallMs: 0)
    }

    @Test func mutatedAndRandomRequestsNeverCrashTheBrokerOrDamageAPartition() throws {
        let seeds = try Self.corpus()
        var rng = SeededRandom(seed: 0xE5AC_71)
        var state = try makeState()
        var decoded = 0
        var refused = 0
        for i in 0..<Self.iterations {
            let key: ApiKey
            let version: Int16
            let body: ByteBuffer
            if i % 4 == 0 {
                // Random bytes under a random supported API and version.
                key = ApiKey.allCases.randomElement(using: &rng)!
                version = Int16.random(in: key.supportedVersions, using: &rng)
                body = ByteBuffer(bytes: (0..<Int.random(in: 0..<64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
            } else {
                let seed = seeds[Int.random(in: 0..<seeds.count, using: &rng)]
                key = seed.0
                version = i % 3 == 0 ? Int16.random(in: key.supportedVersions, using: &rng) : seed.1
                body = Self.mutate(seed.2, &rng)
            }
            do {
                let request = try KafkaRequest.decode(key, version: version, body: body)
                Self.apply(request, to: &state, token: UInt64(i))
                decoded += 1
            } catch is KafkaDecodeError {
                refused += 1
            }
        }
        print("fuzzed the request decoder with \(Self.iterations) inputs: \(decoded) decoded and applied, \(refused) refused")
        #expect(decoded + refused == Self.iterations)
        #expect(decoded > 0 && refused > 0)
        // Every partition still holds whole, checksummed batches with consecutive offsets.
        for (topic, logs) in state.topics {
            for (index, log) in logs.enumerated() {
                var expected: Int64 = 0
                for batch in log.batches {
                    #expect(batch.baseOffset == expected, "\(topic)-\(index)")
                    #expect(throws: Never.self) { try RecordBatchHeader.split(batch.bytes) }
                    expected = batch.lastOffset + 1
                }
                #expect(log.highWatermark == expected)
                #expect(log.logStartOffset >= 0 && log.logStartOffset <= log.highWatermark, "\(topic)-\(index)")
                #expect(log.lastStableOffset >= log.logStartOffset && log.lastStableOffset <= log.highWatermark, "\(topic)-\(index)")
            }
        }
    }

    @Test func headerDecoderRefusesEveryTruncation() throws {
        var frame = ByteBuffer()
        frame.writeInteger(Int16(18)); frame.writeInteger(Int16(3)); frame.writeInteger(Int32(1))
        frame.writeInteger(Int16(4)); frame.writeString("test"); frame.writeInteger(UInt8(0))
        for length in 0..<frame.readableBytes {
            var truncated = frame.getSlice(at: 0, length: length)!
            #expect(throws: KafkaDecodeError.self) { try RequestHeader.decode(&truncated) }
        }
        var whole = frame
        #expect(try RequestHeader.decode(&whole).correlationId == 1)
    }
}
