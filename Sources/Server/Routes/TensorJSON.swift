import Foundation
import OnnxLoader
import TensorCore

/// Tensors to and from the JSON of `/predict` and KServe v2: flat row-major data with a shape
/// and a KServe datatype name.
enum TensorJSON {
    /// KServe's datatype names for the element types served here.
    static let datatypes: [String: DType] = [
        "BOOL": .bool, "UINT8": .uint8, "INT8": .int8, "UINT16": .uint16, "INT16": .int16, "UINT32": .uint32,
        "INT32": .int32, "UINT64": .uint64, "INT64": .int64, "FP16": .float16, "BF16": .bfloat16, "FP32": .float32,
        "FP64": .float64,
    ]

    /// The KServe name of `dtype` (`BYTES` for strings).
    static func datatype(_ dtype: DType) -> String {
        if dtype == .string { return "BYTES" }
        return datatypes.first { $0.value == dtype }?.key ?? "\(dtype)".uppercased()
    }

    /// The declared shape of a graph value as KServe shows it: -1 for a symbolic or unknown size.
    static func declaredShape(_ info: ValueInfo) -> [Int] {
        guard case let .tensor(_, shape?)? = info.type else { return [] }
        return shape.map { dimension in
            if case let .value(size) = dimension { return size }
            return -1
        }
    }

    /// The declared element type of a graph value.
    static func declaredType(_ info: ValueInfo) -> DType? {
        if case let .tensor(code, _)? = info.type { return OnnxDataType.dtype(code) }
        return nil
    }

    /// A tensor of `shape` and `dtype` from numbers; the count must match the shape exactly.
    static func tensor(_ values: [Double], shape: [Int], dtype: DType, field: String) throws -> Tensor {
        var count = 1
        for size in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard size >= 0, !overflow else {
                throw APIError.badRequest("\(field).shape \(shape) is not a valid shape", param: "\(field).shape")
            }
            count = product
        }
        guard count == values.count else {
            throw APIError.badRequest(
                "\(field) has \(values.count) values; its shape \(shape) needs \(count)", param: "\(field).data")
        }
        do {
            let doubles = try Tensor(shape: shape, scalars: values)
            return dtype == .float64 ? doubles : try doubles.cast(to: dtype)
        } catch {
            throw APIError.badRequest("\(field): \(error)", param: field)
        }
    }

    /// Flat values of a tensor for JSON: floats as floats, integers as integers, booleans.
    enum Data: Encodable {
        case floats([Float])
        case doubles([Double])
        case integers([Int64])
        case booleans([Bool])

        init(_ tensor: Tensor) throws {
            switch tensor.dtype {
            case .float64: self = .doubles(try tensor.scalars(as: Double.self))
            case .bool: self = .booleans(try tensor.scalars(as: Bool.self))
            case .string: throw APIError.badRequest("the model outputs strings, which this route does not serve")
            case let dtype where dtype.isFloatingPoint:
                self = .floats(try tensor.cast(to: .float32).scalars(as: Float.self))
            default: self = .integers(try tensor.cast(to: .int64).scalars(as: Int64.self))
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case let .floats(values): try container.encode(values)
            case let .doubles(values): try container.encode(values)
            case let .integers(values): try container.encode(values)
            case let .booleans(values): try container.encode(values)
            }
        }
    }
}

/// KServe's `data`: a flat or nested list of numbers or booleans, flattened row-major.
struct FlatNumbers: Decodable {
    let values: [Double]

    init(from decoder: any Decoder) throws {
        var values: [Double] = []
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Double.self) {
            values.append(number)
        } else if let flag = try? container.decode(Bool.self) {
            values.append(flag ? 1 : 0)
        } else if let numbers = try? container.decode([Double].self) {
            values += numbers
        } else if let flags = try? container.decode([Bool].self) {
            values += flags.map { $0 ? 1 : 0 }
        } else if let nested = try? container.decode([FlatNumbers].self) {
            for part in nested { values += part.values }
        } else {
            throw DecodingError.typeMismatch(
                [Double].self,
                .init(codingPath: decoder.codingPath, debugDescription: "expected numbers or booleans, flat or nested"))
        }
        self.values = values
    }
}
