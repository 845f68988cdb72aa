import Foundation

/// The on-disk form of a manifest: a JSON envelope that carries the CRC-32C of the manifest's
/// own bytes, so a damaged or torn manifest is never read as a good one.
///
/// ```
/// {"crc32c":"1f2e3d4c","manifest":{ ...the manifest, sorted keys... }}\n
/// ```
///
/// The checksum covers exactly the bytes of the `manifest` value as written. The prefix has a
/// fixed length, so a reader finds those bytes by position and never re-encodes them. The whole
/// file stays valid JSON for `jq` and friends.
enum ManifestFile {
    private static let prefixHead = Array(#"{"crc32c":""#.utf8)
    private static let prefixTail = Array(#"","manifest":"#.utf8)
    private static let suffix = Array("}\n".utf8)
    private static var prefixLength: Int { prefixHead.count + 8 + prefixTail.count }

    /// The bytes of the manifest file for `manifest`.
    static func encode(_ manifest: CheckpointManifest) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = Array(try encoder.encode(manifest))
        let crc = CRC32C.checksum(body)
        var hex = String(crc, radix: 16)
        hex = String(repeating: "0", count: 8 - hex.count) + hex
        return prefixHead + Array(hex.utf8) + prefixTail + body + suffix
    }

    /// The manifest in `bytes` read from `path`, after checking its checksum and version.
    static func decode(_ bytes: [UInt8], path: String, checkpointID: String) throws -> CheckpointManifest {
        func corrupt(_ reason: String, expected: UInt32? = nil, actual: UInt32? = nil) -> CheckpointError {
            CheckpointError(
                .manifestCorrupt, checkpointID: checkpointID, file: path, expectedChecksum: expected,
                actualChecksum: actual, reason: reason,
                remedy: "the manifest is damaged or was cut short; restore from an older checkpoint")
        }
        guard bytes.count > prefixLength + suffix.count,
              bytes.starts(with: prefixHead),
              Array(bytes[(prefixHead.count + 8)..<prefixLength]) == prefixTail,
              bytes.suffix(suffix.count).elementsEqual(suffix)
        else {
            throw corrupt("has a manifest that is not a checksummed envelope (\(bytes.count) bytes)")
        }
        let hex = String(decoding: bytes[prefixHead.count..<(prefixHead.count + 8)], as: UTF8.self)
        guard let expected = UInt32(hex, radix: 16) else {
            throw corrupt("has a manifest whose checksum field \"\(hex)\" is not hexadecimal")
        }
        let body = bytes[prefixLength..<(bytes.count - suffix.count)]
        let actual = CRC32C.checksum(body)
        guard actual == expected else {
            throw corrupt("has a manifest that fails its checksum", expected: expected, actual: actual)
        }
        struct VersionOnly: Decodable { var formatVersion: Int }
        let data = Data(body)
        guard let version = try? JSONDecoder().decode(VersionOnly.self, from: data) else {
            throw corrupt("has a manifest whose JSON has no formatVersion")
        }
        guard version.formatVersion <= CheckpointManifest.currentFormatVersion else {
            throw CheckpointError(
                .unsupportedFormatVersion, checkpointID: checkpointID, file: path,
                reason: "has manifest format version \(version.formatVersion); this build reads up to \(CheckpointManifest.currentFormatVersion)",
                remedy: "restore with the version of Exactly that wrote it")
        }
        let manifest: CheckpointManifest
        do {
            manifest = try JSONDecoder().decode(CheckpointManifest.self, from: data)
        } catch {
            throw corrupt("has a manifest whose JSON does not decode (\(error))")
        }
        guard manifest.checkpointID == checkpointID else {
            throw corrupt("has a manifest that names checkpoint `\(manifest.checkpointID)` instead")
        }
        return manifest
    }
}
