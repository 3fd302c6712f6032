/// N-dimensional window bookkeeping shared by convolution, transposed convolution and pooling
/// when the input has more spatial dims than the 1-D/2-D fast paths handle.
struct WindowIndexing {
    let input: [Int]
    let output: [Int]
    let kernel: [Int]
    let strides: [Int]
    let dilations: [Int]
    let padsBegin: [Int]

    var inputSize: Int { Shape.product(input) }
    var outputSize: Int { Shape.product(output) }
    var kernelSize: Int { Shape.product(kernel) }

    /// For every (kernel tap, output position): the flat input position it reads, or -1 in padding.
    /// Laid out as `[kernelSize][outputSize]`, the im2col row order.
    func sourceTable() -> [Int] {
        let rank = input.count
        var table = [Int](repeating: -1, count: kernelSize * outputSize)
        let inputStrides = Shape.contiguousStrides(input)
        var tap = [Int](repeating: 0, count: rank)
        var t = 0
        repeat {
            var position = [Int](repeating: 0, count: rank)
            var o = 0
            repeat {
                var flat = 0
                var inside = true
                for d in 0..<rank {
                    let i = position[d] * strides[d] - padsBegin[d] + tap[d] * dilations[d]
                    if i < 0 || i >= input[d] {
                        inside = false
                        break
                    }
                    flat += i * inputStrides[d]
                }
                table[t * outputSize + o] = inside ? flat : -1
                o += 1
            } while Shape.advance(&position, in: output)
            t += 1
        } while Shape.advance(&tap, in: kernel)
        return table
    }
}
