#if canImport(Glibc)
    import Glibc
#endif

/// Softmax and log-softmax along one axis.
extension Tensor {
    /// `exp(x - max) / sum(exp(x - max))` along `axis` (float types).
    public func softmax(axis: Int = -1) throws(TensorError) -> Tensor {
        try softmaxRows(axis: axis, logarithmic: false, op: "softmax")
    }

    /// `x - max - log(sum(exp(x - max)))` along `axis` (float types).
    public func logSoftmax(axis: Int = -1) throws(TensorError) -> Tensor {
        try softmaxRows(axis: axis, logarithmic: true, op: "log_softmax")
    }

    private func softmaxRows(axis: Int, logarithmic: Bool, op: String) throws(TensorError) -> Tensor {
        guard dtype.isFloatingPoint else { throw .unsupportedDType(op: op, dtype: dtype) }
        let axis = try Shape.normalizeAxis(axis, rank: rank, op: op)
        guard rank > 0 else { return try Tensor(shape: [], scalars: [Float(logarithmic ? 0 : 1)]).cast(to: dtype) }
        // Move the axis last so each row is contiguous, then move it back.
        var order = Array(0..<rank)
        order.remove(at: axis)
        order.append(axis)
        var inverse = [Int](repeating: 0, count: rank)
        for (position, source) in order.enumerated() { inverse[source] = position }
        let length = shape[axis]
        let rows = try permuted(order).contiguous()
        let result = try rows.transformingFloatRows(rowLength: length, op: op) { _, source, target in
            var peak = -Float.infinity
            for i in 0..<length where source[i] > peak { peak = source[i] }
            if peak == -.infinity { peak = 0 }
            for i in 0..<length { target[i] = source[i] - peak }
            VectorMath.apply(UnsafePointer(target), 1, target, length, VectorMath.exp)
            var sum = 0.0
            for i in 0..<length { sum += Double(target[i]) }
            if logarithmic {
                let logSum = Float(Glibc.log(sum))
                for i in 0..<length { target[i] = source[i] - peak - logSum }
            } else {
                let scale = Float(1 / sum)
                for i in 0..<length { target[i] *= scale }
            }
        }
        return try result.permuted(inverse).contiguous()
    }
}
