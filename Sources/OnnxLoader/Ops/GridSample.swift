import Foundation
import TensorCore

/// GridSample: each output position reads the input at the grid's normalised coordinates (last
/// grid axis, innermost dimension first), mapped with or without `align_corners`, by nearest
/// (round half to even), linear or cubic (Keys, a = -0.75) interpolation, separably over any number
/// of spatial dims; positions outside read zeros, the clamped border, or the reflection.
func registerGridSample(_ registry: inout OperatorRegistry) {
    registry.register("GridSample", since: [16, 20, 22]) { attributes in
        let legacy = attributes.opset < 20
        let written = attributes.string("mode", default: legacy ? "bilinear" : "linear")
        let mode = written == "bilinear" ? "linear" : written == "bicubic" ? "cubic" : written
        guard ["nearest", "linear", "cubic"].contains(mode) else { throw attributes.error("unknown mode '\(mode)'") }
        let padding = attributes.string("padding_mode", default: "zeros")
        guard ["zeros", "border", "reflection"].contains(padding) else {
            throw attributes.error("unknown padding_mode '\(padding)'")
        }
        let alignCorners = attributes.int("align_corners", default: 0) == 1
        return ClosureOperator { inputs in
            let op = "GridSample"
            let x = try inputs.required(0), grid = try inputs.required(1)
            let rank = x.rank - 2
            guard rank >= 1, grid.rank == x.rank, grid.shape[0] == x.shape[0], grid.shape[grid.rank - 1] == rank else {
                throw TensorError.shapeMismatch(
                    op: op, shapes: [x.shape, grid.shape],
                    reason: "grid must be [N, out..., \(rank)] for X [N, C, \(rank) spatial dims]")
            }
            let (n, c) = (x.shape[0], x.shape[1])
            let dims = Array(x.shape.dropFirst(2)), outDims = Array(grid.shape.dropFirst().dropLast())
            let planeSize = dims.reduce(1, *), outSize = outDims.reduce(1, *)
            let values = try x.cast(to: .float64).scalars(as: Double.self),
                coordinates = try grid.cast(to: .float64).scalars(as: Double.self)
            var output = [Double](repeating: 0, count: n * c * outSize)
            func reflect(_ value: Double, _ low: Double, _ high: Double) -> Double {
                let span = high - low
                guard span > 0 else { return low }
                if value < low {
                    let distance = low - value, turns = Int(saturating: distance / span),
                        rest = distance - Double(turns) * span
                    return turns % 2 == 0 ? low + rest : high - rest
                }
                if value > high {
                    let distance = value - high, turns = Int(saturating: distance / span),
                        rest = distance - Double(turns) * span
                    return turns % 2 == 0 ? high - rest : low + rest
                }
                return value
            }
            func cubic(_ t: Double) -> [Double] {
                let a = -0.75, s = abs(t)
                return [
                    ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a, ((a + 2) * s - (a + 3)) * s * s + 1,
                    ((a + 2) * (1 - s) - (a + 3)) * (1 - s) * (1 - s) + 1,
                    ((a * (2 - s) - 5 * a) * (2 - s) + 8 * a) * (2 - s) - 4 * a,
                ]
            }
            for item in 0..<n {
                for position in 0..<outSize {
                    // Per dim: the taps (index after padding, or -1 for a zero) and their weights.
                    var taps: [[(index: Int, weight: Double)]] = []
                    for axis in 0..<rank {
                        let size = dims[axis]
                        let normalised = coordinates[(item * outSize + position) * rank + (rank - 1 - axis)]
                        var value =
                            alignCorners
                            ? (normalised + 1) / 2 * Double(size - 1) : ((normalised + 1) * Double(size) - 1) / 2
                        let low = alignCorners ? 0 : -0.5, high = alignCorners ? Double(size - 1) : Double(size) - 0.5
                        if mode == "nearest" { value = value.rounded(.toNearestOrEven) }
                        if value < low || value > high {
                            if padding == "border" {
                                value = min(max(value, 0), Double(size - 1))
                            } else if padding == "reflection" {
                                value = reflect(value, low, high)
                            }
                        }
                        func pixel(_ index: Int) -> Int {
                            if index >= 0 && index < size { return index }
                            switch padding {
                            case "border": return min(max(index, 0), size - 1)
                            case "reflection":
                                return min(max(Int(saturating: reflect(Double(index), low, high)), 0), size - 1)
                            default: return -1
                            }
                        }
                        switch mode {
                        case "nearest":
                            taps.append([(pixel(Int(saturating: value)), 1)])
                        case "linear":
                            let base = Int(saturating: floor(value)), t = value - floor(value)
                            taps.append([(pixel(base), 1 - t), (pixel(base + 1), t)])
                        default:
                            let base = Int(saturating: floor(value))
                            let weights = cubic(value - floor(value))
                            taps.append((0..<4).map { (pixel(base - 1 + $0), weights[$0]) })
                        }
                    }
                    for channel in 0..<c {
                        let plane = (item * c + channel) * planeSize
                        var sum = 0.0
                        var counter = [Int](repeating: 0, count: rank)
                        repeat {
                            var flat = 0, weight = 1.0, zero = false
                            for axis in 0..<rank {
                                let tap = taps[axis][counter[axis]]
                                if tap.index < 0 {
                                    zero = true
                                    break
                                }
                                flat = flat * dims[axis] + tap.index
                                weight *= tap.weight
                            }
                            if !zero { sum += weight * values[plane + flat] }
                            var axis = rank - 1
                            while axis >= 0 {
                                counter[axis] += 1
                                if counter[axis] < taps[axis].count { break }
                                counter[axis] = 0
                                axis -= 1
                            }
                            if axis < 0 { break }
                        } while true
                        output[(item * c + channel) * outSize + position] = sum
                    }
                }
            }
            return [try Tensor(shape: [n, c] + outDims, scalars: output).cast(to: x.dtype)]
        }
    }
}
