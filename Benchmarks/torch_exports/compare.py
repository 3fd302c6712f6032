"""Compares infer-cli's outputs (output_K.pb in a folder) with onnxruntime's recorded ones.

Usage: python compare.py MODEL_DIR SET_INDEX OURS_DIR    (prints one markdown table row, exit 1 on mismatch)
Passes when every output is allclose(rtol=1e-3, atol=1e-4 * max(1, max|reference|)) -- a deep
random-weight net's activations reach 1e2..1e4, so the absolute floor scales with them -- and the
last axis' argmax (class / next token) agrees on every row.
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

model_dir, index, ours_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
reference_dir = os.path.join(model_dir, f"test_data_set_{index}")
meta = json.load(open(os.path.join(model_dir, "meta.json")))


def load(path):
    tensor = onnx.TensorProto()
    with open(path, "rb") as f:
        tensor.ParseFromString(f.read())
    return numpy_helper.to_array(tensor)


count = len([f for f in os.listdir(reference_dir) if f.startswith("output_")])
worst, scale, argmax_agrees, ok = 0.0, 0.0, True, True
for k in range(count):
    expected = load(os.path.join(reference_dir, f"output_{k}.pb")).astype(np.float64)
    path = os.path.join(ours_dir, f"output_{k}.pb")
    if not os.path.exists(path):
        ok = False
        continue
    actual = load(path).astype(np.float64)
    if actual.shape != expected.shape:
        ok = False
        continue
    if expected.size == 0:
        continue
    magnitude = float(np.max(np.abs(expected)))
    diff = float(np.max(np.abs(actual - expected)))
    worst, scale = max(worst, diff), max(scale, magnitude)
    ok &= bool(np.allclose(actual, expected, rtol=1e-3, atol=1e-4 * max(1.0, magnitude)))
    if k == 0:
        argmax_agrees = bool(np.array_equal(actual.argmax(-1), expected.argmax(-1)))
ok &= argmax_agrees
name = os.path.basename(os.path.normpath(model_dir))
opset = ", ".join(f"{d} {v}" for d, v in meta["opset"].items())
print(f"| {name} | {meta['exporter']} | {opset} | {meta['nodes']} | {meta['file_mb']} | {index} | "
      f"{worst:.2e} | {scale:.2e} | {'yes' if argmax_agrees else 'NO'} | {'pass' if ok else 'FAIL'} |")
sys.exit(0 if ok else 1)
