#if canImport(Glibc)
    import Glibc
#endif

/// Reductions over a set of axes.
public enum ReduceOp: String, Sendable, CaseIterable {
    case sum, mean, max, min, prod
    /// Sum of absolute values.
    case l1
    /// Square root of the sum of squares.
    case l2
    case sumSquare
    /// log of the sum.
    case logSum
    /// log of the sum of exponentials (computed stably).
    case logSumExp
}

extension Tensor {
    /// Reduces over `axes` (all axes when nil or empty and `noopWithEmptyAxes` is false).
    ///
    /// Empty reductions give the identity: 0 for sums, 1 for prod, -inf/+inf (type min/max for
    /// integers) for max/min, NaN for mean, -inf for log-sum-exp.
    public func reduce(_ op: ReduceOp, axes: [Int]? = nil, keepDims: Bool = true, noopWithEmptyAxes: Bool = false)
        throws(TensorError) -> Tensor
    {
        let name = "reduce_\(op.rawValue)"
        if (axes ?? []).isEmpty && noopWithEmptyAxes { return self }
        let reduced = (axes ?? []).isEmpty ? Array(0..<rank) : try Shape.normalizeAxes(axes ?? [], rank: rank, op: name)
        let (rows, length, outShape) = try reductionLayout(reduced, keepDims: keepDims, op: name)
        switch dtype {
        case .float32: return try Tensor.reduceRows(rows, length, outShape, Float.self, op)
        case .float64: return try Tensor.reduceRows(rows, length, outShape, Double.self, op)
        case .float16, .bfloat16:
            return try Tensor.reduceRows(rows.cast(to: .float32), length, outShape, Float.self, op).cast(to: dtype)
        case .int8: return try Tensor.reduceIntegerRows(rows, length, outShape, Int8.self, op)
        case .uint8: return try Tensor.reduceIntegerRows(rows, length, outShape, UInt8.self, op)
        case .int16: return try Tensor.reduceIntegerRows(rows, length, outShape, Int16.self, op)
        case .uint16: return try Tensor.reduceIntegerRows(rows, length, outShape, UInt16.self, op)
        case .int32: return try Tensor.reduceIntegerRows(rows, length, outShape, Int32.self, op)
        case .uint32: return try Tensor.reduceIntegerRows(rows, length, outShape, UInt32.self, op)
        case .int64: return try Tensor.reduceIntegerRows(rows, length, outShape, Int64.self, op)
        case .uint64: return try Tensor.reduceIntegerRows(rows, length, outShape, UInt64.self, op)
        default: throw .unsupportedDType(op: name, dtype: dtype)
        }
    }

    /// Index of the largest (`.max`) or smallest (`.min`) element along `axis`, as int64.
    /// Ties give the first index, or the last with `selectLastIndex`. NaN counts as the extreme.
    public func argExtreme(_ op: ReduceOp, axis: Int, keepDims: Bool = true, selectLastIndex: Bool = false)
        throws(TensorError) -> Tensor
    {
        let name = op == .max ? "argmax" : "argmin"
        guard op == .max || op == .min else {
            throw .invalidArgument(op: name, reason: "only max and min have an arg form")
        }
        guard dtype.isNumeric else { throw .unsupportedDType(op: name, dtype: dtype) }
        let axis = try Shape.normalizeAxis(axis, rank: rank, op: name)
        guard rank == 0 || shape[axis] > 0 else {
            throw .invalidArgument(op: name, reason: "axis \(axis) of shape \(shape) is empty: there is no extreme")
        }
        let (rows, length, outShape) = try reductionLayout(rank == 0 ? [] : [axis], keepDims: keepDims, op: name)
        let values = dtype == .float64 || dtype.isInteger && dtype.byteSize == 8 ? rows : try rows.cast(to: .float32)
        switch values.dtype {
        case .float64: return try Tensor.argRows(values, length, outShape, Double.self, op == .max, selectLastIndex)
        case .int64: return try Tensor.argRows(values, length, outShape, Int64.self, op == .max, selectLastIndex)
        case .uint64: return try Tensor.argRows(values, length, outShape, UInt64.self, op == .max, selectLastIndex)
        default: return try Tensor.argRows(values, length, outShape, Float.self, op == .max, selectLastIndex)
        }
    }

    /// Permutes reduced axes last and makes the result contiguous: each output element then
    /// reduces one contiguous row of `length` elements.
    private func reductionLayout(_ reduced: [Int], keepDims: Bool, op: String) throws(TensorError) -> (
        Tensor, Int, [Int]
    ) {
        let kept = (0..<rank).filter { !reduced.contains($0) }
        let rows = try permuted(kept + reduced).contiguous()
        let length = Shape.product(reduced.map { shape[$0] })
        let outShape = keepDims ? shape.indices.map { reduced.contains($0) ? 1 : shape[$0] } : kept.map { shape[$0] }
        return (rows, length, outShape)
    }

    private static func reduceRows<T: BinaryFloatingPoint & NumericElement>(
        _ rows: Tensor, _ length: Int, _ outShape: [Int], _ type: T.Type, _ op: ReduceOp
    ) throws(TensorError) -> Tensor {
        let output = try Tensor(uninitialized: outShape, dtype: T.dtype, op: "reduce_\(op.rawValue)")
        let count = output.count
        guard count > 0, let out = output.mutableBaseAddress?.assumingMemoryBound(to: T.self) else { return output }
        let input = rows.baseAddress?.assumingMemoryBound(to: T.self)
        ComputePool.parallelRanges(count, grain: max(1, (1 << 14) / max(length, 1))) { range in
            for r in range {
                guard let input, length > 0 else {
                    out[r] = emptyReduction(op)
                    continue
                }
                let row = UnsafeBufferPointer(start: input + r * length, count: length)
                out[r] = reduceFloatRow(row, op)
            }
        }
        return output
    }

    private static func emptyReduction<T: BinaryFloatingPoint>(_ op: ReduceOp) -> T {
        switch op {
        case .sum, .l1, .l2, .sumSquare: return 0
        case .prod: return 1
        case .max, .logSum, .logSumExp: return -.infinity
        case .min: return .infinity
        case .mean: return .nan
        }
    }

    @inline(__always)
    private static func reduceFloatRow<T: BinaryFloatingPoint>(_ row: UnsafeBufferPointer<T>, _ op: ReduceOp) -> T {
        switch op {
        case .sum: return T(accumulate(row) { Double($0) })
        case .mean: return T(accumulate(row) { Double($0) } / Double(row.count))
        case .l1: return T(accumulate(row) { Swift.abs(Double($0)) })
        case .l2: return T(accumulate(row) { Double($0) * Double($0) }.squareRoot())
        case .sumSquare: return T(accumulate(row) { Double($0) * Double($0) })
        case .logSum: return T(Glibc.log(accumulate(row) { Double($0) }))
        case .prod:
            var product = 1.0
            for value in row { product *= Double(value) }
            return T(product)
        case .max:
            var best = row[0]
            for value in row where value > best || value.isNaN {
                best = value
                if value.isNaN { break }
            }
            return best
        case .min:
            var best = row[0]
            for value in row where value < best || value.isNaN {
                best = value
                if value.isNaN { break }
            }
            return best
        case .logSumExp:
            var peak = row[0]
            for value in row where value > peak { peak = value }
            if peak.isInfinite { return T(Glibc.log(accumulate(row) { Glibc.exp(Double($0)) })) }
            let sum = accumulate(row) { Glibc.exp(Double($0 - peak)) }
            return T(Double(peak) + Glibc.log(sum))
        }
    }

    /// Sums `transform(x)` over a row in double precision with four independent accumulators.
    @inline(__always)
    private static func accumulate<T>(_ row: UnsafeBufferPointer<T>, _ transform: (T) -> Double) -> Double {
        var partial = SIMD4<Double>(repeating: 0)
        var i = 0
        while i + 4 <= row.count {
            partial += SIMD4(transform(row[i]), transform(row[i + 1]), transform(row[i + 2]), transform(row[i + 3]))
            i += 4
        }
        var total = partial.sum()
        while i < row.count {
            total += transform(row[i])
            i += 1
        }
        return total
    }

    private static func reduceIntegerRows<T: FixedWidthInteger & NumericElement>(
        _ rows: Tensor, _ length: Int, _ outShape: [Int], _ type: T.Type, _ op: ReduceOp
    ) throws(TensorError) -> Tensor {
        let output = try Tensor(uninitialized: outShape, dtype: T.dtype, op: "reduce_\(op.rawValue)")
        guard let out = output.mutableBaseAddress?.assumingMemoryBound(to: T.self) else { return output }
        let input = rows.baseAddress?.assumingMemoryBound(to: T.self)
        for r in 0..<output.count {
            let row = UnsafeBufferPointer(start: input.map { $0 + r * length }, count: input == nil ? 0 : length)
            switch op {
            case .sum: out[r] = row.reduce(0, &+)
            case .mean:
                out[r] =
                    row.isEmpty
                    ? 0
                    : T(truncatingIfNeeded: row.reduce(0) { $0 &+ Int64(truncatingIfNeeded: $1) } / Int64(row.count))
            case .prod: out[r] = row.reduce(1, &*)
            case .max: out[r] = row.max() ?? T.min
            case .min: out[r] = row.min() ?? T.max
            case .l1: out[r] = row.reduce(0) { $0 &+ ($1 < 0 ? 0 &- $1 : $1) }
            case .sumSquare: out[r] = row.reduce(0) { $0 &+ $1 &* $1 }
            case .l2:
                let total = row.reduce(0.0) { $0 + Double($1) * Double($1) }
                out[r] = T(castingDoubleSaturating: total.squareRoot())
            case .logSum:
                out[r] = T(castingDoubleSaturating: Glibc.log(row.reduce(0.0) { $0 + Double($1) }))
            case .logSumExp:
                out[r] = T(castingDoubleSaturating: Glibc.log(row.reduce(0.0) { $0 + Glibc.exp(Double($1)) }))
            }
        }
        return output
    }

    private static func argRows<T: Comparable & NumericElement>(
        _ rows: Tensor, _ length: Int, _ outShape: [Int], _ type: T.Type, _ isMax: Bool, _ last: Bool
    ) throws(TensorError) -> Tensor {
        let output = try Tensor(uninitialized: outShape, dtype: .int64, op: isMax ? "argmax" : "argmin")
        guard let out = output.mutableBaseAddress?.assumingMemoryBound(to: Int64.self),
            let input = rows.baseAddress?.assumingMemoryBound(to: T.self)
        else { return output }
        for r in 0..<output.count {
            let row = input + r * length
            var best = 0
            for i in 1..<max(length, 1) {
                let value = row[i]
                let current = row[best]
                if current != current { break }  // NaN already found
                let better =
                    value != value
                    || (isMax
                        ? (last ? value >= current : value > current) : (last ? value <= current : value < current))
                if better { best = i }
            }
            out[r] = Int64(best)
        }
        return output
    }
}

extension FixedWidthInteger {
    /// A double truncated toward zero, saturated to the type's range, NaN giving 0.
    @inlinable init(castingDoubleSaturating value: Double) {
        if value.isNaN {
            self = 0
            return
        }
        let truncated = value.rounded(.towardZero)
        if truncated <= Double(Self.min) {
            self = Self.min
            return
        }
        if truncated >= Double(Self.max) {
            self = Self.max
            return
        }
        self = Self(truncated)
    }
}
