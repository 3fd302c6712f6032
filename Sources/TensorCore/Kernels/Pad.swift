/// How Pad fills the border.
public enum PadMode: String, Sendable {
    /// A constant value.
    case constant
    /// Mirror without repeating the edge (numpy `reflect`).
    case reflect
    /// Repeat the edge value.
    case edge
    /// Wrap around (numpy `wrap`).
    case wrap
}

extension Tensor {
    /// Pads (or, with negative amounts, crops) every axis: `pads` holds all begins then all ends.
    /// `value` is the fill for `.constant` (a scalar of this tensor's type; zero when nil).
    public func padded(_ pads: [Int], mode: PadMode = .constant, value: Tensor? = nil) throws(TensorError) -> Tensor {
        let op = "pad"
        guard pads.count == 2 * rank else {
            throw .invalidArgument(
                op: op, reason: "pads \(pads) must have 2 x rank = \(2 * rank) entries for shape \(shape)")
        }
        if let value, value.dtype != dtype || value.count != 1 {
            throw .invalidArgument(
                op: op, reason: "the constant must be one \(dtype) value, got \(value.dtype) \(value.shape)")
        }
        var lengths: [Int] = []
        for d in 0..<rank {
            let (partial, first) = shape[d].addingReportingOverflow(pads[d])
            let (length, second) = partial.addingReportingOverflow(pads[d + rank])
            guard !first, !second else {
                throw .invalidArgument(op: op, reason: "pads \(pads[d]), \(pads[d + rank]) on axis \(d) overflow")
            }
            if shape[d] == 0 && length > 0 && mode != .constant {
                throw .invalidArgument(op: op, reason: "\(mode.rawValue) padding needs a non-empty axis \(d)")
            }
            lengths.append(length)
        }
        if lengths.allSatisfy({ $0 >= 0 }) {
            _ = try MemoryBudget.checkedCount(lengths, bytesEach: dtype.byteSize, op: op)
            if lengths.contains(0) { return try Tensor(zeros: lengths, dtype: dtype) }
        }
        var maps: [[Int]] = []
        for d in 0..<rank {
            let dim = shape[d], before = pads[d], after = pads[d + rank]
            let length = lengths[d]
            guard length >= 0 else {
                throw .invalidArgument(
                    op: op, reason: "pads \(before), \(after) on axis \(d) of size \(dim) leave a negative size")
            }
            if dim == 0 && length > 0 && mode != .constant {
                throw .invalidArgument(op: op, reason: "\(mode.rawValue) padding needs a non-empty axis \(d)")
            }
            _ = try Shape.elementCount([length], op: op)
            maps.append(
                (0..<length).map { o in
                    let s = o - before
                    if s >= 0 && s < dim { return s }
                    switch mode {
                    case .constant: return -1
                    case .edge: return s < 0 ? 0 : dim - 1
                    case .wrap: return ((s % dim) + dim) % dim
                    case .reflect:
                        if dim == 1 { return 0 }
                        let period = 2 * (dim - 1)
                        let r = ((s % period) + period) % period
                        return r < dim ? r : period - r
                    }
                })
        }
        return try remapped(axisMaps: maps, fill: value, op: op)
    }
}
