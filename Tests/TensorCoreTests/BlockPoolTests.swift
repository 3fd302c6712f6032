import XCTest

@testable import TensorCore

final class BlockPoolTests: XCTestCase {
    func testLargeBlocksAreReusedAndSmallOnesAreNot() throws {
        var first: Tensor? = try Tensor(zeros: [1 << 18], dtype: .float32)
        let address = first?.baseAddress
        first = nil
        let second = try Tensor(zeros: [1 << 18], dtype: .float32)
        XCTAssertEqual(second.baseAddress, address, "a freed 1 MiB block serves the next tensor of that size")
        XCTAssertTrue(try second.scalars(as: Float.self).allSatisfy { $0 == 0 }, "reused zeroed storage is zero")
        XCTAssertLessThanOrEqual(BlockPool.cachedBytes, BlockPool.capacityBytes)
        BlockPool.releaseCachedBlocks()
        XCTAssertEqual(BlockPool.cachedBytes, 0)
    }
}
