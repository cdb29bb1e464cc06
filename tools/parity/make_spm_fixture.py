#!/usr/bin/env python3
"""SentencePiece reference fixture (runs here: Debian's python3-sentencepiece is the reference implementation).

Trains two small SentencePiece models on GLUE sentences and writes the token ids the reference library produces
for a set of tricky strings; the C# tests must reproduce them exactly:
  * glue-unigram.model: DeBERTa-v3's kind (unigram, nmt_nfkc normalisation, [PAD]=0 [CLS]=1 [SEP]=2 [UNK]=3);
  * glue-bpe.model: LLaMA's kind (BPE, identity normalisation, byte fallback, split digits, whitespace kept,
    <unk>=0 <s>=1 </s>=2).

    /usr/bin/python3 tools/parity/make_spm_fixture.py --glue ../shared/data/glue --out tests/fixtures/hf/spm
"""
import argparse
import csv
import json
import os
import sys

import sentencepiece as spm

TRICKY = [
    "Hello world",
    "  leading and trailing spaces  ",
    "multiple    inner   spaces\tand\ttabs\nand newlines",
    "UPPER lower MiXeD case",
    "it's a movie -- that isn't bad , is it ?",
    "naïve café résumé façade",
    "ﬁne ligatures ① full-width ＡＢＣ １２３",
    "numbers 12345 and 3.14159 and 1,000,000",
    "emoji 😊 and CJK 生活的真谛是 and Thai ปี",
    "[CLS] literal [SEP] tokens [MASK] in text",
    "<s> angle </s> brackets",
    "a",
    "",
    " ",
    "the film 's final third is a mess , but the first hour is excellent .",
    "unbelievably unforgettable unpredictability",
]


def corpus(glue_dir, path, limit):
    lines = []
    with open(os.path.join(glue_dir, "SST-2", "train.tsv"), encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            lines.append(row["sentence"])
    with open(os.path.join(glue_dir, "MRPC", "train.tsv"), encoding="utf-8") as f:
        next(f)
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) == 5:
                lines += [cols[3], cols[4]]
    lines = lines[:limit]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return len(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--glue", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--vocab", type=int, default=1000)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    text = os.path.join(args.out, "corpus.tmp.txt")
    n = corpus(args.glue, text, 30000)
    result = {"sentencepiece_version": spm.__version__, "corpus_lines": n, "strings": TRICKY, "models": {}}
    kinds = {
        "unigram": dict(model_type="unigram", pad_id=0, bos_id=1, eos_id=2, unk_id=3,
                        pad_piece="[PAD]", bos_piece="[CLS]", eos_piece="[SEP]", unk_piece="[UNK]"),
        "bpe": dict(model_type="bpe", unk_id=0, bos_id=1, eos_id=2, pad_id=-1, byte_fallback=True,
                    split_digits=True, normalization_rule_name="identity", remove_extra_whitespaces=False,
                    allow_whitespace_only_pieces=True),
    }
    for kind, options in kinds.items():
        prefix = os.path.join(args.out, f"glue-{kind}")
        spm.SentencePieceTrainer.train(
            input=text, model_prefix=prefix, vocab_size=args.vocab, character_coverage=0.9995,
            num_threads=1, minloglevel=2, **options)
        os.remove(prefix + ".vocab")
        sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
        result["models"][kind] = {
            "file": f"glue-{kind}.model",
            "pieces": sp.get_piece_size(),
            "ids": [sp.encode(s) for s in TRICKY],
            "pieces_of": [sp.encode(s, out_type=str) for s in TRICKY],
        }
    os.remove(text)
    with open(os.path.join(args.out, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False, indent=1)
    print("wrote", args.out, file=sys.stderr)


if __name__ == "__main__":
    main()
