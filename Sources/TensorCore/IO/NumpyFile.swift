import Foundation

/// Reading and writing numpy `.npy` files (format versions 1-3, little or big endian,
/// C or Fortran order; bool, integer and float16/32/64 element types).
public enum NumpyFile {
    /// Errors reading a `.npy` file.
    public struct FormatError: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "\(path) is not a readable .npy file: \(reason)" }
    }

    /// Decodes the bytes of a `.npy` file (`path` names it in errors).
    public static func decode(_ data: [UInt8], path: String = "<npy>") throws(FormatError) -> Tensor {
        func fail(_ reason: String) -> FormatError { FormatError(path: path, reason: reason) }
        guard data.count >= 10, data[0] == 0x93, Array(data[1..<6]) == Array("NUMPY".utf8) else {
            throw fail("missing the \\x93NUMPY magic")
        }
        let major = data[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(data[8]) | Int(data[9]) << 8
            headerStart = 10
        case 2, 3:
            guard data.count >= 12 else { throw fail("truncated header") }
            headerLength = Int(data[8]) | Int(data[9]) << 8 | Int(data[10]) << 16 | Int(data[11]) << 24
            headerStart = 12
        default: throw fail("unsupported format version \(major)")
        }
        guard data.count >= headerStart + headerLength else { throw fail("truncated header") }
        let header = String(decoding: data[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        guard
            let descr = field("descr", in: header).map({ $0.trimmingCharacters(in: CharacterSet(charactersIn: "'\"")) }
            ),
            let shapeText = field("shape", in: header)
        else { throw fail("header lacks descr or shape: \(header)") }
        let fortran = field("fortran_order", in: header)?.hasPrefix("True") ?? false
        let shape = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "()")).split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.compactMap { Int($0) }
        guard let (dtype, bigEndian) = dtypeOf(descr) else { throw fail("element type '\(descr)' is not supported") }
        let count: Int
        do { count = try Shape.elementCount(shape, op: "npy") } catch { throw fail("shape \(shape) is invalid") }
        let start = headerStart + headerLength
        let byteCount = count * dtype.byteSize
        guard data.count - start >= byteCount else {
            throw fail("holds \(data.count - start) data bytes, shape \(shape) of \(dtype) needs \(byteCount)")
        }
        var bytes = Array(data[start..<(start + byteCount)])
        if bigEndian && dtype.byteSize > 1 {
            for offset in stride(from: 0, to: bytes.count, by: dtype.byteSize) {
                bytes[offset..<(offset + dtype.byteSize)].reverse()
            }
        }
        do {
            let layoutShape = fortran ? Array(shape.reversed()) : shape
            var tensor = try Tensor(uninitialized: layoutShape, dtype: dtype == .bool ? .uint8 : dtype, op: "npy")
            if let target = tensor.mutableBaseAddress {
                bytes.withUnsafeBytes { target.copyMemory(from: $0.baseAddress!, byteCount: byteCount) }
            }
            if dtype == .bool { tensor = try tensor.cast(to: .bool) }
            return fortran ? try tensor.transposed() : tensor
        } catch {
            throw fail("\(error)")
        }
    }

    /// The `.npy` encoding (version 1, little endian, C order) of a numeric or bool tensor.
    public static func encode(_ tensor: Tensor) throws(TensorError) -> [UInt8] {
        let descr: String
        switch tensor.dtype {
        case .float32: descr = "<f4"
        case .float64: descr = "<f8"
        case .float16: descr = "<f2"
        case .int8: descr = "|i1"
        case .uint8: descr = "|u1"
        case .int16: descr = "<i2"
        case .uint16: descr = "<u2"
        case .int32: descr = "<i4"
        case .uint32: descr = "<u4"
        case .int64: descr = "<i8"
        case .uint64: descr = "<u8"
        case .bool: descr = "|b1"
        default: throw .unsupportedDType(op: "npy", dtype: tensor.dtype)
        }
        let shapeText =
            tensor.shape.isEmpty
            ? "()"
            : tensor.shape.count == 1
                ? "(\(tensor.shape[0]),)" : "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var out: [UInt8] =
            [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
        out += Array(header.utf8)
        let dense = tensor.contiguous()
        withExtendedLifetime(dense) {
            if let base = dense.baseAddress {
                out += Array(UnsafeRawBufferPointer(start: base, count: dense.count * tensor.dtype.byteSize))
            }
        }
        return out
    }

    private static func field(_ name: String, in header: String) -> String? {
        guard let key = header.range(of: "'\(name)'") ?? header.range(of: "\"\(name)\"") else { return nil }
        var rest = header[key.upperBound...].drop { $0 == " " || $0 == ":" }
        if rest.first == "(" {
            guard let close = rest.firstIndex(of: ")") else { return nil }
            return String(rest[...close])
        }
        rest = rest.prefix { $0 != "," && $0 != "}" }
        return rest.trimmingCharacters(in: .whitespaces)
    }

    private static func dtypeOf(_ descr: String) -> (DType, Bool)? {
        guard descr.count >= 3, let order = descr.first else { return nil }
        let code = String(descr.dropFirst())
        let types: [String: DType] = [
            "f4": .float32, "f8": .float64, "f2": .float16, "i1": .int8, "u1": .uint8, "i2": .int16,
            "u2": .uint16, "i4": .int32, "u4": .uint32, "i8": .int64, "u8": .uint64, "b1": .bool,
        ]
        guard let dtype = types[code], "<>|=".contains(order) else { return nil }
        return (dtype, order == ">")
    }
}
