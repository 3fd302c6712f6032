"""llama.cpp's embeddings of the reference texts, for the GGUF half of the `embed` tests.

Runs llama.cpp's `llama-embedding` (mean pooling, Euclidean normalisation, as a BERT GGUF made
by its converter asks) on every reference text whose full token count fits its 512-token context
and that is not blank (nor holds a word over 100 characters), and writes into REFERENCE_DIR:
  llama_cpp.npy        the embeddings, one row per selected text
  llama_cpp_ids.json   the selected texts' indices in texts.jsonl

  python llama_embeddings.py LLAMA_EMBEDDING GGUF REFERENCE_DIR
"""

import json
import os
import subprocess
import sys
import tempfile

import numpy as np

binary, gguf, reference = sys.argv[1], sys.argv[2], sys.argv[3]
texts = [json.loads(line)["text"] for line in open(os.path.join(reference, "texts.jsonl"), encoding="utf-8")]
full = json.load(open(os.path.join(reference, "tokens.json")))["full"]
separator = "<#infer-separator#>"
# Hugging Face's WordPiece gives [UNK] for a word over 100 characters where llama.cpp's splits it
# into pieces, so such texts may not fit llama.cpp's context even when they fit Hugging Face's.
selected = [
    i for i, text in enumerate(texts)
    if full[i] <= 500 and text.strip() and separator not in text and max(len(w) for w in text.split()) <= 100
]

with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".txt", delete=False) as prompts:
    prompts.write(separator.join(texts[i] for i in selected))
try:
    run = subprocess.run(
        [binary, "-m", gguf, "-f", prompts.name, "--embd-separator", separator, "--embd-output-format", "json",
         "--pooling", "mean", "--embd-normalize", "2", "-c", "512", "-b", "512", "-ub", "512", "-t", "2",
         "--no-warmup"],
        capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"llama-embedding failed ({run.returncode}): {run.stderr[-2000:]}")
finally:
    os.unlink(prompts.name)
output = run.stdout[run.stdout.index("{"):]
data = json.loads(output)["data"]
if len(data) != len(selected):
    sys.exit(f"llama-embedding returned {len(data)} embeddings for {len(selected)} texts")
matrix = np.array([row["embedding"] for row in sorted(data, key=lambda row: row["index"])], dtype=np.float32)
np.save(os.path.join(reference, "llama_cpp.npy"), matrix)
json.dump(selected, open(os.path.join(reference, "llama_cpp_ids.json"), "w"))
print(f"llama_embeddings: {len(selected)} of {len(texts)} texts")
