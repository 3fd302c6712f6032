/// Zero-copy views and the explicit copy that makes a view contiguous.
extension Tensor {
    /// This tensor if it is already contiguous, else a contiguous copy.
    public func contiguous() -> Tensor {
        isContiguous ? self : copied()
    }

    /// The same bytes read as `target`, an element type of the same size (ONNX BitCast); shares
    /// storage with the contiguous form of this tensor.
    public func bitCast(to target: DType) throws(TensorError) -> Tensor {
        guard dtype != .string, target != .string, dtype.byteSize == target.byteSize else {
            throw .invalidArgument(op: "BitCast", reason: "\(dtype) and \(target) differ in size (or one is a string)")
        }
        let dense = contiguous()
        return Tensor(
            dtype: target, shape: shape, strides: Shape.contiguousStrides(shape), offset: dense.offset,
            storage: dense.storage)
    }

    /// A contiguous copy in freshly allocated storage.
    public func copied() -> Tensor {
        // The shape was valid when this tensor was made, so the allocation size is too.
        guard var result = try? Tensor(uninitialized: shape, dtype: dtype, op: "copy") else { return self }
        copyElements(into: &result)
        return result
    }

    /// Copies this tensor's elements in row-major order into a fresh contiguous tensor of equal shape.
    func copyElements(into destination: inout Tensor) {
        if dtype == .string {
            var strings = [String]()
            strings.reserveCapacity(count)
            let loop = StridedLoop(shape: shape, strides: [strides])
            let source = storage.strings
            loop.forEachRow(in: 0..<loop.rowCount) { offsets in
                var position = offset + offsets[0]
                for _ in 0..<loop.rowLength {
                    strings.append(source[position])
                    position += loop.innerStrides[0]
                }
            }
            destination.storage.strings = strings
            return
        }
        guard let source = baseAddress, let target = destination.mutableBaseAddress else { return }
        let loop = StridedLoop(shape: shape, strides: [Shape.contiguousStrides(shape), strides])
        switch dtype.byteSize {
        case 1: Tensor.stridedCopy(UInt8.self, loop, source, target)
        case 2: Tensor.stridedCopy(UInt16.self, loop, source, target)
        case 4: Tensor.stridedCopy(UInt32.self, loop, source, target)
        default: Tensor.stridedCopy(UInt64.self, loop, source, target)
        }
    }

    @inline(__always)
    static func stridedCopy<Word>(
        _: Word.Type, _ loop: StridedLoop, _ source: UnsafeRawPointer, _ target: UnsafeMutableRawPointer
    ) {
        let input = source.assumingMemoryBound(to: Word.self)
        let output = target.assumingMemoryBound(to: Word.self)
        let inStride = loop.innerStrides[1]
        loop.forEachRun { offsets, length in
            let outRow = output + offsets[0]
            let inRow = input + offsets[1]
            if inStride == 1 {
                outRow.update(from: inRow, count: length)
            } else {
                for i in 0..<length { outRow[i] = inRow[i * inStride] }
            }
        }
    }

    /// The same elements with another shape (one dim may be -1: inferred). A view when the
    /// layout allows it, else a contiguous copy.
    public func reshaped(_ newShape: [Int]) throws(TensorError) -> Tensor {
        let op = "reshape"
        var resolved = newShape
        let inferred = newShape.indices.filter { newShape[$0] == -1 }
        guard inferred.count <= 1 else {
            throw .invalidArgument(op: op, reason: "at most one dimension may be -1, got \(newShape)")
        }
        if let axis = inferred.first {
            let known = try Shape.elementCount(
                newShape.enumerated().filter { $0.offset != axis }.map(\.element), op: op)
            guard known > 0, count % known == 0 else {
                throw .shapeMismatch(
                    op: op, shapes: [shape, newShape], reason: "\(count) elements cannot fill the -1 dimension")
            }
            resolved[axis] = count / known
        }
        guard try Shape.elementCount(resolved, op: op) == count else {
            throw .shapeMismatch(op: op, shapes: [shape, newShape], reason: "element counts differ")
        }
        let base = isContiguous ? self : contiguous()
        return Tensor(
            dtype: dtype, shape: resolved, strides: Shape.contiguousStrides(resolved), offset: base.offset,
            storage: base.storage)
    }

    /// A view with dimensions reordered: dimension `i` of the result is dimension `order[i]` here.
    public func permuted(_ order: [Int]) throws(TensorError) -> Tensor {
        guard order.count == rank, Set(order) == Set(0..<rank) else {
            throw .invalidArgument(op: "transpose", reason: "permutation \(order) is not a permutation of 0..<\(rank)")
        }
        return Tensor(
            dtype: dtype, shape: order.map { shape[$0] }, strides: order.map { strides[$0] }, offset: offset,
            storage: storage)
    }

    /// A view with the last two dimensions swapped (rank 2 or more).
    public func transposedLastTwo() throws(TensorError) -> Tensor {
        guard rank >= 2 else { throw .invalidArgument(op: "transpose", reason: "needs rank >= 2, got shape \(shape)") }
        var order = Array(0..<rank)
        order.swapAt(rank - 1, rank - 2)
        return try permuted(order)
    }

    /// A view of `start ..< end` stepping by `step` along `axis`, with Python/ONNX slice
    /// semantics: negative bounds count from the end, bounds are clamped, a negative step walks backwards.
    public func sliced(axis: Int, start: Int, end: Int, step: Int = 1) throws(TensorError) -> Tensor {
        let axis = try Shape.normalizeAxis(axis, rank: rank, op: "slice")
        guard step != 0 else { throw .invalidArgument(op: "slice", reason: "step must not be 0") }
        let dim = shape[axis]
        func clamp(_ value: Int, _ low: Int, _ high: Int) -> Int { min(max(value, low), high) }
        var first = start < 0 ? start + dim : start
        var last = end < 0 ? end + dim : end
        let length: Int
        if step > 0 {
            first = clamp(first, 0, dim)
            last = clamp(last, 0, dim)
            length = last > first ? (last - first + step - 1) / step : 0
        } else {
            first = clamp(first, -1, dim - 1)
            last = clamp(last, -1, dim - 1)
            length = first > last ? (first - last - step - 1) / -step : 0
        }
        var result = self
        result.shape[axis] = length
        result.strides[axis] = strides[axis] * step
        if length > 0 { result.offset = offset + first * strides[axis] }
        return result
    }

    /// A view repeating size-1 dimensions (stride 0) to reach `target` (numpy broadcasting).
    public func broadcast(to target: [Int]) throws(TensorError) -> Tensor {
        guard target.count >= rank else {
            throw .shapeMismatch(op: "broadcast", shapes: [shape, target], reason: "target has lower rank")
        }
        // Negative or overflowing target sizes are errors here, before any view holds them.
        _ = try Shape.elementCount(target, op: "broadcast")
        let pad = target.count - rank
        var newStrides = [Int](repeating: 0, count: target.count)
        for axis in 0..<rank {
            let dim = shape[axis]
            if dim == target[pad + axis] {
                newStrides[pad + axis] = strides[axis]
            } else if dim == 1 {
                newStrides[pad + axis] = 0
            } else {
                throw .shapeMismatch(
                    op: "broadcast", shapes: [shape, target],
                    reason: "dimension \(axis) of size \(dim) cannot broadcast to \(target[pad + axis])")
            }
        }
        return Tensor(dtype: dtype, shape: target, strides: newStrides, offset: offset, storage: storage)
    }

    /// ONNX Expand: broadcast this tensor and `shape` against each other.
    public func expanded(to requested: [Int]) throws(TensorError) -> Tensor {
        try broadcast(to: Shape.broadcast([shape, requested], op: "expand"))
    }

    /// A view without the listed size-1 axes (all size-1 axes when `axes` is nil).
    public func squeezed(axes: [Int]? = nil) throws(TensorError) -> Tensor {
        let drop: Set<Int>
        if let axes {
            drop = Set(try Shape.normalizeAxes(axes, rank: rank, op: "squeeze"))
            for axis in drop where shape[axis] != 1 {
                throw .invalidArgument(
                    op: "squeeze", reason: "axis \(axis) has size \(shape[axis]), not 1 (shape \(shape))")
            }
        } else {
            drop = Set(shape.indices.filter { shape[$0] == 1 })
        }
        let keep = shape.indices.filter { !drop.contains($0) }
        return Tensor(
            dtype: dtype, shape: keep.map { shape[$0] }, strides: keep.map { strides[$0] }, offset: offset,
            storage: storage)
    }

    /// A view with size-1 axes inserted at the listed positions of the result.
    public func unsqueezed(axes: [Int]) throws(TensorError) -> Tensor {
        let outRank = rank + axes.count
        let inserted = Set(try Shape.normalizeAxes(axes, rank: outRank, op: "unsqueeze"))
        var newShape: [Int] = []
        var newStrides: [Int] = []
        var source = 0
        for axis in 0..<outRank {
            if inserted.contains(axis) {
                newShape.append(1)
                newStrides.append(0)
            } else {
                newShape.append(shape[source])
                newStrides.append(strides[source])
                source += 1
            }
        }
        return Tensor(dtype: dtype, shape: newShape, strides: newStrides, offset: offset, storage: storage)
    }

    /// ONNX Flatten: a 2-D view `[prod(shape[..<axis]), prod(shape[axis...])]`.
    public func flattened(axis: Int) throws(TensorError) -> Tensor {
        let bound = rank
        guard axis >= -bound, axis <= bound else { throw .axisOutOfRange(op: "flatten", axis: axis, rank: rank) }
        let split = axis < 0 ? axis + bound : axis
        return try reshaped([Shape.product(shape[..<split]), Shape.product(shape[split...])])
    }
}

extension Tensor {
    /// The elements rearranged so dimension `i` is dimension `order[i]` here, copied contiguous
    /// (ONNX Transpose). Reverses the dims when `order` is nil.
    public func transposed(_ order: [Int]? = nil) throws(TensorError) -> Tensor {
        try permuted(order ?? Array((0..<rank).reversed())).contiguous()
    }
}
