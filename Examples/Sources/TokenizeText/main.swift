// Tokenizes text with a tokenizer.json, a model directory or a GGUF file, prints the ids, and
// looks tokens up both ways.
// Usage: TokenizeText TOKENIZER TEXT
import Foundation
import Tokenizers

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: TokenizeText TOKENIZER TEXT\n".utf8))
    exit(2)
}

do {
    let tokenizer = try Tokenizer(path: arguments[0])
    let encoding = tokenizer.encode(arguments[1])
    print(encoding.ids.map(String.init).joined(separator: " "))
    // Token text and id lookups agree with each other.
    for id in encoding.ids {
        guard let token = tokenizer.token(for: id), tokenizer.id(for: token) != nil else {
            FileHandle.standardError.write(Data("TokenizeText: id \(id) has no token text\n".utf8))
            exit(1)
        }
    }
    FileHandle.standardError.write(Data("tokens: \(encoding.tokens)\n".utf8))
} catch {
    FileHandle.standardError.write(Data("TokenizeText: \(error)\n".utf8))
    exit(1)
}
