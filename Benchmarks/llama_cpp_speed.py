"""llama.cpp (llama-cpp-python) prefill and decode speed on a GGUF, measured as llama-bench does:
a batch of P tokens from an empty context (prefill), then N single-token evaluations (decode).

    python llama_cpp_speed.py MODEL.gguf --threads 1 -p 128 -n 128 --runs 3
Prints one JSON object: {"prefill_tok_s", "decode_tok_s", "threads", "p", "n"} (medians over runs).
"""
import argparse
import json
import statistics
import time

from llama_cpp import Llama

parser = argparse.ArgumentParser()
parser.add_argument("model")
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("-p", type=int, default=128)
parser.add_argument("-n", type=int, default=128)
parser.add_argument("--runs", type=int, default=3)
args = parser.parse_args()

llm = Llama(model_path=args.model, n_threads=args.threads, n_threads_batch=args.threads, n_ctx=args.p + args.n + 8,
            n_batch=max(args.p, 8), n_ubatch=max(args.p, 8), verbose=False)
vocab = llm.n_vocab()
prompt = [(i * 7919 + 13) % vocab for i in range(args.p)]
prefill, decode = [], []
for run in range(args.runs + 1):
    llm.reset()
    start = time.perf_counter()
    llm.eval(prompt)
    middle = time.perf_counter()
    token = prompt[-1]
    for _ in range(args.n):
        llm.eval([token])
        token = (token * 31 + 7) % vocab
    end = time.perf_counter()
    if run > 0:  # the first run warms up
        prefill.append(args.p / (middle - start))
        decode.append(args.n / (end - middle))
print(json.dumps({"prefill_tok_s": round(statistics.median(prefill), 2), "decode_tok_s": round(statistics.median(decode), 2),
                  "threads": args.threads, "p": args.p, "n": args.n}))
