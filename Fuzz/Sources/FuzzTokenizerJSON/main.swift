// tokenizer.json loading, then encoding and decoding a few texts.
import CFuzzerDriver
import Foundation
import FuzzSupport
import Tokenizers

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzTokenizerJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    guard let tokenizer = try? Tokenizer(path: FuzzFile.write(data, size, suffix: "json")) else { return 0 }
    for text in ["Hello, world!", "  spaces\tand\nlines  ", "ünïcödé 日本語 🙂", String(repeating: "ab ", count: 300)] {
        let encoding = tokenizer.encode(text, pair: "pair")
        _ = try? tokenizer.decode(encoding.ids)
    }
    return 0
}

exit(FuzzFile.runDriver(fuzzTokenizerJSON))
