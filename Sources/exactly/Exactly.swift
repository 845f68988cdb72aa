import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

/// The `exactly` command: the processor, its development broker and checkpoint tools.
@main
struct Exactly: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exactly",
        abstract: "A Kafka consumer-processor with exactly-once checkpoints.",
        subcommands: [RunCommand.self, BrokerCommand.self, CheckpointsCommand.self]
    )

    /// Parses and runs the command. Unlike ArgumentParser's own `main`, a value refused while
    /// the command runs (a bad configuration file, a checkpoint that does not exist) prints its
    /// message without the usage summary after it: the command line was fine, and the summary
    /// only buried the line that says what to fix. Command-line mistakes still get the usage.
    /// Either way the exit status is 64 (EX_USAGE), as before.
    static func main() async {
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let refusal as ValidationError {
            let line = Array("Error: \(refusal.message)\n".utf8)
            _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
            exit(withError: ExitCode.validationFailure)
        } catch {
            exit(withError: error)
        }
    }
}
