#!/usr/bin/env bash
# Real exports: torchvision ResNet-18/50, MobileNetV2, SqueezeNet 1.1, EfficientNet-B0, a BERT-base
# encoder, GPT-2 small and a SmolLM2-shaped Llama with past key/values (opset 20 and 23), each
# exported with torch's default (dynamo) exporter and with dynamo=False, run through `infer-cli run`
# and compared with onnxruntime's outputs recorded at export time. Random weights; see
# Benchmarks/torch_exports/export.py. Needs ~6 GB for the pinned torch venv (cached outside the
# repository) and ~3 GB for the exported models.
#
#   bash Benchmarks/torch_exports.sh [NAME...]        (prints a markdown table; exit 1 on a mismatch)
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${INFER_CACHE:-$HOME/.cache/infer}"
venv="$cache/venv-torch"
exports="$cache/torch-exports"
if ! "$venv/bin/python" -c "import torch, torchvision, transformers, onnxscript, onnxruntime" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --root-user-action=ignore -q torch==2.15.0 torchvision==0.29.2 onnxscript==0.7.2 \
    transformers==5.24.0 onnx==1.23.2 onnxruntime==1.32.0 >&2
fi
mkdir -p "$exports"
"$venv/bin/python" Benchmarks/torch_exports/export.py "$exports" "$@" >&2
swift build -c release --product infer-cli $(bash scripts/native-flags) >&2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
echo "| model | exporter | opset | nodes | MB | set | max abs diff | max abs reference | argmax agrees | result |"
echo "|---|---|---|---|---|---|---|---|---|---|"
failures=0
for meta in "$exports"/*/meta.json; do
  dir=$(dirname "$meta")
  name=$(basename "$dir")
  if [ $# -gt 0 ] && [[ " $* " != *" $name "* ]]; then continue; fi
  for set in "$dir"/test_data_set_*; do
    index=${set##*_}
    inputs=$(ls "$set"/input_*.pb | sort -V)
    rm -rf "$scratch/out" && mkdir -p "$scratch/out"
    # shellcheck disable=SC2086
    if ! .build/release/infer-cli run "$dir/model.onnx" $inputs --output-dir "$scratch/out" --output-format pb 2>"$scratch/err"; then
      echo "| $name | | | | | $index | | | | FAIL: $(head -c 300 "$scratch/err" | tr '\n|' '  ') |"
      failures=$((failures + 1))
      continue
    fi
    "$venv/bin/python" Benchmarks/torch_exports/compare.py "$dir" "$index" "$scratch/out" || failures=$((failures + 1))
  done
done
[ "$failures" -eq 0 ]
