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
            guard let dtype = OnnxDataType.dtype(code) else { throw attributes.error("output_datatype \(code) is not a known element type") }
            return ClosureOperator { inputs in
                guard let size = try inputs.required(0, name).intValues(name).first, size >= 0 else {
                    throw TensorError.invalidArgument(op: name, reason: "size must be a non-negative scalar")
                }
                let period = Double(periodic ? size : size - 1)
                let values = (0..<size).map { n -> Double in
                    // a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N)
                    var value = 0.0
                    for (k, a) in coefficients.enumerated() {
                        value += (k % 2 == 0 ? a : -a) * (k == 0 ? 1 : cos(2 * Double.pi * Double(k) * Double(n) / period))
                    }
                    return value
                }
                return [try Tensor(shape: [size], scalars: values).cast(to: dtype)]
            }
        }
    }
}
