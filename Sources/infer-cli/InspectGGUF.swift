import Foundation
import GGUF
import Generation

/// `infer-cli inspect model.gguf`: metadata (long arrays summarised), tensors by type, parameter
/// count, file size and the architecture's hyperparameters.
enum InspectGGUF {
    static func run(path: String, json: Bool) throws {
        let file: GGUFFile
        do { file = try GGUFFile(path: path) } catch { throw CommandError(error) }
        var byType: [String: (count: Int, parameters: Int, bytes: Int)] = [:]
        for tensor in file.tensors {
            var entry = byType[tensor.type.name] ?? (0, 0, 0)
            entry.count += 1
            entry.parameters += tensor.elementCount
            entry.bytes += tensor.byteCount
            byType[tensor.type.name] = entry
        }
        let parameters = file.tensors.reduce(0) { $0 + $1.elementCount }
        let hyperparameters = try? TransformerHyperparameters(file: file)
        let architecture = file["general.architecture"]?.string ?? "?"
        if json {
            func plain(_ value: GGUFValue, depth: Int = 0) -> Any {
                switch value {
                case let .array(_, items):
                    if items.count > 16 {
                        return ["count": items.count, "first": items.prefix(8).map { plain($0, depth: depth + 1) }]
                            as [String: Any]
                    }
                    return items.map { plain($0, depth: depth + 1) }
                case let .string(s): return s
                case let .bool(b): return b
                case let .float32(f): return Double(f)
                case let .float64(d): return d
                default: return value.int ?? NSNull()
                }
            }
            var object: [String: Any] = [
                "path": path, "version": Int(file.version), "file_bytes": file.fileSize, "alignment": file.alignment,
                "architecture": architecture, "parameters": parameters, "tensor_count": file.tensors.count,
                "metadata": Dictionary(
                    file.metadata.map { ($0.key, plain($0.value)) }, uniquingKeysWith: { a, _ in a }),
                "tensor_types": byType.mapValues {
                    ["count": $0.count, "parameters": $0.parameters, "bytes": $0.bytes]
                },
            ]
            if let h = hyperparameters {
                object["hyperparameters"] =
                    [
                        "layers": h.layerCount, "embedding": h.embeddingLength, "feed_forward": h.feedForwardLength,
                        "heads": h.headCount,
                        "kv_heads": h.kvHeadCount, "head_dim": h.headDimension, "context": h.contextLength,
                        "vocab": h.vocabularySize,
                        "rope_base": Double(h.ropeFrequencyBase), "rope_dims": h.ropeDimensions,
                        "rms_epsilon": Double(h.rmsEpsilon),
                    ] as [String: Any]
            } else {
                object["supported"] = false
            }
            print(
                String(
                    decoding: try JSONSerialization.data(
                        withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self))
            return
        }
        print(
            "\(path): GGUF v\(file.version), \(String(format: "%.1f", Double(file.fileSize) / 1_048_576)) MB, \(file.tensors.count) tensors, \(parameters) parameters"
        )
        print("architecture: \(architecture)" + (hyperparameters == nil ? " (not supported for generation)" : ""))
        if let h = hyperparameters {
            print(
                "  layers \(h.layerCount), embedding \(h.embeddingLength), feed-forward \(h.feedForwardLength), heads \(h.headCount) (kv \(h.kvHeadCount)), head size \(h.headDimension)"
            )
            print(
                "  context \(h.contextLength), vocabulary \(h.vocabularySize), rope base \(h.ropeFrequencyBase) over \(h.ropeDimensions) dims, rms eps \(h.rmsEpsilon)"
            )
        }
        print("tensors by type:")
        for (name, entry) in byType.sorted(by: { $0.value.bytes > $1.value.bytes }) {
            print(
                "  \(name.padding(toLength: 6, withPad: " ", startingAt: 0)) \(entry.count) tensors, \(entry.parameters) parameters, \(String(format: "%.1f", Double(entry.bytes) / 1_048_576)) MB"
            )
        }
        print("metadata (\(file.metadata.count) keys):")
        for (key, value) in file.metadata { print("  \(key) = \(value.summary())") }
    }
}
