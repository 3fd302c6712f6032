/// What is wrong with a GGUF file, naming the file and, where it applies, the byte offset, key or tensor.
public enum GGUFError: Error, Equatable, CustomStringConvertible {
    case cannotRead(path: String, reason: String)
    /// The first four bytes are not `GGUF`.
    case notGGUF(path: String, magic: [UInt8])
    case unsupportedVersion(path: String, version: UInt32)
    /// The file ends before `what` (at byte `offset`) is complete.
    case truncated(path: String, offset: Int, what: String)
    /// A count or size in the header that the file cannot possibly hold (rejected before allocating).
    case implausibleSize(path: String, offset: Int, what: String, value: UInt64)
    case unknownValueType(path: String, offset: Int, key: String, type: UInt32)
    case invalidMetadata(path: String, key: String, reason: String)
    case unknownTensorType(path: String, tensor: String, type: UInt32)
    case invalidTensor(path: String, tensor: String, reason: String)
    /// A tensor's bytes lie outside the file's data section.
    case tensorOutOfBounds(path: String, tensor: String, offset: UInt64, byteCount: UInt64, fileSize: Int)
    case missingTensor(path: String, tensor: String)

    public var description: String {
        switch self {
        case let .cannotRead(path, reason): return "cannot read \(path): \(reason)"
        case let .notGGUF(path, magic):
            let shown = magic.map {
                (0x20..<0x7F).contains($0) ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16)
            }.joined()
            return "\(path) is not a GGUF file (magic \"\(shown)\", expected \"GGUF\")"
        case let .unsupportedVersion(path, version):
            return "\(path): GGUF version \(version) is not supported (versions 2 and 3 are)"
        case let .truncated(path, offset, what):
            return "\(path) is truncated: \(what) at byte \(offset) runs past the end of the file"
        case let .implausibleSize(path, offset, what, value):
            return "\(path): \(what) at byte \(offset) is \(value), more than the file can hold"
        case let .unknownValueType(path, offset, key, type):
            return "\(path): metadata '\(key)' at byte \(offset) has unknown value type \(type)"
        case let .invalidMetadata(path, key, reason): return "\(path): metadata '\(key)' \(reason)"
        case let .unknownTensorType(path, tensor, type):
            return "\(path): tensor '\(tensor)' has unknown ggml type \(type)"
        case let .invalidTensor(path, tensor, reason): return "\(path): tensor '\(tensor)' \(reason)"
        case let .tensorOutOfBounds(path, tensor, offset, byteCount, fileSize):
            return
                "\(path): tensor '\(tensor)' (\(byteCount) bytes at data offset \(offset)) lies outside the file (\(fileSize) bytes)"
        case let .missingTensor(path, tensor): return "\(path): tensor '\(tensor)' is missing"
        }
    }
}
