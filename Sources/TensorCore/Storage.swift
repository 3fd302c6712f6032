import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Bytes behind one or more tensors: 64-byte-aligned memory this object owns, bytes borrowed
/// from a memory-mapped file (read-only; kept alive by `owner`), or an array of strings.
// @unchecked Sendable: the pointer and sizes are immutable; tensors only write through
// `withUnsafeMutableBuffer`, which copies unless the storage is uniquely referenced (copy-on-write),
// so no two threads ever write the same bytes or write bytes another thread reads.
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

    /// `byteCount` aligned bytes, zero-filled when `zeroed` (else the caller overwrites them
    /// all); nil when the system cannot provide them.
    init?(byteCount: Int, zeroed: Bool) {
        self.byteCount = byteCount
        self.isBorrowed = false
        self.owner = nil
        self.strings = []
        if byteCount > 0 {
            guard let pointer = BlockPool.allocate(byteCount: byteCount) else { return nil }
            if zeroed { memset(pointer, 0, byteCount) }
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
        if !isBorrowed, let bytes { BlockPool.release(bytes, byteCount: byteCount) }
    }
}

/// Recycles large tensor blocks: a block freed by one tensor serves the next tensor of the same
/// byte size, so steady-state inference (same shapes every run) neither calls the system
/// allocator nor takes page faults on fresh memory. Blocks under 64 KiB go straight to malloc;
/// the pool holds at most ``capacityBytes`` (oldest blocks are freed first).
public enum BlockPool {
    /// Most bytes kept for reuse (default 256 MiB; env `INFER_POOL_MB` overrides).
    public static let capacityBytes: Int = {
        if let text = getenv("INFER_POOL_MB").map({ String(cString: $0) }), let megabytes = Int(text), megabytes >= 0 {
            return megabytes << 20
        }
        return 256 << 20
    }()
    static let minimumPooledBytes = 1 << 16

    private struct Cache {
        var blocks: [Int: [Int]] = [:]  // byte count -> addresses
        var order: [(bytes: Int, address: Int)] = []
        var cachedBytes = 0
    }
    private static let cache = Mutex(Cache())

    /// A 64-byte-aligned block of `byteCount` bytes (contents undefined), or nil when the system has none.
    package static func allocate(byteCount: Int) -> UnsafeMutableRawPointer? {
        if byteCount >= minimumPooledBytes {
            let reused: Int? = cache.withLock { cache in
                guard var list = cache.blocks[byteCount], let address = list.popLast() else { return nil }
                cache.blocks[byteCount] = list.isEmpty ? nil : list
                if let position = cache.order.firstIndex(where: { $0.address == address }) {
                    cache.order.remove(at: position)
                }
                cache.cachedBytes -= byteCount
                return address
            }
            if let reused, let pointer = UnsafeMutableRawPointer(bitPattern: reused) { return pointer }
        }
        var pointer: UnsafeMutableRawPointer?
        guard posix_memalign(&pointer, TensorStorage.alignment, byteCount) == 0 else { return nil }
        return pointer
    }

    /// Returns a block: kept for reuse when large and there is room, else freed.
    package static func release(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        guard byteCount >= minimumPooledBytes, byteCount <= capacityBytes else {
            free(pointer)
            return
        }
        let evicted: [Int] = cache.withLock { cache in
            var evicted: [Int] = []
            while cache.cachedBytes + byteCount > capacityBytes, !cache.order.isEmpty {
                let oldest = cache.order.removeFirst()
                if var list = cache.blocks[oldest.bytes], let position = list.firstIndex(of: oldest.address) {
                    list.remove(at: position)
                    cache.blocks[oldest.bytes] = list.isEmpty ? nil : list
                }
                cache.cachedBytes -= oldest.bytes
                evicted.append(oldest.address)
            }
            let address = Int(bitPattern: pointer)
            cache.blocks[byteCount, default: []].append(address)
            cache.order.append((byteCount, address))
            cache.cachedBytes += byteCount
            return evicted
        }
        for address in evicted { free(UnsafeMutableRawPointer(bitPattern: address)) }
    }

    /// Frees every cached block (e.g. after a model is unloaded).
    public static func releaseCachedBlocks() {
        let addresses: [Int] = cache.withLock { cache in
            defer { cache = Cache() }
            return cache.order.map(\.address)
        }
        for address in addresses { free(UnsafeMutableRawPointer(bitPattern: address)) }
    }

    /// Bytes currently held for reuse.
    public static var cachedBytes: Int { cache.withLock { $0.cachedBytes } }
}

/// A read-only memory mapping of a whole file; tensors borrow its bytes without copying.
// @unchecked Sendable: an immutable, read-only (PROT_READ) mapping; every property is a `let`.
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
        guard fstat(descriptor, &info) == 0 else {
            throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .cannotOpen(path: path, reason: "not a regular file") }
        byteCount = Int(info.st_size)
        if byteCount == 0 {
            bytes = nil
            return
        }
        let mapped = mmap(nil, byteCount, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let mapped, mapped != MAP_FAILED else {
            throw .cannotMap(path: path, reason: String(cString: strerror(errno)))
        }
        bytes = UnsafeRawPointer(mapped)
    }

    deinit {
        if let bytes { munmap(UnsafeMutableRawPointer(mutating: bytes), byteCount) }
    }

    /// The mapped bytes as a buffer.
    public var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: bytes, count: byteCount) }

    /// Drops the resident pages that lie wholly inside `byteCount` bytes at `start` (bytes that
    /// were copied out); a later read of them maps them from the file again.
    public func release(_ start: UnsafeRawPointer, byteCount: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard page > 0 else { return }
        let first = (Int(bitPattern: start) + page - 1) / page * page
        let last = (Int(bitPattern: start) + byteCount) / page * page
        guard last > first, let address = UnsafeMutableRawPointer(bitPattern: first) else { return }
        _ = madvise(address, last - first, MADV_DONTNEED)
    }
}
