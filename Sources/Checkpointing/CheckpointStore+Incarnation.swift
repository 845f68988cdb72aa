#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension CheckpointStore {
    /// Claims a new incarnation number for `instance`: one more than the largest claimed so far,
    /// by creating `<root>/incarnations/<instance>.<n>` with `O_EXCL`, which the file system
    /// grants to one process only. Two processes with the same instance id (a zombie and its
    /// replacement) therefore never take the same checkpoint ids. Old claims beyond the newest
    /// ten are removed.
    public func claimIncarnationAndWait(instance: String) throws -> UInt32 {
        guard CheckpointLayout.isValidName(instance) else {
            throw CheckpointError(.invalidArgument, reason: "cannot use instance name \"\(instance)\"", remedy: "use letters, digits, '.', '_' and '-'")
        }
        let directory = layout.root + "/incarnations"
        try DurableFiles.makeDirectory(directory)
        let prefix = instance + "."
        func claimed() -> [UInt32] {
            DurableFiles.list(directory).compactMap { name in
                name.hasPrefix(prefix) ? UInt32(name.dropFirst(prefix.count)) : nil
            }.sorted()
        }
        var candidate = (claimed().last ?? 0) + 1
        while true {
            let path = directory + "/" + prefix + String(candidate)
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, DurableFiles.fileMode)
            if descriptor >= 0 {
                close(descriptor)
                try DurableFiles.syncDirectory(directory)
                break
            }
            guard errno == EEXIST else { throw DurableFiles.failure("cannot claim an incarnation", path) }
            candidate += 1  // another process claimed this one first
        }
        for old in claimed().dropLast(10) {
            try? DurableFiles.remove(directory + "/" + prefix + String(old))
        }
        return candidate
    }
}
