import TensorCore

/// Comparisons, logical ops, Where, IsNaN and IsInf.
func registerLogic(_ registry: inout OperatorRegistry) {
    let comparisons: [(String, CompareOp, [Int])] = [
        ("Equal", .equal, [1, 7, 11, 13, 19]), ("Less", .less, [1, 7, 9, 13]), ("Greater", .greater, [1, 7, 9, 13]),
        ("LessOrEqual", .lessOrEqual, [12, 16]), ("GreaterOrEqual", .greaterOrEqual, [12, 16]),
    ]
    for (name, op, versions) in comparisons {
        registry.register(name, since: versions) { _ in
            ClosureOperator { inputs in [try Tensor.compare(op, inputs.required(0), inputs.required(1))] }
        }
    }
    let logical: [(String, LogicalOp)] = [("And", .and), ("Or", .or), ("Xor", .xor)]
    for (name, op) in logical {
        registry.register(name, since: [1, 7]) { _ in
            ClosureOperator { inputs in [try Tensor.logical(op, inputs.required(0), inputs.required(1))] }
        }
    }
    registry.register("Not", since: [1]) { _ in ClosureOperator { inputs in [try inputs.required(0).unary(.not)] } }
    registry.register("Where", since: [9, 16]) { _ in
        ClosureOperator { inputs in [try Tensor.select(inputs.required(0), inputs.required(1), inputs.required(2))] }
    }
    registry.register("IsNaN", since: [9, 13, 20]) { _ in ClosureOperator { inputs in [try inputs.required(0).isNaN()] }
    }
    registry.register("IsInf", since: [10, 20]) { attributes in
        let positive = attributes.int("detect_positive", default: 1) == 1,
            negative = attributes.int("detect_negative", default: 1) == 1
        return ClosureOperator { inputs in
            let x = try inputs.required(0)
            guard x.dtype.isFloatingPoint else { return [try Tensor(zeros: x.shape, dtype: .bool)] }
            let wide = try x.cast(to: .float64)
            let up = try Tensor.compare(.equal, wide, Tensor(scalar: Double.infinity))
            let down = try Tensor.compare(.equal, wide, Tensor(scalar: -Double.infinity))
            let none = try Tensor(zeros: x.shape, dtype: .bool)
            return [try Tensor.logical(.or, positive ? up : none, negative ? down : none)]
        }
    }
}
