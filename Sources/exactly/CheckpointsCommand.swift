import ArgumentParser
import Checkpointing
import Foundation

/// `exactly checkpoints`: list, show, verify, compare and dump the checkpoints of an application.
/// Reads only: nothing here writes, discards or collects checkpoints.
struct CheckpointsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoints",
        abstract: "Inspect and verify the checkpoints of an application.",
        subcommands: [List.self, Show.self, Verify.self, Diff.self, Dump.self]
    )

    /// Where the checkpoints are.
    struct Location: ParsableArguments {
        @Option(help: "The checkpoint directory (holding <application>/manifests and <application>/state).")
        var dir: String

        @Option(help: "The application whose checkpoints to read.")
        var application: String

        func openStore() throws -> CheckpointStore {
            let manifests = dir + "/" + application + "/manifests"
            guard FileManager.default.fileExists(atPath: manifests) else {
                throw ValidationError("no checkpoints of application `\(application)` in \(dir) (no \(manifests))")
            }
            return try CheckpointStore(
                configuration: CheckpointStoreConfiguration(directory: dir, application: application, instance: "cli"))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List checkpoints, newest first.")

        @OptionGroup var location: Location

        func run() throws {
            let listings = try location.openStore().listCheckpoints()
            print(["checkpoint", "created (UTC)", "instance", "parent", "partitions", "keys", "status"].joined(separator: "\t"))
            for listing in listings {
                guard let manifest = listing.manifest else {
                    print("\(listing.checkpointID)\t-\t-\t-\t-\t-\tunreadable: \(listing.problem?.description ?? "?")")
                    continue
                }
                let keys = manifest.partitions.reduce(0) { $0 + $1.keyCount }
                print([
                    manifest.checkpointID, timestamp(manifest.createdAt), manifest.instance, manifest.parentID ?? "-",
                    String(manifest.partitions.count), String(keys), "manifest ok",
                ].joined(separator: "\t"))
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a checkpoint's manifest as JSON.")

        @OptionGroup var location: Location

        @Argument(help: "The checkpoint id.")
        var checkpoint: String

        func run() throws {
            let manifest = try location.openStore().manifest(checkpoint)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(manifest), as: UTF8.self))
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check manifests and state files (sizes, CRC-32C); exit 1 on any problem.")

        @OptionGroup var location: Location

        @Argument(help: "The checkpoints to verify (default: every checkpoint, and leftovers of torn writes).")
        var checkpoints: [String] = []

        func run() throws {
            let store = try location.openStore()
            let problems = checkpoints.isEmpty ? store.verifyAll() : checkpoints.flatMap { store.verify($0) }
            for problem in problems { print("FAIL \(problem)") }
            let checked = checkpoints.isEmpty ? store.listCheckpoints().map(\.checkpointID) : checkpoints
            let failing = Set(problems.compactMap(\.checkpointID))
            for checkpoint in checked where !failing.contains(checkpoint) { print("ok   \(checkpoint)") }
            if !problems.isEmpty { throw ExitCode(1) }
        }
    }

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare two checkpoints' partitions, offsets, key counts and files.")

        @OptionGroup var location: Location

        @Argument(help: "The older checkpoint id.")
        var from: String

        @Argument(help: "The newer checkpoint id.")
        var to: String

        func run() throws {
            let diff = try location.openStore().diff(from: from, to: to)
            for partition in diff.onlyInFrom { print("- \(partition)\tonly in \(diff.from)") }
            for partition in diff.onlyInTo { print("+ \(partition)\tonly in \(diff.to)") }
            for change in diff.changes {
                print(
                    "  \(change.partition)\toffset \(change.nextOffset.from) -> \(change.nextOffset.to) "
                        + "(+\(change.nextOffset.to - change.nextOffset.from))\tkeys \(change.keyCount.from) -> "
                        + "\(change.keyCount.to)\tshared files \(change.sharedFiles.count), new \(change.addedFiles.joined(separator: ","))")
            }
        }
    }

    struct Dump: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a partition's entries in a checkpoint, sorted by key (key, then value in hex).")

        @OptionGroup var location: Location

        @Argument(help: "The checkpoint id.")
        var checkpoint: String

        @Option(help: "The partition's topic.")
        var topic: String

        @Option(help: "The partition's number.")
        var partition: Int32

        @Option(help: "Print at most this many entries.")
        var limit: Int?

        func run() throws {
            var printed = 0
            try location.openStore().dump(PartitionID(topic: topic, partition: partition), from: checkpoint) { key, value in
                guard printed < limit ?? Int.max else { return }
                print("\(key)\t\(value)")  // a value prints as hexadecimal digits
                printed += 1
            }
        }
    }
}

private func timestamp(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.string(from: date)
}
