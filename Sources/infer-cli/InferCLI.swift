import ArgumentParser
import Foundation
import TensorCore

/// The `infer-cli` command: a thin skin over the infer libraries.
@main
struct InferCLI: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "infer-cli",
        abstract:
            "Run ONNX, GGUF and safetensors models on the CPU: classification, embeddings, text generation, tokenization, batch jobs.",
        discussion: """
            Results go to stdout; logs, progress and timings go to stderr. `-` reads stdin.
            Exit codes: 0 ok, 1 some records failed, 2 usage or load error.
            """,
        version: "infer-cli \(version)",
        subcommands: [
            Classify.self, Embed.self, Generate.self, Run.self, Serve.self, Inspect.self, Tokenize.self,
            Detokenize.self, Bench.self,
        ]
    )

    /// Parses and runs, mapping every usage error to exit code 2 (the project's convention).
    static func main() {
        BLASRuntime.restartWithTunedKernelsIfNeeded()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                exit(withError: error)
            }
            if error is ExitCode {
                Foundation.exit(code.rawValue)
            }
            // Usage errors, unreadable models and bad inputs all exit 2, with the message.
            let message = error is CommandError ? "infer-cli: \(error)" : fullMessage(for: error)
            if !message.isEmpty {
                StandardError.write(message + "\n")
            }
            Foundation.exit(2)
        }
    }
}

/// The diagnostics channel: stderr, so stdout stays clean for pipelines.
enum StandardError {
    static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}

/// A failure a subcommand reports: the message says what and where; the exit code is 2.
struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
    init(_ error: any Error) { description = "\(error)" }
}
