"""Reference outputs from onnxruntime for the real models the tests run.

For each model: a deterministic input (numpy seeded generator, in the model's declared shape
with unknown dims 1) and onnxruntime's output, written as test_data_set_0/input_K.pb and
output_K.pb beside the model (the ONNX backend-test layout the Swift tests read).

Usage: python onnxruntime_outputs.py MODEL.onnx [MODEL.onnx ...]
"""
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper


def reference(path):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    feeds = {}
    for graph_input in session.get_inputs():
        shape = [d if isinstance(d, int) else 1 for d in graph_input.shape]
        if graph_input.type == "tensor(float)":
            feeds[graph_input.name] = rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)
        elif graph_input.type == "tensor(int64)":
            feeds[graph_input.name] = rng.integers(0, 100, size=shape).astype(np.int64)
        else:
            raise SystemExit(f"{path}: input {graph_input.name} of {graph_input.type} needs a hand-written feed")
    outputs = session.run(None, feeds)
    folder = os.path.join(os.path.dirname(path), "test_data_set_0")
    os.makedirs(folder, exist_ok=True)
    for i, graph_input in enumerate(session.get_inputs()):
        with open(os.path.join(folder, f"input_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(feeds[graph_input.name], graph_input.name).SerializeToString())
    for i, (graph_output, value) in enumerate(zip(session.get_outputs(), outputs)):
        with open(os.path.join(folder, f"output_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(value, graph_output.name).SerializeToString())
    print(f"onnxruntime_outputs.py: {path}: {len(outputs)} output(s) (onnxruntime {ort.__version__})", file=sys.stderr)


if __name__ == "__main__":
    for model in sys.argv[1:]:
        reference(model)
