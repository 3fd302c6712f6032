import Foundation
import GGUF

extension Tokenizer {
    /// Loads the tokenizer at `path`, whichever format it is in:
    /// - a GGUF file (its `tokenizer.ggml.*` vocabulary, as llama.cpp reads it);
    /// - a Hugging Face `tokenizer.json`, with `tokenizer_config.json` beside it when present
    ///   (chat template, BOS and EOS tokens);
    /// - a model directory holding `tokenizer.json`.
    public init(path: String) throws(TokenizerError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .cannotRead(path: path)
        }
        if isDirectory.boolValue {
            try self.init(path: (path as NSString).appendingPathComponent("tokenizer.json"))
            return
        }
        if Tokenizer.isGGUF(path) {
            let file: GGUFFile
            do { file = try GGUFFile(path: path) } catch { throw .file(error) }
            try self.init(gguf: file)
            return
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw .cannotRead(path: path) }
        try self.init(source: [UInt8](data), name: path)
        let config = ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(
            "tokenizer_config.json")
        if FileManager.default.fileExists(atPath: config) { try applyConfiguration(path: config) }
    }

    /// Whether the file at `path` starts with GGUF's magic.
    static func isGGUF(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 4)) == Data("GGUF".utf8)
    }

    /// Reads the chat template and the BOS/EOS tokens of a `tokenizer_config.json`.
    mutating func applyConfiguration(path: String) throws(TokenizerError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw .cannotRead(path: path) }
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: data) } catch {
            throw .malformedJSON(path: path, reason: error.localizedDescription)
        }
        guard let config = parsed as? [String: Any] else {
            throw .malformedJSON(path: path, reason: "the top level is not an object")
        }
        // A token is a string or an AddedToken object with "content".
        func token(_ key: String) -> String? {
            if let text = config[key] as? String { return text }
            return (config[key] as? [String: Any])?["content"] as? String
        }
        bosToken = token("bos_token")
        eosToken = token("eos_token")
        var source: String?
        switch config["chat_template"] {
        case let text as String: source = text
        case let named as [[String: Any]]:
            // Several named templates: the one called "default", else the first.
            let chosen = named.first { $0["name"] as? String == "default" } ?? named.first
            source = chosen?["template"] as? String
        case nil, is NSNull: source = nil
        default:
            throw .invalidField(
                jsonPath: "\(path): $.chat_template", reason: "expected a string or a list of named templates")
        }
        if let source { setChatTemplate(source) }
    }

    /// Compiles the model's chat template. One that does not compile leaves the tokenizer usable for
    /// plain text; ``applyChatTemplate(_:addGenerationPrompt:)`` then reports why.
    mutating func setChatTemplate(_ source: String) {
        do {
            chatTemplate = try ChatTemplate(source, bosToken: bosToken, eosToken: eosToken)
        } catch {
            chatTemplateProblem = error.description
        }
    }
}
