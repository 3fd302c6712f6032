#!/usr/bin/env bash
# ONNX model latency: infer-cli bench against onnxruntime 1.32 (PyPI), same inputs, same thread
# count, in the same run. Prints a markdown table of medians and the ratio ours / onnxruntime.
#
#   bash Benchmarks/onnx_vs_onnxruntime.sh [RUNS]        (after Fixtures/fetch.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-30}"
warmup=5
cache="${INFER_CACHE:-$HOME/.cache/infer}"
export PYTHONPATH="$cache/python-onnxruntime-1.32.0:$cache/python-onnx-1.23.2"
bash Fixtures/fetch.sh opennsfw reference >&2
swift build -c release --product infer-cli >&2
models=(Fixtures/models/opennsfw/open-nsfw.onnx Fixtures/onnx-models/tiny_mobilenet/model.onnx Fixtures/onnx-models/tiny_bert/model.onnx)
echo "| model | threads | infer median ms | onnxruntime median ms | infer / onnxruntime | infer load ms | infer peak RSS MB |"
echo "|---|---|---|---|---|---|---|"
for model in "${models[@]}"; do
  [ -f "$model" ] || continue
  for threads in 1 2; do
    ours=$(.build/release/infer-cli bench --model "$model" --threads "$threads" --runs "$runs" --warmup "$warmup" --json)
    theirs=$(python3 Benchmarks/onnx_latency.py "$model" "$threads" "$runs" "$warmup")
    python3 - "$model" "$threads" "$ours" "$theirs" <<'PY'
import json, sys
model, threads, ours, theirs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
print(f"| {model.split('/')[-2]} | {threads} | {ours['median_ms']:.2f} | {theirs['median_ms']:.2f} | {ours['median_ms'] / theirs['median_ms']:.2f} | {ours['load_ms']:.1f} | {ours['peak_rss_mb']:.0f} |")
PY
  done
done
