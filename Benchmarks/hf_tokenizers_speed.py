"""Hugging Face `tokenizers` speed on a JSONL corpus, one thread, as `infer-cli bench --tokenizer`
measures ours: load time, then the best of N passes of encode_batch over every "text".

    RAYON_NUM_THREADS=1 python hf_tokenizers_speed.py tokenizer.json corpus.jsonl 3
"""
import json
import os
import sys
import time

os.environ.setdefault("RAYON_NUM_THREADS", "1")
from tokenizers import Tokenizer  # noqa: E402

path, corpus, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 3
with open(corpus, encoding="utf-8") as lines:
    texts = [json.loads(line)["text"] for line in lines if line.strip()]
size = sum(len(text.encode("utf-8")) for text in texts)
start = time.perf_counter()
tokenizer = Tokenizer.from_file(path)
load_ms = (time.perf_counter() - start) * 1000
tokenizer.no_truncation()
tokenizer.no_padding()
best = float("inf")
tokens = 0
for _ in range(runs + 1):
    t0 = time.perf_counter()
    encodings = tokenizer.encode_batch(texts)
    elapsed = time.perf_counter() - t0
    best = min(best, elapsed)
    tokens = sum(len(e.ids) for e in encodings)
print(json.dumps({"load_ms": load_ms, "mb_per_s": size / 1e6 / best, "tokens_per_s": tokens / best, "bytes": size, "tokens": tokens}))
