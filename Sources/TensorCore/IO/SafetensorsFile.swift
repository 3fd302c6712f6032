import Foundation

/// A `.safetensors` file (Hugging Face's weight format) mapped read-only: an 8-byte little-endian
/// header length, a JSON header naming each tensor's dtype, shape and byte range, then the bytes.
/// Tensors are views over the mapping (copied only when misaligned), never converted.
public struct SafetensorsFile: Sendable {
    /// One tensor's entry in the header.
    public struct Entry: Sendable, Equatable {
        public let dtype: DType
        public let shape: [Int]
        /// Start of the tensor's bytes, counted from the start of the file.
        public let byteOffset: Int
        public let byteCount: Int
    }

    /// Errors reading a `.safetensors` file; each names the file and, where it applies, the tensor.
    public enum FormatError: Error, Equatable, CustomStringConvertible {
        case cannotRead(path: String, reason: String)
        case invalidHeader(path: String, reason: String)
        case invalidTensor(path: String, tensor: String, reason: String)
        case missingTensor(path: String, tensor: String)

        public var description: String {
            switch self {
            case let .cannotRead(path, reason): return "cannot read \(path): \(reason)"
            case let .invalidHeader(path, reason): return "\(path) is not a valid safetensors file: \(reason)"
            case let .invalidTensor(path, tensor, reason): return "\(path): tensor '\(tensor)' \(reason)"
            case let .missingTensor(path, tensor): return "\(path) has no tensor '\(tensor)'"
            }
        }
    }

    /// Headers larger than this are refused before they are read (real ones are kilobytes).
    public static let maximumHeaderBytes = 100 << 20

    public let path: String
    /// Every tensor, by name.
    public let entries: [String: Entry]
    /// The header's `__metadata__` strings.
    public let metadata: [String: String]
    private let file: MappedFile

    /// Maps `path` and validates its header: every dtype known, every shape's byte size equal to
    /// its range, every range inside the data section.
    public init(path: String) throws(FormatError) {
        self.path = path
        do { file = try MappedFile(path: path) } catch { throw .cannotRead(path: path, reason: "\(error)") }
        let bytes = file.buffer
        guard bytes.count >= 8 else {
            throw .invalidHeader(path: path, reason: "shorter than the 8-byte header length")
        }
        let declared = bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self).littleEndian
        guard declared <= UInt64(min(Self.maximumHeaderBytes, bytes.count - 8)) else {
            throw .invalidHeader(
                path: path, reason: "header length \(declared) exceeds the file (\(bytes.count) bytes)")
        }
        let headerEnd = 8 + Int(declared)
        let header: [String: Any]
        do {
            let data = Data(bytes[8..<headerEnd])
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw FormatError.invalidHeader(path: path, reason: "the header is not a JSON object")
            }
            header = object
        } catch let error as FormatError {
            throw error
        } catch {
            throw .invalidHeader(path: path, reason: "the header is not JSON: \(error.localizedDescription)")
        }
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                for (key, text) in value as? [String: Any] ?? [:] { metadata[key] = text as? String ?? "\(text)" }
                continue
            }
            entries[name] = try Self.entry(name, value, dataStart: headerEnd, fileSize: bytes.count, path: path)
        }
        self.entries = entries
        self.metadata = metadata
    }

    private static func entry(_ name: String, _ value: Any, dataStart: Int, fileSize: Int, path: String)
        throws(FormatError) -> Entry
    {
        func fail(_ reason: String) -> FormatError { .invalidTensor(path: path, tensor: name, reason: reason) }
        guard let fields = value as? [String: Any], let dtypeName = fields["dtype"] as? String,
            let shapeValues = fields["shape"] as? [Any], let range = fields["data_offsets"] as? [Any], range.count == 2
        else { throw fail("needs dtype, shape and two data_offsets") }
        guard let dtype = Self.dtype(dtypeName) else { throw fail("has dtype \(dtypeName), which is not supported") }
        var shape: [Int] = []
        for dimension in shapeValues {
            guard let number = dimension as? NSNumber, let size = Int(exactly: number.doubleValue), size >= 0 else {
                throw fail("has shape entry \(dimension), not a size")
            }
            shape.append(size)
        }
        guard let begin = (range[0] as? NSNumber).flatMap({ Int(exactly: $0.doubleValue) }),
            let end = (range[1] as? NSNumber).flatMap({ Int(exactly: $0.doubleValue) }), 0 <= begin, begin <= end,
            end <= fileSize - dataStart
        else { throw fail("has data_offsets \(range) outside the \(fileSize - dataStart) data bytes") }
        var expected = dtype.byteSize
        for size in shape {
            let (product, overflow) = expected.multipliedReportingOverflow(by: size)
            guard !overflow, product <= fileSize else { throw fail("has shape \(shape), larger than the file") }
            expected = product
        }
        guard expected == end - begin else {
            throw fail("has shape \(shape) of \(dtypeName) (\(expected) bytes) but a \(end - begin)-byte range")
        }
        return Entry(dtype: dtype, shape: shape, byteOffset: dataStart + begin, byteCount: end - begin)
    }

    private static func dtype(_ name: String) -> DType? {
        switch name {
        case "F32": return .float32
        case "F16": return .float16
        case "BF16": return .bfloat16
        case "F64": return .float64
        case "I8": return .int8
        case "U8": return .uint8
        case "I16": return .int16
        case "U16": return .uint16
        case "I32": return .int32
        case "U32": return .uint32
        case "I64": return .int64
        case "U64": return .uint64
        case "BOOL": return .bool
        default: return nil
        }
    }

    /// The tensor `name` as a view over the mapping.
    public func tensor(_ name: String) throws(FormatError) -> Tensor {
        guard let entry = entries[name] else { throw .missingTensor(path: path, tensor: name) }
        do {
            return try Tensor(borrowing: file, byteOffset: entry.byteOffset, shape: entry.shape, dtype: entry.dtype)
        } catch {
            throw .invalidTensor(path: path, tensor: name, reason: "\(error)")
        }
    }
}
