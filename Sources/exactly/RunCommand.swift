import ArgumentParser

/// `exactly run`: consume, process, produce and checkpoint.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline: consume, process, produce, checkpoint."
    )

    @Option(help: "The pipeline configuration (YAML).")
    var config: String?

    func run() async throws {
        // The runtime is its own issue; until it lands, say so plainly instead of pretending.
        throw ValidationError(
            "the processor is not built yet: `exactly run` arrives with the runtime. "
                + "Available now: `exactly broker` (once the development broker lands) and scripts/test.sh."
        )
    }
}
