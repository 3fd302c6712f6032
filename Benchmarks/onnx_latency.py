"""onnxruntime's side of Benchmarks/onnx_vs_onnxruntime.sh: median/p90/min latency of one model.

Feeds test_data_set_0/input_K.pb beside the model (the same files infer-cli bench uses).
Usage: python onnx_latency.py MODEL.onnx THREADS RUNS WARMUP   (prints one JSON line)
"""
import json
import os
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

model, threads, runs, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
options = ort.SessionOptions()
options.intra_op_num_threads = threads
options.inter_op_num_threads = 1
start = time.perf_counter()
session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
load_ms = (time.perf_counter() - start) * 1000
folder = os.path.join(os.path.dirname(model), "test_data_set_0")
feeds = {}
for i, graph_input in enumerate(session.get_inputs()):
    tensor = onnx.TensorProto()
    with open(os.path.join(folder, f"input_{i}.pb"), "rb") as f:
        tensor.ParseFromString(f.read())
    feeds[graph_input.name] = numpy_helper.to_array(tensor)
times = []
for iteration in range(warmup + runs):
    t0 = time.perf_counter()
    session.run(None, feeds)
    if iteration >= warmup:
        times.append((time.perf_counter() - t0) * 1000)
times.sort()
print(json.dumps({"load_ms": load_ms, "median_ms": times[len(times) // 2], "p90_ms": times[min(len(times) - 1, int(np.ceil(len(times) * 0.9)) - 1)], "min_ms": times[0]}))
