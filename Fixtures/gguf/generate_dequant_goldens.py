"""Dequantization goldens from the `gguf` package (gguf==0.19.0, numpy), for GGUFDequantizeTests.

For every ggml type: `<TYPE>.blocks` (raw blocks: random bytes with finite scales) and `<TYPE>.f32`
(little-endian float32 from gguf.quants.dequantize). With a model path, also `real-<TYPE>.*` from
the first blocks of real tensors of that file.

    PYTHONPATH=~/.cache/infer/python-gguf-0.19.0:~/.cache/infer/python-onnx-1.23.2 \
        python3 Fixtures/gguf/generate_dequant_goldens.py [Fixtures/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf]
"""
import os
import sys

import numpy as np
from gguf import GGMLQuantizationType as T, GGUFReader
from gguf.constants import GGML_QUANT_SIZES
from gguf.quants import dequantize

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261125)

# Byte offsets of float16 scale fields in each block (Q8_K has a float32 scale at 0).
half_fields = {
    T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0],
    T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208],
}


def write(name, blocks, qtype):
    values = dequantize(blocks, qtype).astype("<f4")
    blocks.tofile(os.path.join(here, name + ".blocks"))
    values.tofile(os.path.join(here, name + ".f32"))


for qtype, offsets in half_fields.items():
    block_elements, block_bytes = GGML_QUANT_SIZES[qtype]
    blocks = rng.integers(0, 256, size=(8, block_bytes), dtype=np.uint8)
    for offset in offsets:
        scales = (rng.standard_normal(8) * 0.05).astype("<f2")
        blocks[:, offset:offset + 2] = scales.view(np.uint8).reshape(8, 2)
    write(qtype.name, blocks.reshape(-1), qtype)

# gguf 0.19.0 has no Q8_K dequantizer: its definition (float32 d, int8 qs[256], int16 bsums[16];
# value = d * q in float32) is written out here instead.
blocks = rng.integers(-128, 128, size=(4, 292), dtype=np.int8).view(np.uint8)
blocks[:, 0:4] = (rng.standard_normal(4) * 0.01).astype("<f4").view(np.uint8).reshape(4, 4)
blocks.reshape(-1).tofile(os.path.join(here, "Q8_K.blocks"))
d = blocks[:, 0:4].copy().view("<f4")
(d * blocks[:, 4:260].view(np.int8).astype(np.float32)).astype("<f4").tofile(os.path.join(here, "Q8_K.f32"))

halves = (rng.standard_normal(64) * 10).astype("<f2").view(np.uint8)
write("F16", halves, T.F16)
bf16 = (rng.standard_normal(64).astype("<f4").view(np.uint32) >> 16).astype("<u2").view(np.uint8)
write("BF16", bf16, T.BF16)

if len(sys.argv) > 1:
    reader = GGUFReader(sys.argv[1])
    for tensor in reader.tensors:
        if tensor.tensor_type in (T.Q4_1, T.Q8_0) and not os.path.exists(os.path.join(here, "real-" + tensor.tensor_type.name + ".blocks")):
            block_bytes = GGML_QUANT_SIZES[tensor.tensor_type][1]
            raw = np.asarray(tensor.data).view(np.uint8).reshape(-1)[: 16 * block_bytes].copy()
            write("real-" + tensor.tensor_type.name, raw, tensor.tensor_type)
