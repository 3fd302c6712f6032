import ArgumentParser
import Foundation
import GGUF
import Generation
import OnnxLoader
import TensorCore

/// `infer-cli bench`: load time, latency percentiles and peak memory of an ONNX model.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract:
            "Measure an ONNX model's load time, latency and peak RSS, or a GGUF model's prefill and decode speed.",
        discussion: """
            GGUF (llama-bench's tests): a batch of -p tokens from an empty context, then -n tokens one at a time;
            prints tokens per second for each (--json: {"load_ms","prefill_tok_s","decode_tok_s","peak_rss_mb",...}).
            Example: infer-cli bench --model SmolLM2-135M-Instruct.Q4_1.gguf -p 128 -n 128 -t 1
            ONNX:
            Feeds the test_data_set_0/input_K.pb files beside the model when present, else random inputs of the
            declared shapes (symbolic dims from --dim, else 1). Kernel figures: swift run -c release kernel-bench.
            Example: infer-cli bench --model resnet18.onnx --threads 1 --runs 30 --json
            Tokenizer: encodes every "text" of a JSONL corpus on one thread; prints load time and MB/s
            (--json: {"load_ms","mb_per_s","tokens_per_s","bytes","tokens"}).
            Example: infer-cli bench --tokenizer tokenizer.json --corpus corpus.jsonl --runs 3
            """)

    @Option(help: "The ONNX or GGUF model file.") var model: String?
    @Option(help: "A tokenizer.json or .gguf to measure instead of a model.") var tokenizer: String?
    @Option(help: "Tokenizer: a JSONL file of {\"text\": ...} records to encode.") var corpus: String?
    @Option(help: "Timed runs (default 30 for ONNX, 3 for GGUF).") var runs: Int?
    @Option(help: "Untimed runs first (default 5 for ONNX, 1 for GGUF).") var warmup: Int?
    @Option(name: .customShort("p"), help: "GGUF: prompt tokens processed as one batch.") var promptTokens = 128
    @Option(name: .customShort("n"), help: "GGUF: tokens generated one at a time.") var generatedTokens = 128
    @Option(name: .customLong("dim"), help: "A symbolic dimension's value: NAME=VALUE (repeatable).") var dims:
        [String] = []
    @Flag(help: "One JSON object on stdout: load_ms, median_ms, p90_ms, min_ms, peak_rss_mb.") var json = false
    @Flag(help: "ONNX: print the time per op type and the slowest nodes (mean per run) to stderr.") var profile = false
    @OptionGroup var threadOptions: ThreadOptions

    func run() throws {
        if let tokenizer {
            // One thread by design: no worker pool, no OpenBLAS threads.
            guard model == nil, let corpus else { throw CommandError("--tokenizer takes a --corpus and no --model") }
            return try benchTokenizer(tokenizer, corpus: corpus, runs: runs ?? 3, warmup: warmup ?? 1)
        }
        try threadOptions.apply()
        guard let model else { throw CommandError("give --model (ONNX or GGUF) or --tokenizer with --corpus") }
        let isGGUF = model.lowercased().hasSuffix(".gguf")
        let runs = self.runs ?? (isGGUF ? 3 : 30), warmup = self.warmup ?? (isGGUF ? 1 : 5)
        guard runs > 0, warmup >= 0 else { throw CommandError("--runs must be positive and --warmup non-negative") }
        if isGGUF {
            try benchGGUF(model, runs: runs, warmup: warmup)
            return
        }
        var bindings: [String: Int] = [:]
        for entry in dims {
            let parts = entry.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let value = Int(parts[1]), value >= 0 else {
                throw CommandError("--dim expects NAME=VALUE, got '\(entry)'")
            }
            bindings[String(parts[0])] = value
        }
        let progress = isatty(STDERR_FILENO) == 1
        if progress { StandardError.write("loading \(model)...\n") }
        let start = Date()
        let session: InferenceSession
        do { session = try InferenceSession(path: model) } catch { throw CommandError("\(model): \(error)") }
        let loadMilliseconds = Date().timeIntervalSince(start) * 1000
        let inputs = try Self.inputs(for: session, model: model, bindings: bindings)
        var times: [Double] = []
        let nodeProfile = profile ? NodeProfile() : nil
        for iteration in 0..<(warmup + runs) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            do { _ = try session.run(inputs, profile: iteration >= warmup ? nodeProfile : nil) } catch {
                throw CommandError("\(model): \(error)")
            }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
            if iteration >= warmup { times.append(elapsed) }
            if progress { StandardError.write("\r\(iteration + 1)/\(warmup + runs)") }
        }
        if progress { StandardError.write("\n") }
        if let nodeProfile { Bench.report(nodeProfile, runs: runs) }
        times.sort()
        let median = times[times.count / 2],
            p90 = times[min(times.count - 1, Int((Double(times.count) * 0.9).rounded(.up)) - 1)]
        let peak = Bench.peakResidentMegabytes()
        if json {
            let object: [String: Double] = [
                "load_ms": loadMilliseconds, "median_ms": median, "p90_ms": p90, "min_ms": times[0],
                "peak_rss_mb": peak,
            ]
            print(
                String(
                    decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
            )
        } else {
            print(
                String(
                    format:
                        "load %.1f ms, median %.2f ms, p90 %.2f ms, min %.2f ms, peak RSS %.1f MB (%d runs, %d threads)",
                    loadMilliseconds, median, p90, times[0], peak, runs, ComputePool.threadCount))
        }
    }

    /// Per op type, then the 15 slowest nodes: milliseconds per run and share of the total.
    static func report(_ profile: NodeProfile, runs: Int) {
        let total = max(1, profile.entries.reduce(0) { $0 + $1.nanoseconds })
        func line(_ label: String, _ nanoseconds: UInt64) -> String {
            String(
                format: "%9.3f ms %5.1f%%  %@\n", Double(nanoseconds) / 1e6 / Double(runs),
                Double(nanoseconds) * 100 / Double(total), label)
        }
        StandardError.write("per op type (mean per run):\n")
        for (opType, nanoseconds) in profile.byOpType { StandardError.write(line(opType, nanoseconds)) }
        StandardError.write("slowest nodes:\n")
        for entry in profile.entries.sorted(by: { $0.nanoseconds > $1.nanoseconds }).prefix(15) {
            StandardError.write(line("\(entry.node) (\(entry.opType))", entry.nanoseconds))
        }
    }

    /// Peak resident memory of this process so far, in MB.
    static func peakResidentMegabytes() -> Double {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    /// llama-bench's pp and tg tests on a GGUF model: medians over `runs` after `warmup` runs.
    private func benchGGUF(_ model: String, runs: Int, warmup: Int) throws {
        guard promptTokens > 0, generatedTokens > 0 else { throw CommandError("-p and -n must be positive") }
        let progress = isatty(STDERR_FILENO) == 1
        let start = DispatchTime.now().uptimeNanoseconds
        let file: GGUFFile, llama: any CausalLanguageModel, cache: KVCache
        do {
            file = try GGUFFile(path: model)
            llama = try LanguageModels.load(file)
            cache = try llama.makeCache(contextLength: promptTokens + generatedTokens)
        } catch { throw CommandError("\(error)") }
        let loadMilliseconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        let vocabulary = llama.hyperparameters.vocabularySize
        let prompt = (0..<promptTokens).map { ($0 * 7919 + 13) % vocabulary }
        var prefill: [Double] = [], decode: [Double] = []
        for run in 0..<(warmup + runs) {
            cache.reset()
            let t0 = DispatchTime.now().uptimeNanoseconds
            do { _ = try llama.forward(prompt, cache: cache) } catch { throw CommandError("\(error)") }
            let t1 = DispatchTime.now().uptimeNanoseconds
            var token = prompt[prompt.count - 1]
            for _ in 0..<generatedTokens {
                do { _ = try llama.forward([token], cache: cache) } catch { throw CommandError("\(error)") }
                token = (token * 31 + 7) % vocabulary
            }
            let t2 = DispatchTime.now().uptimeNanoseconds
            if run >= warmup {
                prefill.append(Double(promptTokens) / (Double(t1 - t0) / 1e9))
                decode.append(Double(generatedTokens) / (Double(t2 - t1) / 1e9))
            }
            if progress { StandardError.write("\r\(run + 1)/\(warmup + runs)") }
        }
        if progress { StandardError.write("\n") }
        prefill.sort()
        decode.sort()
        let prefillMedian = prefill[prefill.count / 2], decodeMedian = decode[decode.count / 2]
        let peak = Bench.peakResidentMegabytes()
        if json {
            let object: [String: Any] = [
                "load_ms": (loadMilliseconds * 10).rounded() / 10,
                "prefill_tok_s": (prefillMedian * 100).rounded() / 100,
                "decode_tok_s": (decodeMedian * 100).rounded() / 100, "peak_rss_mb": (peak * 10).rounded() / 10,
                "threads": ComputePool.threadCount, "p": promptTokens, "n": generatedTokens,
                "file_mb": (Double(file.fileSize) / 1_048_576 * 10).rounded() / 10,
                "kv_cache_mb": (Double(cache.byteCount) / 1_048_576 * 10).rounded() / 10,
            ]
            print(
                String(
                    decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
            )
        } else {
            print(
                String(
                    format: "load %.0f ms, pp%d %.2f tok/s, tg%d %.2f tok/s, peak RSS %.1f MB (%d runs, %d threads)",
                    loadMilliseconds, promptTokens, prefillMedian, generatedTokens, decodeMedian, peak, runs,
                    ComputePool.threadCount))
        }
    }

    /// The test_data_set_0 inputs beside the model, else seeded random inputs of the declared shapes.
    static func inputs(for session: InferenceSession, model: String, bindings: [String: Int]) throws -> [Tensor] {
        let folder = (model as NSString).deletingLastPathComponent + "/test_data_set_0"
        let files = session.inputs.indices.map { "\(folder)/input_\($0).pb" }
        if files.allSatisfy({ FileManager.default.fileExists(atPath: $0) }) {
            return try files.map { try TensorFile.read(path: $0).tensor }
        }
        var generator = SystemRandomNumberGenerator()
        return try session.inputs.map { info in
            guard case let .tensor(code, shape)? = info.type, let dtype = OnnxDataType.dtype(code) else {
                throw CommandError("input '\(info.name)' is not a tensor of a supported type")
            }
            let dims = (shape ?? []).map { dim -> Int in
                switch dim {
                case let .value(v): return v
                case let .symbol(name): return bindings[name] ?? 1
                case .unknown: return 1
                }
            }
            // Floats uniform in [-1, 1]; integers (ids, masks) small non-negative values.
            let values = (0..<dims.reduce(1, *)).map { _ in
                dtype.isFloatingPoint
                    ? Double.random(in: -1...1, using: &generator) : Double(Int.random(in: 0...9, using: &generator))
            }
            return try Tensor(shape: dims, scalars: values).cast(to: dtype)
        }
    }
}
