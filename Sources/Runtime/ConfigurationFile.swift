#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a pipeline configuration file, failing with the reason in the words of the system
/// ("No such file or directory", "Permission denied") rather than Foundation's error dump.
public enum ConfigurationFile {
    /// The text of the file at `path`.
    ///
    /// - Throws: ``ConfigurationFileError`` when the file cannot be opened or read, is a
    ///   directory, or is not UTF-8 text.
    public static func text(at path: String) throws(ConfigurationFileError) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ConfigurationFileError(path: path, reason: systemReason()) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw ConfigurationFileError(path: path, reason: systemReason()) }
        guard (status.st_mode & S_IFMT) != S_IFDIR else {
            throw ConfigurationFileError(path: path, reason: "it is a directory; give the YAML file, e.g. demo/order-totals.yaml")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw ConfigurationFileError(path: path, reason: systemReason())
            }
            bytes.append(contentsOf: chunk[..<count])
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigurationFileError(path: path, reason: "it is not UTF-8 text; a configuration is a YAML file")
        }
        return text
    }

    private static func systemReason() -> String {
        String(cString: strerror(errno))
    }
}

/// A configuration file that could not be read, and why.
public struct ConfigurationFileError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The path as given.
    public let path: String
    /// Why it could not be read.
    public let reason: String

    /// An error for the file at `path`.
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        "cannot read the configuration `\(path)`: \(reason)"
    }
}
