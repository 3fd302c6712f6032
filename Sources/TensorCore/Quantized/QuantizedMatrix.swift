import Synchronization

/// A weight matrix kept in its ggml block format (borrowed bytes: a mapped file keeps them alive),
/// multiplied by activations without ever expanding the weights to float.
// @unchecked Sendable: immutable; `bytes` points into a read-only mapped file that the matrix's
// owner (the model holding the `GGUFFile`) keeps alive, and is only ever read.
public struct QuantizedMatrix: @unchecked Sendable {
    public let type: GGMLType
    /// Output features (rows of the weight).
    public let rows: Int
    /// Input features (row length).
    public let columns: Int
    public let bytes: UnsafeRawPointer
    public let rowBytes: Int

    /// Wraps `rows` rows of `columns` values of `type` at `bytes`; nil when the row length is not a
    /// whole number of blocks or the type has no matmul here.
    public init?(type: GGMLType, rows: Int, columns: Int, bytes: UnsafeRawPointer) {
        guard let rowBytes = type.rowBytes(columns), rows > 0, columns > 0,
            QuantizedDot.activationFormat(for: type) != nil || type == .f32 || type == .f16 || type == .bf16
        else { return nil }
        self.type = type
        self.rows = rows
        self.columns = columns
        self.bytes = bytes
        self.rowBytes = rowBytes
    }

    /// Writes `output[t * rows + r] = Σ_c weight[r, c] · input[t * columns + c]` for `tokens` rows of
    /// input, splitting the weight rows across the compute pool. Activations are quantized first as
    /// ggml does (q8_0 / q8_1 / q8_K), or rounded to float16 for float16 weights.
    public func multiply(_ input: UnsafePointer<Float>, tokens: Int, into output: UnsafeMutablePointer<Float>) {
        if let format = QuantizedDot.activationFormat(for: type) {
            let activations = ActivationBlocks(format: format, rows: tokens, columns: columns)
            activations.quantize(input)
            multiply(activations, into: output)
        } else {
            multiplyFloat(input, tokens: tokens, into: output)
        }
    }

    /// The product with activations already quantized in this matrix's activation format.
    public func multiply(_ activations: borrowing ActivationBlocks, into output: UnsafeMutablePointer<Float>) {
        let tokens = activations.rows
        let type = self.type, rows = self.rows, rowBytes = self.rowBytes, bytes = self.bytes
        let blocks = activations.blocksPerRow, elements = activations.format.blockElements
        let sumsPerBlock = activations.format == .q8_K ? 16 : 1
        let scales = UnsafePointer(activations.scales.baseAddress!), sums = UnsafePointer(activations.sums.baseAddress!)
        let values = UnsafePointer(activations.values.baseAddress!)
        let out = output
        // Rows in groups of four (each group's weights are read once per token while they sit in L1).
        let groups = (rows + 3) / 4
        // Several ranges per thread, claimed as threads come free: a worker that wakes late or is
        // preempted does not leave the others waiting at the end.
        let threads = ComputePool.threadCount
        let tasks = threads == 1 ? 1 : min(groups, max(1, groups / 4), threads * 4)
        ComputePool.parallelFor(tasks) { task in
            let range = (groups * task / tasks)..<(groups * (task + 1) / tasks)
            if tokens == 1 {
                // Decoding: eight rows per pass over the activation row where two groups pair up.
                var group = range.lowerBound
                while group < range.upperBound {
                    let r = group * 4
                    let count = group + 1 < range.upperBound && r + 8 <= rows ? 8 : min(4, rows - r)
                    // The next eight rows, when they are in this matrix, are touched ahead of use.
                    let ahead: UnsafeRawPointer? = count == 8 && r + 16 <= rows ? bytes + (r + 8) * rowBytes : nil
                    QuantizedDot.dotRows(
                        bytes + r * rowBytes, type: type, rowBytes: rowBytes, count: count, blocks: blocks,
                        scales: scales, sums: sums, values: values, into: out + r, stride: 1, ahead: ahead)
                    group += count == 8 ? 2 : 1
                }
                return
            }
            // A few tokens (decoding several sequences together) leave the products waiting on
            // memory: touch the next group's rows while this one computes, as decoding does.
            let lookAhead = tokens <= 16
            var touched: UInt8 = 0
            for group in range {
                let r = group * 4, count = min(4, rows - r)
                if lookAhead && r + 8 <= rows {
                    let next = bytes + (r + 4) * rowBytes
                    var offset = 0
                    while offset < 4 * rowBytes {
                        touched &+= next.load(fromByteOffset: offset, as: UInt8.self)
                        offset += 64
                    }
                }
                var t = 0
                #if arch(x86_64) && AVX2 && AVX512
                    // Four tokens against four rows at a time, in 512-bit registers.
                    while count == 4 && t + 4 <= tokens {
                        let first = t * blocks
                        guard
                            QuantizedDotAVX2.tile(
                                bytes + r * rowBytes, type: type, tokens: 4, rowBytes: rowBytes, blocks: blocks,
                                scales: scales + first, sums: sums + first * sumsPerBlock,
                                values: values + first * elements, tokenBlocks: blocks,
                                into: out + t * rows + r, tokenStride: rows)
                        else { break }
                        t += 4
                    }
                #endif
                #if arch(x86_64) && AVX2
                    // Pairs of tokens against four rows at a time (prompt batches).
                    while count == 4 && t + 2 <= tokens {
                        let first = t * blocks
                        guard
                            QuantizedDotAVX2.tile(
                                bytes + r * rowBytes, type: type, tokens: 2, rowBytes: rowBytes, blocks: blocks,
                                scales: scales + first,
                                sums: sums + first * sumsPerBlock, values: values + first * elements,
                                tokenBlocks: blocks,
                                into: out + t * rows + r, tokenStride: rows)
                        else { break }
                        t += 2
                    }
                #endif
                while t < tokens {
                    let first = t * blocks
                    QuantizedDot.dotRows(
                        bytes + r * rowBytes, type: type, rowBytes: rowBytes, count: count, blocks: blocks,
                        scales: scales + first, sums: sums + first * sumsPerBlock, values: values + first * elements,
                        into: out + t * rows + r, stride: 1)
                    t += 1
                }
            }
            if touched == 0x5A { QuantizedMatrix.sink.wrappingAdd(1, ordering: .relaxed) }
        }
    }

    /// Keeps the look-ahead loads alive (the compiler may not drop loads whose value is used).
    static let sink = Atomic<Int>(0)

    private func multiplyFloat(_ input: UnsafePointer<Float>, tokens: Int, into output: UnsafeMutablePointer<Float>) {
        let type = self.type, rows = self.rows, columns = self.columns, rowBytes = self.rowBytes, bytes = self.bytes
        // ggml converts the activations to the weights' 16-bit type before the dot product.
        let rounded = UnsafeMutableBufferPointer<Float>.allocate(capacity: tokens * columns)
        defer { rounded.deallocate() }
        for i in 0..<(tokens * columns) {
            switch type {
            case .f16: rounded[i] = Float(Float16(input[i]))
            case .bf16: rounded[i] = Float(BFloat16(input[i]))
            default: rounded[i] = input[i]
            }
        }
        let activations = UnsafePointer(rounded.baseAddress!)
        let out = output
        ComputePool.parallelRanges(rows, grain: 16) { range in
            var decoded = [Float](repeating: 0, count: columns)
            decoded.withUnsafeMutableBufferPointer { buffer in
                for r in range {
                    GGMLDequantize.values(
                        UnsafeRawBufferPointer(start: bytes + r * rowBytes, count: rowBytes), type: type, into: buffer)
                    for t in 0..<tokens {
                        var sum: Float = 0
                        let x = activations + t * columns
                        for c in 0..<columns { sum += buffer[c] * x[c] }
                        out[t * rows + r] = sum
                    }
                }
            }
        }
    }
}
