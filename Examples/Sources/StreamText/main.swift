// Generates text with a GGUF model, printing each piece as soon as it is final, then a second
// turn in the same session (its cache keeps the first turn).
// Usage: StreamText MODEL.gguf PROMPT [SEED]
import Foundation
import Generation
import Tokenizers

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count == 2 || arguments.count == 3 else {
    FileHandle.standardError.write(Data("usage: StreamText MODEL.gguf PROMPT [SEED]\n".utf8))
    exit(2)
}

do {
    let generator = try TextGenerator(path: arguments[0])
    var request = GenerationRequest(messages: [.user(arguments[1])])
    request.maxTokens = 48
    request.sampling.seed = arguments.count == 3 ? UInt64(arguments[2]) ?? 0 : 0
    let session = try generator.makeSession()
    let reply = try generator.generate(request, session: session) { piece in
        FileHandle.standardOutput.write(Data(piece.utf8))
    }
    print()
    FileHandle.standardError.write(Data("\(reply.ids.count) tokens, \(reply.finishReason)\n".utf8))
    // A second turn: the conversation so far is already in the session's cache.
    var followUp = GenerationRequest(messages: [.user(arguments[1]), .assistant(reply.text), .user("Shorter, please.")])
    followUp.maxTokens = 16
    followUp.sampling.temperature = 0
    let second = try generator.generate(followUp, session: session)
    FileHandle.standardError.write(
        Data("second turn: \(second.reusedPromptTokens) of \(second.promptIds.count) prompt tokens reused\n".utf8))
} catch {
    FileHandle.standardError.write(Data("StreamText: \(error)\n".utf8))
    exit(1)
}
