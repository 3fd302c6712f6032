#!/usr/bin/env bash
# ONNX model latency: infer-cli bench against onnxruntime 1.32 (PyPI), same inputs, same thread
# count, in the same run. The two sides alternate ROUNDS times per model and thread count and each
# side's best median is kept (other tenants of a shared machine only ever slow a round down).
# Prints a markdown table of medians and the ratio ours / onnxruntime.
#
#   bash Benchmarks/onnx_vs_onnxruntime.sh [RUNS] [ROUNDS]     (after Fixtures/fetch.sh)
#
# Models: the real opennsfw classifier, the tiny MobileNet fixture, and, when
# Benchmarks/torch_exports.sh has exported them, torchvision ResNet-18 and MobileNetV2.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-30}"
rounds="${2:-3}"
warmup=5
cache="${INFER_CACHE:-$HOME/.cache/infer}"
export PYTHONPATH="$cache/python-onnxruntime-1.32.0:$cache/python-onnx-1.23.2"
bash Fixtures/fetch.sh opennsfw reference >&2
swift build -c release --product infer-cli $(bash scripts/native-flags) >&2
models=("$cache/torch-exports/resnet18/model.onnx" "$cache/torch-exports/mobilenet_v2/model.onnx"
        Fixtures/models/opennsfw/open-nsfw.onnx Fixtures/onnx-models/tiny_mobilenet/model.onnx)
echo "| model | threads | infer median ms | onnxruntime median ms | infer / onnxruntime | infer load ms | infer peak RSS MB |"
echo "|---|---|---|---|---|---|---|"
for model in "${models[@]}"; do
  [ -f "$model" ] || continue
  for threads in 1 2; do
    ours=() theirs=()
    for _ in $(seq "$rounds"); do
      ours+=("$(.build/release/infer-cli bench --model "$model" --threads "$threads" --runs "$runs" --warmup "$warmup" --json)")
      theirs+=("$(python3 Benchmarks/onnx_latency.py "$model" "$threads" "$runs" "$warmup")")
    done
    python3 - "$model" "$threads" "${ours[*]}" "${theirs[*]}" <<'PY'
import json, sys
model, threads = sys.argv[1], sys.argv[2]
decoder = json.JSONDecoder()
def parse(text):
    items, text = [], text.strip()
    while text:
        item, end = decoder.raw_decode(text)
        items.append(item)
        text = text[end:].strip()
    return items
ours = min(parse(sys.argv[3]), key=lambda r: r["median_ms"])
theirs = min(parse(sys.argv[4]), key=lambda r: r["median_ms"])
print(f"| {model.split('/')[-2]} | {threads} | {ours['median_ms']:.2f} | {theirs['median_ms']:.2f} | {ours['median_ms'] / theirs['median_ms']:.2f} | {ours['load_ms']:.1f} | {ours['peak_rss_mb']:.0f} |")
PY
  done
done
