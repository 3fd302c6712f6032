import TensorCore
import XCTest

@testable import OnnxLoader

/// Load-time rewrites: constant folding and Conv + Add + activation fusion give the values the
/// unrewritten graph gives, and leave alone what they must not touch.
final class GraphRewriteTests: XCTestCase {
    private func node(_ op: String, _ inputs: [String], _ outputs: [String], _ attributes: [String: Attribute] = [:])
        -> Node
    {
        var node = Node()
        node.opType = op
        node.name = outputs[0]
        node.inputs = inputs
        node.outputs = outputs
        node.attributes = attributes
        return node
    }

    private func values(_ shape: [Int], seed: Int) throws -> Tensor {
        let count = shape.reduce(1, *)
        return try Tensor(shape: shape, scalars: (0..<count).map { Float(sin(Double($0 * 7 + seed))) })
    }

    private func graph(_ nodes: [Node], inputs: [String], outputs: [String], initializers: [String: Tensor]) -> Graph {
        var graph = Graph()
        graph.nodes = nodes
        graph.inputs = inputs.map { ValueInfo(name: $0) }
        graph.outputs = outputs.map { ValueInfo(name: $0) }
        graph.initializers = initializers
        return graph
    }

    func testConvResidualActivationChainsFuseAndMatchSeparateOps() throws {
        let x = try values([1, 3, 9, 11], seed: 1), skip = try values([1, 4, 9, 11], seed: 2)
        let weights = [
            "w": try values([4, 3, 3, 3], seed: 3), "b": try values([4], seed: 4),
            "low": Tensor(scalar: Float(-0.25)), "high": Tensor(scalar: Float(0.5)),
        ]
        let pads: [String: Attribute] = ["pads": .ints([1, 1, 1, 1])]
        let conv = try Tensor.conv(x, weight: weights["w"]!, bias: weights["b"]!, pads: [1, 1, 1, 1])
        let sum = try Tensor.binary(.add, conv, skip)
        let cases: [(String, [Node], Tensor, Int)] = [
            (
                "relu(conv + skip)",
                [
                    node("Conv", ["x", "w", "b"], ["c"], pads), node("Add", ["skip", "c"], ["s"]),
                    node("Relu", ["s"], ["y"]),
                ],
                try sum.unary(.relu), 1
            ),
            (
                "clip(conv)",
                [node("Conv", ["x", "w", "b"], ["c"], pads), node("Clip", ["c", "low", "high"], ["y"])],
                try conv.activated(.clip(lower: -0.25, upper: 0.5)), 1
            ),
            (
                "leaky(conv)",
                [node("Conv", ["x", "w", "b"], ["c"], pads), node("LeakyRelu", ["c"], ["y"], ["alpha": .float(0.2)])],
                try conv.activated(.leakyRelu(alpha: 0.2)), 1
            ),
            // The conv's output is read twice: nothing fuses.
            (
                "relu(conv) + conv",
                [
                    node("Conv", ["x", "w", "b"], ["c"], pads), node("Relu", ["c"], ["r"]),
                    node("Add", ["r", "c"], ["y"]),
                ],
                try Tensor.binary(.add, conv.unary(.relu), conv), 3
            ),
        ]
        for (label, nodes, expected, steps) in cases {
            let compiled = try CompiledGraph(
                graph: graph(nodes, inputs: ["x", "skip"], outputs: ["y"], initializers: weights), opsets: ["": 20])
            XCTAssertEqual(compiled.steps.count, steps, label)
            let got = try compiled.run(["x": .tensor(x), "skip": .tensor(skip)], parent: nil)[0].tensor
            XCTAssertEqual(try got?.scalars(as: Float.self), try expected.scalars(as: Float.self), label)
        }
        // A broadcast residual still adds (as a separate pass inside the fused step).
        let bias = try values([4, 1, 1], seed: 5)
        let broadcast = try CompiledGraph(
            graph: graph(
                [node("Conv", ["x", "w", "b"], ["c"], pads), node("Add", ["c", "bias"], ["y"])],
                inputs: ["x"], outputs: ["y"], initializers: weights.merging(["bias": bias]) { a, _ in a }),
            opsets: ["": 20])
        let got = try broadcast.run(["x": .tensor(x)], parent: nil)[0].tensor
        XCTAssertEqual(try got?.scalars(as: Float.self), try Tensor.binary(.add, conv, bias).scalars(as: Float.self))
    }

    /// MobileNetV2's `1x1 Conv -> Clip -> 3x3 depthwise Conv -> Clip -> 1x1 Conv -> Add` becomes
    /// one step giving the separate ops' values (to rounding: sums run in another order); a
    /// depthwise output read twice keeps the chain apart.
    func testInvertedResidualChainsFuseIntoOneStep() throws {
        let x = try values([1, 8, 40, 42], seed: 11)
        let weights = [
            "we": try values([64, 8, 1, 1], seed: 12), "be": try values([64], seed: 13),
            "wd": try values([64, 1, 3, 3], seed: 14), "bd": try values([64], seed: 15),
            "wp": try values([8, 64, 1, 1], seed: 16), "bp": try values([8], seed: 17),
            "low": Tensor(scalar: Float(0)), "high": Tensor(scalar: Float(6)),
        ]
        let depthwise: [String: Attribute] = [
            "pads": .ints([1, 1, 1, 1]), "group": .int(64), "kernel_shape": .ints([3, 3]),
        ]
        let head = [
            node("Conv", ["x", "we", "be"], ["e"]), node("Clip", ["e", "low", "high"], ["e6"]),
            node("Conv", ["e6", "wd", "bd"], ["d"], depthwise), node("Clip", ["d", "low", "high"], ["d6"]),
        ]
        let six = FusedActivation.clip(lower: 0, upper: 6)
        let expanded = try Tensor.conv(x, weight: weights["we"]!, bias: weights["be"]!, activation: six)
        let filtered = try Tensor.conv(
            expanded, weight: weights["wd"]!, bias: weights["bd"]!, pads: [1, 1, 1, 1], groups: 64, activation: six)
        let projected = try Tensor.conv(filtered, weight: weights["wp"]!, bias: weights["bp"]!)
        let fused = try CompiledGraph(
            graph: graph(
                head + [node("Conv", ["d6", "wp", "bp"], ["p"]), node("Add", ["p", "x"], ["y"])],
                inputs: ["x"], outputs: ["y"], initializers: weights), opsets: ["": 20])
        XCTAssertEqual(fused.steps.count, 1)
        XCTAssertTrue(fused.steps.first?.op is InvertedResidualOperator)
        let got = try XCTUnwrap(fused.run(["x": .tensor(x)], parent: nil)[0].tensor)
        let expected = try Tensor.binary(.add, projected, x)
        XCTAssertEqual(got.shape, expected.shape)
        let difference =
            zip(try got.scalars(as: Float.self), try expected.scalars(as: Float.self)).map { abs($0 - $1) }.max()
            ?? .infinity
        XCTAssertLessThan(difference, 1e-4)
        // The depthwise output is also a graph output: the convolutions stay separate.
        let apart = try CompiledGraph(
            graph: graph(
                head + [node("Conv", ["d6", "wp", "bp"], ["y"])], inputs: ["x"], outputs: ["y", "d6"],
                initializers: weights), opsets: ["": 20])
        XCTAssertFalse(apart.steps.contains { $0.op is InvertedResidualOperator })
        // A 1x1 Conv fed by another op (SqueezeNet's Relu -> Conv) is left as it is.
        let relu = try CompiledGraph(
            graph: graph(
                [node("Relu", ["x"], ["r"]), node("Conv", ["r", "wp2"], ["y"])], inputs: ["x"], outputs: ["y"],
                initializers: ["wp2": try values([4, 8, 1, 1], seed: 18)]), opsets: ["": 20])
        XCTAssertEqual(relu.steps.count, 2)
    }

    func testConstantSubgraphsFoldAtLoad() throws {
        let scale = try values([2, 3], seed: 6)
        let nodes = [
            node("Constant", [], ["k"], ["value": .tensor(try values([2, 3], seed: 7))]),
            node("Mul", ["k", "scale"], ["folded"]),
            node("Add", ["x", "folded"], ["y"]),
        ]
        let compiled = try CompiledGraph(
            graph: graph(nodes, inputs: ["x"], outputs: ["y"], initializers: ["scale": scale]), opsets: ["": 20])
        XCTAssertEqual(compiled.steps.map(\.node.opType), ["Add"])
        let x = try values([2, 3], seed: 8)
        let expected = try Tensor.binary(.add, x, Tensor.binary(.mul, values([2, 3], seed: 7), scale))
        XCTAssertEqual(
            try compiled.run(["x": .tensor(x)], parent: nil)[0].tensor?.scalars(as: Float.self),
            try expected.scalars(as: Float.self))
        // An initializer that is also a graph input can be fed another value: it is not a constant.
        var overridable = graph(nodes, inputs: ["x", "scale"], outputs: ["y"], initializers: ["scale": scale])
        overridable.inputs.append(ValueInfo(name: "unused"))
        let open = try CompiledGraph(graph: overridable, opsets: ["": 20])
        XCTAssertEqual(open.steps.map(\.node.opType), ["Mul", "Add"])
        // Ops that may draw random numbers (Dropout in training mode) are never folded.
        let dropout = try CompiledGraph(
            graph: graph(
                [node("Dropout", ["scale"], ["y"])], inputs: [], outputs: ["y"], initializers: ["scale": scale]),
            opsets: ["": 20])
        XCTAssertEqual(dropout.steps.count, 1)
    }
}
