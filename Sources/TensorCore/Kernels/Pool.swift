/// Pooling over 1 or 2 spatial dimensions of `[N, C, ...]` tensors.
public enum PoolKind: String, Sendable {
    case max, average
}

extension Tensor {
    /// Max or average pooling (ONNX MaxPool / AveragePool). `countIncludePad` counts padding
    /// cells in the average's divisor; `ceilMode` rounds the output size up.
    public static func pool(
        _ kind: PoolKind, _ input: Tensor, window: WindowGeometry, ceilMode: Bool = false,
        countIncludePad: Bool = false
    ) throws(TensorError) -> Tensor {
        let op = kind == .max ? "max_pool" : "average_pool"
        guard input.dtype.isFloatingPoint else { throw .unsupportedDType(op: op, dtype: input.dtype) }
        if input.dtype != .float32 {
            return try pool(
                kind, input.cast(to: .float32), window: window, ceilMode: ceilMode, countIncludePad: countIncludePad
            ).cast(to: input.dtype)
        }
        guard input.rank >= 3 else {
            throw .shapeMismatch(op: op, shapes: [input.shape], reason: "pooling needs [N, C, spatial...] inputs")
        }
        let spatial = Array(input.shape.dropFirst(2))
        let outSpatial = try window.outputSize(spatial: spatial, ceilMode: ceilMode, op: op)
        if spatial.count > 2 {
            return try poolGeneral(
                kind, input, window: window, outSpatial: outSpatial, countIncludePad: countIncludePad)
        }
        let twoD = spatial.count == 2
        let plane = Plane(
            h: twoD ? spatial[0] : 1, w: spatial.last ?? 1, kh: twoD ? window.kernel[0] : 1,
            kw: window.kernel.last ?? 1,
            oh: twoD ? outSpatial[0] : 1, ow: outSpatial.last ?? 1, sh: twoD ? window.strides[0] : 1,
            sw: window.strides.last ?? 1,
            dh: twoD ? window.dilations[0] : 1, dw: window.dilations.last ?? 1,
            padTop: twoD ? window.pads[0] : 0, padLeft: twoD ? window.pads[1] : window.pads[0])
        let padBottom = twoD ? window.pads[2] : 0, padRight = twoD ? window.pads[3] : window.pads[1]
        let output = try Tensor(zeros: Array(input.shape.prefix(2)) + outSpatial, dtype: .float32)
        let x = input.contiguous()
        defer { withExtendedLifetime(x) {} }
        guard output.count > 0, let out = output.mutableBaseAddress?.assumingMemoryBound(to: Float.self),
            let source = x.baseAddress?.assumingMemoryBound(to: Float.self)
        else { return output }
        let planes = input.shape[0] * input.shape[1]
        let p = plane
        // Per output row/column, the taps that land inside the input (and inside the padding).
        func taps(_ origin: Int, _ kernel: Int, _ dilation: Int, _ size: Int) -> Range<Int> {
            var low = 0
            while low < kernel && origin + low * dilation < 0 { low += 1 }
            var high = kernel
            while high > low && origin + (high - 1) * dilation >= size { high -= 1 }
            return low..<high
        }
        let rowTaps = (0..<p.oh).map { taps($0 * p.sh - p.padTop, p.kh, p.dh, p.h) }
        let columnTaps = (0..<p.ow).map { taps($0 * p.sw - p.padLeft, p.kw, p.dw, p.w) }
        let rowPadded = (0..<p.oh).map {
            taps($0 * p.sh - p.padTop + p.padTop, p.kh, p.dh, p.h + p.padTop + padBottom).count
        }
        let columnPadded = (0..<p.ow).map {
            taps($0 * p.sw - p.padLeft + p.padLeft, p.kw, p.dw, p.w + p.padLeft + padRight).count
        }
        // Output columns whose every tap lies inside the row (a contiguous run).
        let interior = (0..<p.ow).filter { columnTaps[$0].count == p.kw }
        let interiorRange = (interior.first ?? 0)..<((interior.last ?? -1) + 1)
        ComputePool.parallelRanges(planes, grain: 1) { range in
            // One output row: the kernel's input rows combined column by column (vectorised),
            // then each output column combines its taps along that one row.
            // 16 spare floats: a stride-2 load of 16 may read one past the last tap.
            withUnsafeTemporaryAllocation(of: Float.self, capacity: p.w + 16) { buffer in
                guard let combined = buffer.baseAddress else { return }
                combined.initialize(repeating: 0, count: p.w + 16)
                @inline(__always) func load8(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
                    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
                }
                @inline(__always) func load16(_ pointer: UnsafePointer<Float>) -> SIMD16<Float> {
                    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Float>.self)
                }
                for item in range {
                    let src = source + item * p.h * p.w
                    let dst = out + item * p.oh * p.ow
                    for oy in 0..<p.oh {
                        let ys = rowTaps[oy], iy0 = oy * p.sh - p.padTop
                        let row = dst + oy * p.ow
                        guard let first = ys.first else {
                            row.update(repeating: kind == .max ? -.infinity : 0, count: p.ow)
                            continue
                        }
                        combined.update(from: src + (iy0 + first * p.dh) * p.w, count: p.w)
                        /// The largest of output column `column`'s taps in the combined row (NaN wins).
                        func borderMax(_ column: Int) -> Float {
                            let start = combined + (column &* p.sw &- p.padLeft)
                            var best = -Float.infinity
                            for kx in columnTaps[column] {
                                let value = start[kx &* p.dw]
                                if value > best || value.isNaN { best = value }
                            }
                            return best
                        }
                        for ky in ys.dropFirst() {
                            let next = src + (iy0 + ky * p.dh) * p.w
                            if kind == .max { maxRows(combined, next, p.w) } else { sumRows(combined, next, p.w) }
                        }
                        var ox = 0
                        if kind == .max, p.dw == 1, p.sw <= 2, let first = interior.first {
                            for column in 0..<first { row[column] = borderMax(column) }
                            ox = first
                            // Eight outputs at a time; a stride-2 tap takes the even lanes of 16 loads.
                            while ox + 8 <= interiorRange.upperBound {
                                let start = combined + (ox &* p.sw &- p.padLeft)
                                var best = p.sw == 1 ? load8(start) : load16(start).evenHalf
                                for kx in 1..<p.kw {
                                    let next = p.sw == 1 ? load8(start + kx) : load16(start + kx).evenHalf
                                    best = best.replacing(with: next, where: (next .> best) .| (next .!= next))
                                }
                                UnsafeMutableRawPointer(row + ox).storeBytes(of: best, as: SIMD8<Float>.self)
                                ox += 8
                            }
                        }
                        while ox < p.ow {
                            switch kind {
                            case .max:
                                row[ox] = borderMax(ox)
                            case .average:
                                let xs = columnTaps[ox], start = combined + (ox &* p.sw &- p.padLeft)
                                var sum: Float = 0
                                for kx in xs { sum += start[kx &* p.dw] }
                                let divisor = countIncludePad ? rowPadded[oy] * columnPadded[ox] : ys.count * xs.count
                                row[ox] = divisor > 0 ? sum / Float(divisor) : 0
                            }
                            ox += 1
                        }
                    }
                }
            }
        }
        return output
    }

    /// `into[i] = max(into[i], row[i])`, NaN winning as in ONNX MaxPool.
    @inline(__always)
    private static func maxRows(_ into: UnsafeMutablePointer<Float>, _ row: UnsafePointer<Float>, _ count: Int) {
        var i = 0
        while i + 16 <= count {
            let a = UnsafeRawPointer(into + i).loadUnaligned(as: SIMD16<Float>.self)
            let b = UnsafeRawPointer(row + i).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(into + i).storeBytes(
                of: a.replacing(with: b, where: (b .> a) .| (b .!= b)), as: SIMD16<Float>.self)
            i += 16
        }
        while i < count {
            if row[i] > into[i] || row[i].isNaN { into[i] = row[i] }
            i += 1
        }
    }

    /// `into[i] += row[i]`.
    @inline(__always)
    private static func sumRows(_ into: UnsafeMutablePointer<Float>, _ row: UnsafePointer<Float>, _ count: Int) {
        for i in 0..<count { into[i] += row[i] }
    }

    /// Pooling over any number of spatial dims through a precomputed window table.
    private static func poolGeneral(
        _ kind: PoolKind, _ input: Tensor, window: WindowGeometry, outSpatial: [Int], countIncludePad: Bool
    ) throws(TensorError) -> Tensor {
        let rank = input.rank - 2
        let spatial = Array(input.shape.dropFirst(2))
        let windows = WindowIndexing(
            input: spatial, output: outSpatial, kernel: window.kernel, strides: window.strides,
            dilations: window.dilations, padsBegin: Array(window.pads.prefix(rank)))
        let table = windows.sourceTable()
        // Taps that fall in the declared padding (not beyond it) count for count_include_pad.
        let padded = WindowIndexing(
            input: zip(spatial, zip(window.pads.prefix(rank), window.pads.suffix(rank))).map { $0 + $1.0 + $1.1 },
            output: outSpatial, kernel: window.kernel, strides: window.strides, dilations: window.dilations,
            padsBegin: Array(repeating: 0, count: rank)
        ).sourceTable()
        let output = try Tensor(zeros: Array(input.shape.prefix(2)) + outSpatial, dtype: .float32)
        let x = input.contiguous()
        defer { withExtendedLifetime(x) {} }
        guard output.count > 0, let out = output.mutableBaseAddress?.assumingMemoryBound(to: Float.self),
            let source = x.baseAddress?.assumingMemoryBound(to: Float.self)
        else { return output }
        let planes = input.shape[0] * input.shape[1], inSize = windows.inputSize, outSize = windows.outputSize,
            taps = windows.kernelSize
        for plane in 0..<planes {
            for position in 0..<outSize {
                var best = -Float.infinity, sum: Float = 0, valid = 0, inPadding = 0
                for tap in 0..<taps {
                    if padded[tap * outSize + position] >= 0 { inPadding += 1 }
                    let from = table[tap * outSize + position]
                    guard from >= 0 else { continue }
                    let value = source[plane * inSize + from]
                    if value > best || value.isNaN { best = value }
                    sum += value
                    valid += 1
                }
                let divisor = countIncludePad ? inPadding : valid
                out[plane * outSize + position] = kind == .max ? best : (divisor > 0 ? sum / Float(divisor) : 0)
            }
        }
        return output
    }

    /// Global max or average pooling: reduces every spatial dim of `[N, C, ...]` to size 1.
    public static func globalPool(_ kind: PoolKind, _ input: Tensor) throws(TensorError) -> Tensor {
        guard input.rank >= 2 else {
            throw .shapeMismatch(op: "global_pool", shapes: [input.shape], reason: "needs [N, C, ...]")
        }
        let axes = Array(2..<input.rank)
        if axes.isEmpty { return input }
        return try input.reduce(kind == .max ? .max : .mean, axes: axes, keepDims: true)
    }
}
