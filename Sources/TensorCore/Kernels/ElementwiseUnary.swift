#if canImport(Glibc)
    import Glibc
#endif

/// Elementwise functions of one tensor.
public enum UnaryOp: String, Sendable, CaseIterable {
    case negate, abs, sign, reciprocal, sqrt, exp, log, tanh, sigmoid, erf
    /// GELU with the exact erf form: x/2 (1 + erf(x/sqrt 2)).
    case gelu
    /// GELU with the tanh approximation: x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
    case geluTanh
    case relu, sin, cos, tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh
    case floor, ceil
    /// Round half to even.
    case round
    case softplus, softsign
    /// Logical not (bool tensors only).
    case not
}

extension Tensor {
    /// Applies `op` to every element. Floating types keep their type (float16 and bfloat16 are
    /// computed in float32 and rounded back); integer types support the ops that stay integral.
    public func unary(_ op: UnaryOp) throws(TensorError) -> Tensor {
        let name = op.rawValue
        if op == .not && dtype != .bool { throw .unsupportedDType(op: name, dtype: dtype) }
        switch dtype {
        case .float32: return try Tensor.unaryFloat32(self, op)
        case .float64:
            return try mapRows(Double.self, to: Double.self, op: name) { i, s, o, n in
                Tensor.scalarMap(i, s, o, n, Tensor.doubleFunction(op))
            }
        case .float16, .bfloat16:
            return try Tensor.unaryFloat32(try cast(to: .float32), op).cast(to: dtype)
        case .int8: return try unaryInteger(Int8.self, op)
        case .int16: return try unaryInteger(Int16.self, op)
        case .int32: return try unaryInteger(Int32.self, op)
        case .int64: return try unaryInteger(Int64.self, op)
        case .uint8: return try unaryInteger(UInt8.self, op)
        case .uint16: return try unaryInteger(UInt16.self, op)
        case .uint32: return try unaryInteger(UInt32.self, op)
        case .uint64: return try unaryInteger(UInt64.self, op)
        case .bool:
            guard op == .not else { throw .unsupportedDType(op: name, dtype: dtype) }
            return try mapRows(Bool.self, to: Bool.self, op: name) { i, s, o, n in Tensor.scalarMap(i, s, o, n) { !$0 }
            }
        default:
            throw .unsupportedDType(op: name, dtype: dtype)
        }
    }

    private func unaryInteger<T: FixedWidthInteger & NumericElement>(_ type: T.Type, _ op: UnaryOp) throws(TensorError)
        -> Tensor
    {
        let name = op.rawValue
        switch op {
        case .negate:
            return try mapRows(T.self, to: T.self, op: name) { i, s, o, n in Tensor.scalarMap(i, s, o, n) { 0 &- $0 } }
        case .abs:
            return try mapRows(T.self, to: T.self, op: name) { i, s, o, n in
                Tensor.scalarMap(i, s, o, n) { $0 < 0 ? 0 &- $0 : $0 }
            }
        case .sign:
            return try mapRows(T.self, to: T.self, op: name) { i, s, o, n in
                Tensor.scalarMap(i, s, o, n) { $0 > 0 ? 1 : ($0 == 0 ? 0 : 0 &- 1) }
            }
        case .relu:
            return try mapRows(T.self, to: T.self, op: name) { i, s, o, n in
                Tensor.scalarMap(i, s, o, n) { Swift.max($0, 0) }
            }
        case .floor, .ceil, .round:
            return self
        default:
            throw .unsupportedDType(op: name, dtype: dtype)
        }
    }

    private static func unaryFloat32(_ input: Tensor, _ op: UnaryOp) throws(TensorError) -> Tensor {
        let name = op.rawValue
        func simd(_ f: @escaping (SIMD16<Float>) -> SIMD16<Float>, _ g: @escaping (Float) -> Float) throws(TensorError)
            -> Tensor
        {
            try input.mapRows(Float.self, to: Float.self, op: name) { i, s, o, n in Tensor.simdMap(i, s, o, n, f, g) }
        }
        func lanes(_ f: @escaping (VectorMath.Lanes) -> VectorMath.Lanes) throws(TensorError) -> Tensor {
            try input.mapRows(Float.self, to: Float.self, op: name) { i, s, o, n in VectorMath.apply(i, s, o, n, f) }
        }
        func scalar(_ f: @escaping (Float) -> Float) throws(TensorError) -> Tensor {
            try input.mapRows(Float.self, to: Float.self, op: name) { i, s, o, n in Tensor.scalarMap(i, s, o, n, f) }
        }
        switch op {
        case .negate: return try simd({ -$0 }, { -$0 })
        case .abs: return try simd({ $0.replacing(with: -$0, where: $0 .< 0) }, { Swift.abs($0) })
        case .relu: return try simd({ $0.replacing(with: 0, where: $0 .< 0) }, { $0 < 0 ? 0 : $0 })
        case .sqrt: return try simd({ $0.squareRoot() }, { $0.squareRoot() })
        case .reciprocal: return try simd({ 1 / $0 }, { 1 / $0 })
        case .floor: return try simd({ $0.rounded(.down) }, { $0.rounded(.down) })
        case .ceil: return try simd({ $0.rounded(.up) }, { $0.rounded(.up) })
        case .round: return try simd({ $0.rounded(.toNearestOrEven) }, { $0.rounded(.toNearestOrEven) })
        case .exp: return try lanes(VectorMath.exp)
        case .log: return try lanes(VectorMath.log)
        case .tanh: return try lanes(VectorMath.tanh)
        case .sigmoid: return try lanes(VectorMath.sigmoid)
        default:
            // Ops without a vector form: libm in double precision, rounded once.
            let function = Tensor.doubleFunction(op)
            return try scalar { Float(function(Double($0))) }
        }
    }

    /// A float32 row kernel: 16 lanes at a time when contiguous, `scalar` otherwise (same results).
    @inline(__always)
    static func simdMap(
        _ input: UnsafePointer<Float>, _ stride: Int, _ output: UnsafeMutablePointer<Float>, _ count: Int,
        _ vector: (SIMD16<Float>) -> SIMD16<Float>, _ scalar: (Float) -> Float
    ) {
        var i = 0
        if stride == 1 {
            while i + 16 <= count {
                let x = UnsafeRawPointer(input + i).loadUnaligned(as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(output + i).storeBytes(of: vector(x), as: SIMD16<Float>.self)
                i += 16
            }
        }
        while i < count {
            output[i] = scalar(input[i * stride])
            i += 1
        }
    }

    /// The scalar float64 function for `op`.
    static func doubleFunction(_ op: UnaryOp) -> (Double) -> Double {
        switch op {
        case .negate: return { -$0 }
        case .abs: return { Swift.abs($0) }
        case .sign: return { $0 > 0 ? 1 : ($0 < 0 ? -1 : $0) }
        case .reciprocal: return { 1 / $0 }
        case .sqrt: return { $0.squareRoot() }
        case .exp: return { Glibc.exp($0) }
        case .log: return { Glibc.log($0) }
        case .tanh: return { Glibc.tanh($0) }
        case .sigmoid: return { 1 / (1 + Glibc.exp(-$0)) }
        case .erf: return { Glibc.erf($0) }
        case .gelu: return { 0.5 * $0 * (1 + Glibc.erf($0 * 0.7071067811865476)) }
        case .geluTanh: return { x in 0.5 * x * (1 + Glibc.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x))) }
        case .relu: return { $0 < 0 ? 0 : $0 }
        case .sin: return { Glibc.sin($0) }
        case .cos: return { Glibc.cos($0) }
        case .tan: return { Glibc.tan($0) }
        case .asin: return { Glibc.asin($0) }
        case .acos: return { Glibc.acos($0) }
        case .atan: return { Glibc.atan($0) }
        case .sinh: return { Glibc.sinh($0) }
        case .cosh: return { Glibc.cosh($0) }
        case .asinh: return { Glibc.asinh($0) }
        case .acosh: return { Glibc.acosh($0) }
        case .atanh: return { Glibc.atanh($0) }
        case .floor: return { $0.rounded(.down) }
        case .ceil: return { $0.rounded(.up) }
        case .round: return { $0.rounded(.toNearestOrEven) }
        case .softplus: return { x in Glibc.log1p(Glibc.exp(-Swift.abs(x))) + Swift.max(x, 0) }
        case .softsign: return { $0 / (1 + Swift.abs($0)) }
        case .not: return { $0 }
        }
    }
}

extension Tensor {
    /// Applies `transform` to every element of a floating-point tensor (float16, bfloat16 and
    /// float64 go through float32), for elementwise functions with parameters (LeakyRelu, Elu...).
    public func mapFloats(op: String, _ transform: (Float) -> Float) throws(TensorError) -> Tensor {
        guard dtype.isFloatingPoint else { throw .unsupportedDType(op: op, dtype: dtype) }
        if dtype != .float32 { return try cast(to: .float32).mapFloats(op: op, transform).cast(to: dtype) }
        return try mapRows(Float.self, to: Float.self, op: op) { i, s, o, n in Tensor.scalarMap(i, s, o, n, transform) }
    }

    /// Whether each element is NaN (false for non-floating types), as a bool tensor.
    public func isNaN() throws(TensorError) -> Tensor {
        guard dtype.isFloatingPoint else { return try Tensor(zeros: shape, dtype: .bool) }
        let wide = dtype == .float64 ? self : try cast(to: .float32)
        return try Tensor.compare(.equal, wide, wide).unary(.not)
    }
}
