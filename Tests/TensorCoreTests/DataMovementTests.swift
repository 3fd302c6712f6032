import XCTest

@testable import TensorCore

final class DataMovementTests: XCTestCase {
    func testGatherAndGatherElements() throws {
        var rng = SeededRandom(seed: 50)
        for _ in 0..<30 {
            let shape = randomShape(rank: Int.random(in: 1...3, using: &rng), &rng, dims: 1...4)
            let axis = Int.random(in: 0..<shape.count, using: &rng)
            let dtype = [DType.float32, .int64, .uint8, .float16, .bool].randomElement(using: &rng)!
            let data = nonContiguous(
                dtype == .bool ? try randomTensor(shape, .int8, &rng).cast(to: .bool) : randomTensor(shape, dtype, &rng)
            )
            let indexShape = randomShape(rank: Int.random(in: 0...2, using: &rng), &rng, dims: 0...3)
            let raw = (0..<indexShape.reduce(1, *)).map { _ in
                Int64.random(in: Int64(-shape[axis])..<Int64(shape[axis]), using: &rng)
            }
            let indices = try Tensor(shape: indexShape, scalars: raw)
            let got = try data.gather(indices: indices, axis: axis)
            let expected = makeTensor(Array(shape[..<axis]) + indexShape + Array(shape[(axis + 1)...])) { index in
                let position = index[axis..<(axis + indexShape.count)]
                var flat = 0
                for (d, p) in position.enumerated() { flat = flat * indexShape[d] + p }
                var source = Array(index[..<axis]) + [Int(raw[flat] < 0 ? raw[flat] + Int64(shape[axis]) : raw[flat])]
                source += index[(axis + indexShape.count)...]
                return value(data, source)
            }
            XCTAssertNil(mismatch(got, expected, absolute: 0, relative: 0))
            // GatherElements with indices of the data's rank.
            let elementShape = shape.map { Int.random(in: 1...$0, using: &rng) }
            let elementRaw = (0..<elementShape.reduce(1, *)).map { _ in
                Int32.random(in: 0..<Int32(shape[axis]), using: &rng)
            }
            let elementIndices = try Tensor(shape: elementShape, scalars: elementRaw)
            let gotElements = try data.gatherElements(indices: elementIndices, axis: axis)
            let expectedElements = makeTensor(elementShape) { index in
                var source = index
                source[axis] = Int(value(elementIndices, index))
                return value(data, source)
            }
            XCTAssertNil(mismatch(gotElements, expectedElements, absolute: 0, relative: 0))
        }
        let data = try Tensor(shape: [3], scalars: [Float(1), 2, 3])
        XCTAssertThrowsError(try data.gather(indices: Tensor(shape: [1], scalars: [Int64(3)]))) {
            XCTAssertEqual($0 as? TensorError, .indexOutOfRange(op: "gather", index: 3, bound: 3))
        }
    }

    func testScatterElementsWithReductions() throws {
        let data = try Tensor(shape: [2, 3], scalars: [Float(1), 2, 3, 4, 5, 6])
        let indices = try Tensor(shape: [2, 2], scalars: [Int64(2), 0, -1, 2])
        let updates = try Tensor(shape: [2, 2], scalars: [Float(10), 20, 30, 40])
        XCTAssertEqual(
            try data.scatterElements(indices: indices, updates: updates, axis: 1).scalars(as: Float.self),
            [20, 2, 10, 4, 5, 40])
        XCTAssertEqual(
            try data.scatterElements(indices: indices, updates: updates, axis: 1, reduction: .add).scalars(
                as: Float.self), [21, 2, 13, 4, 5, 76])
        XCTAssertEqual(
            try data.scatterElements(indices: indices, updates: updates, axis: 1, reduction: .mul).scalars(
                as: Float.self), [20, 2, 30, 4, 5, 7200])
        XCTAssertEqual(
            try data.scatterElements(indices: indices, updates: updates, axis: 1, reduction: .min).scalars(
                as: Float.self), [1, 2, 3, 4, 5, 6])
        let ints = try data.cast(to: .int32)
        XCTAssertEqual(
            try ints.scatterElements(indices: indices, updates: updates.cast(to: .int32), axis: 1, reduction: .max)
                .scalars(as: Int32.self), [20, 2, 10, 4, 5, 40])
        XCTAssertThrowsError(try data.scatterElements(indices: indices, updates: updates, axis: 2))
    }

    func testConcatSplitTransposeTile() throws {
        var rng = SeededRandom(seed: 51)
        for _ in 0..<30 {
            let shape = randomShape(rank: Int.random(in: 1...4, using: &rng), &rng, dims: 1...4)
            let axis = Int.random(in: 0..<shape.count, using: &rng)
            let parts = (0..<Int.random(in: 1...3, using: &rng)).map { _ -> Tensor in
                var s = shape
                s[axis] = Int.random(in: 0...3, using: &rng)
                return nonContiguous(randomTensor(s, .int16, &rng))
            }
            let joined = try Tensor.concat(parts, axis: axis)
            let pieces = try joined.split(axis: axis, sizes: parts.map { $0.shape[axis] })
            for (piece, part) in zip(pieces, parts) { XCTAssertNil(mismatch(piece, part, absolute: 0, relative: 0)) }
            let order = Array(0..<shape.count).shuffled(using: &rng)
            let t = try joined.transposed(order)
            XCTAssertTrue(t.isContiguous)
            for index in allIndices(t.shape) {
                var source = [Int](repeating: 0, count: order.count)
                for (i, a) in order.enumerated() { source[a] = index[i] }
                XCTAssertEqual(value(t, index), value(joined, source))
            }
            let repeats = shape.map { _ in Int.random(in: 0...2, using: &rng) }
            let tiled = try parts[0].tiled(repeats)
            XCTAssertNil(
                mismatch(
                    tiled,
                    makeTensor(zip(parts[0].shape, repeats).map(*)) { i in
                        value(parts[0], i.enumerated().map { $0.element % parts[0].shape[$0.offset] })
                    }, absolute: 0, relative: 0))
        }
        let x = try Tensor(shape: [7], scalars: (0..<7).map(Float.init))
        XCTAssertEqual(try x.split(axis: 0, parts: 3).map(\.count), [3, 3, 1])
        XCTAssertThrowsError(try x.split(axis: 0, sizes: [3, 3]))
        XCTAssertThrowsError(try Tensor.concat([x, try Tensor(zeros: [2, 2], dtype: .float32)], axis: 0))
    }

    func testPadModesMatchNumpyDefinitions() throws {
        var rng = SeededRandom(seed: 52)
        for _ in 0..<40 {
            let shape = randomShape(rank: Int.random(in: 1...3, using: &rng), &rng, dims: 1...4)
            let x = randomTensor(shape, .float32, &rng)
            let mode = [PadMode.constant, .reflect, .edge, .wrap].randomElement(using: &rng)!
            let rank = shape.count
            let pads = (0..<(2 * rank)).map { i in
                Int.random(in: (mode == .constant ? -shape[i % rank] : 0)...5, using: &rng)
            }
            let got = try x.padded(pads, mode: mode, value: Tensor(scalar: Float(-7)))
            let outShape = (0..<rank).map { shape[$0] + pads[$0] + pads[$0 + rank] }
            let expected = makeTensor(outShape) { index in
                var source: [Int] = []
                for d in 0..<rank {
                    var s = index[d] - pads[d]
                    let n = shape[d]
                    if s < 0 || s >= n {
                        switch mode {
                        case .constant: return -7
                        case .edge: s = s < 0 ? 0 : n - 1
                        case .wrap: s = ((s % n) + n) % n
                        case .reflect:
                            // Bounce back and forth between the two edges, one step at a time.
                            var position = 0, direction = 1
                            if n > 1 {
                                for _ in 0..<Swift.abs(s) {
                                    if (s < 0 ? -direction : direction) == 1 && position == n - 1 {
                                        direction = -direction
                                    }
                                    if (s < 0 ? -direction : direction) == -1 && position == 0 {
                                        direction = -direction
                                    }
                                    position += s < 0 ? -direction : direction
                                }
                            }
                            s = position
                        }
                    }
                    source.append(s)
                }
                return value(x, source)
            }
            if let problem = mismatch(got, expected, absolute: 0, relative: 0) {
                XCTFail("pad \(mode) \(shape) \(pads): \(problem)")
            }
        }
        XCTAssertThrowsError(try Tensor(zeros: [2], dtype: .float32).padded([0, -3]))
        XCTAssertThrowsError(try Tensor(zeros: [2], dtype: .float32).padded([1]))
    }
}
