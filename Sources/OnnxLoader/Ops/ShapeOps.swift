import TensorCore

/// Ops that rearrange or describe shapes and types: Reshape, Flatten, Shape, Size, Squeeze,
/// Unsqueeze, Transpose, Expand, Identity, Dropout, Constant, ConstantOfShape, Cast, CastLike, Range.
func registerShapeOps(_ registry: inout OperatorRegistry) {
    registry.register("Reshape", since: [5, 13, 14, 19, 21]) { attributes in
        let allowZero = attributes.int("allowzero", default: 0) == 1
        return ClosureOperator { inputs in
            let x = try inputs.required(0)
            var shape = try inputs.required(1).intValues(inputs.op)
            if !allowZero {
                for (i, dim) in shape.enumerated() where dim == 0 {
                    guard i < x.rank else {
                        throw TensorError.invalidArgument(
                            op: inputs.op, reason: "0 at position \(i) copies a dimension the input \(x.shape) lacks")
                    }
                    shape[i] = x.shape[i]
                }
            }
            return [try x.reshaped(shape)]
        }
    }
    registry.register("Flatten", since: [1, 9, 11, 13, 21]) { attributes in
        let axis = attributes.int("axis", default: 1)
        return ClosureOperator { inputs in [try inputs.required(0).flattened(axis: axis)] }
    }
    registry.register("Shape", since: [1, 13, 15, 19, 21]) { attributes in
        let start = attributes.int("start", default: 0), end = attributes.int("end")
        return ClosureOperator { inputs in
            let x = try inputs.required(0)
            let rank = x.rank
            func clamp(_ v: Int) -> Int { min(max(v < 0 ? v + rank : v, 0), rank) }
            let lo = clamp(start), hi = clamp(end ?? rank)
            let dims = lo < hi ? Array(x.shape[lo..<hi]) : []
            return [try Tensor(shape: [dims.count], scalars: dims.map { Int64($0) })]
        }
    }
    registry.register("Size", since: [1, 13, 19, 21]) { _ in
        ClosureOperator { inputs in [Tensor(scalar: Int64(try inputs.required(0).count))] }
    }
    registry.register("Squeeze", since: [1, 11, 13, 21]) { attributes in
        let attributeAxes = attributes.ints("axes")
        let fromInput = attributes.opset >= 13
        return ClosureOperator { inputs in
            let x = try inputs.required(0)
            let axes = fromInput ? try inputs.optional(1)?.intValues(inputs.op) : attributeAxes
            return [try x.squeezed(axes: axes)]
        }
    }
    registry.register("Unsqueeze", since: [1, 11, 13, 21]) { attributes in
        let attributeAxes = attributes.ints("axes") ?? []
        let fromInput = attributes.opset >= 13
        return ClosureOperator { inputs in
            let x = try inputs.required(0)
            let axes = fromInput ? try inputs.required(1).intValues(inputs.op) : attributeAxes
            return [try x.unsqueezed(axes: axes)]
        }
    }
    registry.register("Transpose", since: [1, 13, 21]) { attributes in
        let perm = attributes.ints("perm")
        return ClosureOperator { inputs in [try inputs.required(0).transposed(perm)] }
    }
    registry.register("Expand", since: [8, 13]) { _ in
        ClosureOperator { inputs in
            let shape = try inputs.required(1).intValues(inputs.op)
            return [try inputs.required(0).expanded(to: shape).contiguous()]
        }
    }
    registry.register("Identity", since: [1, 13, 14, 16, 19, 21]) { _ in
        // Passes any value through: tensors, sequences and optionals alike.
        ValueClosureOperator { inputs in
            guard let value = inputs.first ?? nil else {
                throw TensorError.invalidArgument(op: inputs.op, reason: "input 0 is required")
            }
            return [value]
        }
    }
    registry.register("Dropout", since: [1, 6, 7, 10, 12, 13, 22]) { _ in
        // Inference: the input passes through; the mask (if asked for) is all true.
        ClosureOperator { inputs in
            let x = try inputs.required(0)
            return [
                x,
                try Tensor.compare(.equal, Tensor(zeros: x.shape, dtype: .float32), Tensor(zeros: [], dtype: .float32)),
            ]
        }
    }
    registry.register("Constant", since: [1, 9, 11, 12, 13, 19, 21]) { attributes in
        let value: Tensor
        if let tensor = attributes.tensor("value") {
            value = tensor
        } else if let f = attributes.float("value_float") {
            value = Tensor(scalar: f)
        } else if let fs = attributes.floats("value_floats") {
            value = try Tensor(shape: [fs.count], scalars: fs)
        } else if let i = attributes.int("value_int") {
            value = Tensor(scalar: Int64(i))
        } else if let values = attributes.ints("value_ints") {
            value = try Tensor(shape: [values.count], scalars: values.map { Int64($0) })
        } else if let s = attributes.string("value_string") {
            value = try Tensor(shape: [], strings: [s])
        } else if case let .strings(list)? = attributes.node.attributes["value_strings"] {
            value = try Tensor(shape: [list.count], strings: list.map { String(decoding: $0, as: UTF8.self) })
        } else {
            throw attributes.error("Constant needs one of value, value_float(s), value_int(s), value_string(s)")
        }
        return ClosureOperator { _ in [value] }
    }
    registry.register("ConstantOfShape", since: [9, 20, 21]) { attributes in
        let fill = attributes.tensor("value") ?? Tensor(scalar: Float(0))
        return ClosureOperator { inputs in
            let shape = try inputs.required(0).intValues(inputs.op)
            let scalar = try fill.reshaped([])
            return [try scalar.broadcast(to: shape).contiguous()]
        }
    }
    registry.register("Cast", since: [1, 6, 9, 13, 19, 21, 23, 24, 25]) { attributes in
        let code = attributes.int("to", default: 0)
        guard let target = OnnxDataType.dtype(code) else {
            throw attributes.error("cast to \(OnnxDataType.name(code)) is not supported")
        }
        let saturate = attributes.int("saturate", default: 1) == 1
        return ClosureOperator { inputs in [try inputs.required(0).cast(to: target, saturate: saturate)] }
    }
    registry.register("CastLike", since: [15, 19, 21, 23, 24, 25]) { attributes in
        let saturate = attributes.int("saturate", default: 1) == 1
        return ClosureOperator { inputs in
            [try inputs.required(0).cast(to: inputs.required(1).dtype, saturate: saturate)]
        }
    }
    registry.register("Range", since: [11]) { _ in
        ClosureOperator { inputs in
            let start = try inputs.required(0), limit = try inputs.required(1), delta = try inputs.required(2)
            let s = try start.scalarDouble(inputs.op), l = try limit.scalarDouble(inputs.op),
                d = try delta.scalarDouble(inputs.op)
            guard d != 0 else { throw TensorError.invalidArgument(op: inputs.op, reason: "delta must not be 0") }
            let steps = ((l - s) / d).rounded(.up)
            guard steps.isFinite, steps <= Double(Shape.maxElementCount) else {
                throw TensorError.invalidArgument(
                    op: inputs.op, reason: "start \(s), limit \(l), delta \(d) give \(steps) elements")
            }
            let count = max(Int(steps), 0)
            if start.dtype.isInteger {
                let first = try start.cast(to: .int64).scalars(as: Int64.self)[0],
                    step = try delta.cast(to: .int64).scalars(as: Int64.self)[0]
                let values = (0..<count).map { first &+ Int64($0) &* step }
                return [try Tensor(shape: [count], scalars: values).cast(to: start.dtype)]
            }
            // Floating point: accumulate in the input type as the reference does (start + i * delta).
            return [try Tensor(shape: [count], scalars: (0..<count).map { s + Double($0) * d }).cast(to: start.dtype)]
        }
    }
}

/// BitCast: the input's bytes read as another element type of the same size.
func registerBitCast(_ registry: inout OperatorRegistry) {
    registry.register("BitCast", since: [26]) { attributes in
        let code = attributes.int("to", default: 0)
        guard let target = OnnxDataType.dtype(code) else {
            throw attributes.error("bitcast to \(OnnxDataType.name(code)) is not supported")
        }
        return ClosureOperator { inputs in [try inputs.required(0).bitCast(to: target)] }
    }
}
