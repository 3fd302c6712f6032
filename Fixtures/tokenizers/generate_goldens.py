"""Regenerates tokenizer goldens with Hugging Face `tokenizers` (pin: tokenizers==0.23.3).

Reads records {"id", "text", ...} (a corpus, or an existing expected file) and writes one JSON line
per record with the fields the Swift tests compare.

    pip install tokenizers==0.23.3
    python generate_goldens.py minilm/tokenizer.json minilm/expected_public.jsonl > out.jsonl
        ids (with the post-processor template), ids_nospecial, tokens, offsets (Unicode scalar
        indices into text), decoded (special tokens skipped), decoded_keep_special; truncation and
        padding off
    python generate_goldens.py --pairs T.json NAME/expected_pairs_public.jsonl > out.jsonl
        records with "text" and "text_pair": ids, type_ids, tokens, offsets, sequence_ids,
        special_tokens_mask of the pair encoding; truncation and padding off
    python generate_goldens.py --configured minilm/tokenizer.json records.jsonl > out.jsonl
        with the truncation and padding stored in the tokenizer.json: ids, type_ids,
        attention_mask, special_tokens_mask, tokens, offsets, overflowing_ids
"""
import json
import sys

from tokenizers import Tokenizer

arguments = sys.argv[1:]
mode = arguments.pop(0) if arguments and arguments[0].startswith("--") else "--corpus"
tokenizer = Tokenizer.from_file(arguments[0])
if mode != "--configured":
    tokenizer.no_truncation()
    tokenizer.no_padding()


def emit(record):
    # Line separators are escaped too, so a record never holds a raw one.
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    for character in ("\u0085", "\u2028", "\u2029"):
        text = text.replace(character, "\\u%04x" % ord(character))
    print(text)


with open(arguments[1], encoding="utf-8") as records:
    for line in records:
        record = json.loads(line)
        text = record["text"]
        if mode == "--pairs":
            encoding = tokenizer.encode(text, record["text_pair"])
            emit({**({"id": record["id"]} if "id" in record else {}), "text": text, "text_pair": record["text_pair"], "ids": encoding.ids, "type_ids": encoding.type_ids,
                  "tokens": encoding.tokens, "offsets": [list(span) for span in encoding.offsets],
                  "sequence_ids": encoding.sequence_ids, "special_tokens_mask": encoding.special_tokens_mask})
        elif mode == "--configured":
            encoding = tokenizer.encode(text)
            emit({"id": record["id"], "text": text, "ids": encoding.ids, "type_ids": encoding.type_ids,
                  "attention_mask": encoding.attention_mask, "special_tokens_mask": encoding.special_tokens_mask,
                  "tokens": encoding.tokens, "offsets": [list(span) for span in encoding.offsets],
                  "overflowing_ids": [overflow.ids for overflow in encoding.overflowing]})
        else:
            encoding = tokenizer.encode(text, add_special_tokens=True)
            emit({"id": record["id"], "text": text, "ids": encoding.ids,
                  "ids_nospecial": tokenizer.encode(text, add_special_tokens=False).ids,
                  "tokens": encoding.tokens, "offsets": [list(span) for span in encoding.offsets],
                  "decoded": tokenizer.decode(encoding.ids, skip_special_tokens=True),
                  "decoded_keep_special": tokenizer.decode(encoding.ids, skip_special_tokens=False)})
