/// What went wrong in a tensor operation; every case names the operation and what it was given.
public enum TensorError: Error, Equatable, CustomStringConvertible {
    /// Operand shapes that cannot be combined (not broadcastable, inner dims differ, ...).
    case shapeMismatch(op: String, shapes: [[Int]], reason: String)
    /// An axis outside `-rank ..< rank`.
    case axisOutOfRange(op: String, axis: Int, rank: Int)
    /// The operation has no kernel for this element type.
    case unsupportedDType(op: String, dtype: DType)
    /// Operands whose element types must agree but do not.
    case dtypeMismatch(op: String, dtypes: [DType])
    /// A value that cannot be represented in the target type (e.g. the string "abc" as float).
    case invalidCast(from: DType, to: DType, reason: String)
    /// An index (from data, e.g. Gather indices) outside its dimension.
    case indexOutOfRange(op: String, index: Int, bound: Int)
    /// Any other invalid argument, explained.
    case invalidArgument(op: String, reason: String)
    /// A tensor whose element count or byte size overflows or exceeds what can be allocated.
    case tooLarge(op: String, shape: [Int])
    /// An allocation sized by input that exceeds the memory budget (``MemoryBudget``).
    case overBudget(op: String, bytes: Int, limit: Int)
    /// A linear-algebra routine met a singular matrix.
    case singularMatrix(op: String)
    /// LAPACK reported a failure code.
    case lapackFailure(op: String, routine: String, info: Int)

    public var description: String {
        switch self {
        case let .shapeMismatch(op, shapes, reason):
            let list = shapes.map { "[\($0.map(String.init).joined(separator: ", "))]" }.joined(separator: " and ")
            return "\(op): shapes \(list) do not match: \(reason)"
        case let .axisOutOfRange(op, axis, rank):
            return
                "\(op): axis \(axis) is out of range for a tensor of rank \(rank) (valid: \(-max(rank, 1))..<\(max(rank, 1)))"
        case let .unsupportedDType(op, dtype):
            return "\(op): element type \(dtype) is not supported"
        case let .dtypeMismatch(op, dtypes):
            return "\(op): element types \(dtypes.map(\.rawValue).joined(separator: ", ")) must match"
        case let .invalidCast(from, to, reason):
            return "cast \(from) -> \(to): \(reason)"
        case let .indexOutOfRange(op, index, bound):
            return "\(op): index \(index) is out of range for a dimension of size \(bound)"
        case let .invalidArgument(op, reason):
            return "\(op): \(reason)"
        case let .tooLarge(op, shape):
            return "\(op): a tensor of shape \(shape) is too large to allocate"
        case let .overBudget(op, bytes, limit):
            return
                "\(op): needs \(MemoryBudget.describe(bytes)), more than the memory budget of \(MemoryBudget.describe(limit))"
        case let .singularMatrix(op):
            return "\(op): the matrix is singular"
        case let .lapackFailure(op, routine, info):
            return "\(op): LAPACK \(routine) failed with info = \(info)"
        }
    }
}
