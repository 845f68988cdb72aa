import CCRC32C
import Testing
@testable import Checkpointing

@Suite struct CRC32CTests {
    @Test func matchesTheCastagnoliCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test func matchesKnownVectorsOfZerosAndOnes() {
        // RFC 3720 (iSCSI), appendix B.4.
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
    }

    /// The CPU's instruction (where the machine has it) and the tables agree at every length and
    /// alignment, and on the check value.
    @Test func theInstructionAndTheTablesAgree() {
        let bytes = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 167 &+ 13) }
        bytes.withUnsafeBytes { all in
            for start in 0..<9 {
                for end in stride(from: start, through: all.count, by: 7) {
                    let slice = UnsafeRawBufferPointer(rebasing: all[start..<end])
                    let fast = exactly_crc32c_update(0xFFFF_FFFF, slice.baseAddress, slice.count)
                    let tables = exactly_crc32c_update_with_tables(0xFFFF_FFFF, slice.baseAddress, slice.count)
                    #expect(fast == tables, "bytes \(start)..<\(end)")
                }
            }
        }
        let check = Array("123456789".utf8)
        #expect(check.withUnsafeBytes { ~exactly_crc32c_update_with_tables(0xFFFF_FFFF, $0.baseAddress, $0.count) } == 0xE306_9283)
    }

    @Test func incrementalUpdatesEqualOneShot() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var crc = CRC32C()
        crc.update(bytes[0..<7])
        crc.update(bytes[7..<500])
        crc.update(bytes[500...])
        #expect(crc.value == CRC32C.checksum(bytes))
    }
}
