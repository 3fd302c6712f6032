"""Sentences per second for all-MiniLM-L6-v2: sentence-transformers (torch CPU), onnxruntime with
`tokenizers` on the torch.onnx export, and `infer-cli embed`, on one 10,000-text corpus, same run.

  python embed_bench.py INFER_CLI MODEL_DIR ONNX_DIR [--texts FILE.jsonl] THREADS...

The corpus is seeded: sentence-like texts, mostly 5-30 words, some to 300, a few non-Latin words;
or, with --texts, the "text" of every line of FILE.jsonl (the embed tests' 2,000 reference texts).
Python references are timed in-process after a warm-up (model load excluded, tokenization
included); infer-cli is timed as a whole process (load, tokenization, output included), its output
as a .npy matrix. Every engine sorts texts by length into batches of 32, as sentence-transformers
does. Prints one JSON line per engine and thread count.
"""

import json
import os
import random
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime
import torch
from sentence_transformers import SentenceTransformer
from tokenizers import Tokenizer

cli, model_dir, onnx_dir, rest = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
texts_file = None
if rest[:1] == ["--texts"]:
    texts_file, rest = rest[1], rest[2:]
thread_counts = [int(t) for t in rest]
rng = random.Random(10_000)
words = ("the of and to in is was for on that with as by at from his her an were are which this be or had "
         "not but what all when there can more if will one about up out them would so into time has two "
         "like other model engine inference server request token embedding sentence vector quick brown fox "
         "jumps over lazy dog music guitar market fell rose city river mountain weather tomorrow people "
         "said report government company year week day night school student teacher book read write").split()
foreign = ["café", "naïve", "Zürich", "日本語", "данные", "μάθηση", "مرحبا", "שלום", "नमस्ते", "😀"]


def sentence():
    roll = rng.random()
    count = rng.randint(5, 30) if roll < 0.7 else rng.randint(30, 100) if roll < 0.95 else rng.randint(100, 300)
    return " ".join(rng.choice(foreign) if rng.random() < 0.03 else rng.choice(words) for _ in range(count)) + "."


if texts_file:
    texts = [json.loads(line)["text"] for line in open(texts_file, encoding="utf-8")]
else:
    texts = [sentence() for _ in range(10_000)]


def record(engine, threads, seconds, extra=None):
    row = {"engine": engine, "threads": threads, "seconds": round(seconds, 3),
           "sentences_per_second": round(len(texts) / seconds, 1)}
    row.update(extra or {})
    print(json.dumps(row), flush=True)
    return row


def sentence_transformers(threads):
    torch.set_num_threads(threads)
    model = SentenceTransformer(model_dir, device="cpu")
    model.encode(texts[:64], batch_size=32)
    start = time.perf_counter()
    vectors = model.encode(texts, batch_size=32, convert_to_numpy=True)
    return time.perf_counter() - start, vectors


def onnx_runtime(threads):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(os.path.join(onnx_dir, "model.onnx"), options,
                                           providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(os.path.join(onnx_dir, "tokenizer.json"))
    tokenizer.enable_truncation(256)
    tokenizer.no_padding()

    def run(batch_texts):
        encodings = tokenizer.encode_batch(batch_texts)
        order = sorted(range(len(batch_texts)), key=lambda i: -len(encodings[i].ids))
        out = np.zeros((len(batch_texts), 384), np.float32)
        for start in range(0, len(order), 32):
            members = order[start:start + 32]
            longest = max(len(encodings[i].ids) for i in members)
            ids = np.zeros((len(members), longest), np.int64)
            mask = np.zeros_like(ids)
            for row, i in enumerate(members):
                ids[row, :len(encodings[i].ids)] = encodings[i].ids
                mask[row, :len(encodings[i].ids)] = 1
            hidden = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
            pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
            out[members] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return out

    run(texts[:64])
    start = time.perf_counter()
    vectors = run(texts)
    return time.perf_counter() - start, vectors


def infer(threads, corpus):
    with open(corpus, "rb") as source, tempfile.TemporaryFile() as sink:
        start = time.perf_counter()
        subprocess.run([cli, "embed", "--model", model_dir, "--jsonl", "-", "--output", "npy", "-t", str(threads)],
                       stdin=source, stdout=sink, stderr=subprocess.DEVNULL, check=True)
        seconds = time.perf_counter() - start
        sink.seek(0)
        return seconds, np.load(sink)


with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".jsonl", delete=False) as corpus:
    corpus.write("".join(json.dumps({"text": text}, ensure_ascii=False) + "\n" for text in texts))
try:
    for threads in thread_counts:
        st_seconds, st_vectors = sentence_transformers(threads)
        record("sentence-transformers", threads, st_seconds)
        ort_seconds, ort_vectors = onnx_runtime(threads)
        record("onnxruntime", threads, ort_seconds)
        ours_seconds, ours_vectors = infer(threads, corpus.name)
        cosine = float((ours_vectors * st_vectors).sum(1).min())
        record("infer", threads, ours_seconds, {
            "vs_faster_reference": round(min(st_seconds, ort_seconds) / ours_seconds, 2),
            "min_cosine_vs_sentence_transformers": round(cosine, 7)})
finally:
    os.unlink(corpus.name)
