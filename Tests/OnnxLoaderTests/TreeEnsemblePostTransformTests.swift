import TensorCore
import XCTest

@testable import OnnxLoader

/// TreeEnsemble's post-transforms, which the conformance cases (post_transform NONE) do not reach.
final class TreeEnsemblePostTransformTests: XCTestCase {
    func testProbitAndLogisticOfASingleLeaf() throws {
        for (post, expected) in [(4, 1.959963984540054), (2, 1 / (1 + exp(-0.975)))] {
            var node = Node()
            node.opType = "TreeEnsemble"
            node.domain = "ai.onnx.ml"
            node.name = "trees"
            node.inputs = ["x"]
            node.outputs = ["y"]
            // One tree whose root is a leaf (both branches the same leaf): every row scores 0.975.
            node.attributes = [
                "nodes_featureids": .ints([0]), "nodes_modes": .tensor(try Tensor(shape: [1], scalars: [UInt8(0)])),
                "nodes_splits": .tensor(Tensor(scalar: Double(0))), "nodes_truenodeids": .ints([0]),
                "nodes_falsenodeids": .ints([0]),
                "nodes_trueleafs": .ints([1]), "nodes_falseleafs": .ints([1]), "leaf_targetids": .ints([0]),
                "leaf_weights": .tensor(try Tensor(shape: [1], scalars: [Double(0.975)])), "tree_roots": .ints([0]),
                "n_targets": .int(1), "post_transform": .int(Int64(post)),
            ]
            var graph = Graph()
            graph.nodes = [node]
            graph.inputs = [ValueInfo(name: "x")]
            graph.outputs = [ValueInfo(name: "y")]
            let compiled = try CompiledGraph(graph: graph, opsets: ["": 20, "ai.onnx.ml": 5])
            let y = try compiled.run(
                ["x": .tensor(Tensor(shape: [2, 1], scalars: [Double(1), Double(2)]))], parent: nil)[0].tensor
            for value in try XCTUnwrap(y).scalars(as: Double.self) {
                XCTAssertEqual(value, expected, accuracy: 1e-9, "post_transform \(post)")
            }
        }
    }
}
