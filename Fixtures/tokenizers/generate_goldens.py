"""Regenerates tokenizer goldens with Hugging Face `tokenizers` (pin: tokenizers==0.23.3).

Reads records {"id", "text", ...} (a corpus, or an existing expected file) and writes, per record,
the fields the Swift tests compare: ids (with the post-processor template), ids_nospecial, tokens,
offsets (Unicode scalar indices into text), decoded (special tokens skipped) and
decoded_keep_special.

    pip install tokenizers==0.23.3
    python generate_goldens.py minilm/tokenizer.json minilm/expected_public.jsonl > out.jsonl
"""
import json
import sys

from tokenizers import Tokenizer

tokenizer = Tokenizer.from_file(sys.argv[1])
tokenizer.no_truncation()
tokenizer.no_padding()
with open(sys.argv[2], encoding="utf-8") as records:
    for line in records:
        record = json.loads(line)
        text = record["text"]
        encoding = tokenizer.encode(text, add_special_tokens=True)
        out = {
            "id": record["id"],
            "text": text,
            "ids": encoding.ids,
            "ids_nospecial": tokenizer.encode(text, add_special_tokens=False).ids,
            "tokens": encoding.tokens,
            "offsets": [list(span) for span in encoding.offsets],
            "decoded": tokenizer.decode(encoding.ids, skip_special_tokens=True),
            "decoded_keep_special": tokenizer.decode(encoding.ids, skip_special_tokens=False),
        }
        print(json.dumps(out, ensure_ascii=False, separators=(",", ":")))
