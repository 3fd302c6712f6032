#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bytes behind one or more tensors: 64-byte-aligned memory this object owns, bytes borrowed
/// from a memory-mapped file (read-only; kept alive by `owner`), or an array of strings.
public final class TensorStorage: @unchecked Sendable {
    /// Alignment of owned allocations, in bytes.
    public static let alignment = 64

    /// Start of the bytes (nil when `byteCount` is 0 or for string storage).
    public let bytes: UnsafeMutableRawPointer?
    /// Number of bytes.
    public let byteCount: Int
    /// Whether the bytes belong to someone else (a mapped file) and must not be written.
    public let isBorrowed: Bool
    /// Elements of a string tensor.
    public internal(set) var strings: [String]
    private let owner: AnyObject?

    /// `byteCount` zeroed, aligned bytes; nil when the system cannot provide them.
    init?(zeroedByteCount byteCount: Int) {
        self.byteCount = byteCount
        self.isBorrowed = false
        self.owner = nil
        self.strings = []
        if byteCount > 0 {
            var pointer: UnsafeMutableRawPointer?
            let status = posix_memalign(&pointer, TensorStorage.alignment, byteCount)
            guard status == 0, let pointer else { return nil }
            memset(pointer, 0, byteCount)
            bytes = pointer
        } else {
            bytes = nil
        }
    }

    /// `byteCount` aligned bytes whose contents the caller overwrites entirely; nil when the
    /// system cannot provide them.
    init?(uninitializedByteCount byteCount: Int) {
        self.byteCount = byteCount
        self.isBorrowed = false
        self.owner = nil
        self.strings = []
        if byteCount > 0 {
            var pointer: UnsafeMutableRawPointer?
            let status = posix_memalign(&pointer, TensorStorage.alignment, byteCount)
            guard status == 0, let pointer else { return nil }
            bytes = pointer
        } else {
            bytes = nil
        }
    }

    /// Storage of string elements.
    init(strings: [String]) {
        self.bytes = nil
        self.byteCount = 0
        self.isBorrowed = false
        self.owner = nil
        self.strings = strings
    }

    /// Bytes borrowed from `owner` (a mapped file), never copied and never written.
    init(borrowing bytes: UnsafeRawPointer, byteCount: Int, owner: AnyObject) {
        self.bytes = UnsafeMutableRawPointer(mutating: bytes)
        self.byteCount = byteCount
        self.isBorrowed = true
        self.owner = owner
        self.strings = []
    }

    deinit {
        if !isBorrowed, let bytes { free(bytes) }
    }
}

/// A read-only memory mapping of a whole file; tensors borrow its bytes without copying.
public final class MappedFile: @unchecked Sendable {
    /// The path the file was opened from.
    public let path: String
    /// Start of the mapping (nil for an empty file).
    public let bytes: UnsafeRawPointer?
    /// The file's size in bytes.
    public let byteCount: Int

    /// Errors opening or mapping a file.
    public enum MapError: Error, CustomStringConvertible {
        case cannotOpen(path: String, reason: String)
        case cannotMap(path: String, reason: String)
        public var description: String {
            switch self {
            case let .cannotOpen(path, reason): return "cannot open \(path): \(reason)"
            case let .cannotMap(path, reason): return "cannot map \(path): \(reason)"
            }
        }
    }

    /// Maps `path` read-only.
    public init(path: String) throws(MapError) {
        self.path = path
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .cannotOpen(path: path, reason: "not a regular file") }
        byteCount = Int(info.st_size)
        if byteCount == 0 {
            bytes = nil
            return
        }
        let mapped = mmap(nil, byteCount, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let mapped, mapped != MAP_FAILED else { throw .cannotMap(path: path, reason: String(cString: strerror(errno))) }
        bytes = UnsafeRawPointer(mapped)
    }

    deinit {
        if let bytes { munmap(UnsafeMutableRawPointer(mutating: bytes), byteCount) }
    }

    /// The mapped bytes as a buffer.
    public var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: bytes, count: byteCount) }
}
