/// Walks an N-d index space row by row for up to four operands, each with its own strides
/// (0 for a broadcast dimension). Dimensions of size 1 are dropped and adjacent dimensions
/// that are contiguous in every operand are merged, so the innermost row is as long as possible.
@usableFromInline
struct StridedLoop {
    /// Length of the innermost row.
    let rowLength: Int
    /// Stride of each operand along the innermost row.
    let innerStrides: [Int]
    /// Number of rows.
    let rowCount: Int
    let outerShape: [Int]
    let outerStrides: [[Int]]  // [operand][dim]

    init(shape: [Int], strides operandStrides: [[Int]]) {
        let operands = operandStrides.count
        var dims: [Int] = []
        var strides: [[Int]] = Array(repeating: [], count: operands)
        for axis in shape.indices where shape[axis] != 1 {
            dims.append(shape[axis])
            for k in 0..<operands { strides[k].append(operandStrides[k][axis]) }
        }
        // Merge adjacent dims that are contiguous in every operand.
        var mergedDims: [Int] = []
        var mergedStrides: [[Int]] = Array(repeating: [], count: operands)
        for axis in dims.indices {
            if let last = mergedDims.last,
                (0..<operands).allSatisfy({ mergedStrides[$0].last! == strides[$0][axis] &* dims[axis] })
            {
                mergedDims[mergedDims.count - 1] = last * dims[axis]
                for k in 0..<operands { mergedStrides[k][mergedStrides[k].count - 1] = strides[k][axis] }
            } else {
                mergedDims.append(dims[axis])
                for k in 0..<operands { mergedStrides[k].append(strides[k][axis]) }
            }
        }
        if let inner = mergedDims.popLast() {
            rowLength = inner
            innerStrides = mergedStrides.map { $0.last! }
            outerStrides = mergedStrides.map { Array($0.dropLast()) }
        } else {
            rowLength = shape.contains(0) ? 0 : 1
            innerStrides = Array(repeating: 0, count: operands)
            outerStrides = Array(repeating: [], count: operands)
        }
        outerShape = mergedDims
        rowCount = (rowLength == 0 || shape.contains(0)) ? 0 : mergedDims.reduce(1, *)
    }

    /// Calls `body` with each operand's element offset of the first element of every row in `rows`.
    func forEachRow(in rows: Range<Int>, _ body: (UnsafeMutableBufferPointer<Int>) -> Void) {
        guard !rows.isEmpty else { return }
        let operands = innerStrides.count
        let rank = outerShape.count
        withUnsafeTemporaryAllocation(of: Int.self, capacity: operands + rank + 1) { scratch in
            let offsets = UnsafeMutableBufferPointer(rebasing: scratch[0..<operands])
            let index = UnsafeMutableBufferPointer(rebasing: scratch[operands..<(operands + rank)])
            for k in 0..<operands { offsets[k] = 0 }
            var remainder = rows.lowerBound
            for axis in stride(from: rank - 1, through: 0, by: -1) {
                let position = remainder % outerShape[axis]
                remainder /= outerShape[axis]
                index[axis] = position
                for k in 0..<operands { offsets[k] += position * outerStrides[k][axis] }
            }
            for _ in rows {
                body(offsets)
                var axis = rank - 1
                while axis >= 0 {
                    index[axis] += 1
                    for k in 0..<operands { offsets[k] += outerStrides[k][axis] }
                    if index[axis] < outerShape[axis] { break }
                    for k in 0..<operands { offsets[k] -= outerStrides[k][axis] * outerShape[axis] }
                    index[axis] = 0
                    axis -= 1
                }
            }
        }
    }

    /// Calls `body(offsets, count)` for runs of elements covering the whole space, on the
    /// compute pool when the work is large enough: whole rows, or pieces of rows when there are
    /// fewer rows than threads. `offsets` point at each operand's first element of the run.
    func forEachRun(minimumElementsPerTask: Int = 1 << 15, _ body: (UnsafeMutableBufferPointer<Int>, Int) -> Void) {
        let total = rowCount * rowLength
        let tasks = min(ComputePool.threadCount, max(1, total / max(minimumElementsPerTask, 1)))
        if tasks <= 1 {
            forEachRow(in: 0..<rowCount) { body($0, rowLength) }
            return
        }
        let loop = self
        if rowCount >= tasks {
            ComputePool.parallelFor(tasks) { task in
                let start = loop.rowCount * task / tasks
                let end = loop.rowCount * (task + 1) / tasks
                loop.forEachRow(in: start..<end) { body($0, loop.rowLength) }
            }
            return
        }
        let pieces = (tasks + rowCount - 1) / rowCount
        ComputePool.parallelFor(rowCount * pieces) { item in
            let row = item / pieces
            let piece = item % pieces
            let first = loop.rowLength * piece / pieces
            let last = loop.rowLength * (piece + 1) / pieces
            guard last > first else { return }
            loop.forEachRow(in: row..<(row + 1)) { offsets in
                for k in 0..<offsets.count { offsets[k] += first * loop.innerStrides[k] }
                body(offsets, last - first)
            }
        }
    }
}
