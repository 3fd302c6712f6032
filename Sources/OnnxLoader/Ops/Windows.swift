import Foundation
import TensorCore

/// HannWindow, HammingWindow, BlackmanWindow: `size` samples of a cosine-sum window, periodic by
/// default (the period is `size`) or symmetric (`periodic = 0`: the period is `size - 1`).
func registerWindows(_ registry: inout OperatorRegistry) {
    let windows: [(String, [Double])] = [
        ("HannWindow", [0.5, 0.5]),
        ("HammingWindow", [25.0 / 46.0, 21.0 / 46.0]),
        ("BlackmanWindow", [0.42, 0.5, 0.08]),
    ]
    for (name, coefficients) in windows {
        registry.register(name, since: [17]) { attributes in
            let periodic = attributes.int("periodic", default: 1) == 1
            let code = attributes.int("output_datatype", default: 1)
            guard let dtype = OnnxDataType.dtype(code) else {
                throw attributes.error("output_datatype \(code) is not a known element type")
            }
            return ClosureOperator { inputs in
                guard let size = try inputs.required(0).intValues(name).first, size >= 0 else {
                    throw TensorError.invalidArgument(op: name, reason: "size must be a non-negative scalar")
                }
                let period = Double(periodic ? size : size - 1)
                let values = (0..<size).map { n -> Double in
                    // a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N)
                    var value = 0.0
                    for (k, a) in coefficients.enumerated() {
                        value +=
                            (k % 2 == 0 ? a : -a) * (k == 0 ? 1 : cos(2 * Double.pi * Double(k) * Double(n) / period))
                    }
                    return value
                }
                return [try Tensor(shape: [size], scalars: values).cast(to: dtype)]
            }
        }
    }
}

/// MelWeightMatrix: `[dft_length / 2 + 1, num_mel_bins]` triangular filters on the mel scale
/// between the lower and upper edge frequencies, their corners on whole DFT bins (as the
/// reference places them), in `output_datatype` (float32 by default).
func registerMelWeightMatrix(_ registry: inout OperatorRegistry) {
    registry.register("MelWeightMatrix", since: [17]) { attributes in
        let outputCode = attributes.int("output_datatype", default: 1)
        guard let dtype = OnnxDataType.dtype(outputCode), dtype.isFloatingPoint else {
            throw attributes.error("output_datatype \(OnnxDataType.name(outputCode)) is not a floating-point type")
        }
        return ClosureOperator { inputs in
            let op = "MelWeightMatrix"
            let bins = try inputs.required(0).scalarInt(op),
                length = try inputs.required(1).scalarInt(op)
            let rate = try inputs.required(2).scalarInt(op)
            let lower = try inputs.required(3).scalarDouble(op), upper = try inputs.required(4).scalarDouble(op)
            guard bins > 0, length > 0, rate > 0, lower >= 0, upper > lower, bins <= 1 << 16, length <= 1 << 24 else {
                throw TensorError.invalidArgument(
                    op: op,
                    reason: "needs positive num_mel_bins, dft_length and sample_rate, and 0 <= lower < upper edge")
            }
            let spectrum = length / 2 + 1
            func mel(_ hertz: Double) -> Double { 2595 * log1p(hertz / 700) / log(10) }
            let low = mel(lower), step = (mel(upper) - low) / Double(bins + 2)
            // Corner frequencies in whole DFT bins (floor division of non-negative values).
            let corners = (0..<(bins + 2)).map { index -> Int in
                let hertz = 700 * expm1((Double(index) * step + low) / 2595 * log(10))
                return Int((Double(length + 1) * hertz / Double(rate)).rounded(.down))
            }
            guard let highest = corners.max(), highest < spectrum + 1, corners.allSatisfy({ $0 >= 0 }) else {
                throw TensorError.invalidArgument(
                    op: op, reason: "the upper edge \(upper) Hz lies beyond the \(spectrum) DFT bins at \(rate) Hz")
            }
            var matrix = [Double](repeating: 0, count: spectrum * bins)
            for i in 0..<bins {
                let (left, center, right) = (corners[i], corners[i + 1], corners[i + 2])
                if center == left {
                    if center < spectrum { matrix[center * bins + i] = 1 }
                } else {
                    for j in left...center where j < spectrum {
                        matrix[j * bins + i] = Double(j - left) / Double(center - left)
                    }
                }
                if right > center {
                    for j in center..<right where j < spectrum {
                        matrix[j * bins + i] = Double(right - j) / Double(right - center)
                    }
                }
            }
            return [try Tensor(shape: [spectrum, bins], scalars: matrix).cast(to: dtype)]
        }
    }
}
