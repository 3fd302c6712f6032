import ArgumentParser

/// A subcommand whose implementation has not landed yet: it says so on stderr and exits 2.
protocol PlannedCommand: ParsableCommand {
    /// Where the work is tracked.
    static var trackedIn: String { get }
    var arguments: [String] { get }
}

extension PlannedCommand {
    func run() throws {
        let name = Self.configuration.commandName ?? "\(Self.self)".lowercased()
        StandardError.write("infer-cli \(name): not implemented yet (\(Self.trackedIn))\n")
        throw ExitCode(2)
    }
}


struct Embed: PlannedCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Compute sentence embeddings with a BERT-style model.",
        discussion: "Example: infer-cli embed --model all-MiniLM-L6-v2 --text 'a sentence'")
    static let trackedIn = "needs the ONNX and tokenizer issues (3 and 4)"
    @Argument(parsing: .allUnrecognized) var arguments: [String] = []
}
