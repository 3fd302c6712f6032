import XCTest

@testable import TensorCore

final class TensorViewTests: XCTestCase {
    func testPermuteSliceBroadcastMatchIndexArithmetic() throws {
        var rng = SeededRandom(seed: 1)
        for _ in 0..<40 {
            let rank = Int.random(in: 1...4, using: &rng)
            let shape = randomShape(rank: rank, &rng, dims: 0...5)
            let t = randomFloats(shape, &rng)
            // Permute.
            let order = Array(0..<rank).shuffled(using: &rng)
            let p = try t.permuted(order)
            for index in allIndices(p.shape) {
                var source = [Int](repeating: 0, count: rank)
                for (i, axis) in order.enumerated() { source[axis] = index[i] }
                XCTAssertEqual(value(p, index), value(t, source))
            }
            XCTAssertEqual(try p.contiguous().scalars(as: Float.self).count, t.count)
            XCTAssertTrue(p.contiguous().isContiguous)
            // Slice with any step, negative too.
            let axis = Int.random(in: 0..<rank, using: &rng)
            let step = [-3, -2, -1, 1, 2, 3].randomElement(using: &rng)!
            let start = Int.random(in: -7...7, using: &rng), end = Int.random(in: -7...7, using: &rng)
            let s = try t.sliced(axis: axis, start: start, end: end, step: step)
            let expected = Array(stride(from: 0, to: shape[axis], by: 1)).filter { _ in true }
            let positions = pythonSlice(count: shape[axis], start: start, end: end, step: step)
            XCTAssertEqual(
                s.shape[axis], positions.count, "slice \(start):\(end):\(step) of \(shape[axis]) (\(expected.count))")
            for index in allIndices(s.shape) {
                var source = index
                source[axis] = positions[index[axis]]
                XCTAssertEqual(value(s, index), value(t, source))
            }
            XCTAssertEqual(try s.contiguous().scalars(as: Float.self), allIndices(s.shape).map { Float(value(s, $0)) })
        }
    }

    /// Python's `range(count)[start:end:step]`, written out longhand.
    private func pythonSlice(count: Int, start: Int, end: Int, step: Int) -> [Int] {
        var result: [Int] = []
        for i in 0..<count {
            let lo =
                step > 0
                ? (start < 0 ? max(start + count, 0) : min(start, count))
                : (end < 0 ? max(end + count, -1) : min(end, count - 1))
            let hi =
                step > 0
                ? (end < 0 ? max(end + count, 0) : min(end, count))
                : (start < 0 ? max(start + count, -1) : min(start, count - 1))
            if step > 0, i >= lo, i < hi, (i - lo) % step == 0 { result.append(i) }
            if step < 0, i > lo, i <= hi, (hi - i) % -step == 0 { result.append(i) }
        }
        return step > 0 ? result : result.reversed()
    }

    func testBroadcastReshapeSqueeze() throws {
        let t = try Tensor(shape: [3, 1], scalars: [Float(1), 2, 3])
        let b = try t.broadcast(to: [2, 3, 4])
        XCTAssertEqual(b.strides, [0, 1, 0])
        XCTAssertEqual(value(b, [1, 2, 3]), 3)
        XCTAssertThrowsError(try t.broadcast(to: [2, 2])) { error in
            XCTAssertTrue("\(error)".contains("[3, 1]"), "\(error)")
        }
        let r = try b.reshaped([-1, 4])
        XCTAssertEqual(r.shape, [6, 4])
        XCTAssertEqual(try r.scalars(as: Float.self)[4...7], [2, 2, 2, 2])
        XCTAssertThrowsError(try b.reshaped([5, -1]))
        XCTAssertThrowsError(try b.reshaped([-1, -1]))
        XCTAssertEqual(try t.squeezed().shape, [3])
        XCTAssertEqual(try t.unsqueezed(axes: [0, -1]).shape, [1, 3, 1, 1])
        XCTAssertThrowsError(try t.squeezed(axes: [0])) {
            XCTAssertEqual(
                $0 as? TensorError, .invalidArgument(op: "squeeze", reason: "axis 0 has size 3, not 1 (shape [3, 1])"))
        }
        XCTAssertEqual(try t.flattened(axis: 0).shape, [1, 3])
        let empty = try Tensor(zeros: [0, 3], dtype: .float32)
        XCTAssertEqual(try empty.reshaped([3, 0, 5]).shape, [3, 0, 5])
        let scalar = Tensor(scalar: Float(7))
        XCTAssertEqual(scalar.rank, 0)
        XCTAssertEqual(try scalar.broadcast(to: [2, 2]).contiguous().scalars(as: Float.self), [7, 7, 7, 7])
    }

    func testCopyOnWriteAndAlignment() throws {
        let a = try Tensor(shape: [4], scalars: [Float(1), 2, 3, 4])
        var b = a
        try b.withUnsafeMutableBuffer(as: Float.self) { $0[0] = 100 }
        XCTAssertEqual(try a.scalars(as: Float.self), [1, 2, 3, 4])
        XCTAssertEqual(try b.scalars(as: Float.self), [100, 2, 3, 4])
        XCTAssertEqual(Int(bitPattern: a.baseAddress) % 64, 0)
        XCTAssertThrowsError(try a.scalars(as: Int32.self)) {
            XCTAssertEqual($0 as? TensorError, .dtypeMismatch(op: "scalars", dtypes: [.float32, .int32]))
        }
    }

    func testBorrowsMappedFileWithoutCopying() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("infer-map-\(getpid()).bin").path
        var bytes = [UInt8](repeating: 0, count: 8)
        bytes += [Float(1.5), -2, 3.25].flatMap { withUnsafeBytes(of: $0) { Array($0) } }
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try MappedFile(path: path)
        let t = try Tensor(borrowing: file, byteOffset: 8, shape: [3], dtype: .float32)
        XCTAssertTrue(t.storage.isBorrowed)
        XCTAssertEqual(t.baseAddress, file.bytes.map { $0 + 8 })
        XCTAssertEqual(try t.scalars(as: Float.self), [1.5, -2, 3.25])
        var copy = t
        try copy.withUnsafeMutableBuffer(as: Float.self) { $0[1] = 9 }
        XCTAssertFalse(copy.storage.isBorrowed)
        XCTAssertEqual(try t.scalars(as: Float.self), [1.5, -2, 3.25])
        XCTAssertThrowsError(try Tensor(borrowing: file, byteOffset: 8, shape: [4], dtype: .float32))
        XCTAssertThrowsError(try MappedFile(path: "/nonexistent/file"))
    }

    func testStringTensors() throws {
        let t = try Tensor(shape: [2, 2], strings: ["a", "b", "c", "d"])
        XCTAssertEqual(try t.transposed().stringScalars(), ["a", "c", "b", "d"])
        XCTAssertEqual(
            try t.gather(indices: Tensor(shape: [1], scalars: [Int64(1)]), axis: 0).stringScalars(), ["c", "d"])
        XCTAssertEqual(try Tensor.concat([t, t], axis: 1).stringScalars(), ["a", "b", "a", "b", "c", "d", "c", "d"])
        XCTAssertEqual(try t.padded([0, 1, 0, 0], mode: .constant).stringScalars(), ["", "a", "b", "", "c", "d"])
    }

    func testRejectsHugeShapesBeforeAllocating() {
        XCTAssertThrowsError(try Tensor(zeros: [1 << 30, 1 << 30], dtype: .float32)) {
            XCTAssertEqual($0 as? TensorError, .tooLarge(op: "zeros", shape: [1 << 30, 1 << 30]))
        }
        XCTAssertThrowsError(try Tensor(zeros: [-1], dtype: .float32))
    }
}
