import TensorCore
#if canImport(Glibc)
import Glibc
#endif

/// Elementwise and along-axis ops that compose TensorCore kernels: Shrink, Trilu, CumSum,
/// Hardmax, OneHot, LpNormalization, LRN, SpaceToDepth, DepthToSpace, TopK.
func registerComposite(_ registry: inout OperatorRegistry) {
    registry.register("Shrink", since: [9]) { attributes in
        let lambda = Double(attributes.float("lambd", default: 0.5)), bias = Double(attributes.float("bias", default: 0))
        return ClosureOperator { inputs in
            let x = try inputs.required(0, "Shrink")
            let values = try x.cast(to: .float64).scalars(as: Double.self).map { $0 < -lambda ? $0 + bias : ($0 > lambda ? $0 - bias : 0) }
            return [try Tensor(shape: x.shape, scalars: values).cast(to: x.dtype)]
        }
    }
    registry.register("Trilu", since: [14]) { attributes in
        let upper = attributes.int("upper", default: 1) == 1
        return ClosureOperator { inputs in
            let x = try inputs.required(0, "Trilu")
            guard x.rank >= 2 else { throw TensorError.invalidArgument(op: "Trilu", reason: "needs rank >= 2, got \(x.shape)") }
            let k = try inputs.optional(1).map { try Int($0.scalarDouble("Trilu")) } ?? 0
            let rows = x.shape[x.rank - 2], cols = x.shape[x.rank - 1]
            let keep = try Tensor(shape: [rows, cols], scalars: (0..<(rows * cols)).map { index in
                let diagonal = index % max(cols, 1) - index / max(cols, 1)
                return upper ? diagonal >= k : diagonal <= k
            })
            return [try Tensor.select(keep, x, Tensor(zeros: [], dtype: x.dtype))]
        }
    }
    let cumulative: [(String, [Int], Double, @Sendable (Double, Double) -> Double)] = [
        ("CumSum", [11, 14], 0, { $0 + $1 }), ("CumProd", [26], 1, { $0 * $1 }),
    ]
    for (name, versions, identity, combine) in cumulative {
        registry.register(name, since: versions) { attributes in
            let exclusive = attributes.int("exclusive", default: 0) == 1, reverse = attributes.int("reverse", default: 0) == 1
            return ClosureOperator { inputs in
                let x = try inputs.required(0, name)
                let axis = try Shape.normalizeAxis(Int(try inputs.required(1, name).scalarDouble(name)), rank: x.rank, op: name)
                return [try alongAxis(x, axis: axis) { row in
                    var running = identity
                    var result = [Double](repeating: identity, count: row.count)
                    for step in 0..<row.count {
                        let i = reverse ? row.count - 1 - step : step
                        if exclusive { result[i] = running; running = combine(running, row[i]) } else { running = combine(running, row[i]); result[i] = running }
                    }
                    return result
                }]
            }
        }
    }
    registry.register("EyeLike", since: [9, 22]) { attributes in
        let k = attributes.int("k", default: 0), code = attributes.int("dtype")
        return ClosureOperator { inputs in
            let x = try inputs.required(0, "EyeLike")
            guard x.rank == 2 else { throw TensorError.invalidArgument(op: "EyeLike", reason: "needs a 2-D input, got \(x.shape)") }
            let dtype = try code.map { c -> DType in
                guard let d = OnnxDataType.dtype(c) else { throw TensorError.invalidArgument(op: "EyeLike", reason: "dtype \(OnnxDataType.name(c)) is not supported") }
                return d
            } ?? x.dtype
            let (rows, cols) = (x.shape[0], x.shape[1])
            let values = (0..<(rows * cols)).map { $0 % max(cols, 1) - $0 / max(cols, 1) == k ? 1.0 : 0 }
            return [try Tensor(shape: x.shape, scalars: values).cast(to: dtype)]
        }
    }
    registry.register("Compress", since: [9, 11]) { attributes in
        let axis = attributes.int("axis")
        return ClosureOperator { inputs in
            var x = try inputs.required(0, "Compress")
            let condition = try inputs.required(1, "Compress").cast(to: .bool).scalars(as: Bool.self)
            var along = 0
            if let axis { along = try Shape.normalizeAxis(axis, rank: x.rank, op: "Compress") } else { x = try x.reshaped([-1]) }
            let keep = condition.prefix(x.shape[along]).enumerated().filter { $0.element }.map { Int64($0.offset) }
            return [try x.gather(indices: Tensor(shape: [keep.count], scalars: keep), axis: along)]
        }
    }
    registry.register("ScatterND", since: [11, 13, 16, 18]) { attributes in
        let reduction = attributes.string("reduction", default: "none")
        return ClosureOperator { inputs in
            let data = try inputs.required(0, "ScatterND"), indices = try inputs.required(1, "ScatterND"), updates = try inputs.required(2, "ScatterND")
            let depth = indices.shape.last ?? 0
            guard depth <= data.rank else { throw TensorError.invalidArgument(op: "ScatterND", reason: "index depth \(depth) exceeds the data rank \(data.rank)") }
            let sliceSize = Shape.product(data.shape[depth...]), strides = Shape.contiguousStrides(data.shape)
            let raw = try indices.intValues("ScatterND"), lookups = raw.count / max(depth, 1)
            var values = try data.cast(to: .float64).scalars(as: Double.self)
            let news = try updates.cast(to: .float64).scalars(as: Double.self)
            guard news.count == lookups * sliceSize else { throw TensorError.shapeMismatch(op: "ScatterND", shapes: [data.shape, indices.shape, updates.shape], reason: "updates must be indices.shape[:-1] + data.shape[depth:]") }
            for l in 0..<lookups {
                var base = 0
                for d in 0..<depth {
                    var index = raw[l * depth + d]
                    if index < 0 { index += data.shape[d] }
                    guard index >= 0, index < data.shape[d] else { throw TensorError.indexOutOfRange(op: "ScatterND", index: raw[l * depth + d], bound: data.shape[d]) }
                    base += index * strides[d]
                }
                for i in 0..<sliceSize {
                    let update = news[l * sliceSize + i]
                    switch reduction {
                    case "add": values[base + i] += update
                    case "mul": values[base + i] *= update
                    case "max": values[base + i] = max(values[base + i], update)
                    case "min": values[base + i] = min(values[base + i], update)
                    default: values[base + i] = update
                    }
                }
            }
            return [try Tensor(shape: data.shape, scalars: values).cast(to: data.dtype)]
        }
    }
    registry.register("CenterCropPad", since: [18]) { attributes in
        let axesAttribute = attributes.ints("axes")
        return ClosureOperator { inputs in
            var x = try inputs.required(0, "CenterCropPad")
            let shape = try inputs.required(1, "CenterCropPad").intValues("CenterCropPad")
            let axes = try (axesAttribute ?? Array(0..<x.rank)).map { try Shape.normalizeAxis($0, rank: x.rank, op: "CenterCropPad") }
            guard shape.count == axes.count else { throw TensorError.invalidArgument(op: "CenterCropPad", reason: "shape needs \(axes.count) values") }
            var pads = [Int](repeating: 0, count: 2 * x.rank)
            for (axis, size) in zip(axes, shape) {
                let dim = x.shape[axis]
                if size < dim {
                    let start = (dim - size) / 2
                    x = try x.sliced(axis: axis, start: start, end: start + size)
                } else if size > dim {
                    pads[axis] = (size - dim) / 2
                    pads[axis + x.rank] = size - dim - (size - dim) / 2
                }
            }
            return [try x.padded(pads)]
        }
    }
    registry.register("ReverseSequence", since: [10, 28]) { attributes in
        let batchAxis = attributes.int("batch_axis", default: 1), timeAxis = attributes.int("time_axis", default: 0)
        return ClosureOperator { inputs in
            let x = try inputs.required(0, "ReverseSequence")
            let lengths = try inputs.required(1, "ReverseSequence").intValues("ReverseSequence")
            let batch = try Shape.normalizeAxis(batchAxis, rank: x.rank, op: "ReverseSequence"), time = try Shape.normalizeAxis(timeAxis, rank: x.rank, op: "ReverseSequence")
            guard lengths.count == x.shape[batch] else { throw TensorError.invalidArgument(op: "ReverseSequence", reason: "sequence_lens needs \(x.shape[batch]) values") }
            // For GatherElements along the time axis: reversed positions inside each sequence.
            var positions = [Int64](repeating: 0, count: x.count)
            var index = [Int](repeating: 0, count: x.rank)
            var flat = 0
            if x.count > 0 {
                repeat {
                    let t = index[time], length = min(max(lengths[index[batch]], 0), x.shape[time])
                    positions[flat] = Int64(t < length ? length - 1 - t : t)
                    flat += 1
                } while Shape.advance(&index, in: x.shape)
            }
            return [try x.gatherElements(indices: Tensor(shape: x.shape, scalars: positions), axis: time)]
        }
    }
    registry.register("SwiGLU", since: [28]) { attributes in
        let alpha = Double(attributes.float("alpha", default: 1))
        return ClosureOperator { inputs in
            let a = try inputs.required(0, "SwiGLU"), b = try inputs.required(1, "SwiGLU")
            guard a.shape == b.shape else { throw TensorError.shapeMismatch(op: "SwiGLU", shapes: [a.shape, b.shape], reason: "A and B must have one shape") }
            let gate = try Tensor.binary(.mul, a, Tensor.binary(.mul, a, Tensor(scalar: alpha).cast(to: a.dtype)).unary(.sigmoid))
            return [try Tensor.binary(.mul, gate, b)]
        }
    }
    registry.register("Unique", since: [11, 28]) { attributes in
        let axisAttribute = attributes.int("axis"), sorted = attributes.int("sorted", default: 1) == 1
        return ClosureOperator { inputs in
            let x = try inputs.required(0, "Unique")
            let flat = axisAttribute == nil
            let source = flat ? try x.reshaped([-1]) : x
            let axis = flat ? 0 : try Shape.normalizeAxis(axisAttribute ?? 0, rank: x.rank, op: "Unique")
            // Each slice along the axis as a key, compared lexicographically by value.
            let moved = try source.permuted([axis] + (0..<source.rank).filter { $0 != axis }).contiguous()
            let count = source.shape[axis], width = count == 0 ? 0 : moved.count / count
            let values = try moved.cast(to: .float64).scalars(as: Double.self)
            let slices = (0..<count).map { Array(values[($0 * width)..<(($0 + 1) * width)]) }
            var firstIndex: [Int] = [], inverse = [Int](repeating: 0, count: count)
            var counts: [Int] = []
            for i in 0..<count {
                if let existing = firstIndex.firstIndex(where: { slices[$0] == slices[i] }) {
                    inverse[i] = existing
                    counts[existing] += 1
                } else {
                    inverse[i] = firstIndex.count
                    firstIndex.append(i)
                    counts.append(1)
                }
            }
            var order = Array(firstIndex.indices)
            if sorted {
                order.sort { a, b in slices[firstIndex[a]].lexicographicallyPrecedes(slices[firstIndex[b]]) }
            }
            var rank = [Int](repeating: 0, count: order.count)
            for (position, entry) in order.enumerated() { rank[entry] = position }
            let picks = order.map { Int64(firstIndex[$0]) }
            let y = try source.gather(indices: Tensor(shape: [picks.count], scalars: picks), axis: axis)
            return [y, try Tensor(shape: [picks.count], scalars: picks),
                    try Tensor(shape: [count], scalars: inverse.map { Int64(rank[$0]) }),
                    try Tensor(shape: [order.count], scalars: order.map { Int64(counts[$0]) })]
        }
    }
    registry.register("Hardmax", since: [1, 11, 13]) { attributes in
        let legacy = attributes.opset < 13
        let axis = attributes.int("axis", default: legacy ? 1 : -1)
        return ClosureOperator { inputs in
            let x = try inputs.required(0, "Hardmax")
            let oneHot: ([Double]) -> [Double] = { row in
                var best = 0
                for i in row.indices where row[i] > row[best] { best = i }
                return row.indices.map { $0 == best ? 1 : 0 }
            }
            if legacy {
                let flat = try x.flattened(axis: axis < 0 ? axis + x.rank : axis)
                return [try alongAxis(flat, axis: 1, oneHot).reshaped(x.shape)]
            }
            return [try alongAxis(x, axis: try Shape.normalizeAxis(axis, rank: x.rank, op: "Hardmax"), oneHot)]
        }
    }
    registry.register("OneHot", since: [9, 11]) { attributes in
        let axisAttribute = attributes.int("axis", default: -1)
        return ClosureOperator { inputs in
            let indices = try inputs.required(0, "OneHot"), values = try inputs.required(2, "OneHot")
            let depth = Int(try inputs.required(1, "OneHot").scalarDouble("OneHot"))
            guard depth >= 0, values.count == 2 else { throw TensorError.invalidArgument(op: "OneHot", reason: "depth must be >= 0 and values [off, on]") }
            let axis = try Shape.normalizeAxis(axisAttribute, rank: indices.rank + 1, op: "OneHot")
            let raw = try indices.cast(to: .float64).scalars(as: Double.self).map { Int($0) }
            let outer = Shape.product(indices.shape[..<axis]), inner = Shape.product(indices.shape[axis...])
            var on = [Bool](repeating: false, count: outer * depth * inner)
            for o in 0..<outer {
                for i in 0..<inner {
                    var hot = raw[o * inner + i]
                    if hot < 0 { hot += depth }
                    if hot >= 0 && hot < depth { on[(o * depth + hot) * inner + i] = true }
                }
            }
            let shape = Array(indices.shape[..<axis]) + [depth] + Array(indices.shape[axis...])
            let flags = try Tensor(shape: shape, scalars: on)
            return [try Tensor.select(flags, values.sliced(axis: 0, start: 1, end: 2).reshaped([]), values.sliced(axis: 0, start: 0, end: 1).reshaped([]))]
        }
    }
    registry.register("LpNormalization", since: [1, 22]) { attributes in
        let axis = attributes.int("axis", default: -1), p = attributes.int("p", default: 2)
        return ClosureOperator { inputs in
            let x = try inputs.required(0, "LpNormalization")
            let norm = try x.reduce(p == 1 ? .l1 : .l2, axes: [axis], keepDims: true)
            let zero = try Tensor.compare(.equal, norm, Tensor(zeros: [], dtype: norm.dtype))
            return [try Tensor.select(zero, Tensor(zeros: [], dtype: x.dtype), Tensor.binary(.div, x, norm))]
        }
    }
    registry.register("LRN", since: [1, 13]) { attributes in
        guard let size = attributes.int("size"), size > 0 else { throw attributes.error("size must be a positive integer") }
        let alpha = Double(attributes.float("alpha", default: 1e-4)), beta = Double(attributes.float("beta", default: 0.75))
        let bias = Double(attributes.float("bias", default: 1))
        return ClosureOperator { inputs in
            let x = try inputs.required(0, "LRN")
            guard x.rank >= 2 else { throw TensorError.invalidArgument(op: "LRN", reason: "needs [N, C, ...], got \(x.shape)") }
            let values = try x.cast(to: .float64).scalars(as: Double.self)
            let channels = x.shape[1], inner = Shape.product(x.shape.dropFirst(2))
            let below = (size - 1) / 2, above = size - 1 - below
            var result = values
            for n in 0..<x.shape[0] {
                for c in 0..<channels {
                    for i in 0..<inner {
                        var squares = 0.0
                        for other in max(0, c - below)...min(channels - 1, c + above) {
                            let v = values[(n * channels + other) * inner + i]
                            squares += v * v
                        }
                        let index = (n * channels + c) * inner + i
                        result[index] = values[index] / pow(bias + alpha / Double(size) * squares, beta)
                    }
                }
            }
            return [try Tensor(shape: x.shape, scalars: result).cast(to: x.dtype)]
        }
    }
    registry.register("SpaceToDepth", since: [1, 13, 28]) { attributes in
        let block = attributes.int("blocksize", default: 0), mode = attributes.string("mode", default: "DCR")
        return ClosureOperator { inputs in
            let x = try inputs.required(0, "SpaceToDepth")
            guard x.rank == 4, block > 0, x.shape[2] % block == 0, x.shape[3] % block == 0 else {
                throw TensorError.invalidArgument(op: "SpaceToDepth", reason: "needs [N, C, H, W] with H and W divisible by blocksize \(block), got \(x.shape)")
            }
            let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
            // DCR puts the block offset before the channel in the output depth; CRD after it.
            let order = mode == "CRD" ? [0, 1, 3, 5, 2, 4] : [0, 3, 5, 1, 2, 4]
            let split = try x.reshaped([n, c, h / block, block, w / block, block]).transposed(order)
            return [try split.reshaped([n, c * block * block, h / block, w / block])]
        }
    }
    registry.register("DepthToSpace", since: [1, 11, 13]) { attributes in
        let block = attributes.int("blocksize", default: 0), mode = attributes.string("mode", default: "DCR")
        return ClosureOperator { inputs in
            let x = try inputs.required(0, "DepthToSpace")
            guard x.rank == 4, block > 0, x.shape[1] % (block * block) == 0 else {
                throw TensorError.invalidArgument(op: "DepthToSpace", reason: "needs [N, C, H, W] with C divisible by blocksize^2 (\(block * block)), got \(x.shape)")
            }
            let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
            let depth = c / (block * block)
            let moved = mode == "CRD"
                ? try x.reshaped([n, depth, block, block, h, w]).transposed([0, 1, 4, 2, 5, 3])
                : try x.reshaped([n, block, block, depth, h, w]).transposed([0, 3, 4, 1, 5, 2])
            return [try moved.reshaped([n, depth, h * block, w * block])]
        }
    }
    registry.register("TopK", since: [1, 10, 11]) { attributes in
        let axisAttribute = attributes.int("axis", default: -1), largest = attributes.int("largest", default: 1) == 1
        let legacyK = attributes.int("k")
        let legacy = attributes.opset < 10
        return ClosureOperator { inputs in
            let x = try inputs.required(0, "TopK")
            let k = legacy ? (legacyK ?? 0) : Int(try inputs.required(1, "TopK").scalarDouble("TopK"))
            let axis = try Shape.normalizeAxis(axisAttribute, rank: x.rank, op: "TopK")
            guard k >= 0, k <= x.shape[axis] else { throw TensorError.invalidArgument(op: "TopK", reason: "k = \(k) exceeds axis \(axis) of \(x.shape)") }
            var positions: [[Int]] = []
            let values = try alongAxis(x, axis: axis, length: k) { row in
                let order = row.indices.sorted { a, b in
                    if row[a] == row[b] || (row[a].isNaN && row[b].isNaN) { return a < b }
                    if row[a].isNaN { return largest }
                    if row[b].isNaN { return !largest }
                    return largest ? row[a] > row[b] : row[a] < row[b]
                }
                positions.append(Array(order.prefix(k)))
                return order.prefix(k).map { row[$0] }
            }
            let indexRows = try Tensor(shape: [positions.count, k], scalars: positions.flatMap { $0.map { Int64($0) } })
            var moved = values.shape
            moved.remove(at: axis)
            moved.append(k)
            var order = Array(0..<(x.rank - 1))
            order.insert(x.rank - 1, at: axis)
            return [values, try indexRows.reshaped(moved).transposed(order)]
        }
    }
}

/// Applies `transform` to every 1-D row along `axis` (values as Double), producing rows of
/// `length` (default: the axis size), and puts the axis back in place; the input's dtype is kept.
func alongAxis(_ x: Tensor, axis: Int, length: Int? = nil, _ transform: ([Double]) throws -> [Double]) throws -> Tensor {
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
        guard out.count == outLength else { throw TensorError.invalidArgument(op: "along-axis", reason: "row of \(out.count), expected \(outLength)") }
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
        if value.isNaN { self = 0 } else if value >= 9.223372036854775807e18 { self = .max } else if value <= -9.223372036854775808e18 { self = .min } else { self = Int64(value) }
    }
}
