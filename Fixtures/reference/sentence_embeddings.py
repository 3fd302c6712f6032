"""Reference sentence embeddings for the `embed` tests, from the pinned sentence-transformers.

Writes into OUT (Fixtures/models/all-minilm-l6-v2-reference):
  texts.jsonl                 2,000 varied texts (seeded: many scripts, 1 to ~600 tokens, edge cases)
  sentence_transformers.npy   their embeddings from sentence-transformers on the model directory
  tokens.json                 token counts after sentence-transformers' truncation, and before it
  onnx/                       a torch.onnx export of the same encoder (input_ids, attention_mask,
                              token_type_ids -> last_hidden_state) with the tokenizer and pooling files
  onnxruntime.npy             onnxruntime's embeddings of the export (mean pooling, normalised)

  python sentence_embeddings.py MODEL_DIR OUT
"""

import json
import os
import random
import shutil
import sys

import numpy as np
import torch
import transformers
from sentence_transformers import SentenceTransformer

model_dir, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
rng = random.Random(20261205)

english = (
    "the of and to in is was for on that with as by at from his her an were are which this be or had not "
    "but what all when there can more if will one about up out them would so into time has two like other "
    "model engine inference tensor server request token embedding sentence vector cosine similarity quick "
    "brown fox jumps lazy dog running unbelievably internationalization tokenizer's don't it's co-operate "
    "naïve café résumé façade jalapeño Zürich São Paulo Ångström coöperate déjà vu"
).split()


def script_word(low, high, length):
    return "".join(chr(rng.randint(low, high)) for _ in range(length))


scripts = [
    (0x0430, 0x044F), (0x03B1, 0x03C9), (0x4E00, 0x9FFF), (0x3041, 0x3096), (0xAC00, 0xD7A3),
    (0x0627, 0x064A), (0x05D0, 0x05EA), (0x0915, 0x0939), (0x0E01, 0x0E2E), (0x00C0, 0x00FF),
    (0x1F600, 0x1F64F), (0x0531, 0x0556), (0x10D0, 0x10F0),
]


def word():
    roll = rng.random()
    if roll < 0.6:
        return rng.choice(english)
    if roll < 0.7:
        return str(rng.randint(0, 10 ** rng.randint(1, 9)))
    if roll < 0.75:
        return rng.choice([".", ",", "!", "?", "...", "(", ")", "--", "\"", "'", ";", ":", "@", "#", "%", "&"])
    low, high = rng.choice(scripts)
    return script_word(low, high, rng.randint(1, 8))


def text(words):
    parts = [word() for _ in range(words)]
    separator = rng.choice([" ", " ", " ", "  ", "\t", "\n"])
    return separator.join(parts)


texts = ["", " ", "a", "Hello, world!", "\u00e9\u0301", "\u200b\u200d", "😀🎉", "日本語", "[CLS] [SEP] [PAD] [MASK]",
         "\x00\x01 control", "x" * 3000]
while len(texts) < 2000:
    roll = rng.random()
    if roll < 0.4:
        count = rng.randint(1, 15)
    elif roll < 0.7:
        count = rng.randint(16, 80)
    elif roll < 0.9:
        count = rng.randint(81, 250)
    else:
        count = rng.randint(251, 450)
    texts.append(text(count))

with open(os.path.join(out, "texts.jsonl"), "w", encoding="utf-8") as sink:
    for index, value in enumerate(texts):
        sink.write(json.dumps({"id": f"t{index:04d}", "text": value}, ensure_ascii=False) + "\n")

torch.set_num_threads(2)
model = SentenceTransformer(model_dir, device="cpu")
embeddings = model.encode(texts, batch_size=32, convert_to_numpy=True)
np.save(os.path.join(out, "sentence_transformers.npy"), embeddings.astype(np.float32))

tokenizer = model.tokenizer
limit = model.max_seq_length
full = [len(ids) for ids in tokenizer(texts, add_special_tokens=True)["input_ids"]]
with open(os.path.join(out, "tokens.json"), "w") as sink:
    json.dump({"max_seq_length": limit, "truncated": [min(n, limit) for n in full], "full": full}, sink)
print(f"sentence_embeddings: {len(texts)} texts, {min(full)} to {max(full)} tokens before truncation to {limit}")

# The same encoder as an ONNX graph, the way torch's exporter writes it for a BERT model.
export = os.path.join(out, "onnx")
os.makedirs(export, exist_ok=True)
encoder = transformers.AutoModel.from_pretrained(model_dir).eval()
sample = torch.ones(2, 7, dtype=torch.long)
axes = {0: "batch", 1: "sequence"}
with torch.no_grad():
    torch.onnx.export(
        encoder, (sample, sample, torch.zeros_like(sample)), os.path.join(export, "model.onnx"),
        input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["last_hidden_state"],
        dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes, "last_hidden_state": axes},
        opset_version=17, dynamo=False)
for name in ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "modules.json",
             "sentence_bert_config.json", "config.json"]:
    shutil.copy(os.path.join(model_dir, name), os.path.join(export, name))
shutil.copytree(os.path.join(model_dir, "1_Pooling"), os.path.join(export, "1_Pooling"), dirs_exist_ok=True)

import onnxruntime

session = onnxruntime.InferenceSession(os.path.join(export, "model.onnx"), providers=["CPUExecutionProvider"])
rows = []
for start in range(0, len(texts), 32):
    batch = tokenizer(texts[start:start + 32], padding=True, truncation=True, max_length=limit, return_tensors="np")
    feeds = {name: batch[name].astype(np.int64) for name in ["input_ids", "attention_mask", "token_type_ids"]}
    hidden = session.run(None, feeds)[0]
    mask = feeds["attention_mask"][..., None].astype(np.float32)
    pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
    rows.append(pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None))
np.save(os.path.join(out, "onnxruntime.npy"), np.concatenate(rows).astype(np.float32))
