#!/usr/bin/env bash
# GGUF generation speed: infer-cli bench against llama.cpp (llama-cpp-python 0.3.36 from PyPI,
# which builds llama.cpp; its venv is cached outside the repo), same GGUF, same thread count, in the
# same run. Prefill = a batch of P tokens from an empty context, decode = N single-token steps
# (llama-bench's pp and tg). Prints a markdown table and the ratios ours / llama.cpp.
#
#   bash Benchmarks/gguf_vs_llama_cpp.sh [P] [N] [RUNS]      (P=128 N=128 RUNS=3)
#
# llama.cpp's worker threads spin while waiting: measure on an otherwise idle machine, and read the
# 1-thread row as the primary comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
prompt="${1:-128}" generated="${2:-128}" runs="${3:-3}"
cache="${INFER_CACHE:-$HOME/.cache/infer}"
venv="$cache/venv-llama-cpp-0.3.36"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import llama_cpp' 2>/dev/null; then
  echo "building llama-cpp-python 0.3.36 into $venv (takes several minutes, once)" >&2
  python3 -m venv "$venv"
  CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" "$venv/bin/pip" install --root-user-action=ignore -q llama-cpp-python==0.3.36 >&2
fi
bash Fixtures/fetch.sh smollm2 >&2
swift build -c release --product infer-cli $(bash scripts/native-flags) >&2
model=Fixtures/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
echo "| threads | infer prefill tok/s | llama.cpp prefill tok/s | prefill ratio | infer decode tok/s | llama.cpp decode tok/s | decode ratio | infer peak RSS MB | file + KV MB |"
echo "|---|---|---|---|---|---|---|---|---|"
for threads in 1 2; do
  ours=$(.build/release/infer-cli bench --model "$model" -p "$prompt" -n "$generated" --runs "$runs" -t "$threads" --json)
  theirs=$("$venv/bin/python" Benchmarks/llama_cpp_speed.py "$model" --threads "$threads" -p "$prompt" -n "$generated" --runs "$runs")
  python3 - "$threads" "$ours" "$theirs" <<'PY'
import json, sys
threads, ours, theirs = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
pp, tg = ours["prefill_tok_s"] / theirs["prefill_tok_s"], ours["decode_tok_s"] / theirs["decode_tok_s"]
print(f"| {threads} | {ours['prefill_tok_s']:.1f} | {theirs['prefill_tok_s']:.1f} | {pp:.2f} | {ours['decode_tok_s']:.1f} | "
      f"{theirs['decode_tok_s']:.1f} | {tg:.2f} | {ours['peak_rss_mb']:.0f} | {ours['file_mb'] + ours['kv_cache_mb']:.0f} |")
PY
done
