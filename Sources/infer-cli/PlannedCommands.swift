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


struct Generate: PlannedCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate text with a GGUF Llama-family model, streaming tokens to stdout.",
        discussion: "Example: infer-cli generate --model SmolLM2-135M-Instruct.Q4_1.gguf --prompt 'Hello' -n 64")
    static let trackedIn = "issue 5: GGUF and text generation"
    @Argument(parsing: .allUnrecognized) var arguments: [String] = []
}

struct Embed: PlannedCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Compute sentence embeddings with a BERT-style model.",
        discussion: "Example: infer-cli embed --model all-MiniLM-L6-v2 --text 'a sentence'")
    static let trackedIn = "needs the ONNX and tokenizer issues (3 and 4)"
    @Argument(parsing: .allUnrecognized) var arguments: [String] = []
}
