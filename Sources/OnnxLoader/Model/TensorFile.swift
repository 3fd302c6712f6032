import TensorCore

/// Reading and writing single `TensorProto` files (`input_0.pb`, `output_0.pb`).
public enum TensorFile {
    /// The tensor in a serialized `TensorProto` file, with its name.
    public static func read(path: String) throws(OnnxError) -> (name: String, tensor: Tensor) {
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch { throw .cannotRead(path: path, reason: "\(error)") }
        var decoder = OnnxDecoder(file: file)
        guard let base = file.bytes else {
            return ("", (try? Tensor(zeros: [], dtype: .float32)) ?? Tensor(scalar: Float(0)))
        }
        var reader = ProtoReader(bytes: UnsafeRawBufferPointer(start: base, count: file.byteCount), origin: 0)
        let (name, tensor) = try decoder.decodeTensor(&reader)
        // The tensor may borrow the mapping; copy so the file can be closed.
        return (name, tensor.copied())
    }

    /// The value in a serialized `TensorProto`, `SequenceProto` or `OptionalProto` file; `type`
    /// (the graph's declared type for it) says which.
    public static func readValue(path: String, type: ValueType?) throws(OnnxError) -> Value {
        switch type {
        case .sequence?, .optional?:
            let file: MappedFile
            do { file = try MappedFile(path: path) } catch { throw .cannotRead(path: path, reason: "\(error)") }
            var decoder = OnnxDecoder(file: file)
            guard let base = file.bytes else {
                return type.map {
                    if case .optional = $0 { return .optional(nil) }
                    return .sequence([])
                } ?? .sequence([])
            }
            var reader = ProtoReader(bytes: UnsafeRawBufferPointer(start: base, count: file.byteCount), origin: 0)
            if case .sequence? = type { return try decoder.decodeSequence(&reader) }
            return try decoder.decodeOptional(&reader)
        default:
            return .tensor(try read(path: path).tensor)
        }
    }

    /// Serializes `tensor` as a `TensorProto` (raw_data for numbers, string_data for strings).
    public static func encode(_ tensor: Tensor, name: String = "") -> [UInt8] {
        var out = ProtoWriter()
        for dim in tensor.shape { out.writeVarintField(1, UInt64(dim)) }
        out.writeVarintField(2, UInt64(OnnxDataType.code(tensor.dtype)))
        if !name.isEmpty { out.writeBytesField(8, Array(name.utf8)) }
        if tensor.dtype == .string {
            for text in (try? tensor.stringScalars()) ?? [] { out.writeBytesField(6, Array(text.utf8)) }
        } else {
            let dense = tensor.contiguous()
            let byteCount = dense.count * tensor.dtype.byteSize
            var bytes = withExtendedLifetime(dense) {
                dense.baseAddress.map { Array(UnsafeRawBufferPointer(start: $0, count: byteCount)) } ?? []
            }
            if let bits = tensor.dtype.packedBits {
                // Pack sub-byte values, lowest bits first.
                let perByte = 8 / bits, mask = UInt8((1 << bits) - 1)
                var packed = [UInt8](repeating: 0, count: (bytes.count + perByte - 1) / perByte)
                for (i, value) in bytes.enumerated() {
                    packed[i / perByte] |= (value & mask) << UInt8((i % perByte) * bits)
                }
                bytes = packed
            }
            out.writeBytesField(9, bytes)
        }
        return out.bytes
    }
}

/// A minimal protobuf writer (varint and length-delimited fields).
struct ProtoWriter {
    var bytes: [UInt8] = []

    mutating func writeVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func writeVarintField(_ number: Int, _ value: UInt64) {
        writeVarint(UInt64(number << 3))
        writeVarint(value)
    }

    mutating func writeBytesField(_ number: Int, _ value: [UInt8]) {
        writeVarint(UInt64(number << 3 | 2))
        writeVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }
}
