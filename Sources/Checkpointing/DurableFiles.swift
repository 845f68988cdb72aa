#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The store's file-system primitives: owner-only permissions, atomic durable replacement,
/// whole-file reads. All of them block; callers run them on the store's own threads.
///
/// Why each step of an atomic write: the bytes go to a temporary file in the same directory
/// (a reader never sees a half-written file under the final name), `fsync` makes them durable
/// before the name does, `rename` swaps the name in atomically, and `fsync` of the directory
/// makes the new name itself survive a crash.
enum DurableFiles {
    /// Directory permissions: owner only.
    static let directoryMode: mode_t = 0o700
    /// File permissions: owner only.
    static let fileMode: mode_t = 0o600
    /// Every temporary name starts with this, so no listing mistakes it for a finished file.
    static let temporaryPrefix = ".tmp-"

    /// Creates `path` and any missing parents with owner-only permissions.
    static func makeDirectory(_ path: String) throws {
        var isDirectory = stat()
        if stat(path, &isDirectory) == 0 { return }
        let parent = parentDirectory(of: path)
        if parent != path && !parent.isEmpty { try makeDirectory(parent) }
        if mkdir(path, directoryMode) != 0 && errno != EEXIST {
            throw failure("cannot create directory", path)
        }
        // mkdir's mode is filtered by the umask; set it exactly.
        _ = chmod(path, directoryMode)
        if !parent.isEmpty { try syncDirectory(parent) }
    }

    /// Makes the entries of directory `path` (creations, renames, removals) durable.
    static func syncDirectory(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY)
        guard descriptor >= 0 else { throw failure("cannot open directory to sync it", path) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw failure("cannot sync directory", path) }
    }

    /// The whole content of the file at `path`, or `nil` when it does not exist.
    ///
    /// - Parameter checkSize: called with a regular file's size before anything is read (it
    ///   throws to refuse the file); anything else (a directory) fails as reading it fails.
    static func readAll(_ path: String, checkSize: (Int64) throws -> Void = { _ in }) throws -> [UInt8]? {
        let descriptor = open(path, O_RDONLY)
        if descriptor < 0 {
            if errno == ENOENT { return nil }
            throw failure("cannot open", path)
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw failure("cannot stat", path) }
        if info.st_mode & S_IFMT == S_IFREG { try checkSize(Int64(info.st_size)) }
        let size = Int(info.st_size)
        var readError: Int32?
        var bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var done = 0
            while done < size {
                let got = read(descriptor, buffer.baseAddress! + done, size - done)
                if got < 0, errno == EINTR { continue }
                if got < 0 { readError = errno }
                if got <= 0 { break }
                done += got
            }
            initialized = done
        }
        // A file that grew while read is read again to its end rather than silently cut.
        var chunk = [UInt8](repeating: 0, count: 65536)
        while readError == nil {
            let (got, code) = chunk.withUnsafeMutableBytes { (read(descriptor, $0.baseAddress!, $0.count), errno) }
            if got < 0, code == EINTR { continue }
            if got < 0 { readError = code }
            if got <= 0 { break }
            bytes.append(contentsOf: chunk[0..<got])
        }
        // A failed read is an I/O error, not the end of the file: the bytes so far would fail
        // their checksum and be reported as a damaged checkpoint, sending the user after the
        // wrong cause.
        if let readError { throw failure("cannot read", path, code: readError) }
        return bytes
    }

    /// The size of the file at `path`, or `nil` when it does not exist.
    static func size(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int64(info.st_size)
    }

    /// The permission bits of `path`, or `nil` when it does not exist.
    static func mode(_ path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o777
    }

    /// Seconds since `path` was last modified, or `nil` when it does not exist.
    static func age(_ path: String) -> Double? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec - info.st_mtim.tv_sec) + Double(now.tv_nsec - info.st_mtim.tv_nsec) / 1e9
    }

    /// The wall-clock time in milliseconds since 1970.
    static func nowMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }

    /// The names in directory `path` (without `.` and `..`); empty when it does not exist.
    static func list(_ path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Removes the file at `path`; a file already gone is not an error.
    static func remove(_ path: String) throws {
        if unlink(path) != 0 && errno != ENOENT { throw failure("cannot remove", path) }
    }

    /// Whether anything exists at `path`.
    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// Removes the directory `path` if it is empty; otherwise leaves it.
    static func removeDirectoryIfEmpty(_ path: String) {
        _ = rmdir(path)
    }

    /// Writes `bytes` to `path` atomically and durably with owner-only permissions.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        var writer = try AtomicFileWriter(path: path)
        do {
            try writer.append(bytes)
            try writer.commit()
        } catch {
            writer.abandon()
            throw error
        }
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func fileName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    static func failure(_ what: String, _ path: String, code: Int32 = errno) -> CheckpointError {
        let message = String(cString: strerror(code))
        return CheckpointError(
            .ioFailure, file: path, reason: "\(what) (\(message), errno \(code))",
            remedy: "check the directory's permissions, free space and file system")
    }
}

/// Streams a file into a temporary name and renames it into place on ``commit()``.
struct AtomicFileWriter: ~Copyable {
    /// The final path.
    let path: String
    /// Where the bytes go until ``commit()``.
    let temporaryPath: String
    private var descriptor: Int32
    /// Bytes written so far.
    private(set) var size: Int64 = 0

    init(path: String) throws {
        self.path = path
        let directory = DurableFiles.parentDirectory(of: path)
        var random = SystemRandomNumberGenerator()
        let tag = String(random.next() as UInt64, radix: 36)
        temporaryPath = directory + "/" + DurableFiles.temporaryPrefix + tag + "-" + DurableFiles.fileName(of: path)
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, DurableFiles.fileMode)
        guard descriptor >= 0 else { throw DurableFiles.failure("cannot create", temporaryPath) }
    }

    /// Appends `bytes` to the temporary file.
    mutating func append(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try append($0) }
    }

    /// Appends the bytes in `buffer` to the temporary file.
    mutating func append(_ buffer: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < buffer.count {
            let wrote = write(descriptor, buffer.baseAddress! + done, buffer.count - done)
            if wrote < 0 {
                if errno == EINTR { continue }
                throw DurableFiles.failure("cannot write", temporaryPath)
            }
            done += wrote
        }
        size += Int64(buffer.count)
    }

    /// Makes the bytes durable, then the name: fsync, close, rename, fsync the directory.
    mutating func commit() throws {
        guard fsync(descriptor) == 0 else { throw DurableFiles.failure("cannot sync", temporaryPath) }
        let closed = close(descriptor)
        descriptor = -1
        guard closed == 0 else { throw DurableFiles.failure("cannot close", temporaryPath) }
        guard rename(temporaryPath, path) == 0 else { throw DurableFiles.failure("cannot rename into place", path) }
        try DurableFiles.syncDirectory(DurableFiles.parentDirectory(of: path))
    }

    /// Closes and removes the temporary file; the final path is left as it was.
    mutating func abandon() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
        _ = unlink(temporaryPath)
    }

    deinit {
        if descriptor >= 0 {
            close(descriptor)
            _ = unlink(temporaryPath)
        }
    }
}
