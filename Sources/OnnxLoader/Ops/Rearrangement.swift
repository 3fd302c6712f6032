import TensorCore

/// Moving data between axes: CenterCropPad, SpaceToDepth and DepthToSpace.
func registerRearrangement(_ registry: inout OperatorRegistry) {
    registry.register("CenterCropPad", since: [18]) { attributes in
        let axesAttribute = attributes.ints("axes")
        return ClosureOperator { inputs in
            var x = try inputs.required(0)
            let shape = try inputs.required(1).intValues(inputs.op)
            let axes = try (axesAttribute ?? Array(0..<x.rank)).map {
                try Shape.normalizeAxis($0, rank: x.rank, op: inputs.op)
            }
            guard shape.count == axes.count else {
                throw TensorError.invalidArgument(op: inputs.op, reason: "shape needs \(axes.count) values")
            }
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
    registry.register("SpaceToDepth", since: [1, 13, 28]) { attributes in
        let block = attributes.int("blocksize", default: 0), mode = attributes.string("mode", default: "DCR")
        return ClosureOperator { inputs in
            let x = try inputs.required(0)
            guard x.rank == 4, block > 0, x.shape[2] % block == 0, x.shape[3] % block == 0 else {
                throw TensorError.invalidArgument(
                    op: inputs.op,
                    reason: "needs [N, C, H, W] with H and W divisible by blocksize \(block), got \(x.shape)")
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
            let x = try inputs.required(0)
            guard x.rank == 4, block > 0, x.shape[1] % (block * block) == 0 else {
                throw TensorError.invalidArgument(
                    op: inputs.op,
                    reason: "needs [N, C, H, W] with C divisible by blocksize^2 (\(block * block)), got \(x.shape)")
            }
            let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
            let depth = c / (block * block)
            let moved =
                mode == "CRD"
                ? try x.reshaped([n, depth, block, block, h, w]).transposed([0, 1, 4, 2, 5, 3])
                : try x.reshaped([n, block, block, depth, h, w]).transposed([0, 3, 4, 1, 5, 2])
            return [try moved.reshaped([n, depth, h * block, w * block])]
        }
    }
}
