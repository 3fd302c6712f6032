/// Element moves shared by the data-movement kernels: copying elements of any type (strings
/// included) by flat index, and reading integer index tensors safely.
extension Tensor {
    /// A tensor of `shape` whose element `i` is this (contiguous) tensor's element `sources[i]`,
    /// or `fill` where `sources[i]` is negative.
    func gatheringFlat(_ sources: [Int], shape: [Int], fill: Tensor? = nil, op: String) throws(TensorError) -> Tensor {
        let dense = contiguous()
        defer { withExtendedLifetime(dense) {} }
        if dtype == .string {
            let strings = Array(dense.stringSlice())
            let filler: String = fill.flatMap { try? $0.stringScalars().first } ?? ""
            return try Tensor(shape: shape, strings: sources.map { $0 >= 0 ? strings[$0] : filler })
        }
        let output = try Tensor(uninitialized: shape, dtype: dtype, op: op)
        guard let target = output.mutableBaseAddress else { return output }
        let size = dtype.byteSize
        let source = dense.baseAddress
        let fillTensor = fill?.contiguous()
        defer { withExtendedLifetime(fillTensor) {} }
        let fillBytes = fillTensor?.baseAddress
        var zero: UInt64 = 0
        withUnsafeMutableBytes(of: &zero) { zeroBytes in
            guard let zeroBase = zeroBytes.baseAddress else { return }
            for (i, index) in sources.enumerated() {
                let from: UnsafeRawPointer
                if index >= 0, let source {
                    from = source + index * size
                } else {
                    from = fillBytes ?? UnsafeRawPointer(zeroBase)
                }
                (target + i * size).copyMemory(from: from, byteCount: size)
            }
        }
        return output
    }

    /// The values of an integer index tensor, each checked against `bound` (negative values
    /// count from the end), as non-negative positions.
    func indexValues(bound: Int, op: String) throws(TensorError) -> [Int] {
        let raw: [Int]
        switch dtype {
        case .int64: raw = try typedScalars(Int64.self, op).map { Int($0) }
        case .int32: raw = try typedScalars(Int32.self, op).map { Int($0) }
        case .int16: raw = try typedScalars(Int16.self, op).map { Int($0) }
        case .int8: raw = try typedScalars(Int8.self, op).map { Int($0) }
        case .uint8: raw = try typedScalars(UInt8.self, op).map { Int($0) }
        case .uint16: raw = try typedScalars(UInt16.self, op).map { Int($0) }
        case .uint32: raw = try typedScalars(UInt32.self, op).map { Int($0) }
        default: throw .unsupportedDType(op: op, dtype: dtype)
        }
        return try raw.map { value throws(TensorError) in
            guard value >= -bound, value < bound else { throw .indexOutOfRange(op: op, index: value, bound: bound) }
            return value < 0 ? value + bound : value
        }
    }

    /// The elements as `[T]`, with a typed error.
    func typedScalars<T: TensorElement>(_ type: T.Type, _ op: String) throws(TensorError) -> [T] {
        try checkElement(type, op: op)
        let dense = contiguous()
        return withExtendedLifetime(dense) {
            guard let base = dense.baseAddress else { return [] }
            return Array(UnsafeBufferPointer(start: base.assumingMemoryBound(to: T.self), count: dense.count))
        }
    }
}
