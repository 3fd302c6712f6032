import TensorCore

/// Selecting elements: Compress, Unique, Hardmax and TopK.
func registerSelection(_ registry: inout OperatorRegistry) {
    registry.register("Compress", since: [9, 11]) { attributes in
        let axis = attributes.int("axis")
        return ClosureOperator { inputs in
            var x = try inputs.required(0)
            let condition = try inputs.required(1).cast(to: .bool).scalars(as: Bool.self)
            var along = 0
            if let axis {
                along = try Shape.normalizeAxis(axis, rank: x.rank, op: inputs.op)
            } else {
                x = try x.reshaped([-1])
            }
            let keep = condition.prefix(x.shape[along]).enumerated().filter { $0.element }.map { Int64($0.offset) }
            return [try x.gather(indices: Tensor(shape: [keep.count], scalars: keep), axis: along)]
        }
    }
    registry.register("Unique", since: [11, 28]) { attributes in
        let axisAttribute = attributes.int("axis"), sorted = attributes.int("sorted", default: 1) == 1
        return ClosureOperator { inputs in
            let x = try inputs.required(0)
            let flat = axisAttribute == nil
            let source = flat ? try x.reshaped([-1]) : x
            let axis = flat ? 0 : try Shape.normalizeAxis(axisAttribute ?? 0, rank: x.rank, op: inputs.op)
            // Each slice along the axis as a key, compared lexicographically by value.
            let moved = try source.permuted([axis] + (0..<source.rank).filter { $0 != axis }).contiguous()
            let count = source.shape[axis], width = count == 0 ? 0 : moved.count / count
            let values = try moved.cast(to: .float64).scalars(as: Double.self)
            let slices = (0..<count).map { Array(values[($0 * width)..<(($0 + 1) * width)]) }
            var firstIndex: [Int] = [], inverse = [Int](repeating: 0, count: count)
            var counts: [Int] = []
            for i in 0..<count {
                if let existing = firstIndex.firstIndex(where: { slices[$0] == slices[i] }) {
                    inverse[i] = existing
                    counts[existing] += 1
                } else {
                    inverse[i] = firstIndex.count
                    firstIndex.append(i)
                    counts.append(1)
                }
            }
            var order = Array(firstIndex.indices)
            if sorted {
                order.sort { a, b in slices[firstIndex[a]].lexicographicallyPrecedes(slices[firstIndex[b]]) }
            }
            var rank = [Int](repeating: 0, count: order.count)
            for (position, entry) in order.enumerated() { rank[entry] = position }
            let picks = order.map { Int64(firstIndex[$0]) }
            let y = try source.gather(indices: Tensor(shape: [picks.count], scalars: picks), axis: axis)
            return [
                y, try Tensor(shape: [picks.count], scalars: picks),
                try Tensor(shape: [count], scalars: inverse.map { Int64(rank[$0]) }),
                try Tensor(shape: [order.count], scalars: order.map { Int64(counts[$0]) }),
            ]
        }
    }
    registry.register("Hardmax", since: [1, 11, 13]) { attributes in
        let legacy = attributes.opset < 13
        let axis = attributes.int("axis", default: legacy ? 1 : -1)
        return ClosureOperator { inputs in
            let x = try inputs.required(0)
            let oneHot: ([Double]) -> [Double] = { row in
                var best = 0
                for i in row.indices where row[i] > row[best] { best = i }
                return row.indices.map { $0 == best ? 1 : 0 }
            }
            if legacy {
                let flat = try x.flattened(axis: axis < 0 ? axis + x.rank : axis)
                return [try alongAxis(flat, axis: 1, oneHot).reshaped(x.shape)]
            }
            return [try alongAxis(x, axis: try Shape.normalizeAxis(axis, rank: x.rank, op: inputs.op), oneHot)]
        }
    }
    registry.register("TopK", since: [1, 10, 11]) { attributes in
        let axisAttribute = attributes.int("axis", default: -1), largest = attributes.int("largest", default: 1) == 1
        let legacyK = attributes.int("k")
        let legacy = attributes.opset < 10
        return ClosureOperator { inputs in
            let x = try inputs.required(0)
            let k = legacy ? (legacyK ?? 0) : try inputs.required(1).scalarInt(inputs.op)
            let axis = try Shape.normalizeAxis(axisAttribute, rank: x.rank, op: inputs.op)
            guard k >= 0, k <= x.shape[axis] else {
                throw TensorError.invalidArgument(op: inputs.op, reason: "k = \(k) exceeds axis \(axis) of \(x.shape)")
            }
            var positions: [[Int]] = []
            let values = try alongAxis(x, axis: axis, length: k) { row in
                let order = row.indices.sorted { a, b in
                    if row[a] == row[b] || (row[a].isNaN && row[b].isNaN) { return a < b }
                    if row[a].isNaN { return largest }
                    if row[b].isNaN { return !largest }
                    return largest ? row[a] > row[b] : row[a] < row[b]
                }
                positions.append(Array(order.prefix(k)))
                return order.prefix(k).map { row[$0] }
            }
            let indexRows = try Tensor(
                shape: [positions.count, k], scalars: positions.flatMap { $0.map { Int64($0) } })
            var moved = values.shape
            moved.remove(at: axis)
            moved.append(k)
            var order = Array(0..<(x.rank - 1))
            order.insert(x.rank - 1, at: axis)
            return [values, try indexRows.reshaped(moved).transposed(order)]
        }
    }
}
