import OnnxLoader
import TensorCore

/// A text encoder exported to ONNX (`torch.onnx`, optimum): int64 `input_ids`, optional
/// `attention_mask`, `token_type_ids` and `position_ids` of shape `[batch, sequence]` in; the
/// token states `[batch, sequence, hidden]` out (`last_hidden_state`, `token_embeddings`, or the
/// first rank-3 output). A batch is padded to its longest text and masked.
public final class OnnxEncoder: SentenceEncoder {
    public let session: InferenceSession
    public let hiddenSize: Int
    public let vocabularySize: Int?
    public let maxTokens: Int?
    /// The output read as token states.
    public let outputName: String
    private let inputNames: Set<String>
    private let padId: Int

    /// Loads `path`; `padId` fills the padded positions.
    public init(path: String, padId: Int = 0) throws(EmbeddingError) {
        do { session = try InferenceSession(path: path) } catch {
            throw .unsupportedGraph(path: path, reason: "\(error)")
        }
        let names = Set(session.inputs.map(\.name))
        let known: Set<String> = ["input_ids", "attention_mask", "token_type_ids", "position_ids"]
        guard names.contains("input_ids") else {
            throw .unsupportedGraph(path: path, reason: "it has no 'input_ids' input (inputs: \(names.sorted()))")
        }
        if let other = names.subtracting(known).sorted().first {
            let hint = other.hasPrefix("past") ? " (this looks like a decoder with past key/values: use generate)" : ""
            throw .unsupportedGraph(path: path, reason: "it takes input '\(other)', which an encoder does not\(hint)")
        }
        inputNames = names
        func rank3(_ info: ValueInfo) -> Int? {
            if case let .tensor(_, shape?) = info.type, shape.count == 3 {
                if case let .value(width) = shape[2] { return width }
                return 0
            }
            return nil
        }
        let preferred = ["last_hidden_state", "token_embeddings"]
        guard
            let output = session.outputs.first(where: { preferred.contains($0.name) })
                ?? session.outputs.first(where: { rank3($0) != nil })
        else {
            throw .unsupportedGraph(
                path: path,
                reason:
                    "no output holds token states [batch, sequence, hidden] (outputs: \(session.outputs.map(\.name)))")
        }
        outputName = output.name
        let declared = rank3(output) ?? 0
        var tableRows: Int?
        var width = declared
        // The token embedding table: the largest 2-D float initializer (rows = vocabulary).
        for (_, tensor) in session.model.graph.initializers where tensor.rank == 2 && tensor.dtype.isFloatingPoint {
            if tensor.shape[0] > (tableRows ?? 0) {
                tableRows = tensor.shape[0]
                if declared == 0 { width = tensor.shape[1] }
            }
        }
        guard width > 0 else {
            throw .unsupportedGraph(path: path, reason: "the hidden size of '\(output.name)' is not declared")
        }
        hiddenSize = width
        vocabularySize = tableRows
        maxTokens = nil
        self.padId = padId
    }

    public func hiddenStates(_ batch: [EncoderInput]) throws(EmbeddingError) -> [[Float]] {
        try validate(batch, typeRows: Int.max)
        guard let longest = batch.map(\.ids.count).max() else { return [] }
        let count = batch.count * longest
        var ids = [Int64](repeating: Int64(padId), count: count)
        var mask = [Int64](repeating: 0, count: count)
        var types = [Int64](repeating: 0, count: count)
        var positions = [Int64](repeating: 0, count: count)
        for (row, input) in batch.enumerated() {
            for t in input.ids.indices {
                ids[row * longest + t] = Int64(input.ids[t])
                mask[row * longest + t] = 1
                types[row * longest + t] = Int64(input.typeIds[t])
                positions[row * longest + t] = Int64(t)
            }
        }
        let shape = [batch.count, longest]
        var feeds: [String: Tensor] = [:]
        let output: Tensor
        do {
            let values = [
                "input_ids": ids, "attention_mask": mask, "token_type_ids": types, "position_ids": positions,
            ]
            for (name, data) in values where inputNames.contains(name) {
                feeds[name] = try Tensor(shape: shape, scalars: data)
            }
            guard let result = try session.run(feeds)[outputName] else {
                throw EmbeddingError.executionFailed(reason: "the graph produced no '\(outputName)'")
            }
            output = result
        } catch let error as EmbeddingError {
            throw error
        } catch {
            throw .executionFailed(reason: "\(error)")
        }
        guard output.shape == [batch.count, longest, hiddenSize] else {
            throw .executionFailed(
                reason: "'\(outputName)' has shape \(output.shape), expected \([batch.count, longest, hiddenSize])")
        }
        let floats: [Float]
        do { floats = try output.cast(to: .float32).scalars(as: Float.self) } catch {
            throw .executionFailed(reason: "'\(outputName)' is not numeric: \(error)")
        }
        return batch.enumerated().map { row, input in
            let start = row * longest * hiddenSize
            return Array(floats[start..<(start + input.ids.count * hiddenSize)])
        }
    }
}
