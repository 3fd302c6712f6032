import Foundation
import TensorCore

/// ai.onnx.ml TreeEnsemble (opset 5): each row of X walks every tree from its root (comparing one
/// feature per node: <=, <, >=, >, ==, != or set membership; NaN follows the node's
/// missing-value flag) to a leaf, whose weight goes to its target; per target the leaves are
/// summed, averaged, or their minimum or maximum taken, then post-transformed.
func registerTreeEnsemble(_ registry: inout OperatorRegistry) {
    registry.register("TreeEnsemble", domain: "ai.onnx.ml", since: [5]) { attributes in
        func ints(_ name: String) throws -> [Int] {
            guard let values = attributes.ints(name) else { throw attributes.error("\(name) is required") }
            return values
        }
        func doubles(_ name: String) throws -> [Double]? {
            try attributes.tensor(name).map { try $0.cast(to: .float64).scalars(as: Double.self) }
        }
        guard
            let modes = try attributes.tensor("nodes_modes").map({ try $0.cast(to: .int64).intValues("TreeEnsemble") })
        else {
            throw attributes.error("nodes_modes is required")
        }
        let features = try ints("nodes_featureids")
        let trueNodes = try ints("nodes_truenodeids"), falseNodes = try ints("nodes_falsenodeids")
        let trueLeafs = try ints("nodes_trueleafs"), falseLeafs = try ints("nodes_falseleafs")
        let leafTargets = try ints("leaf_targetids"), roots = try ints("tree_roots")
        guard let splits = try doubles("nodes_splits"), let leafWeights = try doubles("leaf_weights"),
            let targets = attributes.int("n_targets")
        else {
            throw attributes.error("nodes_splits, leaf_weights and n_targets are required")
        }
        let missingTrue =
            attributes.ints("nodes_missing_value_tracks_true") ?? Array(repeating: 0, count: features.count)
        let aggregate = attributes.int("aggregate_function", default: 1),
            post = attributes.int("post_transform", default: 0)
        let nodeCount = features.count
        guard
            [
                modes.count, trueNodes.count, falseNodes.count, trueLeafs.count, falseLeafs.count, splits.count,
                missingTrue.count,
            ].allSatisfy({ $0 == nodeCount }),
            leafTargets.count == leafWeights.count, targets > 0, !roots.isEmpty,
            roots.allSatisfy({ (0..<nodeCount).contains($0) }), leafTargets.allSatisfy({ (0..<targets).contains($0) }),
            modes.allSatisfy({ (0...6).contains($0) }), (0...3).contains(aggregate), (0...4).contains(post)
        else {
            throw attributes.error(
                "node attributes must have one entry per node, indices must be in range, modes 0-6, aggregate_function 0-3 and post_transform 0-4"
            )
        }
        for i in 0..<nodeCount {
            for (next, leaf) in [(trueNodes[i], trueLeafs[i]), (falseNodes[i], falseLeafs[i])] {
                guard next >= 0, next < (leaf != 0 ? leafWeights.count : nodeCount) else {
                    throw attributes.error(
                        "node \(i) points at \(leaf != 0 ? "leaf" : "node") \(next), which does not exist")
                }
            }
        }
        // Set-membership nodes take the NaN-separated sets of membership_values in the order a
        // depth-first walk from the roots (node, true branch, false branch) first meets them.
        var members = [Int: Set<Double>]()
        if modes.contains(6) {
            guard let values = try doubles("membership_values") else {
                throw attributes.error("membership_values is required by set-membership nodes")
            }
            var sets: [Set<Double>] = [[]]
            for value in values { if value.isNaN { sets.append([]) } else { sets[sets.count - 1].insert(value) } }
            var next = 0, visited = Set<Int>(), stack = roots.reversed().map { $0 }
            while let node = stack.popLast() {
                guard visited.insert(node).inserted else { continue }
                if modes[node] == 6 {
                    guard next < sets.count else {
                        throw attributes.error("membership_values has fewer sets than set-membership nodes")
                    }
                    members[node] = sets[next]
                    next += 1
                }
                if falseLeafs[node] == 0 { stack.append(falseNodes[node]) }
                if trueLeafs[node] == 0 { stack.append(trueNodes[node]) }
            }
        }
        let sets = members
        return ClosureOperator { inputs in
            let x = try inputs.required(0)
            guard x.rank == 2, features.allSatisfy({ $0 >= 0 && $0 < x.shape[1] }) else {
                throw TensorError.shapeMismatch(
                    op: inputs.op, shapes: [x.shape],
                    reason: "X must be [N, features] with every node's feature id inside it")
            }
            let rows = x.shape[0], width = x.shape[1]
            let data = try x.cast(to: .float64).scalars(as: Double.self)
            var output = [Double](
                repeating: aggregate == 2 ? .greatestFiniteMagnitude : (aggregate == 3 ? -.greatestFiniteMagnitude : 0),
                count: rows * targets)
            for row in 0..<rows {
                for root in roots {
                    var leaf: Int
                    if trueLeafs[root] != 0, falseLeafs[root] != 0, trueNodes[root] == falseNodes[root] {
                        leaf = root
                    } else {
                        var node = root, steps = 0
                        while true {
                            let value = data[row * width + features[node]], split = splits[node]
                            let taken: Bool
                            if value.isNaN && missingTrue[node] != 0 {
                                taken = true
                            } else {
                                switch modes[node] {
                                case 0: taken = value <= split
                                case 1: taken = value < split
                                case 2: taken = value >= split
                                case 3: taken = value > split
                                case 4: taken = value == split
                                case 5: taken = value != split
                                default: taken = sets[node]?.contains(value) ?? false
                                }
                            }
                            let (next, isLeaf) =
                                taken ? (trueNodes[node], trueLeafs[node]) : (falseNodes[node], falseLeafs[node])
                            if isLeaf != 0 {
                                leaf = next
                                break
                            }
                            node = next
                            steps += 1
                            guard steps <= nodeCount else {
                                throw TensorError.invalidArgument(
                                    op: inputs.op, reason: "the tree from root \(root) has a cycle")
                            }
                        }
                    }
                    let slot = row * targets + leafTargets[leaf], weight = leafWeights[leaf]
                    switch aggregate {
                    case 0: output[slot] += weight / Double(roots.count)
                    case 2: output[slot] = min(output[slot], weight)
                    case 3: output[slot] = max(output[slot], weight)
                    default: output[slot] += weight
                    }
                }
                let range = (row * targets)..<((row + 1) * targets)
                switch post {
                case 1, 3:
                    // SOFTMAX; SOFTMAX_ZERO leaves zeros at zero.
                    let largest = output[range].max() ?? 0
                    let exps = output[range].map { post == 3 && $0 == 0 ? 0 : Foundation.exp($0 - largest) }
                    let total = exps.reduce(0, +)
                    for (offset, value) in exps.enumerated() {
                        output[range.lowerBound + offset] = total > 0 ? value / total : 0
                    }
                case 2:
                    for index in range { output[index] = 1 / (1 + Foundation.exp(-output[index])) }
                case 4:
                    for index in range { output[index] = probit(output[index]) }
                default:
                    break
                }
            }
            return [try Tensor(shape: [rows, targets], scalars: output).cast(to: x.dtype)]
        }
    }
}

/// The standard normal quantile `sqrt(2) x erfinv(2p - 1)`: Newton's method on erf from a
/// logistic first guess (NaN outside (0, 1) except the infinite ends).
private func probit(_ p: Double) -> Double {
    guard p > 0, p < 1 else { return p == 0 ? -.infinity : (p == 1 ? .infinity : .nan) }
    let target = 2 * p - 1
    var y = 0.5 * Foundation.log((1 + target) / (1 - target))
    for _ in 0..<50 {
        let step = (Foundation.erf(y) - target) / (2 / Double.pi.squareRoot() * Foundation.exp(-y * y))
        y -= step
        if Swift.abs(step) < 1e-15 * Swift.max(1, Swift.abs(y)) { break }
    }
    return 2.0.squareRoot() * y
}
