import TensorCore

/// ai.onnx.ml LabelEncoder: each element looked up in a key -> value map (keys and values as
/// string, int64, float or tensor attributes), with the schema's default when absent ("_Unused",
/// -1, -0.0, or `default_tensor`). Float keys match NaN to NaN.
func registerLabelEncoder(_ registry: inout OperatorRegistry) {
    registry.register("LabelEncoder", domain: "ai.onnx.ml", since: [1, 2, 4]) { attributes in
        enum Column {
            case strings([String])
            case ints([Int64])
            case floats([Float])
        }
        func strings(_ name: String) -> [String]? {
            if case let .strings(values)? = attributes.node.attributes[name] {
                return values.map { String(decoding: $0, as: UTF8.self) }
            }
            return nil
        }
        func column(_ prefix: String) throws -> (Column, DType)? {
            if let values = strings("\(prefix)_strings") { return (.strings(values), .string) }
            if let values = attributes.ints("\(prefix)_int64s") { return (.ints(values.map { Int64($0) }), .int64) }
            if let values = attributes.floats("\(prefix)_floats") { return (.floats(values), .float32) }
            guard let tensor = attributes.tensor("\(prefix)_tensor") else { return nil }
            if tensor.dtype == .string { return (.strings(try tensor.stringScalars()), .string) }
            if tensor.dtype.isFloatingPoint {
                return (.floats(try tensor.cast(to: .float32).scalars(as: Float.self)), tensor.dtype)
            }
            guard tensor.dtype != .bool else { throw attributes.error("\(prefix)_tensor of bool is not supported") }
            return (.ints(try tensor.cast(to: .int64).scalars(as: Int64.self)), tensor.dtype)
        }
        guard let (keys, _) = try column("keys"), let (values, outputType) = try column("values") else {
            throw attributes.error("keys and values attributes are required")
        }
        // Keys and values as text forms of one comparable key, so any key type maps to any value type.
        func texts(_ column: Column) -> [String] {
            switch column {
            case let .strings(values): return values
            case let .ints(values): return values.map { "\($0)" }
            case let .floats(values): return values.map { $0.isNaN ? "nan" : "\($0.bitPattern)" }
            }
        }
        let keyTexts = texts(keys)
        var table: [String: Int] = [:]
        for (index, key) in keyTexts.enumerated() where table[key] == nil { table[key] = index }
        let lookupTable = table
        let defaultTensor = attributes.tensor("default_tensor")
        let defaultString =
            try defaultTensor.flatMap { try $0.dtype == .string ? $0.stringScalars().first : nil }
            ?? attributes.string("default_string", default: "_Unused")
        let numericDefault = defaultTensor.map { $0.dtype != .string && $0.dtype != .bool } ?? false
        let defaultInt =
            try (numericDefault ? defaultTensor?.cast(to: .int64).scalars(as: Int64.self).first : nil)
            ?? Int64(attributes.int("default_int64", default: -1))
        let defaultFloat =
            try (numericDefault ? defaultTensor?.cast(to: .float32).scalars(as: Float.self).first : nil)
            ?? attributes.float("default_float", default: -0.0)
        return ClosureOperator { inputs in
            let x = try inputs.required(0)
            let lookups: [String]
            switch x.dtype {
            case .string: lookups = try x.stringScalars()
            case .bool: throw TensorError.unsupportedDType(op: inputs.op, dtype: x.dtype)
            case let dtype where dtype.isFloatingPoint:
                lookups = try x.cast(to: .float32).scalars(as: Float.self).map { $0.isNaN ? "nan" : "\($0.bitPattern)" }
            default: lookups = try x.cast(to: .int64).scalars(as: Int64.self).map { "\($0)" }
            }
            let found = lookups.map { lookupTable[$0] }
            switch values {
            case let .strings(mapped):
                return [try Tensor(shape: x.shape, strings: found.map { $0.map { mapped[$0] } ?? defaultString })]
            case let .ints(mapped):
                return [
                    try Tensor(shape: x.shape, scalars: found.map { $0.map { mapped[$0] } ?? defaultInt }).cast(
                        to: outputType)
                ]
            case let .floats(mapped):
                return [
                    try Tensor(shape: x.shape, scalars: found.map { $0.map { mapped[$0] } ?? defaultFloat }).cast(
                        to: outputType)
                ]
            }
        }
    }
}
