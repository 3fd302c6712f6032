import ArgumentParser
import Foundation
import OnnxLoader
import TensorCore

/// Reads tensors from the files `run` and `bench` accept: `.pb` (TensorProto), `.npy`, `.json`.
enum TensorInputs {
    /// The tensor in `path`; `dtype` types JSON numbers (the graph input's declared type).
    static func read(path: String, dtype: DType?) throws -> Tensor {
        let lower = path.lowercased()
        do {
            if lower.hasSuffix(".npy") {
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw CommandError("cannot read \(path)")
                }
                return try NumpyFile.decode(Array(data), path: path)
            }
            if lower.hasSuffix(".json") {
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw CommandError("cannot read \(path)")
                }
                let value: Any
                do { value = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
                    throw CommandError(
                        "\(path) is not valid JSON: \((error as NSError).userInfo[NSDebugDescriptionErrorKey] ?? error)"
                    )
                }
                do { return try TensorJSON.tensor(from: value, dtype: dtype ?? .float32) } catch {
                    throw CommandError("\(path): \(error)")
                }
            }
            return try TensorFile.read(path: path).tensor
        } catch let error as CommandError {
            throw error
        } catch {
            throw CommandError("\(path): \(error)")
        }
    }

    /// The dtype a graph input declares.
    static func declaredType(_ info: ValueInfo) -> DType? {
        if case let .tensor(code, _)? = info.type { return OnnxDataType.dtype(code) }
        return nil
    }

    /// The declared shape of a graph input as text, e.g. `[batch_size, 3, 224, 224]`.
    static func describe(_ info: ValueInfo) -> String {
        guard case let .tensor(code, shape)? = info.type else { return "\(info.name) (non-tensor)" }
        let dims = shape.map { "[" + $0.map(\.description).joined(separator: ", ") + "]" } ?? "[?]"
        return "\(info.name) \(OnnxDataType.name(code)) \(dims)"
    }
}

/// `-t/--threads`, shared by the subcommands that compute.
struct ThreadOptions: ParsableArguments {
    @Option(
        name: [.customShort("t"), .long], help: "Worker threads (default: INFER_NUM_THREADS, else the number of cores)."
    )
    var threads: Int?

    @Option(
        help: "Largest single allocation sized by input, in MiB (default: INFER_MAX_MEMORY_MB, else 3/4 of memory).")
    var maxMemory: Int?

    func apply() throws {
        if let threads, !(1...ComputePool.maximumThreads).contains(threads) {
            throw CommandError("--threads must be 1 to \(ComputePool.maximumThreads), got \(threads)")
        }
        if let maxMemory {
            guard maxMemory >= 1, maxMemory <= Int.max >> 20 else {
                throw CommandError("--max-memory must be at least 1 (MiB), got \(maxMemory)")
            }
            MemoryBudget.setLimit(bytes: maxMemory << 20)
        }
        ComputePool.configure(threads: threads)
    }
}
