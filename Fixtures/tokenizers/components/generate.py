"""Builds small tokenizers that exercise every tokenizer.json component the six real fixtures do
not (each variant trained here on 2,000 corpus records, vocabularies of a few hundred entries),
and records Hugging Face `tokenizers` 0.23.3's output on 150 records each.

    pip install tokenizers==0.23.3 sentencepiece==0.2.0 protobuf==5.29.3
    python generate.py CORPUS.jsonl OUT_DIR

(sentencepiece only builds the precompiled_charsmap of its nmt_nfkc_cf rule, for Precompiled.)

Writes OUT_DIR/NAME.json for every variant and OUT_DIR/expected.jsonl with, per variant and
record: ids, tokens, offsets, type_ids, special_tokens_mask, attention_mask, decoded (special
tokens skipped); the truncation/padding variants encode 50 pairs as one batch and also carry
overflowing ids. OUT_DIR/sample.jsonl and OUT_DIR/pairs.jsonl hold the inputs.
"""
import json
import os
import sys

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

corpus_path, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
with open(corpus_path, encoding="utf-8") as lines:
    records = [json.loads(line) for line in lines]
texts = [r["text"] for r in records if len(r["text"]) < 2000]
train = texts[:2000]
sample = [text for text in texts[2000:] if len(text) < 600][:150]
long_texts = [text for text in texts[2000:] if 300 <= len(text) < 600][:50]
short_texts = [text for text in texts[2000:] if 0 < len(text) < 40][:50]
specials = ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "<s>", "</s>", "<pad>"]
llama3 = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"


def trained(model, trainer, normalizer=None, pre_tokenizer=None, texts=None):
    tokenizer = Tokenizer(model)
    if normalizer is not None:
        tokenizer.normalizer = normalizer
    if pre_tokenizer is not None:
        tokenizer.pre_tokenizer = pre_tokenizer
    tokenizer.train_from_iterator(texts or train, trainer)
    return tokenizer


def template(single, pair, tokens):
    return processors.TemplateProcessing(single=single, pair=pair, special_tokens=tokens)


variants = {}

# WordPiece, cased BERT normalizer without accent stripping, Whitespace split, BertProcessing.
t = trained(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=20), trainers.WordPieceTrainer(vocab_size=600, special_tokens=specials, limit_alphabet=250),
            normalizers.BertNormalizer(lowercase=False, strip_accents=False), pre_tokenizers.Whitespace())
t.post_processor = processors.BertProcessing(("[SEP]", t.token_to_id("[SEP]")), ("[CLS]", t.token_to_id("[CLS]")))
t.decoder = decoders.WordPiece(cleanup=False)
variants["wordpiece_whitespace_bert"] = t

# WordLevel behind NFD + StripAccents + Lowercase + Strip, WhitespaceSplit, a pair template.
t = trained(models.WordLevel(unk_token="[UNK]"), trainers.WordLevelTrainer(vocab_size=500, special_tokens=specials),
            normalizers.Sequence([normalizers.NFD(), normalizers.StripAccents(), normalizers.Lowercase(), normalizers.Strip()]),
            pre_tokenizers.WhitespaceSplit())
t.post_processor = template("[CLS] $A [SEP]", "[CLS] $A [SEP] $B:1 [SEP]:1", [("[CLS]", t.token_to_id("[CLS]")), ("[SEP]", t.token_to_id("[SEP]"))])
variants["wordlevel_nfd_strip"] = t

# BPE with ## and </w>, NFKD, Punctuation (contiguous) then Digits runs, BPEDecoder.
t = trained(models.BPE(unk_token="[UNK]", continuing_subword_prefix="##", end_of_word_suffix="</w>"),
            trainers.BpeTrainer(vocab_size=600, special_tokens=specials, continuing_subword_prefix="##", end_of_word_suffix="</w>", limit_alphabet=250),
            normalizers.NFKD(),
            pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation(behavior="contiguous"), pre_tokenizers.Digits(individual_digits=False)]))
t.decoder = decoders.BPEDecoder(suffix="</w>")
variants["bpe_suffix_punctuation"] = t

# Byte-level BPE with a prefix space, trimmed offsets, Roberta's template.
t = trained(models.BPE(), trainers.BpeTrainer(vocab_size=600, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()),
            None, pre_tokenizers.ByteLevel(add_prefix_space=True))
t.post_processor = processors.RobertaProcessing(("</s>", t.token_to_id("</s>")), ("<s>", t.token_to_id("<s>")), trim_offsets=True, add_prefix_space=True)
t.decoder = decoders.ByteLevel()
variants["bytelevel_prefix_roberta"] = t

# Byte-level BPE split by Llama 3's pattern (Split + ByteLevel without regex), ByteLevel post-processor.
t = trained(models.BPE(ignore_merges=True), trainers.BpeTrainer(vocab_size=600, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()),
            None, pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(llama3), behavior="isolated"), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]))
t.post_processor = processors.Sequence([processors.ByteLevel(trim_offsets=True), template("<s> $A", "<s> $A <s>:1 $B:1", [("<s>", t.token_to_id("<s>"))])])
t.decoder = decoders.ByteLevel()
variants["llama3_split_bytelevel"] = t

# Unigram with byte fallback, NFC + Replace (regex) + Prepend, Metaspace (never, no split), decoders chain.
t = trained(models.Unigram(), trainers.UnigramTrainer(vocab_size=400, special_tokens=specials, unk_token="[UNK]", byte_fallback=True),
            normalizers.Sequence([normalizers.NFC(), normalizers.Replace(Regex(r"\d+"), "#"), normalizers.Prepend("~")]),
            pre_tokenizers.Metaspace(prepend_scheme="never", split=False), texts=[text for text in train if text.isascii()])
t.decoder = decoders.Sequence([decoders.ByteFallback(), decoders.Metaspace(prepend_scheme="never", split=False), decoders.Strip(" ", 0, 1),
                               decoders.Replace(Regex("~+"), "")])
variants["unigram_bytefallback_replace"] = t

# Split with every behavior, inverted, and a string pattern; UnicodeScripts; CharDelimiterSplit; Fuse.
for behavior in ["removed", "isolated", "merged_with_previous", "merged_with_next", "contiguous"]:
    t = trained(models.WordPiece(unk_token="[UNK]"), trainers.WordPieceTrainer(vocab_size=500, special_tokens=specials, limit_alphabet=250),
                normalizers.NFKC(),
                pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(r"[\s,.;:]+"), behavior=behavior),
                                         pre_tokenizers.Split("-", behavior="isolated", invert=False)]))
    t.decoder = decoders.Fuse()
    variants["split_" + behavior] = t
t = trained(models.WordPiece(unk_token="[UNK]"), trainers.WordPieceTrainer(vocab_size=500, special_tokens=specials, limit_alphabet=250), None,
            pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(r"\w+"), behavior="removed", invert=True), pre_tokenizers.UnicodeScripts(),
                                     pre_tokenizers.CharDelimiterSplit("_")]))
t.decoder = decoders.CTC(pad_token="[PAD]", word_delimiter_token="_", cleanup=True)
variants["inverted_scripts_ctc"] = t

# Truncation and padding: LongestFirst with stride and Left padding to a multiple; OnlySecond, Left truncation.
t = Tokenizer.from_str(variants["wordpiece_whitespace_bert"].to_str())
t.enable_truncation(24, stride=4, strategy="longest_first", direction="right")
t.enable_padding(direction="left", pad_id=t.token_to_id("[PAD]"), pad_token="[PAD]", pad_to_multiple_of=8)
variants["truncate_longest_first_pad_left"] = t
t = Tokenizer.from_str(variants["wordlevel_nfd_strip"].to_str())
t.enable_truncation(40, strategy="only_second", direction="left")
t.enable_padding(pad_id=t.token_to_id("[PAD]"), pad_token="[PAD]", length=48)
variants["truncate_only_second_pad_fixed"] = t

# Precompiled: SentencePiece's nmt_nfkc_cf character map (grapheme lookups), Metaspace first + split.
import io  # noqa: E402

import sentencepiece  # noqa: E402
from sentencepiece import sentencepiece_model_pb2  # noqa: E402

model_bytes = io.BytesIO()
sentencepiece.SentencePieceTrainer.train(sentence_iterator=iter([text for text in train if text.isascii()]), model_writer=model_bytes,
                                         vocab_size=300, normalization_rule_name="nmt_nfkc_cf", minloglevel=3)
proto = sentencepiece_model_pb2.ModelProto()
proto.ParseFromString(model_bytes.getvalue())
t = trained(models.WordPiece(unk_token="[UNK]", continuing_subword_prefix=""), trainers.WordPieceTrainer(vocab_size=500, special_tokens=specials, limit_alphabet=250, continuing_subword_prefix=""),
            normalizers.Precompiled(proto.normalizer_spec.precompiled_charsmap), pre_tokenizers.Metaspace(prepend_scheme="first", split=True))
t.decoder = decoders.Metaspace(prepend_scheme="first")
variants["precompiled_metaspace"] = t

expected = open(os.path.join(out, "expected.jsonl"), "w", encoding="utf-8")


def row(variant, index, encoding, tokenizer, pair=None):
    record = {"variant": variant, "index": index, "ids": encoding.ids, "tokens": encoding.tokens,
              "offsets": [list(span) for span in encoding.offsets], "type_ids": encoding.type_ids,
              "special_tokens_mask": encoding.special_tokens_mask, "attention_mask": encoding.attention_mask,
              "decoded": tokenizer.decode(encoding.ids, skip_special_tokens=True)}
    if pair is not None:
        record["pair"] = True
        record["overflowing_ids"] = [overflow.ids for overflow in encoding.overflowing]
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    for character in ("\u0085", "\u2028", "\u2029"):
        text = text.replace(character, "\\u%04x" % ord(character))
    expected.write(text + "\n")


for name, tokenizer in variants.items():
    tokenizer.save(os.path.join(out, name + ".json"))
    if name.startswith("truncate_"):
        pairs = list(zip(short_texts, long_texts))
        for index, encoding in enumerate(tokenizer.encode_batch(pairs)):
            row(name, index, encoding, tokenizer, pair=True)
        continue
    for index, text in enumerate(sample):
        row(name, index, tokenizer.encode(text), tokenizer)
with open(os.path.join(out, "sample.jsonl"), "w", encoding="utf-8") as file:
    for text in sample:
        file.write(json.dumps({"text": text}) + "\n")
with open(os.path.join(out, "pairs.jsonl"), "w", encoding="utf-8") as file:
    for first, second in zip(short_texts, long_texts):
        file.write(json.dumps({"text": first, "text_pair": second}) + "\n")
