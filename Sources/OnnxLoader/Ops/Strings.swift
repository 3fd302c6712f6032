import Foundation
import TensorCore

/// Carries a value the compiler cannot prove Sendable (a compiled Regex, only read after creation).
// @unchecked Sendable: used only for compiled `Regex` values, which are immutable after creation
// (their lazily lowered program is published atomically by the regex library) and only matched.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// StringNormalizer: case folding and stop-word removal on a 1-D or [1, C] string tensor.
func registerStrings(_ registry: inout OperatorRegistry) {
    registry.register("StringSplit", since: [20]) { attributes in
        let delimiter = attributes.string("delimiter") ?? "", limit = attributes.int("maxsplit")
        return ClosureOperator { inputs in
            let x = try inputs.required(0)
            let parts = try x.stringScalars().map { text -> [String] in
                if delimiter.isEmpty {
                    // Runs of whitespace separate; leading and trailing whitespace is dropped.
                    let pieces = text.split(
                        maxSplits: limit ?? Int.max, omittingEmptySubsequences: true,
                        whereSeparator: { $0.isWhitespace }
                    ).map(String.init)
                    guard let limit, pieces.count > limit, let last = pieces.last else { return pieces }
                    return Array(pieces.dropLast()) + [last.trimmingCharacters(in: .whitespaces)]
                }
                var pieces = text.components(separatedBy: delimiter)
                if let limit, pieces.count > limit + 1 {
                    pieces = Array(pieces.prefix(limit)) + [pieces.dropFirst(limit).joined(separator: delimiter)]
                }
                return pieces
            }
            let width = parts.map(\.count).max() ?? 0
            let padded = parts.flatMap { $0 + Array(repeating: "", count: width - $0.count) }
            return [
                try Tensor(shape: x.shape + [width], strings: padded),
                try Tensor(shape: x.shape, scalars: parts.map { Int64($0.count) }),
            ]
        }
    }
    registry.register("RegexFullMatch", since: [20]) { attributes in
        let pattern = attributes.string("pattern") ?? ""
        let regex: Regex<AnyRegexOutput>
        // RE2 semantics: ASCII classes and simple word boundaries.
        do {
            regex = try Regex(pattern).wordBoundaryKind(.simple).asciiOnlyWordCharacters().asciiOnlyDigits()
                .asciiOnlyWhitespace()
        } catch { throw attributes.error("pattern '\(pattern)' is not a valid regular expression: \(error)") }
        let shared = UncheckedSendable(regex)
        return ClosureOperator { inputs in
            let x = try inputs.required(0)
            return [
                try Tensor(
                    shape: x.shape, scalars: x.stringScalars().map { (try? shared.value.wholeMatch(in: $0)) != nil })
            ]
        }
    }
    registry.register("StringConcat", since: [20]) { _ in
        ClosureOperator { inputs in
            let a = try inputs.required(0), b = try inputs.required(1)
            let shape = try Shape.broadcast([a.shape, b.shape], op: inputs.op)
            let left = try a.broadcast(to: shape).contiguous().stringScalars(),
                right = try b.broadcast(to: shape).contiguous().stringScalars()
            return [try Tensor(shape: shape, strings: zip(left, right).map { $0 + $1 })]
        }
    }
    registry.register("StringNormalizer", since: [10]) { attributes in
        let action = attributes.string("case_change_action", default: "NONE")
        let caseSensitive = attributes.int("is_case_sensitive", default: 0) == 1
        var stopwords: [String] = []
        if case let .strings(list)? = attributes.node.attributes["stopwords"] {
            stopwords = list.map { String(decoding: $0, as: UTF8.self) }
        }
        let stops = Set(caseSensitive ? stopwords : stopwords.map { $0.lowercased() })
        return ClosureOperator { inputs in
            let x = try inputs.required(0)
            guard x.dtype == .string, x.rank == 1 || (x.rank == 2 && x.shape[0] == 1) else {
                throw TensorError.invalidArgument(
                    op: inputs.op, reason: "input must be a string tensor [C] or [1, C], got \(x.dtype) \(x.shape)")
            }
            var kept = try x.stringScalars().filter { !stops.contains(caseSensitive ? $0 : $0.lowercased()) }
            switch action {
            case "LOWER": kept = kept.map { $0.lowercased() }
            case "UPPER": kept = kept.map { $0.uppercased() }
            default: break
            }
            // Everything filtered out leaves one empty string.
            if kept.isEmpty { kept = [""] }
            return [try Tensor(shape: x.rank == 1 ? [kept.count] : [1, kept.count], strings: kept)]
        }
    }
}
