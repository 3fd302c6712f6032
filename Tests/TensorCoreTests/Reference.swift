import Foundation

@testable import TensorCore

/// A small seeded generator (SplitMix64) so every randomized test is reproducible.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Every multi-index of `shape` in row-major order.
func allIndices(_ shape: [Int]) -> [[Int]] {
    if shape.contains(0) { return [] }
    var result: [[Int]] = []
    var index = [Int](repeating: 0, count: shape.count)
    repeat { result.append(index) } while Shape.advance(&index, in: shape)
    return result
}

/// Element at `index` as Double, read through the tensor's own strides (the naive path).
func value(_ t: Tensor, _ index: [Int]) -> Double {
    (try? t.doubleValue(at: index)) ?? .nan
}

/// A random float32 tensor with values in `range`.
func randomFloats(_ shape: [Int], _ rng: inout SeededRandom, in range: ClosedRange<Float> = -2...2) -> Tensor {
    let count = shape.reduce(1, *)
    return try! Tensor(shape: shape, scalars: (0..<count).map { _ in Float.random(in: range, using: &rng) })
}

/// A random tensor of any numeric dtype (small integers so arithmetic stays exact).
func randomTensor(_ shape: [Int], _ dtype: DType, _ rng: inout SeededRandom) -> Tensor {
    let count = shape.reduce(1, *)
    let values = (0..<count).map { _ in Double(Int.random(in: -20...20, using: &rng)) / (dtype.isFloatingPoint ? 4 : 1)
    }
    let unsigned = [DType.uint8, .uint16, .uint32, .uint64].contains(dtype)
    return try! Tensor(shape: shape, scalars: values.map { unsigned ? Swift.abs($0) : $0 }).cast(to: dtype)
}

/// A random shape of the given rank with dims in `dims`.
func randomShape(rank: Int, _ rng: inout SeededRandom, dims: ClosedRange<Int> = 1...5) -> [Int] {
    (0..<rank).map { _ in Int.random(in: dims, using: &rng) }
}

/// The same values as `t`, laid out as a non-contiguous view (a transposed copy transposed back).
func nonContiguous(_ t: Tensor) -> Tensor {
    guard t.rank >= 2 else {
        // Interleave: take every other element of a doubled tensor.
        guard t.rank == 1, t.count > 0 else { return t }
        let doubled = try! Tensor.concat([t.unsqueezed(axes: [1]), t.unsqueezed(axes: [1])], axis: 1)
        return try! doubled.sliced(axis: 1, start: 0, end: 1).squeezed(axes: [1])
    }
    var order = Array(0..<t.rank)
    order.swapAt(0, t.rank - 1)
    return try! t.permuted(order).contiguous().permuted(order)
}

/// Checks two tensors elementwise against a tolerance; returns the first mismatch.
func mismatch(_ got: Tensor, _ expected: Tensor, absolute: Double = 1e-5, relative: Double = 1e-5) -> String? {
    guard got.shape == expected.shape else { return "shape \(got.shape) != \(expected.shape)" }
    for index in allIndices(got.shape) {
        let a = value(got, index), b = value(expected, index)
        if a.isNaN && b.isNaN { continue }
        if a == b { continue }
        if Swift.abs(a - b) > absolute + relative * Swift.abs(b) { return "at \(index): got \(a), expected \(b)" }
    }
    return nil
}

/// A tensor of `shape` whose elements come from `f(index)`.
func makeTensor(_ shape: [Int], dtype: DType = .float64, _ f: ([Int]) -> Double) -> Tensor {
    try! Tensor(shape: shape, scalars: allIndices(shape).map(f)).cast(to: dtype)
}

/// Units in the last place between a float result and the exact value.
func ulpDistance(_ got: Float, _ exact: Double) -> Double {
    if got.isNaN && exact.isNaN { return 0 }
    if Double(got) == exact { return 0 }
    let reference = Float(exact)
    if got.isInfinite || reference.isInfinite { return got == reference ? 0 : .infinity }
    let ulp = Double(max(reference.ulp, Float.leastNonzeroMagnitude))
    return Swift.abs(Double(got) - exact) / ulp
}
