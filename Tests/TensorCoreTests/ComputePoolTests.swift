import Synchronization
import XCTest

@testable import TensorCore

final class ComputePoolTests: XCTestCase {
    func testParallelForRunsEveryTaskOnce() {
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: 1000)
        counts.initialize(repeating: 0)
        defer { counts.deallocate() }
        ComputePool.parallelFor(1000) { counts[$0] += 1 }
        XCTAssertTrue(counts.allSatisfy { $0 == 1 })
        let seen = Mutex<[Range<Int>]>([])
        ComputePool.parallelRanges(1001, grain: 10) { range in seen.withLock { $0.append(range) } }
        let ranges = seen.withLock { $0 }.sorted { $0.lowerBound < $1.lowerBound }
        XCTAssertEqual(ranges.first?.lowerBound, 0)
        XCTAssertEqual(ranges.last?.upperBound, 1001)
        for (a, b) in zip(ranges, ranges.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound) }
        XCTAssertGreaterThanOrEqual(ComputePool.threadCount, 1)
    }
}
