#!/usr/bin/env bash
# Sentence embeddings, same run: sentence-transformers (torch CPU) and onnxruntime + tokenizers
# against `infer-cli embed` on all-MiniLM-L6-v2, a 10,000-text corpus, 1 and 2 threads.
# Figures go in Docs/Performance.md.
#   bash Benchmarks/embed_bench.sh 1 2                   # the seeded 10,000 sentences
#   bash Benchmarks/embed_bench.sh --texts FILE.jsonl 2  # {"text"} lines, e.g. the embed tests' references
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
cache="${INFER_CACHE:-$HOME/.cache/infer}"

bash Fixtures/fetch.sh minilm embeddings >&2
swift build -c release --product infer-cli $(bash scripts/native-flags) >&2
threads=("$@")
[ ${#threads[@]} -gt 0 ] || threads=(1 2)
PYTHONPATH="$cache/python-st-5.1.0" python3 -W ignore Benchmarks/embed_bench.py .build/release/infer-cli \
  Fixtures/models/all-minilm-l6-v2 Fixtures/models/all-minilm-l6-v2-reference/onnx "${threads[@]}"
