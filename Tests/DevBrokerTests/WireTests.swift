import ExactlyTesting
import NIOCore
import NIOPosix
import Testing
@testable import DevBroker

@Suite("Wire protocol")
struct WireTests {
    private func withBroker(_ body: (DevBroker, EventLoopGroup) async throws -> Void) async throws {
        try await WireClient.withBroker(body)
    }

    private func apiVersions(_ frame: ByteBuffer, flexible: Bool) throws -> (correlationId: Int32, error: Int16, apis: [Int16: ClosedRange<Int16>]) {
        var r = KafkaReader(frame, flexible: flexible)
        let correlationId = try r.int32()
        let error = try r.int16()
        var apis: [Int16: ClosedRange<Int16>] = [:]
        _ = try r.array("apis") { r in
            let key = try r.int16()
            let min = try r.int16()
            let max = try r.int16()
            try r.taggedFields()
            apis[key] = min...max
        }
        return (correlationId, error, apis)
    }

    @Test func apiVersionsListsEveryApiTheBrokerAnswers() async throws {
        try await withBroker { broker, group in
            let client = try await WireClient.connect(port: broker.port, group: group)
            var body = ByteBuffer()
            body.writeBytes([5]); body.writeString("test")
            body.writeBytes([2]); body.writeString("1")
            body.writeBytes([0])
            try await client.send(18, version: 3, correlationId: 7, flexibleHeader: true, body: body)
            let response = try apiVersions(try #require(await client.next()), flexible: true)
            #expect(response.correlationId == 7)
            #expect(response.error == 0)
            #expect(response.apis.count == 23)
            #expect(response.apis[0] == 3...7)
            #expect(response.apis[21] == 0...2)
            #expect(response.apis[9]?.upperBound == 7)
            #expect(response.apis[28]?.upperBound == 3)
            await client.close()
        }
    }

    @Test func unsupportedApiVersionsVersionIsAnsweredInVersionZero() async throws {
        try await withBroker { broker, group in
            let client = try await WireClient.connect(port: broker.port, group: group)
            try await client.send(18, version: 99, correlationId: 3, flexibleHeader: true, body: ByteBuffer())
            let response = try apiVersions(try #require(await client.next()), flexible: false)
            #expect(response.error == KafkaErrorCode.unsupportedVersion.rawValue)
            #expect(response.apis[18] == 0...3)
            await client.close()
        }
    }

    @Test func unsupportedVersionAndGarbageCloseOnlyThatConnection() async throws {
        try await withBroker { broker, group in
            let old = try await WireClient.connect(port: broker.port, group: group)
            try await old.send(0, version: 1, correlationId: 1, body: ByteBuffer(repeating: 0, count: 10))
            #expect(await old.next() == nil)

            let garbage = try await WireClient.connect(port: broker.port, group: group)
            var frame = ByteBuffer()
            frame.writeInteger(Int32(12))
            frame.writeInteger(Int16(3)); frame.writeInteger(Int16(1)); frame.writeInteger(Int32(9))
            frame.writeInteger(Int16(0)); frame.writeInteger(Int16(0x7fff))
            try await garbage.sendRaw(frame)
            #expect(await garbage.next() == nil)

            let huge = try await WireClient.connect(port: broker.port, group: group)
            try await huge.sendRaw(ByteBuffer(integer: Int32.max))
            #expect(await huge.next() == nil)

            // The broker still serves a well-behaved client.
            let fine = try await WireClient.connect(port: broker.port, group: group)
            try await fine.send(18, version: 0, correlationId: 5, body: ByteBuffer())
            let response = try apiVersions(try #require(await fine.next()), flexible: false)
            #expect(response.correlationId == 5)
            #expect(response.error == 0)
            await fine.close()
        }
    }

    /// Small batches are copied into the response, large ones written from the stored bytes.
    @Test(arguments: [2, 500])
    func producedRecordsComeBackThroughFetch(recordCount: Int) async throws {
        let values = (0..<recordCount).map { "record-\($0)-" + String(repeating: "x", count: 80) }
        try await withBroker { broker, group in
            let client = try await WireClient.connect(port: broker.port, group: group)
            var produce = KafkaWriter(buffer: ByteBuffer())
            produce.string(nil); produce.int16(1); produce.int32(5_000)
            produce.arrayCount(1); produce.string("wire")
            produce.arrayCount(1); produce.int32(0); produce.bytes(TestBatch.make(values))
            try await client.send(0, version: 7, correlationId: 1, body: produce.buffer)
            var p = KafkaReader(try #require(await client.next()))
            #expect(try p.int32() == 1)
            _ = try p.int32(); _ = try p.string(); _ = try p.int32(); _ = try p.int32()
            #expect(try p.int16() == 0)
            #expect(try p.int64() == 0)

            var fetch = KafkaWriter(buffer: ByteBuffer())
            fetch.int32(-1); fetch.int32(100); fetch.int32(1); fetch.int32(1 << 20); fetch.int8(1)
            fetch.arrayCount(1); fetch.string("wire")
            fetch.arrayCount(1); fetch.int32(0); fetch.int64(0); fetch.int32(1 << 20)
            try await client.send(1, version: 4, correlationId: 2, body: fetch.buffer)
            var f = KafkaReader(try #require(await client.next()))
            #expect(try f.int32() == 2)
            _ = try f.int32(); _ = try f.int32(); _ = try f.string(); _ = try f.int32(); _ = try f.int32()
            #expect(try f.int16() == 0)
            #expect(try f.int64() == Int64(recordCount))
            #expect(try f.int64() == Int64(recordCount))
            #expect(try f.int32() == 0)
            let records = try f.bytes()
            #expect(f.buffer.readableBytes == 0)
            #expect(TestBatch.values([records]) == values)
            await client.close()
        }
    }
}
