/// Shape arithmetic shared by views and kernels.
public enum Shape {
    /// Largest element count a tensor may have (2^36): bigger requests are rejected before allocating.
    public static let maxElementCount = 1 << 36

    /// Row-major strides (in elements) of a contiguous tensor of `shape`.
    @inlinable
    public static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running = running &* max(shape[axis], 1)
        }
        return strides
    }

    /// The element count of `shape`, or an error when a dim is negative or the product overflows.
    /// The sizes other than 0 must multiply within ``maxElementCount`` too, so that strides and
    /// the extents of views of an empty tensor stay representable.
    public static func elementCount(_ shape: [Int], op: String) throws(TensorError) -> Int {
        var extent = 1
        var empty = false
        for dim in shape {
            guard dim >= 0 else {
                throw .invalidArgument(op: op, reason: "negative dimension \(dim) in shape \(shape)")
            }
            if dim == 0 {
                empty = true
                continue
            }
            let (product, overflow) = extent.multipliedReportingOverflow(by: dim)
            guard !overflow, product <= maxElementCount else { throw .tooLarge(op: op, shape: shape) }
            extent = product
        }
        return empty ? 0 : extent
    }

    /// The element count of a shape already known to be valid.
    @inlinable
    public static func product(_ dims: some Sequence<Int>) -> Int { dims.reduce(1, *) }

    /// An axis in `-rank ..< rank` made non-negative.
    public static func normalizeAxis(_ axis: Int, rank: Int, op: String) throws(TensorError) -> Int {
        let bound = max(rank, 1)
        guard axis >= -bound, axis < bound else { throw .axisOutOfRange(op: op, axis: axis, rank: rank) }
        return axis < 0 ? axis + bound : axis
    }

    /// Distinct, normalized, sorted axes.
    public static func normalizeAxes(_ axes: [Int], rank: Int, op: String) throws(TensorError) -> [Int] {
        var seen = Set<Int>()
        for axis in axes {
            let normalized = try normalizeAxis(axis, rank: rank, op: op)
            guard seen.insert(normalized).inserted else {
                throw .invalidArgument(op: op, reason: "axis \(axis) is repeated in \(axes)")
            }
        }
        return seen.sorted()
    }

    /// The numpy broadcast of several shapes.
    public static func broadcast(_ shapes: [[Int]], op: String) throws(TensorError) -> [Int] {
        let rank = shapes.map(\.count).max() ?? 0
        var result = [Int](repeating: 1, count: rank)
        for shape in shapes {
            let pad = rank - shape.count
            for (i, dim) in shape.enumerated() {
                let current = result[pad + i]
                if dim == current || dim == 1 { continue }
                if current == 1 {
                    result[pad + i] = dim
                    continue
                }
                throw .shapeMismatch(
                    op: op, shapes: shapes,
                    reason:
                        "dimension \(pad + i) is \(current) in one and \(dim) in another (numpy broadcasting needs equal sizes or 1)"
                )
            }
        }
        return result
    }

    /// Steps a row-major multi-index to the next position of `shape`; false after the last one
    /// (the index is then back at all zeros).
    @inline(__always)
    public static func advance(_ index: inout [Int], in shape: [Int]) -> Bool {
        var axis = shape.count - 1
        while axis >= 0 {
            index[axis] += 1
            if index[axis] < shape[axis] { return true }
            index[axis] = 0
            axis -= 1
        }
        return false
    }
}

extension Int {
    /// `value` truncated toward zero and clamped to ±2^62 (so that small offsets added afterwards
    /// cannot overflow); NaN gives 0. For sizes, indices and coordinates computed in floating point
    /// from input, where a conversion must never trap.
    @inlinable
    public init(saturating value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= 0x1p62 {
            self = 1 << 62
        } else if value <= -0x1p62 {
            self = -(1 << 62)
        } else {
            self = Int(value)
        }
    }
}
