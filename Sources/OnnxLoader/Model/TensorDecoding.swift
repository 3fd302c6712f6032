import TensorCore

/// ONNX `TensorProto.DataType` codes and their `DType`s.
public enum OnnxDataType {
    /// The dtype for an ONNX element type code, nil for types this engine does not hold.
    public static func dtype(_ code: Int) -> DType? {
        switch code {
        case 1: return .float32
        case 2: return .uint8
        case 3: return .int8
        case 4: return .uint16
        case 5: return .int16
        case 6: return .int32
        case 7: return .int64
        case 8: return .string
        case 9: return .bool
        case 10: return .float16
        case 11: return .float64
        case 12: return .uint32
        case 13: return .uint64
        case 16: return .bfloat16
        case 17: return .float8e4m3fn
        case 18: return .float8e4m3fnuz
        case 19: return .float8e5m2
        case 20: return .float8e5m2fnuz
        case 21: return .uint4
        case 22: return .int4
        case 23: return .float4e2m1
        case 25: return .uint2
        case 26: return .int2
        default: return nil
        }
    }

    /// The ONNX element type code of a dtype.
    public static func code(_ dtype: DType) -> Int {
        switch dtype {
        case .float32: return 1
        case .uint8: return 2
        case .int8: return 3
        case .uint16: return 4
        case .int16: return 5
        case .int32: return 6
        case .int64: return 7
        case .string: return 8
        case .bool: return 9
        case .float16: return 10
        case .float64: return 11
        case .uint32: return 12
        case .uint64: return 13
        case .bfloat16: return 16
        case .float8e4m3fn: return 17
        case .float8e4m3fnuz: return 18
        case .float8e5m2: return 19
        case .float8e5m2fnuz: return 20
        case .uint4: return 21
        case .int4: return 22
        case .float4e2m1: return 23
        case .uint2: return 25
        case .int2: return 26
        }
    }

    /// A readable name for an element type code.
    public static func name(_ code: Int) -> String {
        let names = [0: "undefined", 14: "complex64", 15: "complex128", 24: "float8e8m0"]
        return dtype(code)?.rawValue ?? names[code] ?? "type \(code)"
    }
}

extension OnnxDecoder {
    /// Decodes a `TensorProto` into its name and tensor.
    mutating func decodeTensor(_ reader: inout ProtoReader) throws(OnnxError) -> (String, Tensor) {
        let start = reader.absolutePosition
        var dims: [Int64] = [], dataType: Int64 = 0, name = ""
        var raw: Range<Int>?
        var floats: [Float] = [], int32s: [Int64] = [], int64s: [Int64] = [], doubles: [Double] = [],
            uint64s: [Int64] = []
        var strings: [[UInt8]] = []
        var external: [String: String] = [:]
        var location: Int64 = 0
        while let (field, wire) = try reader.nextField() {
            switch (field, wire) {
            case (1, _): try reader.readVarints(wire, into: &dims)
            case (2, .varint): dataType = try reader.readInt64()
            case (4, _): try reader.readFloats(wire, into: &floats)
            case (5, _): try reader.readVarints(wire, into: &int32s)
            case (6, .lengthDelimited): strings.append(try reader.readBytes())
            case (7, _): try reader.readVarints(wire, into: &int64s)
            case (8, .lengthDelimited): name = try reader.readString()
            case (9, .lengthDelimited):
                let range = try reader.readLengthDelimitedRange()
                raw = (reader.origin + range.lowerBound)..<(reader.origin + range.upperBound)
            case (10, _): try reader.readDoubles(wire, into: &doubles)
            case (11, _): try reader.readVarints(wire, into: &uint64s)
            case (13, .lengthDelimited):
                var sub = try reader.readMessage()
                let (key, value) = try decodeStringPair(&sub)
                external[key] = value
            case (14, .varint): location = try reader.readInt64()
            default: try reader.skip(wire)
            }
        }
        let label = name.isEmpty ? "a tensor" : "tensor '\(name)'"
        guard let dtype = OnnxDataType.dtype(Int(clamping: dataType)) else {
            throw .invalidModel(
                reason:
                    "\(label) has element type \(OnnxDataType.name(Int(clamping: dataType))), which is not supported",
                byteOffset: start)
        }
        guard dims.allSatisfy({ $0 >= 0 && $0 <= Int64(Shape.maxElementCount) }) else {
            throw .invalidModel(reason: "\(label) has invalid dims \(dims)", byteOffset: start)
        }
        let shape = dims.map { Int($0) }
        let count: Int
        do { count = try Shape.elementCount(shape, op: "TensorProto") } catch {
            throw .invalidModel(reason: "\(label) with dims \(shape) is too large", byteOffset: start)
        }
        func mismatch(_ given: Int) -> OnnxError {
            .invalidModel(
                reason: "\(label) of shape \(shape) needs \(count) elements but holds \(given)", byteOffset: start)
        }
        do {
            if location == 1 {
                return (
                    name,
                    try externalTensor(external, shape: shape, dtype: dtype, count: count, label: label, start: start)
                )
            }
            if dtype == .string {
                guard strings.count == count else { throw mismatch(strings.count) }
                return (name, try Tensor(shape: shape, strings: strings.map { String(decoding: $0, as: UTF8.self) }))
            }
            if let bits = dtype.packedBits {
                // Sub-byte values travel packed, lowest bits first, in raw_data or one byte per int32_data entry.
                let packed: [UInt8]
                if let raw {
                    packed = Array(
                        UnsafeRawBufferPointer(
                            rebasing: UnsafeRawBufferPointer(start: file.bytes, count: file.byteCount)[raw]))
                } else {
                    packed = int32s.map { UInt8(truncatingIfNeeded: $0) }
                }
                let perByte = 8 / bits
                guard packed.count == (count + perByte - 1) / perByte else { throw mismatch(packed.count * perByte) }
                let mask = UInt8((1 << bits) - 1)
                let values = (0..<count).map { (packed[$0 / perByte] >> UInt8(($0 % perByte) * bits)) & mask }
                let unpacked =
                    dtype == .int4 || dtype == .int2
                    ? values.map {
                        UInt8(truncatingIfNeeded: Int8(bitPattern: $0 << UInt8(8 - bits)) >> Int8(8 - bits))
                    } : values
                return (name, try Tensor(shape: shape, scalars: unpacked).reinterpretedForLoader(as: dtype))
            }
            if dtype.isNarrow {
                let codes =
                    try raw.map { range throws(OnnxError) -> [UInt8] in
                        guard range.count == count else { throw mismatch(range.count) }
                        return Array(
                            UnsafeRawBufferPointer(
                                rebasing: UnsafeRawBufferPointer(start: file.bytes, count: file.byteCount)[range]))
                    } ?? int32s.map { UInt8(truncatingIfNeeded: $0) }
                guard codes.count == count else { throw mismatch(codes.count) }
                return (name, try Tensor(shape: shape, scalars: codes).reinterpretedForLoader(as: dtype))
            }
            if let raw {
                guard raw.count == count * dtype.byteSize else { throw mismatch(raw.count / max(dtype.byteSize, 1)) }
                return (name, try borrowedTensor(file, offset: raw.lowerBound, shape: shape, dtype: dtype))
            }
            let tensor: Tensor
            switch dtype {
            case .float32:
                guard floats.count == count else { throw mismatch(floats.count) }
                tensor = try Tensor(shape: shape, scalars: floats)
            case .float64:
                guard doubles.count == count else { throw mismatch(doubles.count) }
                tensor = try Tensor(shape: shape, scalars: doubles)
            case .int64:
                guard int64s.count == count else { throw mismatch(int64s.count) }
                tensor = try Tensor(shape: shape, scalars: int64s)
            case .uint32, .uint64:
                guard uint64s.count == count else { throw mismatch(uint64s.count) }
                tensor = try Tensor(shape: shape, scalars: uint64s.map { UInt64(bitPattern: $0) }).cast(to: dtype)
            case .float16:
                guard int32s.count == count else { throw mismatch(int32s.count) }
                tensor = try Tensor(
                    shape: shape, scalars: int32s.map { Float16(bitPattern: UInt16(truncatingIfNeeded: $0)) })
            case .bfloat16:
                guard int32s.count == count else { throw mismatch(int32s.count) }
                tensor = try Tensor(
                    shape: shape, scalars: int32s.map { BFloat16(bitPattern: UInt16(truncatingIfNeeded: $0)) })
            case .bool:
                guard int32s.count == count else { throw mismatch(int32s.count) }
                tensor = try Tensor(shape: shape, scalars: int32s.map { $0 != 0 })
            default:
                // int8, uint8, int16, uint16, int32 travel in int32_data.
                guard int32s.count == count else { throw mismatch(int32s.count) }
                tensor = try Tensor(shape: shape, scalars: int32s).cast(to: dtype)
            }
            return (name, tensor)
        } catch let error as OnnxError {
            throw error
        } catch {
            throw .invalidModel(reason: "\(label): \(error)", byteOffset: start)
        }
    }

    /// A tensor over bytes of a mapped file; bool bytes are normalised to 0/1 (a copy).
    private func borrowedTensor(_ source: MappedFile, offset: Int, shape: [Int], dtype: DType) throws -> Tensor {
        if dtype == .bool {
            let bytes = try Tensor(borrowing: source, byteOffset: offset, shape: shape, dtype: .uint8)
            return try bytes.cast(to: .bool)
        }
        return try Tensor(borrowing: source, byteOffset: offset, shape: shape, dtype: dtype)
    }

    /// A tensor stored in an external file beside the model (`location`, `offset`, `length`).
    private mutating func externalTensor(
        _ entries: [String: String], shape: [Int], dtype: DType, count: Int, label: String, start: Int
    ) throws -> Tensor {
        guard let location = entries["location"], !location.isEmpty else {
            throw OnnxError.invalidModel(reason: "\(label) is external but names no location", byteOffset: start)
        }
        guard !location.hasPrefix("/"), !location.split(separator: "/").contains("..") else {
            throw OnnxError.invalidModel(
                reason: "\(label) external location '\(location)' must stay inside the model's directory",
                byteOffset: start)
        }
        guard dtype != .string else {
            throw OnnxError.invalidModel(reason: "\(label): string tensors cannot be external", byteOffset: start)
        }
        let path = directory + "/" + location
        let mapped: MappedFile
        if let cached = externalFiles[path] {
            mapped = cached
        } else {
            do { mapped = try MappedFile(path: path) } catch {
                throw OnnxError.cannotRead(path: path, reason: "external data of \(label): \(error)")
            }
            externalFiles[path] = mapped
        }
        let offset = Int(entries["offset"] ?? "0") ?? -1
        let length = entries["length"].flatMap { Int($0) } ?? count * dtype.byteSize
        guard offset >= 0, length == count * dtype.byteSize, offset <= mapped.byteCount,
            length <= mapped.byteCount - offset
        else {
            throw OnnxError.invalidModel(
                reason:
                    "\(label) external range offset \(entries["offset"] ?? "0") length \(length) does not fit \(path) (\(mapped.byteCount) bytes) or its shape \(shape)",
                byteOffset: start)
        }
        return try borrowedTensor(mapped, offset: offset, shape: shape, dtype: dtype)
    }
}

extension OnnxDecoder {
    /// A `SequenceProto` of tensors (copied out of the mapping).
    mutating func decodeSequence(_ reader: inout ProtoReader) throws(OnnxError) -> Value {
        var tensors: [Tensor] = []
        while let (field, wire) = try reader.nextField() {
            if field == 3, wire == .lengthDelimited {
                var sub = try reader.readMessage()
                tensors.append(try decodeTensor(&sub).1.copied())
            } else if field == 5 || field == 6 || field == 7 || field == 4, wire == .lengthDelimited {
                throw .invalidModel(
                    reason: "sequences of sequences, maps, optionals or sparse tensors are not supported",
                    byteOffset: reader.absolutePosition)
            } else {
                try reader.skip(wire)
            }
        }
        return .sequence(tensors)
    }

    /// An `OptionalProto` holding a tensor or a sequence, or nothing.
    mutating func decodeOptional(_ reader: inout ProtoReader) throws(OnnxError) -> Value {
        var inner: Value?
        while let (field, wire) = try reader.nextField() {
            switch (field, wire) {
            case (3, .lengthDelimited):
                var sub = try reader.readMessage()
                inner = .tensor(try decodeTensor(&sub).1.copied())
            case (5, .lengthDelimited):
                var sub = try reader.readMessage()
                inner = try decodeSequence(&sub)
            default: try reader.skip(wire)
            }
        }
        return .optional(inner)
    }
}
