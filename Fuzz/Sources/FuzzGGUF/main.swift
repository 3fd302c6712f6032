// GGUF headers and metadata, then the model and tokenizer they describe, then one token.
import CFuzzerDriver
import Foundation
import FuzzSupport
import GGUF
import Generation
import Tokenizers

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzGGUF(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    guard let file = try? GGUFFile(path: FuzzFile.write(data, size, suffix: "gguf")) else { return 0 }
    if let tokenizer = try? Tokenizer(gguf: file) {
        _ = tokenizer.encode("Hello, world! 123")
        _ = try? tokenizer.applyChatTemplate([.system("s"), .user("u")])
    }
    if let model = try? LanguageModels.load(file), let cache = try? model.makeCache(contextLength: 8) {
        _ = try? model.forward([0], cache: cache)
    }
    return 0
}

exit(FuzzFile.runDriver(fuzzGGUF))
