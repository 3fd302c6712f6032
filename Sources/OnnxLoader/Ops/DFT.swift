import Foundation
import TensorCore

/// DFT (and STFT below): the discrete Fourier transform along one signal axis of `[..., 1 | 2]` (real, or real and
/// imaginary parts), zero-padded or cut to `dft_length`; `onesided` keeps the first n/2 + 1 bins, or
/// for the inverse reads them as a Hermitian spectrum and returns the real signal; the inverse
/// divides by n. The axis is an attribute (opset 17, default 1) or an input (opset 20, default -2).
func registerDFT(_ registry: inout OperatorRegistry) {
    registry.register("DFT", since: [17, 20]) { attributes in
        let inverse = attributes.int("inverse", default: 0) == 1, onesided = attributes.int("onesided", default: 0) == 1
        let axisFromInput = attributes.opset >= 20
        let attributeAxis = attributes.int("axis", default: 1)
        return ClosureOperator { inputs in
            let op = "DFT"
            let x = try inputs.required(0)
            guard x.rank >= 2, x.shape[x.rank - 1] == 1 || x.shape[x.rank - 1] == 2 else {
                throw TensorError.shapeMismatch(
                    op: op, shapes: [x.shape], reason: "the last dim must be 1 (real) or 2 (complex)")
            }
            var axis =
                axisFromInput ? (try inputs.optional(2).map { try $0.intValues(op).first ?? -2 } ?? -2) : attributeAxis
            axis = ((axis % x.rank) + x.rank) % x.rank
            guard axis < x.rank - 1 else {
                throw TensorError.invalidArgument(op: op, reason: "axis \(axis) is the complex dimension")
            }
            let size = x.shape[axis]
            let length =
                try inputs.optional(1).map { try $0.intValues(op).first ?? size }
                ?? (inverse && onesided ? 2 * (size - 1) : size)
            guard length > 0 else { throw TensorError.invalidArgument(op: op, reason: "dft_length must be positive") }
            let values = try x.cast(to: .float64).scalars(as: Double.self)
            let complex = x.shape[x.rank - 1] == 2
            let outer = x.shape[..<axis].reduce(1, *), inner = x.shape[(axis + 1)..<(x.rank - 1)].reduce(1, *)
            let outLength = inverse && onesided ? length : (onesided ? length / 2 + 1 : length)
            let outComplex = !(inverse && onesided)
            var output = [Double](repeating: 0, count: outer * outLength * inner * (outComplex ? 2 : 1))
            func element(_ o: Int, _ k: Int, _ i: Int) -> (Double, Double) {
                let base = ((o * size + k) * inner + i) * (complex ? 2 : 1)
                return (values[base], complex ? values[base + 1] : 0)
            }
            for o in 0..<outer {
                for i in 0..<inner {
                    // The input sequence of `length` points (zero-padded or cut), or for the one-sided
                    // inverse the full Hermitian spectrum rebuilt from the first n/2 + 1 bins.
                    var signal = [(Double, Double)](repeating: (0, 0), count: length)
                    if inverse && onesided {
                        let bins = length / 2 + 1
                        for k in 0..<min(bins, size) { signal[k] = element(o, k, i) }
                        signal[0].1 = 0
                        if length % 2 == 0, length / 2 < size { signal[length / 2].1 = 0 }
                        for k in 1..<max(1, (length + 1) / 2) where k < min(bins, size) {
                            signal[length - k] = (signal[k].0, -signal[k].1)
                        }
                    } else {
                        for k in 0..<min(length, size) { signal[k] = element(o, k, i) }
                    }
                    for (bin, (real, imaginary)) in discreteFourier(signal, bins: outLength, inverse: inverse)
                        .enumerated()
                    {
                        let base = ((o * outLength + bin) * inner + i) * (outComplex ? 2 : 1)
                        output[base] = real
                        if outComplex { output[base + 1] = imaginary }
                    }
                }
            }
            var shape = x.shape
            shape[axis] = outLength
            shape[x.rank - 1] = outComplex ? 2 : 1
            return [try Tensor(shape: shape, scalars: output).cast(to: x.dtype)]
        }
    }
}

/// The first `bins` bins of the DFT of `signal` (complex, as real and imaginary parts); the inverse
/// uses the conjugate twiddles and divides by the length.
func discreteFourier(_ signal: [(Double, Double)], bins: Int, inverse: Bool) -> [(Double, Double)] {
    let length = signal.count
    let sign = inverse ? 1.0 : -1.0
    return (0..<bins).map { bin in
        var real = 0.0, imaginary = 0.0
        for t in 0..<length {
            let angle = sign * 2 * Double.pi * Double((bin * t) % length) / Double(length)
            let (c, s) = (cos(angle), sin(angle))
            real += signal[t].0 * c - signal[t].1 * s
            imaginary += signal[t].0 * s + signal[t].1 * c
        }
        return inverse ? (real / Double(length), imaginary / Double(length)) : (real, imaginary)
    }
}

/// STFT: frames of `frame_length` every `frame_step` samples (as many as fit), each multiplied by
/// `window` (ones by default) and transformed; `onesided` (default) keeps the first n/2 + 1 bins.
/// Output `[batch, frames, bins, 2]`.
func registerSTFT(_ registry: inout OperatorRegistry) {
    registry.register("STFT", since: [17]) { attributes in
        let onesided = attributes.int("onesided", default: 1) == 1
        return ClosureOperator { inputs in
            let op = "STFT"
            let x = try inputs.required(0)
            guard x.rank == 3, x.shape[2] == 1 || x.shape[2] == 2 else {
                throw TensorError.shapeMismatch(
                    op: op, shapes: [x.shape], reason: "signal must be [batch, length, 1 | 2]")
            }
            guard let step = try inputs.required(1).intValues(op).first, step > 0 else {
                throw TensorError.invalidArgument(op: op, reason: "frame_step must be a positive scalar")
            }
            let window = try inputs.optional(2).map { try $0.cast(to: .float64).scalars(as: Double.self) }
            let frameLength = try inputs.optional(3).map { try $0.intValues(op).first ?? 0 } ?? window?.count ?? 0
            let (batch, length, complex) = (x.shape[0], x.shape[1], x.shape[2] == 2)
            guard frameLength > 0, frameLength <= length, window.map({ $0.count == frameLength }) ?? true else {
                throw TensorError.invalidArgument(
                    op: op, reason: "frame_length \(frameLength) must be positive, fit the signal and match the window")
            }
            let values = try x.cast(to: .float64).scalars(as: Double.self)
            let frames = (length - frameLength) / step + 1
            let bins = onesided ? frameLength / 2 + 1 : frameLength
            var output = [Double](repeating: 0, count: batch * frames * bins * 2)
            for item in 0..<batch {
                for frame in 0..<frames {
                    let signal = (0..<frameLength).map { t -> (Double, Double) in
                        let base = (item * length + frame * step + t) * (complex ? 2 : 1)
                        let weight = window?[t] ?? 1
                        return (values[base] * weight, complex ? values[base + 1] * weight : 0)
                    }
                    for (bin, (real, imaginary)) in discreteFourier(signal, bins: bins, inverse: false).enumerated() {
                        output[((item * frames + frame) * bins + bin) * 2] = real
                        output[((item * frames + frame) * bins + bin) * 2 + 1] = imaginary
                    }
                }
            }
            return [try Tensor(shape: [batch, frames, bins, 2], scalars: output).cast(to: x.dtype)]
        }
    }
}
