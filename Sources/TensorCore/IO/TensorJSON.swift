import Foundation

/// Tensors as JSON: `{"shape": [...], "data": [...]}` (data flat or nested), or a bare nested
/// array whose nesting gives the shape; and `{"dtype", "shape", "data"}` for output.
public enum TensorJSON {
    /// Why a JSON value is not a tensor.
    public struct FormatError: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    /// A tensor from a parsed JSON value (`dtype` fixes the element type; numbers default to float32).
    public static func tensor(from value: Any, dtype: DType = .float32) throws(FormatError) -> Tensor {
        var declaredShape: [Int]?
        var payload: Any = value
        if let object = value as? [String: Any] {
            guard let data = object["data"] else { throw FormatError(reason: "object has no \"data\" field") }
            payload = data
            if let shape = object["shape"] {
                guard let dims = shape as? [Any], let ints = Optional(dims.compactMap { ($0 as? NSNumber)?.intValue }),
                    ints.count == dims.count
                else {
                    throw FormatError(reason: "\"shape\" must be an array of integers")
                }
                declaredShape = ints
            }
        }
        var flat: [Double] = []
        var strings: [String] = []
        var nestedShape: [Int] = []
        try flatten(payload, depth: 0, shape: &nestedShape, numbers: &flat, strings: &strings)
        let shape = declaredShape ?? nestedShape
        let count: Int
        do { count = try Shape.elementCount(shape, op: "json") } catch {
            throw FormatError(reason: "shape \(shape) is invalid")
        }
        do {
            if !strings.isEmpty {
                guard strings.count == count else {
                    throw FormatError(reason: "shape \(shape) needs \(count) values, got \(strings.count)")
                }
                return try Tensor(shape: shape, strings: strings)
            }
            guard flat.count == count else {
                throw FormatError(reason: "shape \(shape) needs \(count) values, got \(flat.count)")
            }
            return try Tensor(shape: shape, scalars: flat).cast(to: dtype)
        } catch let error as FormatError {
            throw error
        } catch {
            throw FormatError(reason: "\(error)")
        }
    }

    private static func flatten(
        _ value: Any, depth: Int, shape: inout [Int], numbers: inout [Double], strings: inout [String]
    ) throws(FormatError) {
        if let array = value as? [Any] {
            if depth == shape.count {
                shape.append(array.count)
            } else if shape[depth] != array.count {
                throw FormatError(
                    reason:
                        "ragged nested arrays: \(array.count) elements where \(shape[depth]) were expected at depth \(depth)"
                )
            }
            for element in array {
                try flatten(element, depth: depth + 1, shape: &shape, numbers: &numbers, strings: &strings)
            }
        } else if let number = value as? NSNumber {
            guard depth == shape.count else {
                throw FormatError(reason: "a number where an array was expected at depth \(depth)")
            }
            numbers.append(number.doubleValue)
        } else if let text = value as? String {
            switch text.lowercased() {
            case "nan": numbers.append(.nan)
            case "inf", "infinity": numbers.append(.infinity)
            case "-inf", "-infinity": numbers.append(-.infinity)
            default: strings.append(text)
            }
        } else {
            throw FormatError(reason: "values must be numbers, strings or arrays")
        }
    }

    /// `{"dtype", "shape", "data"}` with flat data; NaN and infinities as the strings "NaN", "Infinity", "-Infinity".
    public static func object(_ tensor: Tensor) -> [String: Any] {
        var data: [Any] = []
        if tensor.dtype == .string {
            data = ((try? tensor.stringScalars()) ?? []).map { $0 as Any }
        } else if tensor.dtype == .bool {
            data = ((try? tensor.scalars(as: Bool.self)) ?? []).map { $0 as Any }
        } else if tensor.dtype.isInteger {
            data = ((try? tensor.cast(to: .int64).scalars(as: Int64.self)) ?? []).map { $0 as Any }
            if tensor.dtype == .uint64 { data = ((try? tensor.scalars(as: UInt64.self)) ?? []).map { $0 as Any } }
        } else {
            let values = (try? tensor.cast(to: .float64).scalars(as: Double.self)) ?? []
            let isFloat32 = tensor.dtype != .float64
            data = values.map { value -> Any in
                if value.isNaN { return "NaN" }
                if value.isInfinite { return value > 0 ? "Infinity" : "-Infinity" }
                // Shortest text that round-trips in the tensor's own precision.
                return isFloat32 ? (Double(Float(value).description) ?? value) : value
            }
        }
        return ["dtype": tensor.dtype.rawValue, "shape": tensor.shape, "data": data]
    }
}
