import Foundation
import GGUF
import TensorCore
import TestSupport
import XCTest

/// GGUF parsing, hostile headers, and dequantization against the `gguf` package.
final class GGUFFileTests: XCTestCase {
    func file(_ bytes: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gguf-test-\(UUID().uuidString).gguf")
            .path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func expect(_ bytes: [UInt8], _ check: (GGUFError) -> Bool, file: StaticString = #filePath, line: UInt = #line)
        throws
    {
        let path = try self.file(bytes)
        do {
            _ = try GGUFFile(path: path)
            XCTFail("opened a bad file", file: file, line: line)
        } catch {
            XCTAssertTrue(check(error), "unexpected error: \(error)", file: file, line: line)
            XCTAssertTrue(
                error.description.contains(path), "the message names the file: \(error)", file: file, line: line)
        }
    }

    func testReadsHeaderMetadataAndTensorsOfAHandMadeFile() throws {
        var w = GGUFWriter()
        w.header(tensors: 2, metadata: 3)
        w.string("general.architecture")
        w.u32(8)
        w.string("llama")
        w.string("nested")
        w.u32(9)
        w.u32(9)
        w.u64(2)
        for values: [UInt32] in [[1, 2], [3]] {
            w.u32(4)
            w.u64(UInt64(values.count))
            for v in values { w.u32(v) }
        }
        w.string("general.alignment")
        w.u32(4)
        w.u32(64)
        w.string("a")
        w.u32(2)
        w.u64(4)
        w.u64(2)
        w.u32(0)
        w.u64(0)
        w.string("b")
        w.u32(1)
        w.u64(32)
        w.u32(8)
        w.u64(64)
        w.pad(to: 64)
        for i in 0..<8 { withUnsafeBytes(of: Float(i).bitPattern.littleEndian) { w.bytes += $0 } }
        w.pad(to: 64)
        w.bytes += [0x00, 0x3C] + (0..<32).map { UInt8(bitPattern: Int8($0 - 16)) }  // Q8_0: d = 1.0
        let gguf = try GGUFFile(path: try file(w.bytes))
        XCTAssertEqual(gguf.version, 3)
        XCTAssertEqual(gguf["general.architecture"]?.string, "llama")
        XCTAssertEqual(gguf["nested"]?.array?.map { $0.array?.compactMap(\.int) ?? [] }, [[1, 2], [3]])
        XCTAssertEqual(gguf.alignment, 64)
        XCTAssertEqual(gguf.tensors.map(\.name), ["a", "b"])
        XCTAssertEqual(gguf.tensorInfo("a")?.shape, [2, 4])
        let a = try gguf.floatTensor("a")
        XCTAssertEqual(a.shape, [2, 4])
        XCTAssertEqual(try a.scalars(as: Float.self), (0..<8).map(Float.init))
        XCTAssertEqual(try gguf.floatTensor("b").scalars(as: Float.self), (0..<32).map { Float($0 - 16) })
    }

    func testHostileAndBrokenHeadersAreRejectedBeforeAllocating() throws {
        try expect(Array("GGML".utf8) + [3, 0, 0, 0]) {
            if case .notGGUF = $0 { return true }
            return false
        }
        var w = GGUFWriter()
        w.header(version: 1, tensors: 0, metadata: 0)
        try expect(w.bytes) {
            if case .unsupportedVersion(_, 1) = $0 { return true }
            return false
        }
        w = GGUFWriter()
        w.header(tensors: 1 << 60, metadata: 0)
        try expect(w.bytes) {
            if case .implausibleSize(_, _, "tensor count", _) = $0 { return true }
            return false
        }
        w = GGUFWriter()
        w.header(tensors: 0, metadata: 1)
        w.string("k")
        w.u32(9)
        w.u32(4)
        w.u64(1 << 50)
        try expect(w.bytes) {
            if case .implausibleSize = $0 { return true }
            return false
        }
        w = GGUFWriter()
        w.header(tensors: 0, metadata: 1)
        w.u64(1 << 62)
        try expect(w.bytes) {
            if case .implausibleSize = $0 { return true }
            return false
        }
        w = GGUFWriter()
        w.header(tensors: 0, metadata: 1)
        w.string("k")
        w.u32(77)
        try expect(w.bytes) {
            if case .unknownValueType(_, _, "k", 77) = $0 { return true }
            return false
        }
        w = GGUFWriter()
        w.header(tensors: 1, metadata: 0)
        w.string("t")
        w.u32(1)
        w.u64(32)
        w.u32(99)
        w.u64(0)
        try expect(w.bytes) {
            if case .unknownTensorType(_, "t", 99) = $0 { return true }
            return false
        }
        w = GGUFWriter()
        w.header(tensors: 1, metadata: 0)
        w.string("t")
        w.u32(1)
        w.u64(1024)
        w.u32(0)
        w.u64(0)
        w.pad(to: 32)
        try expect(w.bytes) {
            if case .tensorOutOfBounds(_, "t", _, 4096, _) = $0 { return true }
            return false
        }
        w = GGUFWriter()
        w.header(tensors: 1, metadata: 0)
        w.string("t")
        w.u32(1)
        w.u64(33)
        w.u32(2)
        w.u64(0)
        try expect(w.bytes) {
            if case .invalidTensor = $0 { return true }
            return false
        }
        // Every prefix of a real header is a clean error.
        let vocab = try Data(contentsOf: URL(fileURLWithPath: FixturePaths.smolLM2Vocab))
        for length in [0, 3, 4, 8, 20, 24, 100, 5000, vocab.count / 2, vocab.count * 9 / 10] {
            try expect(Array(vocab.prefix(length))) { error in
                switch error {
                case .truncated, .notGGUF, .implausibleSize: return true
                default: return false
                }
            }
        }
    }

    /// Every block format decodes bit-exactly as `gguf.quants.dequantize` (gguf 0.19.0) does, on
    /// random blocks and on blocks of the real SmolLM2 file (Fixtures/gguf/generate_dequant_goldens.py).
    func testDequantizationIsBitExactWithTheGGUFPackage() throws {
        let names = [
            "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K",
            "real-Q4_1", "real-Q8_0",
        ]
        for name in names {
            let type = try XCTUnwrap(
                GGMLType.allCases.first { $0.name == name.replacingOccurrences(of: "real-", with: "") })
            let blocks = try Data(contentsOf: URL(fileURLWithPath: FixturePaths.path("gguf/\(name).blocks")))
            let expected = try Data(contentsOf: URL(fileURLWithPath: FixturePaths.path("gguf/\(name).f32")))
            let count = blocks.count / type.blockBytes * type.blockElements
            XCTAssertEqual(count * 4, expected.count, name)
            var values = [Float](repeating: .nan, count: count)
            blocks.withUnsafeBytes { source in
                values.withUnsafeMutableBufferPointer { GGMLDequantize.values(source, type: type, into: $0) }
            }
            let wanted = expected.withUnsafeBytes { Array($0.bindMemory(to: UInt32.self)) }
            let mismatches = zip(values, wanted).enumerated().filter { $0.element.0.bitPattern != $0.element.1 }
            XCTAssertTrue(
                mismatches.isEmpty,
                "\(name): \(mismatches.count) of \(count) values differ, first at \(mismatches.first?.offset ?? -1)")
        }
    }

    func testModelFileTensorTable() throws {
        let gguf = try FixturePaths.smolLM2()
        XCTAssertEqual(gguf.tensors.count, 272)
        XCTAssertEqual(gguf["llama.block_count"]?.int, 30)
        let embedding = try XCTUnwrap(gguf.tensorInfo("token_embd.weight"))
        XCTAssertEqual(embedding.type, .q8_0)
        XCTAssertEqual(embedding.dimensions, [576, 49152])
        XCTAssertEqual(
            Dictionary(grouping: gguf.tensors, by: \.type.name).mapValues(\.count), ["Q4_1": 210, "F32": 61, "Q8_0": 1])
    }
}
