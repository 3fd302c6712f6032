/// How ScatterElements combines an update with the value already there.
public enum ScatterReduction: String, Sendable {
    case none, add, mul, max, min
}

extension Tensor {
    /// A copy of this tensor with `updates` written at the positions `indices` address along
    /// `axis` (ONNX ScatterElements); with a reduction, updates combine with what is there.
    public func scatterElements(indices: Tensor, updates: Tensor, axis: Int = 0, reduction: ScatterReduction = .none)
        throws(TensorError) -> Tensor
    {
        let op = "scatter_elements"
        let axis = try Shape.normalizeAxis(axis, rank: rank, op: op)
        guard updates.dtype == dtype else { throw .dtypeMismatch(op: op, dtypes: [dtype, updates.dtype]) }
        guard indices.shape == updates.shape, indices.rank == rank else {
            throw .shapeMismatch(
                op: op, shapes: [shape, indices.shape, updates.shape],
                reason: "indices and updates must have one shape, of the data's rank")
        }
        for d in 0..<rank where d != axis && indices.shape[d] > shape[d] {
            throw .shapeMismatch(
                op: op, shapes: [shape, indices.shape], reason: "indices dimension \(d) exceeds the data's")
        }
        let positions = try indices.indexValues(bound: shape[axis], op: op)
        let targets = Tensor.elementTargets(
            indexShape: indices.shape, dataShape: shape, axis: axis, positions: positions)
        switch dtype {
        case .float32: return try scatterTyped(Float.self, targets, updates, reduction, op)
        case .float64: return try scatterTyped(Double.self, targets, updates, reduction, op)
        case .float16, .bfloat16:
            return try cast(to: .float32).scatterTyped(Float.self, targets, updates.cast(to: .float32), reduction, op)
                .cast(to: dtype)
        case .int8: return try scatterTyped(Int8.self, targets, updates, reduction, op)
        case .uint8: return try scatterTyped(UInt8.self, targets, updates, reduction, op)
        case .int16: return try scatterTyped(Int16.self, targets, updates, reduction, op)
        case .uint16: return try scatterTyped(UInt16.self, targets, updates, reduction, op)
        case .int32: return try scatterTyped(Int32.self, targets, updates, reduction, op)
        case .uint32: return try scatterTyped(UInt32.self, targets, updates, reduction, op)
        case .int64: return try scatterTyped(Int64.self, targets, updates, reduction, op)
        case .uint64: return try scatterTyped(UInt64.self, targets, updates, reduction, op)
        case .bool:
            guard reduction == .none else { throw .unsupportedDType(op: "\(op) (\(reduction.rawValue))", dtype: dtype) }
            return try cast(to: .uint8).scatterTyped(UInt8.self, targets, updates.cast(to: .uint8), .none, op).cast(
                to: .bool)
        case .float8e4m3fn, .float8e4m3fnuz, .float8e5m2, .float8e5m2fnuz, .float4e2m1, .int4, .uint4, .int2, .uint2:
            guard reduction == .none else { throw .unsupportedDType(op: "\(op) (\(reduction.rawValue))", dtype: dtype) }
            return try reinterpreted(as: .uint8).scatterTyped(
                UInt8.self, targets, updates.reinterpreted(as: .uint8), .none, op
            ).reinterpreted(as: dtype)
        case .string:
            guard reduction == .none else { throw .unsupportedDType(op: "\(op) (\(reduction.rawValue))", dtype: dtype) }
            var values = try contiguous().stringScalars()
            let news = try updates.contiguous().stringScalars()
            for (i, target) in targets.enumerated() { values[target] = news[i] }
            return try Tensor(shape: shape, strings: values)
        }
    }

    private func scatterTyped<T: BinaryFloatingPoint & NumericElement>(
        _ type: T.Type, _ targets: [Int], _ updates: Tensor, _ reduction: ScatterReduction, _ op: String
    ) throws(TensorError) -> Tensor {
        try scatterCombining(T.self, targets, updates, reduction, op, add: { $0 + $1 }, multiply: { $0 * $1 })
    }

    private func scatterTyped<T: FixedWidthInteger & NumericElement>(
        _ type: T.Type, _ targets: [Int], _ updates: Tensor, _ reduction: ScatterReduction, _ op: String
    ) throws(TensorError) -> Tensor {
        try scatterCombining(T.self, targets, updates, reduction, op, add: { $0 &+ $1 }, multiply: { $0 &* $1 })
    }

    private func scatterCombining<T: NumericElement & Comparable>(
        _ type: T.Type, _ targets: [Int], _ updates: Tensor, _ reduction: ScatterReduction, _ op: String,
        add: (T, T) -> T, multiply: (T, T) -> T
    ) throws(TensorError) -> Tensor {
        var values = try typedScalars(T.self, op)
        let news = try updates.typedScalars(T.self, op)
        for (i, target) in targets.enumerated() {
            let update = news[i]
            switch reduction {
            case .none: values[target] = update
            case .add: values[target] = add(values[target], update)
            case .mul: values[target] = multiply(values[target], update)
            case .max: values[target] = Swift.max(values[target], update)
            case .min: values[target] = Swift.min(values[target], update)
            }
        }
        return try Tensor(shape: shape, scalars: values)
    }
}
