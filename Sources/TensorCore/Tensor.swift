#if canImport(Glibc)
    import Glibc
#endif

/// An N-dimensional array: a value type (shape, strides, offset, dtype) over reference-counted
/// storage that is copied on write.
///
/// Views (``reshaped(_:)``, ``permuted(_:)``, ``sliced(axis:start:end:step:)``,
/// ``broadcast(to:)``) share storage with the tensor they come from; ``contiguous()`` makes the
/// copy a kernel needs explicit. Strides and offset are counted in elements.
public struct Tensor: Sendable {
    /// The element type.
    public let dtype: DType
    /// The size of each dimension (empty for a scalar).
    public internal(set) var shape: [Int]
    /// Elements to step in storage for one step along each dimension (0 for a broadcast dimension).
    public internal(set) var strides: [Int]
    /// Index in storage of the first element.
    public internal(set) var offset: Int
    /// The shared bytes.
    public internal(set) var storage: TensorStorage

    /// The number of dimensions.
    @inlinable public var rank: Int { shape.count }
    /// The number of elements.
    @inlinable public var count: Int { shape.reduce(1, *) }
    /// Whether elements are laid out row-major without gaps from ``offset`` on.
    public var isContiguous: Bool {
        var expected = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) where shape[axis] != 1 {
            if shape[axis] == 0 { return true }
            if strides[axis] != expected { return false }
            expected &*= shape[axis]
        }
        return true
    }

    init(dtype: DType, shape: [Int], strides: [Int], offset: Int, storage: TensorStorage) {
        self.dtype = dtype
        self.shape = shape
        self.strides = strides
        self.offset = offset
        self.storage = storage
    }

    /// A tensor of `shape` filled with zeros (false, empty strings).
    public init(zeros shape: [Int], dtype: DType) throws(TensorError) {
        let count = try MemoryBudget.checkedCount(shape, bytesEach: dtype == .string ? 16 : dtype.byteSize, op: "zeros")
        let storage: TensorStorage
        if dtype == .string {
            storage = TensorStorage(strings: Array(repeating: "", count: count))
        } else {
            guard let allocated = TensorStorage(byteCount: count * dtype.byteSize, zeroed: true) else {
                throw .tooLarge(op: "zeros", shape: shape)
            }
            storage = allocated
        }
        self.init(dtype: dtype, shape: shape, strides: Shape.contiguousStrides(shape), offset: 0, storage: storage)
    }

    /// A contiguous tensor whose every element the caller writes before reading.
    init(uninitialized shape: [Int], dtype: DType, op: String) throws(TensorError) {
        let count = try MemoryBudget.checkedCount(shape, bytesEach: dtype == .string ? 16 : dtype.byteSize, op: op)
        let storage: TensorStorage
        if dtype == .string {
            storage = TensorStorage(strings: Array(repeating: "", count: count))
        } else {
            guard let allocated = TensorStorage(byteCount: count * dtype.byteSize, zeroed: false) else {
                throw .tooLarge(op: op, shape: shape)
            }
            storage = allocated
        }
        self.init(dtype: dtype, shape: shape, strides: Shape.contiguousStrides(shape), offset: 0, storage: storage)
    }

    /// A tensor of `shape` holding `scalars` in row-major order.
    public init<T: TensorElement>(shape: [Int], scalars: [T]) throws(TensorError) {
        let count = try Shape.elementCount(shape, op: "Tensor(shape:scalars:)")
        guard scalars.count == count else {
            throw .invalidArgument(
                op: "Tensor(shape:scalars:)",
                reason: "shape \(shape) holds \(count) elements but \(scalars.count) were given")
        }
        try self.init(uninitialized: shape, dtype: T.dtype, op: "Tensor(shape:scalars:)")
        if let bytes = storage.bytes {
            scalars.withUnsafeBytes { source in
                bytes.copyMemory(from: source.baseAddress!, byteCount: source.count)
            }
        }
    }

    /// A rank-0 tensor holding `scalar`.
    public init<T: TensorElement>(scalar: T) {
        // A single element always fits.
        self = (try? Tensor(shape: [], scalars: [scalar])) ?? Tensor.emptyFloat
    }

    /// A string tensor of `shape`.
    public init(shape: [Int], strings: [String]) throws(TensorError) {
        let count = try Shape.elementCount(shape, op: "Tensor(shape:strings:)")
        guard strings.count == count else {
            throw .invalidArgument(
                op: "Tensor(shape:strings:)",
                reason: "shape \(shape) holds \(count) elements but \(strings.count) were given")
        }
        self.init(
            dtype: .string, shape: shape, strides: Shape.contiguousStrides(shape), offset: 0,
            storage: TensorStorage(strings: strings))
    }

    /// A tensor over `byteCount` bytes of a mapped file starting at `byteOffset`, without copying
    /// when the bytes are aligned for the element type (copied once otherwise).
    public init(borrowing file: MappedFile, byteOffset: Int, shape: [Int], dtype: DType) throws(TensorError) {
        let op = "Tensor(borrowing:)"
        guard dtype != .string else { throw .unsupportedDType(op: op, dtype: dtype) }
        let count = try Shape.elementCount(shape, op: op)
        let byteCount = count * dtype.byteSize
        guard byteOffset >= 0, byteOffset <= file.byteCount, byteCount <= file.byteCount - byteOffset else {
            throw .invalidArgument(
                op: op,
                reason: "\(byteCount) bytes at offset \(byteOffset) lie outside \(file.path) (\(file.byteCount) bytes)")
        }
        guard byteCount > 0, let base = file.bytes else {
            try self.init(zeros: shape, dtype: dtype)
            return
        }
        let start = base + byteOffset
        if Int(bitPattern: start) % dtype.byteSize == 0 {
            let storage = TensorStorage(borrowing: start, byteCount: byteCount, owner: file)
            self.init(dtype: dtype, shape: shape, strides: Shape.contiguousStrides(shape), offset: 0, storage: storage)
        } else {
            // Misaligned for the element type: copy once, in chunks, handing each chunk's file pages
            // back as it goes so the mapping and the copy are never both resident.
            try self.init(uninitialized: shape, dtype: dtype, op: op)
            guard let target = storage.bytes else { return }
            let chunk = 8 << 20
            var done = 0
            while done < byteCount {
                let length = min(chunk, byteCount - done)
                (target + done).copyMemory(from: start + done, byteCount: length)
                file.release(start + done, byteCount: length)
                done += length
            }
        }
    }

    static let emptyFloat = Tensor(
        dtype: .float32, shape: [0], strides: [1], offset: 0, storage: TensorStorage(strings: []))

    // MARK: Raw access

    /// Address of the first element (nil for string or empty tensors).
    @inlinable public var baseAddress: UnsafeRawPointer? {
        guard let bytes = storage.bytes else { return nil }
        return UnsafeRawPointer(bytes + offset * dtype.byteSize)
    }

    /// Address of the first element for writing. Only for tensors a kernel has just allocated.
    var mutableBaseAddress: UnsafeMutableRawPointer? {
        guard let bytes = storage.bytes else { return nil }
        return bytes + offset * dtype.byteSize
    }

    /// Checks that `T` is this tensor's element type.
    func checkElement<T: TensorElement>(_ type: T.Type, op: String) throws(TensorError) {
        guard T.dtype == dtype else { throw .dtypeMismatch(op: op, dtypes: [dtype, T.dtype]) }
    }

    /// Calls `body` with the elements in row-major order (copying first if this is a
    /// non-contiguous view).
    public func withContiguousBuffer<T: TensorElement, R>(as type: T.Type, _ body: (UnsafeBufferPointer<T>) throws -> R)
        throws -> R
    {
        try checkElement(type, op: "withContiguousBuffer")
        let dense = contiguous()
        return try withExtendedLifetime(dense) {
            guard let base = dense.baseAddress else { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
            return try body(UnsafeBufferPointer(start: base.assumingMemoryBound(to: T.self), count: dense.count))
        }
    }

    /// Calls `body` with the elements for writing, after making the storage unique, owned and
    /// contiguous (the copy-on-write point).
    public mutating func withUnsafeMutableBuffer<T: TensorElement, R>(
        as type: T.Type, _ body: (UnsafeMutableBufferPointer<T>) throws -> R
    ) throws -> R {
        try checkElement(type, op: "withUnsafeMutableBuffer")
        makeUniqueContiguous()
        guard let base = mutableBaseAddress else { return try body(UnsafeMutableBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeMutableBufferPointer(start: base.assumingMemoryBound(to: T.self), count: count))
    }

    /// Ensures this tensor alone owns writable, contiguous storage.
    mutating func makeUniqueContiguous() {
        if isKnownUniquelyReferenced(&storage), !storage.isBorrowed, isContiguous, offset == 0 { return }
        self = copied()
    }

    /// The elements in row-major order as an array.
    public func scalars<T: TensorElement>(as type: T.Type) throws(TensorError) -> [T] {
        try typedScalars(type, "scalars")
    }

    /// The elements of a string tensor in row-major order.
    public func stringScalars() throws(TensorError) -> [String] {
        guard dtype == .string else { throw .dtypeMismatch(op: "stringScalars", dtypes: [dtype, .string]) }
        return contiguous().storage.strings.isEmpty ? [] : Array(contiguous().stringSlice())
    }

    /// The strings of a contiguous string tensor.
    func stringSlice() -> ArraySlice<String> {
        let start = min(offset, storage.strings.count)
        let end = min(offset + count, storage.strings.count)
        return storage.strings[start..<end]
    }

    /// Any element widened to `Double` (for tests and small inspections; not a kernel path).
    public func doubleValue(at index: [Int]) throws(TensorError) -> Double {
        guard index.count == rank else {
            throw .invalidArgument(
                op: "doubleValue(at:)", reason: "index \(index) has \(index.count) components for rank \(rank)")
        }
        var position = offset
        for axis in 0..<rank {
            guard index[axis] >= 0, index[axis] < shape[axis] else {
                throw .indexOutOfRange(op: "doubleValue(at:)", index: index[axis], bound: shape[axis])
            }
            position += index[axis] * strides[axis]
        }
        guard let bytes = storage.bytes else { throw .unsupportedDType(op: "doubleValue(at:)", dtype: dtype) }
        return ElementCodec.loadDouble(bytes + position * dtype.byteSize, dtype: dtype)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String { "Tensor<\(dtype)>\(shape)" }
}
