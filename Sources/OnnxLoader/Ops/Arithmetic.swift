import TensorCore

/// Add, Sub, Mul, Div, Pow, Mod, Max, Min, Sum, Mean, bitwise ops, and the plain unary math ops.
func registerArithmetic(_ registry: inout OperatorRegistry) {
    let binaries: [(String, BinaryOp)] = [
        ("Add", .add), ("Sub", .sub), ("Mul", .mul), ("Div", .div),
        ("BitwiseAnd", .bitwiseAnd), ("BitwiseOr", .bitwiseOr), ("BitwiseXor", .bitwiseXor),
    ]
    for (name, op) in binaries {
        registry.register(name, since: [1, 6, 7, 13, 14, 18]) { attributes in
            try attributes.requireInputs(2...2)
            return ClosureOperator { inputs in [try Tensor.binary(op, inputs.required(0), inputs.required(1))] }
        }
    }
    registry.register("Pow", since: [1, 7, 12, 13, 15]) { _ in
        ClosureOperator { inputs in
            let base = try inputs.required(0)
            // The exponent may have another numeric type than the base (opset 12+).
            let exponent = try inputs.required(1).cast(to: base.dtype)
            return [try Tensor.binary(.pow, base, exponent)]
        }
    }
    registry.register("Mod", since: [10, 13]) { attributes in
        let op: BinaryOp = attributes.int("fmod", default: 0) == 1 ? .fmod : .mod
        return ClosureOperator { inputs in [try Tensor.binary(op, inputs.required(0), inputs.required(1))] }
    }
    registry.register("BitwiseNot", since: [18]) { _ in
        ClosureOperator { inputs in
            let x = try inputs.required(0)
            return [try Tensor.binary(.bitwiseXor, x, Tensor(scalar: Int64(-1)).cast(to: x.dtype))]
        }
    }
    registry.register("BitShift", since: [11]) { attributes in
        let op: BinaryOp = attributes.string("direction") == "LEFT" ? .shiftLeft : .shiftRight
        return ClosureOperator { inputs in [try Tensor.binary(op, inputs.required(0), inputs.required(1))] }
    }
    let variadic: [(String, BinaryOp)] = [("Max", .max), ("Min", .min), ("Sum", .add)]
    for (name, op) in variadic {
        registry.register(name, since: [1, 6, 8, 12, 13]) { _ in
            ClosureOperator { inputs in
                var result = try inputs.required(0)
                for index in 1..<inputs.count { result = try Tensor.binary(op, result, inputs.required(index)) }
                return [result]
            }
        }
    }
    registry.register("Mean", since: [1, 6, 8, 13]) { _ in
        ClosureOperator { inputs in
            var result = try inputs.required(0)
            for index in 1..<inputs.count { result = try Tensor.binary(.add, result, inputs.required(index)) }
            let divisor = try Tensor(scalar: Double(inputs.count)).cast(to: result.dtype)
            return [try Tensor.binary(.div, result, divisor)]
        }
    }
    let unaries: [(String, UnaryOp, [Int])] = [
        ("Neg", .negate, [1, 6, 13]), ("Abs", .abs, [1, 6, 13]), ("Sign", .sign, [9, 13]),
        ("Reciprocal", .reciprocal, [1, 6, 13]),
        ("Sqrt", .sqrt, [1, 6, 13]), ("Exp", .exp, [1, 6, 13]), ("Log", .log, [1, 6, 13]), ("Erf", .erf, [9, 13]),
        ("Floor", .floor, [1, 6, 13]), ("Ceil", .ceil, [1, 6, 13]), ("Round", .round, [11]),
        ("Sin", .sin, [7]), ("Cos", .cos, [7]), ("Tan", .tan, [7]), ("Asin", .asin, [7]), ("Acos", .acos, [7]),
        ("Atan", .atan, [7]),
        ("Sinh", .sinh, [9]), ("Cosh", .cosh, [9]), ("Asinh", .asinh, [9]), ("Acosh", .acosh, [9]),
        ("Atanh", .atanh, [9]),
    ]
    for (name, op, versions) in unaries {
        registry.register(name, since: versions) { attributes in
            try attributes.requireInputs(1...1)
            return ClosureOperator { inputs in [try inputs.required(0).unary(op)] }
        }
    }
}
