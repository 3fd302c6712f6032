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

    /// The form inner loops apply.
    var kernel: ActivationKernel {
        switch self {
        case .identity: return ActivationKernel(lower: -.infinity, upper: .infinity, negativeSlope: nil)
        case .relu: return ActivationKernel(lower: 0, upper: .infinity, negativeSlope: nil)
        case let .clip(lower, upper): return ActivationKernel(lower: lower, upper: upper, negativeSlope: nil)
        case let .leakyRelu(alpha): return ActivationKernel(lower: -.infinity, upper: .infinity, negativeSlope: alpha)
        }
    }
}

/// A ``FusedActivation`` taken apart for inner loops: a clamp to `lower...upper` (which leaves
/// NaN as it is), then, for LeakyRelu, a slope for negative values. Small enough to inline
/// everywhere, with no switch per vector.
struct ActivationKernel {
    let lower: Float
    let upper: Float
    let negativeSlope: Float?

    @inline(always)
    func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let clamped = x.replacing(with: SIMD8(repeating: lower), where: x .< lower)
        let y = clamped.replacing(with: SIMD8(repeating: upper), where: clamped .> upper)
        guard let negativeSlope else { return y }
        return y.replacing(with: y * negativeSlope, where: y .< 0)
    }

    @inline(always)
    func callAsFunction(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let clamped = x.replacing(with: SIMD16(repeating: lower), where: x .< lower)
        let y = clamped.replacing(with: SIMD16(repeating: upper), where: clamped .> upper)
        guard let negativeSlope else { return y }
        return y.replacing(with: y * negativeSlope, where: y .< 0)
    }

    @inline(always)
    func callAsFunction(_ x: Float) -> Float {
        let clamped = x < lower ? lower : x
        let y = clamped > upper ? upper : clamped
        guard let negativeSlope else { return y }
        return y < 0 ? y * negativeSlope : y
    }
}

extension Tensor {
    /// `activation` applied to every element of a float32 tensor, into a new tensor.
    public func activated(_ activation: FusedActivation) throws(TensorError) -> Tensor {
        let kernel = activation.kernel
        return try mapRows(Float.self, to: Float.self, op: "activation") { input, stride, output, count in
            Tensor.simdMap(input, stride, output, count, { kernel($0) }, { kernel($0) })
        }
    }
}

/// Bias, residual and activation for the rows of a convolution's output, one channel per row.
struct ConvEpilogue {
    let bias: UnsafePointer<Float>?
    /// A tensor of the output's shape added after the bias.
    let residual: UnsafePointer<Float>?
    let activation: FusedActivation
    private let kernel: ActivationKernel

    init(bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, activation: FusedActivation) {
        (self.bias, self.residual, self.activation, kernel) = (bias, residual, activation, activation.kernel)
    }

    /// Whether the epilogue changes anything.
    var isEmpty: Bool { bias == nil && residual == nil && activation == .identity }

    /// Applies to `count` values of channel `channel` at `values`, which sit `offset` elements
    /// into the output (the residual is read at the same offset).
    @inline(always)
    func apply(_ values: UnsafeMutablePointer<Float>, count: Int, offset: Int, channel: Int) {
        let add = bias?[channel] ?? 0
        var i = 0
        if let residual {
            let skip = residual + offset
            while i + 16 <= count {
                let x =
                    (UnsafeRawPointer(values + i).loadUnaligned(as: SIMD16<Float>.self) + add)
                    + UnsafeRawPointer(skip + i).loadUnaligned(as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(values + i).storeBytes(of: kernel(x), as: SIMD16<Float>.self)
                i += 16
            }
            while i < count {
                values[i] = kernel((values[i] + add) + skip[i])
                i += 1
            }
        } else {
            while i + 16 <= count {
                let x = UnsafeRawPointer(values + i).loadUnaligned(as: SIMD16<Float>.self) + add
                UnsafeMutableRawPointer(values + i).storeBytes(of: kernel(x), as: SIMD16<Float>.self)
                i += 16
            }
            while i < count {
                values[i] = kernel(values[i] + add)
                i += 1
            }
        }
    }
}
