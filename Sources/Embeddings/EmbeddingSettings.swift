import Foundation

/// Pooling, normalisation and input length as a model's own files give them
/// (sentence-transformers' `modules.json`, `1_Pooling/config.json`, `sentence_bert_config.json`;
/// `tokenizer_config.json`'s `model_max_length`), before command-line overrides.
struct EmbeddingSettings: Sendable, Equatable {
    var pooling: Pooling = .mean
    var normalize = false
    var maxLength: Int?

    /// Reads the configuration files in `directory`; absent files leave the defaults
    /// (mean pooling, no normalisation, as sentence-transformers wraps a plain Hugging Face model).
    init(directory: String) throws(EmbeddingError) {
        let modulesPath = directory + "/modules.json"
        if let modules = try Self.json(modulesPath) as? [[String: Any]] {
            for module in modules {
                let type = module["type"] as? String ?? ""
                let path = module["path"] as? String ?? ""
                switch type.split(separator: ".").last.map(String.init) ?? "" {
                case "Transformer": break
                case "Pooling": pooling = try Self.pooling(directory + "/" + path + "/config.json")
                case "Normalize": normalize = true
                default:
                    throw .invalidConfiguration(
                        path: modulesPath, key: "type",
                        reason: "lists module '\(type)'; embed runs Transformer, Pooling and Normalize modules")
                }
            }
        }
        if let config = try Self.json(directory + "/sentence_bert_config.json") as? [String: Any],
            let length = (config["max_seq_length"] as? NSNumber)?.intValue, length > 0
        {
            maxLength = length
        } else if let config = try Self.json(directory + "/tokenizer_config.json") as? [String: Any],
            let length = (config["model_max_length"] as? NSNumber)?.doubleValue, length > 0, length < 1e7
        {
            maxLength = Int(length)
        }
    }

    init(pooling: Pooling, normalize: Bool, maxLength: Int?) {
        self.pooling = pooling
        self.normalize = normalize
        self.maxLength = maxLength
    }

    private static func pooling(_ path: String) throws(EmbeddingError) -> Pooling {
        guard let config = try json(path) as? [String: Any] else {
            throw .missingFile(
                directory: (path as NSString).deletingLastPathComponent, file: "config.json",
                reason: "modules.json names a Pooling module here")
        }
        let modes: [(String, Pooling?)] = [
            ("pooling_mode_cls_token", .cls), ("pooling_mode_mean_tokens", .mean), ("pooling_mode_max_tokens", .max),
            ("pooling_mode_lasttoken", .last), ("pooling_mode_mean_sqrt_len_tokens", nil),
            ("pooling_mode_weightedmean_tokens", nil),
        ]
        let chosen = modes.filter { (config[$0.0] as? Bool) == true }
        guard chosen.count == 1, let mode = chosen[0].1 else {
            let names = chosen.map(\.0).joined(separator: ", ")
            throw .invalidConfiguration(
                path: path, key: "pooling_mode_*",
                reason:
                    "selects \(names.isEmpty ? "no mode" : names); embed pools with exactly one of cls, mean, max, lasttoken"
            )
        }
        return mode
    }

    /// The parsed JSON at `path`, or nil when there is no such file.
    private static func json(_ path: String) throws(EmbeddingError) -> Any? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw .invalidConfiguration(
                path: path, key: "(root)", reason: "is not readable JSON: \(error.localizedDescription)")
        }
    }
}
