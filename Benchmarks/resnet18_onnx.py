"""Writes torchvision's ResNet-18 architecture as an ONNX model with seeded random weights, for
latency benchmarks on machines without torch (the same graph a torch export folds to: Conv with
batch norm folded in, Relu, MaxPool, Add, GlobalAveragePool, Flatten, Gemm), plus one input in
test_data_set_0/ beside it.

Usage: python resnet18_onnx.py OUT_DIR   (needs onnx and numpy)
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(18)
nodes, initializers = [], []
counter = [0]


def name(prefix):
    counter[0] += 1
    return f"{prefix}_{counter[0]}"


def conv(x, cin, cout, kernel, stride, relu=True):
    w, b, y = name("w"), name("b"), name("conv")
    scale = np.sqrt(2.0 / (cin * kernel * kernel))
    initializers.append(numpy_helper.from_array((rng.standard_normal((cout, cin, kernel, kernel)) * scale).astype(np.float32), w))
    initializers.append(numpy_helper.from_array((rng.standard_normal(cout) * 0.01).astype(np.float32), b))
    pad = kernel // 2
    nodes.append(helper.make_node("Conv", [x, w, b], [y], kernel_shape=[kernel, kernel], strides=[stride, stride], pads=[pad] * 4))
    if not relu:
        return y
    r = name("relu")
    nodes.append(helper.make_node("Relu", [y], [r]))
    return r


def block(x, cin, cout, stride):
    y = conv(x, cin, cout, 3, stride)
    y = conv(y, cout, cout, 3, 1, relu=False)
    shortcut = conv(x, cin, cout, 1, stride, relu=False) if stride != 1 or cin != cout else x
    s, r = name("add"), name("relu")
    nodes.append(helper.make_node("Add", [y, shortcut], [s]))
    nodes.append(helper.make_node("Relu", [s], [r]))
    return r


x = conv("input", 3, 64, 7, 2)
pooled = name("pool")
nodes.append(helper.make_node("MaxPool", [x], [pooled], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]))
x, channels = pooled, 64
for cout, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
    x = block(x, channels, cout, stride)
    x = block(x, cout, cout, 1)
    channels = cout
nodes.append(helper.make_node("GlobalAveragePool", [x], ["gap"]))
nodes.append(helper.make_node("Flatten", ["gap"], ["flat"], axis=1))
initializers.append(numpy_helper.from_array((rng.standard_normal((1000, 512)) * 0.04).astype(np.float32), "fc_w"))
initializers.append(numpy_helper.from_array(np.zeros(1000, np.float32), "fc_b"))
nodes.append(helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"], transB=1))
graph = helper.make_graph(nodes, "resnet18", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 224, 224])],
                          [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 1000])], initializers)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
onnx.checker.check_model(model)
out = sys.argv[1]
os.makedirs(os.path.join(out, "test_data_set_0"), exist_ok=True)
onnx.save(model, os.path.join(out, "model.onnx"))
image = rng.standard_normal((1, 3, 224, 224)).astype(np.float32)
with open(os.path.join(out, "test_data_set_0", "input_0.pb"), "wb") as f:
    f.write(numpy_helper.from_array(image, "input").SerializeToString())
