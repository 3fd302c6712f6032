import TensorCore

/// Einsum: products of the inputs over every label combination, summed over the labels the output
/// leaves out. Repeated labels in one term read a diagonal; `...` stands for broadcast dimensions
/// (right-aligned across terms); without `->` the output is the broadcast dimensions, then the
/// labels used once, alphabetically (numpy's rule).
func registerEinsum(_ registry: inout OperatorRegistry) {
    registry.register("Einsum", since: [12]) { attributes in
        let equation = attributes.string("equation") ?? ""
        return ClosureOperator { inputs in
            let operands = try (0..<inputs.count).map { index in try inputs.required(index) }
            return [try EinsumEquation(equation, operandCount: operands.count).evaluate(operands)]
        }
    }
}

/// A parsed Einsum equation: per term, each dimension's label (ellipsis dimensions get labels of
/// their own past `z`).
struct EinsumEquation {
    /// Each input term as written: letters, and where the ellipsis stands (nil: none).
    let terms: [(labels: [Character], ellipsisAt: Int?)]
    let output: (labels: [Character], ellipsisAt: Int?)?

    init(_ equation: String, operandCount: Int) throws {
        let text = equation.filter { $0 != " " }
        let sides = text.components(separatedBy: "->")
        guard sides.count <= 2 else {
            throw TensorError.invalidArgument(op: "Einsum", reason: "equation '\(equation)' has more than one '->'")
        }
        func term(_ part: String) throws -> (labels: [Character], ellipsisAt: Int?) {
            var labels: [Character] = []
            var ellipsisAt: Int?
            var rest = Substring(part)
            while let first = rest.first {
                if rest.hasPrefix("...") {
                    guard ellipsisAt == nil else {
                        throw TensorError.invalidArgument(op: "Einsum", reason: "'\(part)' has two ellipses")
                    }
                    ellipsisAt = labels.count
                    rest = rest.dropFirst(3)
                    continue
                }
                guard first.isLetter, first.isASCII else {
                    throw TensorError.invalidArgument(
                        op: "Einsum", reason: "'\(first)' in equation '\(equation)' is not a letter")
                }
                labels.append(first)
                rest = rest.dropFirst()
            }
            return (labels, ellipsisAt)
        }
        terms = try sides[0].components(separatedBy: ",").map(term)
        guard terms.count == operandCount else {
            throw TensorError.invalidArgument(
                op: "Einsum", reason: "equation '\(equation)' names \(terms.count) inputs, the node has \(operandCount)"
            )
        }
        output = sides.count == 2 ? try term(sides[1]) : nil
    }

    func evaluate(_ operands: [Tensor]) throws -> Tensor {
        let op = "Einsum"
        // Broadcast (ellipsis) dimensions: as many as the widest term covers, right-aligned.
        var broadcastRank = 0
        for (term, operand) in zip(terms, operands) {
            let covered = operand.rank - term.labels.count
            guard covered >= 0, term.ellipsisAt != nil || covered == 0 else {
                throw TensorError.shapeMismatch(
                    op: op, shapes: [operand.shape],
                    reason: "term '\(String(term.labels))' does not match rank \(operand.rank)")
            }
            broadcastRank = max(broadcastRank, covered)
        }
        // Label numbers: letters 0..<52, broadcast dimensions after them.
        func number(_ label: Character) -> Int {
            let value = Int(label.asciiValue ?? 0)
            return value >= 97 ? value - 97 : value - 65 + 26
        }
        var sizes = [Int](repeating: -1, count: 52 + broadcastRank)
        var termLabels: [[Int]] = []
        var counts = [Int](repeating: 0, count: 52 + broadcastRank)
        for (term, operand) in zip(terms, operands) {
            let covered = operand.rank - term.labels.count
            var labels = term.labels.map(number)
            if let at = term.ellipsisAt {
                labels.insert(contentsOf: (0..<covered).map { 52 + broadcastRank - covered + $0 }, at: at)
            }
            for (axis, label) in labels.enumerated() {
                let size = operand.shape[axis]
                if label >= 52 {
                    // Broadcast: 1 stretches to the other size.
                    if sizes[label] <= 1 {
                        sizes[label] = size
                    } else if size != 1, size != sizes[label] {
                        throw TensorError.shapeMismatch(
                            op: op, shapes: operands.map(\.shape), reason: "broadcast dimensions do not match")
                    }
                } else if sizes[label] < 0 {
                    sizes[label] = size
                } else if sizes[label] != size {
                    throw TensorError.shapeMismatch(
                        op: op, shapes: operands.map(\.shape),
                        reason:
                            "label '\(Character(UnicodeScalar(UInt8(label < 26 ? label + 97 : label - 26 + 65))))' has sizes \(sizes[label]) and \(size)"
                    )
                }
            }
            for label in Set(labels) { counts[label] += 1 }
            termLabels.append(labels)
        }
        // Output labels.
        var outputLabels: [Int]
        if let output {
            outputLabels = output.labels.map(number)
            for label in outputLabels where label < 52 && sizes[label] < 0 {
                throw TensorError.invalidArgument(
                    op: op, reason: "output label '\(String(output.labels))' is not in any input")
            }
            let broadcast = (0..<broadcastRank).map { 52 + $0 }
            if let at = output.ellipsisAt {
                outputLabels.insert(contentsOf: broadcast, at: at)
            } else if broadcastRank > 0, broadcast.contains(where: { sizes[$0] > 1 }) {
                throw TensorError.invalidArgument(op: op, reason: "the output drops broadcast dimensions without '...'")
            }
        } else {
            outputLabels =
                (0..<broadcastRank).map { 52 + $0 }
                + (0..<52).filter { counts[$0] == 1 }.sorted { a, b in
                    // Alphabetical: uppercase before lowercase, as numpy sorts characters.
                    (a < 26 ? a + 26 : a - 26) < (b < 26 ? b + 26 : b - 26)
                }
        }
        let summed = (0..<sizes.count).filter { sizes[$0] >= 0 && !outputLabels.contains($0) }
        let loopLabels = outputLabels + summed
        let loopSizes = loopLabels.map { max(sizes[$0], 1) }
        let outputShape = outputLabels.map { max(sizes[$0], 0) }
        let outputCount = outputShape.reduce(1, *)
        let dtype = operands.first?.dtype ?? .float32
        guard outputCount > 0 else { return try Tensor(zeros: outputShape, dtype: dtype) }
        // Per operand: the stride each loop label moves it by (0 for labels it lacks or broadcasts).
        let values = try operands.map { try $0.cast(to: .float64).scalars(as: Double.self) }
        var strides = [[Int]](repeating: [Int](repeating: 0, count: loopLabels.count), count: operands.count)
        for (index, (labels, operand)) in zip(termLabels, operands).enumerated() {
            var step = 1
            for axis in (0..<labels.count).reversed() {
                if operand.shape[axis] > 1, let position = loopLabels.firstIndex(of: labels[axis]) {
                    strides[index][position] += step
                }
                step *= operand.shape[axis]
            }
        }
        let innerCount = loopSizes.dropFirst(outputLabels.count).reduce(1, *)
        var result = [Double](repeating: 0, count: outputCount)
        var counter = [Int](repeating: 0, count: loopLabels.count)
        var offsets = [Int](repeating: 0, count: operands.count)
        for position in 0..<(outputCount * innerCount) {
            var product = 1.0
            for index in 0..<operands.count { product *= values[index][offsets[index]] }
            result[position / innerCount] += product
            // Advance the odometer (last label fastest), keeping each operand's offset.
            var axis = loopLabels.count - 1
            while axis >= 0 {
                counter[axis] += 1
                for index in 0..<operands.count { offsets[index] += strides[index][axis] }
                if counter[axis] < loopSizes[axis] { break }
                for index in 0..<operands.count { offsets[index] -= strides[index][axis] * loopSizes[axis] }
                counter[axis] = 0
                axis -= 1
            }
        }
        return try Tensor(shape: outputShape, scalars: result).cast(to: dtype)
    }
}
