import XCTest

@testable import TensorCore

final class RealModelFileTests: XCTestCase {
    /// The SmolLM2 GGUF from `Fixtures/fetch.sh`: a 98 MB file mapped, not read.
    func testMapsARealModelFileWithoutCopying() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("Fixtures/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("run Fixtures/fetch.sh first (the README's test command does)")
        }
        let file = try MappedFile(path: path)
        XCTAssertEqual(file.byteCount, 98_362_432)
        let whole = try Tensor(borrowing: file, byteOffset: 0, shape: [file.byteCount], dtype: .uint8)
        XCTAssertTrue(whole.storage.isBorrowed)
        XCTAssertEqual(whole.baseAddress, file.bytes)
        let magic = try whole.sliced(axis: 0, start: 0, end: 4).scalars(as: UInt8.self)
        XCTAssertEqual(String(decoding: magic, as: UTF8.self), "GGUF")
    }
}
