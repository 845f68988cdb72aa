import Foundation
import Runtime
import Testing

@Suite struct ConfigurationFileTests {
    /// A fresh directory for one test, removed afterwards by the caller.
    private func scratchDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("configuration-file-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func readsTheWholeFile() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // Longer than one read's chunk, so that the loop is exercised.
        let text = "application: order-totals\n" + String(repeating: "# padding, ü\n", count: 10_000)
        let path = directory.appendingPathComponent("pipeline.yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try ConfigurationFile.text(at: path) == text)
    }

    @Test func aMissingFileIsNamedWithTheSystemsReason() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("absent.yaml").path
        #expect(throws: ConfigurationFileError(path: path, reason: "No such file or directory")) {
            try ConfigurationFile.text(at: path)
        }
        let message = "\(ConfigurationFileError(path: path, reason: "No such file or directory"))"
        #expect(message == "cannot read the configuration `\(path)`: No such file or directory")
    }

    @Test func aDirectoryIsRefused() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(throws: ConfigurationFileError(path: directory.path, reason: "it is a directory; give the YAML file, e.g. demo/order-totals.yaml")) {
            try ConfigurationFile.text(at: directory.path)
        }
    }

    @Test func bytesThatAreNotUTF8AreRefused() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("binary.yaml").path
        try Data([0xFF, 0xFE, 0x00, 0x61]).write(to: URL(fileURLWithPath: path))
        #expect(throws: ConfigurationFileError(path: path, reason: "it is not UTF-8 text; a configuration is a YAML file")) {
            try ConfigurationFile.text(at: path)
        }
    }
}
