/// Where a store keeps its files:
/// `<directory>/<application>/manifests/<id>.json` and
/// `<directory>/<application>/state/<topic>-<partition>/<id>.full|.delta`.
struct CheckpointLayout: Sendable {
    /// `<directory>/<application>`.
    let root: String

    init(directory: String, application: String) {
        root = (directory.hasSuffix("/") ? String(directory.dropLast()) : directory) + "/" + application
    }

    var manifestsDirectory: String { root + "/manifests" }
    var stateDirectory: String { root + "/state" }

    func manifestPath(_ checkpointID: String) -> String {
        manifestsDirectory + "/" + checkpointID + ".json"
    }

    func partitionDirectory(_ partition: PartitionID) -> String {
        stateDirectory + "/" + partition.description
    }

    func statePath(_ partition: PartitionID, _ name: String) -> String {
        partitionDirectory(partition) + "/" + name
    }

    static func stateFileName(_ checkpointID: String, _ kind: StateFileKind) -> String {
        checkpointID + "." + kind.rawValue
    }

    /// Whether `name` can be an application or checkpoint id: letters, digits, `.`, `_`, `-`,
    /// not starting with `.` (which would hide it or climb out of the directory).
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 200 && !name.hasPrefix(".")
            && name.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x2E || byte == 0x5F || byte == 0x2D
            }
    }
}
