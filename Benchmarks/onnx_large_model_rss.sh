#!/usr/bin/env bash
# Peak RSS of loading and running a 134 MB ONNX model (one 4096x8192 float32 MatMul weight, made
# with the pinned onnx package), with the weight inline (raw_data) and as external data, against
# the file size: the loader maps the file and borrows initializer bytes, so the bound is 1.3x.
#
#   bash Benchmarks/onnx_large_model_rss.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${INFER_CACHE:-$HOME/.cache/infer}"
export PYTHONPATH="$cache/python-onnx-1.23.2"
bash Fixtures/fetch.sh conformance >/dev/null 2>&1 || true
swift build -c release --product infer-cli $(bash scripts/native-flags) >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work" <<'PY'
import sys
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
work = sys.argv[1]
values = np.random.default_rng(0).standard_normal((4096, 8192), dtype=np.float32)
weight = numpy_helper.from_array(values, "W")
needle = values.tobytes()[:64]


def model(name):
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "W"], ["y"])], name,
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4096])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8192])], [weight])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


# Graph names of growing length move the weight's offset: keep one aligned and one misaligned file.
found = {}
for length in range(1, 16):
    candidate = model("g" * length)
    data = candidate.SerializeToString()
    kind = "aligned" if data.find(needle) % 4 == 0 else "misaligned"
    if kind not in found:
        found[kind] = True
        with open(f"{work}/inline-{kind}.onnx", "wb") as file:
            file.write(data)
    if len(found) == 2:
        break
onnx.save(model("g"), f"{work}/external.onnx", save_as_external_data=True, all_tensors_to_one_file=True, location="external.data")
PY
echo "| weights | file MB | peak RSS MB | RSS / file |"
echo "|---|---|---|---|"
for name in inline-aligned inline-misaligned external; do
  size=$(stat -c %s "$work/$name.onnx")
  if [ "$name" = external ]; then size=$(( size + $(stat -c %s "$work/external.data") )); fi
  rss=$(.build/release/infer-cli bench --model "$work/$name.onnx" --threads 1 --runs 3 --warmup 1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["peak_rss_mb"])')
  python3 -c "import sys; size, rss = int(sys.argv[1]) / 1048576, float(sys.argv[2]); print(f'| $name | {size:.0f} | {rss:.0f} | {rss / size:.2f} |')" "$size" "$rss"
done
