import TensorCore

/// Col2Im: the inverse of im2col. Column `l` of `[N, C x prod(block), L]` holds one sliding
/// block; each of its values is added into the image position it came from (overlaps sum, padding
/// positions are dropped).
func registerCol2Im(_ registry: inout OperatorRegistry) {
    registry.register("Col2Im", since: [18]) { attributes in
        let dilationsAttribute = attributes.ints("dilations"), padsAttribute = attributes.ints("pads"),
            stridesAttribute = attributes.ints("strides")
        return ClosureOperator { inputs in
            let op = "Col2Im"
            let x = try inputs.required(0)
            let image = try inputs.required(1).intValues(op), block = try inputs.required(2).intValues(op)
            let rank = image.count
            let dilations = dilationsAttribute ?? Array(repeating: 1, count: rank)
            let pads = padsAttribute ?? Array(repeating: 0, count: 2 * rank)
            let strides = stridesAttribute ?? Array(repeating: 1, count: rank)
            guard x.rank == 3, block.count == rank, dilations.count == rank, strides.count == rank,
                pads.count == 2 * rank,
                image.allSatisfy({ $0 > 0 }), block.allSatisfy({ $0 > 0 }), strides.allSatisfy({ $0 > 0 }),
                dilations.allSatisfy({ $0 > 0 })
            else {
                throw TensorError.shapeMismatch(
                    op: op, shapes: [x.shape, image, block],
                    reason:
                        "input must be [N, C x prod(block), L] with one image size, block size, stride and dilation per dim"
                )
            }
            let blockSize = block.reduce(1, *)
            var blocksPerDim: [Int] = []
            for axis in 0..<rank {
                let span = dilations[axis] * (block[axis] - 1) + 1
                let padded = image[axis] + pads[axis] + pads[rank + axis]
                blocksPerDim.append((padded - span) / strides[axis] + 1)
            }
            let blockCount = blocksPerDim.reduce(1, *)
            guard x.shape[1] % blockSize == 0, x.shape[2] == blockCount, blocksPerDim.allSatisfy({ $0 > 0 }) else {
                throw TensorError.shapeMismatch(
                    op: op, shapes: [x.shape], reason: "expected [N, C x \(blockSize), \(blockCount)]")
            }
            let (n, channels) = (x.shape[0], x.shape[1] / blockSize)
            let imageSize = image.reduce(1, *)
            let values = try x.cast(to: .float64).scalars(as: Double.self)
            var output = [Double](repeating: 0, count: n * channels * imageSize)
            var kernelIndex = [Int](repeating: 0, count: rank), blockIndex = [Int](repeating: 0, count: rank)
            for k in 0..<blockSize {
                var rest = k
                for axis in (0..<rank).reversed() {
                    kernelIndex[axis] = rest % block[axis]
                    rest /= block[axis]
                }
                for l in 0..<blockCount {
                    rest = l
                    for axis in (0..<rank).reversed() {
                        blockIndex[axis] = rest % blocksPerDim[axis]
                        rest /= blocksPerDim[axis]
                    }
                    var flat = 0, inside = true
                    for axis in 0..<rank {
                        let coordinate =
                            blockIndex[axis] * strides[axis] - pads[axis] + kernelIndex[axis] * dilations[axis]
                        guard coordinate >= 0, coordinate < image[axis] else {
                            inside = false
                            break
                        }
                        flat = flat * image[axis] + coordinate
                    }
                    guard inside else { continue }
                    for item in 0..<n {
                        for channel in 0..<channels {
                            output[(item * channels + channel) * imageSize + flat] +=
                                values[(item * x.shape[1] + channel * blockSize + k) * blockCount + l]
                        }
                    }
                }
            }
            return [try Tensor(shape: [n, channels] + image, scalars: output).cast(to: x.dtype)]
        }
    }
}
