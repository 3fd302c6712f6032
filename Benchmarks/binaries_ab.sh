#!/usr/bin/env bash
# Two builds of this repository side by side, alternating rounds (best median per side): sgemm
# (kernel-bench), ResNet-18 latency (architecture with random weights, Benchmarks/resnet18_onnx.py)
# and SmolLM2-135M decode/prefill tok/s, at 1 and 2 threads. For before/after measurements of
# build or kernel changes.
#
#   bash Benchmarks/binaries_ab.sh BEFORE_DIR AFTER_DIR [ROUNDS]
#
# Each DIR holds infer-cli and kernel-bench (e.g. a copy of .build/release from each build).
set -euo pipefail
cd "$(dirname "$0")/.."
before="$1" after="$2" rounds="${3:-3}"
cache="${INFER_CACHE:-$HOME/.cache/infer}"
bash Fixtures/fetch.sh smollm2 >&2
work="$cache/bench-models/resnet18"
[ -f "$work/model.onnx" ] || PYTHONPATH="$cache/python-onnx-1.23.2" python3 Benchmarks/resnet18_onnx.py "$work"
gguf=Fixtures/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf

best() { python3 -c 'import sys; v = list(map(float, sys.argv[2:])); print(max(v) if sys.argv[1] == "max" else min(v))' "$@"; }
field() { python3 -c 'import json,sys; print(json.loads(sys.stdin.read())[sys.argv[1]])' "$1"; }

echo "| measure | threads | before | after | after / before |"
echo "|---|---|---|---|---|"
for threads in 1 2; do
  declare -A resnet=() decode=() prefill=() sgemm=()
  for side in before after; do resnet[$side]="" decode[$side]="" prefill[$side]="" sgemm[$side]=""; done
  for _ in $(seq "$rounds"); do
    for side in before after; do
      dir=${!side}
      resnet[$side]+=" $("$dir/infer-cli" bench --model "$work/model.onnx" --threads "$threads" --runs 20 --warmup 3 --json | field median_ms)"
      json=$("$dir/infer-cli" bench --model "$gguf" -p 128 -n 64 --runs 3 -t "$threads" --json)
      decode[$side]+=" $(echo "$json" | field decode_tok_s)"
      prefill[$side]+=" $(echo "$json" | field prefill_tok_s)"
      sgemm[$side]+=" $("$dir/kernel-bench" --quick --threads "$threads" 2>/dev/null | awk -F'|' '$2 ~ /1024/ {print $5}' | tr -d ' ')"
    done
  done
  row() {  # label, unit direction (min|max), before values, after values
    local b a
    b=$(best "$2" ${3}) a=$(best "$2" ${4})
    printf '| %s | %s | %s | %s | %.3f |\n' "$1" "$threads" "$b" "$a" "$(python3 -c "print($a / $b)")"
  }
  row "sgemm 1024 GFLOP/s (Tensor.matmul)" max "${sgemm[before]}" "${sgemm[after]}"
  row "ResNet-18 median ms" min "${resnet[before]}" "${resnet[after]}"
  row "SmolLM2 Q4_1 prefill tok/s (p128)" max "${prefill[before]}" "${prefill[after]}"
  row "SmolLM2 Q4_1 decode tok/s (n64)" max "${decode[before]}" "${decode[after]}"
done
