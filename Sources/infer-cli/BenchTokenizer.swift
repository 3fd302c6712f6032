import ArgumentParser
import Foundation
import Tokenizers

extension Bench {
    /// Encodes every record of `corpus` with `path`'s tokenizer on this thread, `runs` times after
    /// `warmup` passes; reports the load time and the best pass's MB/s of UTF-8 text.
    func benchTokenizer(_ path: String, corpus: String, runs: Int, warmup: Int) throws {
        guard runs > 0, warmup >= 0 else { throw CommandError("--runs must be positive and --warmup non-negative") }
        guard let data = FileManager.default.contents(atPath: corpus) else {
            throw CommandError("cannot read \(corpus)")
        }
        struct Record: Decodable { let text: String }
        let decoder = JSONDecoder()
        var texts: [String] = []
        for (number, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() {
            guard let record = try? decoder.decode(Record.self, from: Data(line)) else {
                throw CommandError("\(corpus): line \(number + 1) is not a JSON object with a \"text\" string")
            }
            texts.append(record.text)
        }
        let bytes = texts.reduce(0) { $0 + $1.utf8.count }
        let start = DispatchTime.now().uptimeNanoseconds
        var tokenizer = try loadTokenizer(path)
        let loadMilliseconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        tokenizer.truncation = nil
        tokenizer.padding = nil
        let progress = isatty(STDERR_FILENO) == 1
        var best = Double.infinity
        var tokens = 0
        for pass in 0..<(warmup + runs) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            var count = 0
            for text in texts { count += tokenizer.encode(text).count }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            if pass >= warmup { best = min(best, seconds) }
            tokens = count
            if progress {
                StandardError.write(
                    "\rpass \(pass + 1)/\(warmup + runs): \(String(format: "%.2f", Double(bytes) / 1e6 / seconds)) MB/s"
                )
            }
        }
        if progress { StandardError.write("\n") }
        let megabytesPerSecond = Double(bytes) / 1e6 / best
        if json {
            let object: [String: Double] = [
                "load_ms": loadMilliseconds, "mb_per_s": megabytesPerSecond, "tokens_per_s": Double(tokens) / best,
                "bytes": Double(bytes), "tokens": Double(tokens),
            ]
            print(
                String(
                    decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
            )
        } else {
            print(
                String(
                    format: "load %.1f ms, %.2f MB/s, %.0f tokens/s (%d records, %d bytes, %d tokens, best of %d)",
                    loadMilliseconds, megabytesPerSecond, Double(tokens) / best, texts.count, bytes, tokens, runs))
        }
    }
}
