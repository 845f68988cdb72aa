import ArgumentParser

/// The `exactly` command: the processor, its development broker and checkpoint tools.
@main
struct Exactly: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exactly",
        abstract: "A Kafka consumer-processor with exactly-once checkpoints.",
        subcommands: [RunCommand.self, BrokerCommand.self, CheckpointsCommand.self]
    )
}
