/// An activation a kernel applies to its outputs in the same pass that produces them (a
/// convolution's bias and residual pass, say), so the graph's separate activation node need not
/// read and write the tensor again.
public enum FusedActivation: Sendable, Equatable {
    /// The value itself.
    case identity
    /// `max(x, 0)`; NaN stays NaN, as ONNX Relu.
    case relu
    /// `min(max(x, lower), upper)`; NaN stays NaN, as ONNX Clip.
    case clip(lower: Float, upper: Float)
    /// `x < 0 ? alpha * x : x`, as ONNX LeakyRelu.
    case leakyRelu(alpha: Float)

    @inline(__always)
    func callAsFunction(_ x: SIMD16<Float>) -> SIMD16<Float> {
        switch self {
        case .identity: return x
        case .relu: return x.replacing(with: 0, where: x .< 0)
        case let .clip(lower, upper):
            return x.replacing(with: SIMD16(repeating: lower), where: x .< lower).replacing(with: SIMD16(repeating: upper), where: x .> upper)
        case let .leakyRelu(alpha): return x.replacing(with: x * alpha, where: x .< 0)
        }
    }

    @inline(__always)
    func callAsFunction(_ x: Float) -> Float {
        switch self {
        case .identity: return x
        case .relu: return x < 0 ? 0 : x
        case let .clip(lower, upper):
            let raised = x < lower ? lower : x
            return raised > upper ? upper : raised
        case let .leakyRelu(alpha): return x < 0 ? alpha * x : x
        }
    }
}

extension Tensor {
    /// `activation` applied to every element of a float32 tensor, into a new tensor.
    public func activated(_ activation: FusedActivation) throws(TensorError) -> Tensor {
        try mapRows(Float.self, to: Float.self, op: "activation") { input, stride, output, count in
            Tensor.simdMap(input, stride, output, count, { activation($0) }, { activation($0) })
        }
    }
}

/// Bias, residual and activation for the rows of a convolution's output, one channel per row.
struct ConvEpilogue {
    let bias: UnsafePointer<Float>?
    /// A tensor of the output's shape added after the bias.
    let residual: UnsafePointer<Float>?
    let activation: FusedActivation

    /// Whether the epilogue changes anything.
    var isEmpty: Bool { bias == nil && residual == nil && activation == .identity }

    /// Applies to `count` values of channel `channel` at `values`, which sit `offset` elements
    /// into the output (the residual is read at the same offset).
    @inline(__always)
    func apply(_ values: UnsafeMutablePointer<Float>, count: Int, offset: Int, channel: Int) {
        let add = bias?[channel] ?? 0
        var i = 0
        if let residual {
            let skip = residual + offset
            while i + 16 <= count {
                let x = (UnsafeRawPointer(values + i).loadUnaligned(as: SIMD16<Float>.self) + add)
                    + UnsafeRawPointer(skip + i).loadUnaligned(as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(values + i).storeBytes(of: activation(x), as: SIMD16<Float>.self)
                i += 16
            }
            while i < count {
                values[i] = activation((values[i] + add) + skip[i])
                i += 1
            }
        } else {
            while i + 16 <= count {
                let x = UnsafeRawPointer(values + i).loadUnaligned(as: SIMD16<Float>.self) + add
                UnsafeMutableRawPointer(values + i).storeBytes(of: activation(x), as: SIMD16<Float>.self)
                i += 16
            }
            while i < count {
                values[i] = activation(values[i] + add)
                i += 1
            }
        }
    }
}
