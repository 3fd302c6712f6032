#!/usr/bin/env bash
# Our tokenizers against Hugging Face `tokenizers` (pinned, from PyPI) in the same run, one thread
# each: tokenizer.json load time and encoding speed (MB/s of UTF-8 text) over the public corpus
# subset the fixtures carry. Prints a Markdown table of both and the ratios.
#
#   bash Benchmarks/tokenizers_vs_hf.sh [runs]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3}
site="${INFER_CACHE:-$HOME/.cache/infer}/python-tokenizers-0.23.3"
if [ ! -d "$site/tokenizers" ]; then
  python3 -m pip install --quiet --root-user-action=ignore --target "$site" tokenizers==0.23.3 >&2
fi
bash "$root/Fixtures/fetch.sh" tokenizers
(cd "$root" && swift build -c release --product infer-cli $(bash scripts/native-flags) >&2)
cli="$root/.build/release/infer-cli"
corpus="$root/Fixtures/tokenizers/smollm2/expected_public.jsonl"
echo "| tokenizer | load ms (ours / HF) | MB/s ours | MB/s HF | speed ratio (ours/HF) |"
echo "|---|---|---|---|---|"
for name in minilm smollm2 smollm2_digits llama_spm unigram_metaspace bpe_bytefallback; do
  json="$root/Fixtures/tokenizers/$name/tokenizer.json"
  ours=$(OPENBLAS_NUM_THREADS=1 "$cli" bench --tokenizer "$json" --corpus "$corpus" --runs "$runs" --json)
  theirs=$(RAYON_NUM_THREADS=1 PYTHONPATH="$site" python3 "$root/Benchmarks/hf_tokenizers_speed.py" "$json" "$corpus" "$runs")
  python3 - "$name" "$ours" "$theirs" <<'PY'
import json, sys
name, ours, theirs = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
print(f"| {name} | {ours['load_ms']:.0f} / {theirs['load_ms']:.0f} | {ours['mb_per_s']:.2f} | {theirs['mb_per_s']:.2f} | {ours['mb_per_s'] / theirs['mb_per_s']:.2f} |")
PY
done
