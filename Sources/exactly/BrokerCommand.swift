import ArgumentParser

/// `exactly broker`: the embedded development broker.
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run the single-node development broker (not for production)."
    )

    @Option(help: "The address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "The port to listen on.")
    var port: Int = 9092

    @Option(help: "Keep the log and the group and transaction state in this directory.")
    var dataDir: String?

    func run() async throws {
        throw ValidationError("the development broker is not built yet.")
    }
}
