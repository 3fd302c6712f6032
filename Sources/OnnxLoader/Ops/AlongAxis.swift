import TensorCore

/// Applies `transform` to every 1-D row along `axis` (values as Double), producing rows of
/// `length` (default: the axis size), and puts the axis back in place; the input's dtype is kept.
func alongAxis(_ x: Tensor, axis: Int, length: Int? = nil, _ transform: ([Double]) throws -> [Double]) throws -> Tensor
{
    var order = Array(0..<x.rank)
    order.remove(at: axis)
    order.append(axis)
    let moved = try x.permuted(order).contiguous()
    let size = x.shape[axis], outLength = length ?? size
    let values = try moved.cast(to: .float64).scalars(as: Double.self)
    let rows = size == 0 ? Shape.product(moved.shape.dropLast()) : values.count / size
    var result: [Double] = []
    result.reserveCapacity(rows * outLength)
    for r in 0..<rows {
        let row = Array(values[(r * size)..<((r + 1) * size)])
        let out = try transform(row)
        guard out.count == outLength else {
            throw TensorError.invalidArgument(op: "along-axis", reason: "row of \(out.count), expected \(outLength)")
        }
        result += out
    }
    var outShape = Array(moved.shape.dropLast())
    outShape.append(outLength)
    var inverse = [Int](repeating: 0, count: x.rank)
    for (position, source) in order.enumerated() { inverse[source] = position }
    let typed: Tensor
    if x.dtype == .int64 {
        // Keep 64-bit integers exact.
        typed = try Tensor(shape: outShape, scalars: result.map { Int64(castingDoubleSaturatingValue: $0) })
    } else {
        typed = try Tensor(shape: outShape, scalars: result).cast(to: x.dtype)
    }
    return try typed.permuted(inverse).contiguous()
}

extension Int64 {
    init(castingDoubleSaturatingValue value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= 9.223372036854775807e18 {
            self = .max
        } else if value <= -9.223372036854775808e18 {
            self = .min
        } else {
            self = Int64(value)
        }
    }
}
