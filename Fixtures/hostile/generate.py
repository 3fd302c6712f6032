"""Hostile inputs for infer-cli: ONNX models whose attributes, shapes or structure would make a
careless executor trap, hang or allocate without bound, each with an input to run it on, and an
`expected.json` describing what each must give (a non-zero exit with a message naming the problem).
Every crash ever found goes here as a regression case; Tests/HostileInputTests replays them all.

Usage: PYTHONPATH=<onnx 1.23.2 site> python3 generate.py   (writes the files next to this script)
"""
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

here = os.path.dirname(os.path.abspath(__file__))
cases = {}


def save(name, nodes, inputs, outputs, initializers=(), opset=20, feeds=None, expect="error", mention=None):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=10)
    path = os.path.join(here, "onnx", name)
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "model.onnx"), "wb") as f:
        f.write(model.SerializeToString())
    for i, value in enumerate(feeds or []):
        with open(os.path.join(path, f"input_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(value, inputs[i].name).SerializeToString())
    cases[f"onnx/{name}"] = {"expect": expect, "mention": mention}


def f32(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def i64(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.INT64, shape)


def const(name, values, dtype=np.int64):
    return numpy_helper.from_array(np.array(values, dtype=dtype), name)


x = np.ones((2, 3), np.float32)
big = 9223372036854775807
save("expand_huge", [helper.make_node("Expand", ["x", "shape"], ["y"])], [f32("x", [2, 3])], [f32("y", None)],
     [const("shape", [1000000, 1000000, -1])], feeds=[x], mention="Expand")
save("expand_negative", [helper.make_node("Expand", ["x", "shape"], ["y"])], [f32("x", [2, 3])], [f32("y", None)],
     [const("shape", [-4, 3])], feeds=[x], mention="Expand")
save("constant_of_shape_huge", [helper.make_node("ConstantOfShape", ["shape"], ["y"])], [i64("shape", [1])], [f32("y", None)],
     feeds=[np.array([big], np.int64)], mention="ConstantOfShape")
save("constant_of_shape_negative", [helper.make_node("ConstantOfShape", ["shape"], ["y"])], [i64("shape", [2])], [f32("y", None)],
     feeds=[np.array([3, -2], np.int64)], mention="ConstantOfShape")
save("pad_huge", [helper.make_node("Pad", ["x", "pads"], ["y"])], [f32("x", [2, 3])], [f32("y", None)],
     [const("pads", [big, 0, 0, 0])], feeds=[x], mention="Pad")
save("tile_zero_huge", [helper.make_node("Tile", ["x", "repeats"], ["y"])], [f32("x", [0, 3])], [f32("y", None)],
     [const("repeats", [1000000000000, 1000000000000])], feeds=[np.ones((0, 3), np.float32)], mention="Tile")
save("tile_huge", [helper.make_node("Tile", ["x", "repeats"], ["y"])], [f32("x", [2, 3])], [f32("y", None)],
     [const("repeats", [1 << 40, 1 << 40])], feeds=[x], mention="Tile")
save("topk_huge_k", [helper.make_node("TopK", ["x", "k"], ["v", "i"])], [f32("x", [2, 3])], [f32("v", None), i64("i", None)],
     [const("k", [big])], feeds=[x], mention="TopK")
save("onehot_huge_depth", [helper.make_node("OneHot", ["i", "depth", "values"], ["y"])], [i64("i", [2])], [f32("y", None)],
     [const("depth", [1e18], np.float32), const("values", [0, 1], np.float32)], feeds=[np.array([0, 1], np.int64)], mention="OneHot")
save("cumsum_bad_axis", [helper.make_node("CumSum", ["x", "axis"], ["y"])], [f32("x", [2, 3])], [f32("y", None)],
     [const("axis", big)], feeds=[x], mention="CumSum")
save("trilu_huge_k", [helper.make_node("Trilu", ["x", "k"], ["y"])], [f32("x", [2, 3])], [f32("y", None)],
     [const("k", big)], feeds=[x], expect="ok")
save("split_huge", [helper.make_node("Split", ["x", "split"], ["a", "b"], axis=1)], [f32("x", [2, 3])], [f32("a", None), f32("b", None)],
     [const("split", [big, -big + 3])], feeds=[x], mention="Split")
save("resize_nan_scales", [helper.make_node("Resize", ["x", "", "scales"], ["y"])], [f32("x", [1, 1, 2, 3])], [f32("y", None)],
     [const("scales", [1, 1, float("nan"), 2], np.float32)], feeds=[np.ones((1, 1, 2, 3), np.float32)], mention="Resize")
save("resize_huge_scales", [helper.make_node("Resize", ["x", "", "scales"], ["y"])], [f32("x", [1, 1, 2, 3])], [f32("y", None)],
     [const("scales", [1, 1, 1e30, 1e30], np.float32)], feeds=[np.ones((1, 1, 2, 3), np.float32)], mention="Resize")
grid = np.full((1, 2, 2, 2), np.nan, np.float32)
grid[0, 1] = 1e30
save("gridsample_nan_grid", [helper.make_node("GridSample", ["x", "grid"], ["y"])], [f32("x", [1, 1, 2, 2]), f32("grid", [1, 2, 2, 2])],
     [f32("y", None)], feeds=[np.ones((1, 1, 2, 2), np.float32), grid], expect="ok")
save("duplicate_output", [helper.make_node("Relu", ["x"], ["y"]), helper.make_node("Neg", ["x"], ["y"])], [f32("x", [2, 3])],
     [f32("y", None)], feeds=[x], mention="y")
save("relu_three_inputs", [helper.make_node("Relu", ["x", "x", "x"], ["y"])], [f32("x", [2, 3])], [f32("y", None)], feeds=[x],
     mention="Relu")
save("opset_99", [helper.make_node("Relu", ["x"], ["y"])], [f32("x", [2, 3])], [f32("y", None)], opset=99, feeds=[x], mention="99")
save("opset_2_40", [helper.make_node("Relu", ["x"], ["y"])], [f32("x", [2, 3])], [f32("y", None)], opset=1 << 40, feeds=[x],
     mention="opset")

# A TypeProto nested 200,000 deep (sequence of sequence of ...), written as raw protobuf bytes.
def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number, payload):
    return varint(number << 3 | 2) + varint(len(payload)) + payload


inner = b"\x0a" + varint(2) + b"\x08\x01"  # TypeProto.tensor_type { elem_type: FLOAT }
for _ in range(200000):
    inner = field(4, field(1, inner))  # TypeProto.sequence_type { elem_type: <inner> }
value_info = field(1, b"x") + field(2, inner)
graph = field(11, value_info) + field(12, field(1, b"x") + field(2, b"\x0a\x02\x08\x01"))
graph += field(1, field(1, b"x") + field(2, b"x") + field(4, b"Identity"))
model = varint(1 << 3) + varint(10) + field(8, varint(2 << 3) + varint(20)) + field(7, graph)
os.makedirs(os.path.join(here, "onnx", "deep_type_proto"), exist_ok=True)
with open(os.path.join(here, "onnx", "deep_type_proto", "model.onnx"), "wb") as f:
    f.write(model)
cases["onnx/deep_type_proto"] = {"expect": "error", "mention": "deep"}

with open(os.path.join(here, "expected.json"), "w") as f:
    json.dump(cases, f, indent=1, sort_keys=True)
    f.write("\n")
