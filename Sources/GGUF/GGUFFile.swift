import TensorCore

/// One tensor's entry in a GGUF file.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    /// Dimensions in ggml order: `dimensions[0]` is the row length (the fastest-varying axis).
    public let dimensions: [Int]
    public let type: GGMLType
    /// Byte offset from the start of the file.
    public let fileOffset: Int
    public let byteCount: Int

    /// Number of elements.
    public var elementCount: Int { dimensions.reduce(1, *) }
    /// The shape in row-major (NumPy) order: the reverse of `dimensions`.
    public var shape: [Int] { dimensions.reversed() }
}

/// A memory-mapped GGUF file (versions 2 and 3): metadata, tensor infos, and the tensors' bytes
/// borrowed from the mapping.
public final class GGUFFile: Sendable {
    public let path: String
    public let version: UInt32
    /// Metadata in file order.
    public let metadata: [(key: String, value: GGUFValue)]
    public let tensors: [GGUFTensorInfo]
    public let alignment: Int
    /// Offset of the data section.
    public let dataOffset: Int
    private let file: MappedFile
    private let metadataIndex: [String: Int]
    private let tensorIndex: [String: Int]

    /// The file's size in bytes.
    public var fileSize: Int { file.byteCount }

    /// Opens and validates `path`: every count and size in the header is checked against the file's
    /// size before anything is allocated, and every tensor must lie inside the data section.
    public init(path: String) throws(GGUFError) {
        do { file = try MappedFile(path: path) } catch { throw .cannotRead(path: path, reason: "\(error)") }
        self.path = path
        var reader = HeaderReader(buffer: file.buffer, path: path)
        let magic = try reader.bytes(4, "magic")
        guard magic == Array("GGUF".utf8) else { throw .notGGUF(path: path, magic: magic) }
        version = try reader.scalar(UInt32.self, "version")
        guard version == 2 || version == 3 else { throw .unsupportedVersion(path: path, version: version) }
        let tensorCount = try reader.count("tensor count", minimumBytesEach: 4 + 8 + 4 + 8 + 4 + 8)
        let metadataCount = try reader.count("metadata count", minimumBytesEach: 8 + 4 + 1)
        var metadata: [(key: String, value: GGUFValue)] = []
        var metadataIndex: [String: Int] = [:]
        for _ in 0..<metadataCount {
            let key = try reader.string("metadata key")
            let typeOffset = reader.offset
            let type = try reader.scalar(UInt32.self, "type of '\(key)'")
            let value = try reader.value(type: type, key: key, typeOffset: typeOffset, depth: 0)
            guard metadataIndex[key] == nil else {
                throw .invalidMetadata(path: path, key: key, reason: "appears twice")
            }
            metadataIndex[key] = metadata.count
            metadata.append((key, value))
        }
        self.metadata = metadata
        self.metadataIndex = metadataIndex
        var alignment = 32
        if let value = metadataIndex["general.alignment"].map({ metadata[$0].value }) {
            guard let a = value.int, a > 0, a & (a - 1) == 0, a <= 1 << 20 else {
                throw .invalidMetadata(
                    path: path, key: "general.alignment", reason: "must be a power of two, got \(value.summary())")
            }
            alignment = a
        }
        self.alignment = alignment
        var infos: [(name: String, dims: [Int], type: GGMLType, offset: UInt64)] = []
        for _ in 0..<tensorCount {
            let name = try reader.string("tensor name")
            let dimensionCount = try reader.scalar(UInt32.self, "dimension count of '\(name)'")
            guard (1...4).contains(dimensionCount) else {
                throw .invalidTensor(
                    path: path, tensor: name, reason: "has \(dimensionCount) dimensions (1 to 4 allowed)")
            }
            var dims: [Int] = []
            var elements = 1
            for _ in 0..<dimensionCount {
                let raw = try reader.scalar(UInt64.self, "dimensions of '\(name)'")
                guard raw > 0, raw < 1 << 40, let dim = Int(exactly: raw) else {
                    throw .invalidTensor(path: path, tensor: name, reason: "has dimension \(raw)")
                }
                let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
                guard !overflow, product < 1 << 48 else {
                    throw .invalidTensor(path: path, tensor: name, reason: "has too many elements")
                }
                elements = product
                dims.append(dim)
            }
            let code = try reader.scalar(UInt32.self, "type of '\(name)'")
            guard let type = GGMLType(rawValue: code) else {
                throw .unknownTensorType(path: path, tensor: name, type: code)
            }
            let offset = try reader.scalar(UInt64.self, "offset of '\(name)'")
            infos.append((name, dims, type, offset))
        }
        dataOffset = (reader.offset + alignment - 1) / alignment * alignment
        var tensors: [GGUFTensorInfo] = []
        var tensorIndex: [String: Int] = [:]
        for info in infos {
            guard let rowBytes = info.type.rowBytes(info.dims[0]) else {
                throw .invalidTensor(
                    path: path, tensor: info.name,
                    reason:
                        "row length \(info.dims[0]) is not a multiple of \(info.type.name)'s block of \(info.type.blockElements)"
                )
            }
            let rows = info.dims.dropFirst().reduce(1, *)
            let (byteCount, overflow) = rowBytes.multipliedReportingOverflow(by: rows)
            guard !overflow, info.offset % UInt64(alignment) == 0 else {
                throw .invalidTensor(
                    path: path, tensor: info.name, reason: "offset \(info.offset) is not aligned to \(alignment)")
            }
            let available = UInt64(max(0, file.byteCount - dataOffset))
            guard info.offset <= available, UInt64(byteCount) <= available - info.offset else {
                throw .tensorOutOfBounds(
                    path: path, tensor: info.name, offset: info.offset, byteCount: UInt64(byteCount),
                    fileSize: file.byteCount)
            }
            guard tensorIndex[info.name] == nil else {
                throw .invalidTensor(path: path, tensor: info.name, reason: "appears twice")
            }
            tensorIndex[info.name] = tensors.count
            tensors.append(
                GGUFTensorInfo(
                    name: info.name, dimensions: info.dims, type: info.type,
                    fileOffset: dataOffset + Int(info.offset), byteCount: byteCount))
        }
        self.tensors = tensors
        self.tensorIndex = tensorIndex
    }

    /// The metadata value for `key`.
    public subscript(key: String) -> GGUFValue? { metadataIndex[key].map { metadata[$0].value } }

    /// The tensor info named `name`.
    public func tensorInfo(_ name: String) -> GGUFTensorInfo? { tensorIndex[name].map { tensors[$0] } }

    /// The raw bytes of a tensor, borrowed from the mapping (valid while this file is alive).
    public func bytes(of tensor: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: file.buffer[tensor.fileOffset..<(tensor.fileOffset + tensor.byteCount)])
    }

    /// A tensor as a float32 `Tensor` in row-major shape: F32 is borrowed from the mapping, every other
    /// type is dequantized (or converted) into a new buffer.
    public func floatTensor(_ name: String) throws(GGUFError) -> Tensor {
        guard let info = tensorInfo(name) else { throw .missingTensor(path: path, tensor: name) }
        do {
            if info.type == .f32 {
                return try Tensor(borrowing: file, byteOffset: info.fileOffset, shape: info.shape, dtype: .float32)
            }
            var result = try Tensor(zeros: info.shape, dtype: .float32)
            let source = bytes(of: info)
            try result.withUnsafeMutableBuffer(as: Float.self) { destination in
                GGMLDequantize.values(source, type: info.type, into: destination)
            }
            return result
        } catch {
            throw .invalidTensor(path: path, tensor: name, reason: "\(error)")
        }
    }

    /// Keeps the mapping alive while `body` reads tensor bytes.
    public func withMapping<R>(_ body: () throws -> R) rethrows -> R { try withExtendedLifetime(file) { try body() } }
}

/// Bounds-checked little-endian reading of the header.
private struct HeaderReader {
    let buffer: UnsafeRawBufferPointer
    let path: String
    var offset = 0

    var remaining: Int { buffer.count - offset }

    mutating func bytes(_ count: Int, _ what: String) throws(GGUFError) -> [UInt8] {
        guard count <= remaining else { throw .truncated(path: path, offset: offset, what: what) }
        defer { offset += count }
        return Array(buffer[offset..<(offset + count)])
    }

    mutating func scalar<T: FixedWidthInteger>(_: T.Type, _ what: String) throws(GGUFError) -> T {
        let size = MemoryLayout<T>.size
        guard size <= remaining else { throw .truncated(path: path, offset: offset, what: what) }
        defer { offset += size }
        return T(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// A 64-bit count that must fit in the rest of the file at `minimumBytesEach` bytes per item.
    mutating func count(_ what: String, minimumBytesEach: Int) throws(GGUFError) -> Int {
        let at = offset
        let raw = try scalar(UInt64.self, what)
        guard raw <= UInt64(remaining / max(1, minimumBytesEach)) else {
            throw .implausibleSize(path: path, offset: at, what: what, value: raw)
        }
        return Int(raw)
    }

    mutating func string(_ what: String) throws(GGUFError) -> String {
        let at = offset
        let length = try scalar(UInt64.self, "length of \(what)")
        guard length <= UInt64(remaining) else {
            if length > UInt64(buffer.count) {
                throw .implausibleSize(path: path, offset: at, what: "length of \(what)", value: length)
            }
            throw .truncated(path: path, offset: offset, what: what)
        }
        let count = Int(length)
        defer { offset += count }
        return String(decoding: UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + count)]), as: UTF8.self)
    }

    /// Smallest encoded size of one value of GGUF type `type` (for rejecting absurd array lengths).
    static func minimumSize(of type: UInt32) -> Int {
        switch type {
        case 0, 1, 7: return 1
        case 2, 3: return 2
        case 4, 5, 6: return 4
        case 8, 10, 11, 12: return 8
        case 9: return 12
        default: return 1
        }
    }

    mutating func value(type: UInt32, key: String, typeOffset: Int, depth: Int) throws(GGUFError) -> GGUFValue {
        let what = "value of '\(key)'"
        switch type {
        case 0: return .uint8(try scalar(UInt8.self, what))
        case 1: return .int8(try scalar(Int8.self, what))
        case 2: return .uint16(try scalar(UInt16.self, what))
        case 3: return .int16(try scalar(Int16.self, what))
        case 4: return .uint32(try scalar(UInt32.self, what))
        case 5: return .int32(try scalar(Int32.self, what))
        case 6: return .float32(Float(bitPattern: try scalar(UInt32.self, what)))
        case 7:
            let at = offset
            let byte = try scalar(UInt8.self, what)
            guard byte <= 1 else {
                throw .invalidMetadata(path: path, key: key, reason: "holds bool byte \(byte) at \(at)")
            }
            return .bool(byte == 1)
        case 8: return .string(try string(what))
        case 9:
            guard depth < 8 else {
                throw .invalidMetadata(path: path, key: key, reason: "nests arrays more than 8 deep")
            }
            let elementOffset = offset
            let elementType = try scalar(UInt32.self, "array type of '\(key)'")
            guard elementType <= 12 else {
                throw .unknownValueType(path: path, offset: elementOffset, key: key, type: elementType)
            }
            let count = try self.count(
                "array length of '\(key)'", minimumBytesEach: HeaderReader.minimumSize(of: elementType))
            var items: [GGUFValue] = []
            items.reserveCapacity(count)
            for _ in 0..<count {
                items.append(try value(type: elementType, key: key, typeOffset: elementOffset, depth: depth + 1))
            }
            return .array(elementType: elementType, items)
        case 10: return .uint64(try scalar(UInt64.self, what))
        case 11: return .int64(try scalar(Int64.self, what))
        case 12: return .float64(Double(bitPattern: try scalar(UInt64.self, what)))
        default: throw .unknownValueType(path: path, offset: typeOffset, key: key, type: type)
        }
    }
}
