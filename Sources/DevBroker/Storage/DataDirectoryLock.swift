import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One broker's exclusive hold on its data directory, from before it reads anything there until
/// it stops.
///
/// Loading the directory is not read-only: it rewrites `state.log` by a rename and cuts torn
/// tails off partition files. A second broker doing that under a running one would leave the
/// running one writing to a file no longer in the directory, and everything it saved from then
/// on (committed offsets, transaction decisions) would be gone at its next start. So a second
/// broker is refused before it touches anything.
///
/// The hold is a `flock` on `.lock` in the directory, not the file's existence: the kernel drops
/// the lock when its descriptor closes, which includes the process dying in any way (`kill -9`,
/// a crash), so a stale lock cannot outlive its broker and nothing has to clean one up. The file
/// itself stays (removing it on release would let a broker that opened it just before lock an
/// unlinked file while a third makes a new one). `flock` belongs to the open file, not to the
/// process as `fcntl` locks do, so two brokers in one process exclude each other too.
final class DataDirectoryLock: Sendable {
    /// The lock file's name in the data directory.
    static let fileName = ".lock"

    /// The lock file.
    let path: String
    /// Its descriptor while held; `nil` once released.
    private let descriptor: Mutex<Int32?>

    /// Creates `directory` if missing and locks it, or throws: `.dataDirectoryInUse` when another
    /// broker holds it (naming its process when that one recorded it), `.dataDirectory` when the
    /// directory or its lock file cannot be made. Each message ends with the caller's advice.
    init(directory: String, remedies: DevBrokerConfiguration.Remedies) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw DevBrokerError(.dataDirectory, "cannot create the data directory \(directory) (\(FileErrorReason(error))); \(remedies.unwritableDataDirectory)")
        }
        path = URL(fileURLWithPath: directory, isDirectory: true).appendingPathComponent(Self.fileName).path
        // Close-on-exec: a program the embedding process starts must not inherit the lock and
        // keep the directory locked after the broker stopped.
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw DevBrokerError(.dataDirectory, "cannot use the data directory \(directory) (\(path): \(String(cString: strerror(errno)))); \(remedies.unwritableDataDirectory)")
        }
        var result: Int32
        repeat { result = flock(fd, LOCK_EX | LOCK_NB) } while result != 0 && errno == EINTR
        guard result == 0 else {
            let failure = errno
            let holder = failure == EWOULDBLOCK ? Self.recordedProcess(fd) : nil
            close(fd)
            guard failure == EWOULDBLOCK else {
                throw DevBrokerError(.dataDirectory, "cannot lock the data directory \(directory) (\(path): \(String(cString: strerror(failure)))); \(remedies.unwritableDataDirectory)")
            }
            let who = holder.map { $0 == getpid() ? "another broker in this process (pid \($0))" : "another broker (pid \($0))" } ?? "another broker"
            throw DevBrokerError(.dataDirectoryInUse, "the data directory \(directory) is in use by \(who); \(remedies.dataDirectoryInUse)")
        }
        // The pid is for the message above only: the lock, not this text, decides. A failed
        // write leaves the message without a pid, and a directory that cannot be written is
        // refused by the store right after.
        let pid = Array("\(getpid())\n".utf8)
        if ftruncate(fd, 0) == 0 {
            _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        }
        descriptor = Mutex(fd)
    }

    /// Lets the directory go. Call it once nothing writes there any more; idempotent.
    func release() {
        guard let fd = descriptor.withLock({ fd in defer { fd = nil }; return fd }) else { return }
        // Emptied before the close unlocks it, so that a pid in the file is one holding the lock
        // (barring a crash, after which the pid is merely stale).
        _ = ftruncate(fd, 0)
        close(fd)
    }

    // No release in `deinit`: a broker dropped without `stop()` may still have event loops
    // writing to the directory, and letting it go then would let a second broker in under
    // them. The descriptor, and so the lock, then lasts until the process ends.

    /// The pid the holder wrote, if it did yet.
    private static func recordedProcess(_ fd: Int32) -> Int32? {
        var bytes = [UInt8](repeating: 0, count: 32)
        let count = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int32(String(decoding: bytes.prefix(count), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
