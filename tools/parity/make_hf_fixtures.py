#!/usr/bin/env python3
"""Parity fixtures from Hugging Face transformers for the C# models and tokenizers.

Runs where PyTorch + transformers (5.x; written for 5.17) + safetensors are installed, e.g. the lent GPU machine:

    python tools/parity/make_hf_fixtures.py --data ../shared/data --out tests/fixtures/hf

For each tiny random-weight model it writes tests/fixtures/hf/<name>/ with
  config.json, model.safetensors      -- save_pretrained (HF's own key layout and config fields)
  reference.safetensors               -- fixed inputs and HF's outputs (float32, eval mode, eager attention)
and tests/fixtures/hf/tokenizers.json with HF's token ids for tricky strings (CLIP BPE from OpenAI's vocabulary,
BERT uncased WordPiece, DeBERTa-v2 SentencePiece and LLaMA SentencePiece on the models in tests/fixtures/hf/spm).

Models: clip (CLIPModel, legacy eos_token_id 2 as in openai/clip-vit-base-patch16), deberta-v3
(DebertaV2ForSequenceClassification with log-bucketed relative positions and shared attention keys),
deberta-v3-mlm (DebertaV2ForMaskedLM, legacy head), deberta-v2 (separate position projections, absolute and
token-type embeddings, embedding projection, conv layer), llama (LlamaForSequenceClassification with
grouped-query attention). Weights are redrawn with larger spreads than HF's init so that attention is far from
uniform and every term matters; everything is seeded. The C# tests (HfParityTests) compare at 1e-4.
"""
import argparse
import gzip
import json
import os
import shutil
import sys
import tempfile

import torch
import transformers
from safetensors.torch import save_file

SEED = 1234


def randomize(model, seed):
    """Redraw every parameter: norms near 1 (weights) / 0 (biases), everything else N(0, 0.2^2)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 0:
                continue  # CLIP's logit_scale keeps its init
            is_norm = "norm" in name.lower() or "layrnorm" in name.lower()
            if is_norm and name.endswith("weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            elif is_norm:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.2 * torch.randn(p.shape, generator=g))


def build(cls, config):
    """The model in eval mode with HF's eager attention (the reference path; SDPA differs only by rounding)."""
    try:
        model = cls._from_config(config, attn_implementation="eager")
    except TypeError:
        model = cls(config)
    return model.eval()


class Capture:
    """Forward hooks that keep a module's output (the first element when it returns a tuple), version-independently."""

    def __init__(self, **modules):
        self.out = {}
        self.handles = [m.register_forward_hook(self._hook(k)) for k, m in modules.items()]

    def _hook(self, key):
        def hook(module, inputs, output):
            self.out[key] = output[0] if isinstance(output, tuple) else output
        return hook

    def __enter__(self):
        return self.out

    def __exit__(self, *exc):
        for h in self.handles:
            h.remove()


def save(model, out, name, tensors):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    model.save_pretrained(d)  # safetensors: the default since transformers 4.35, the only format in 5.x
    for extra in ("generation_config.json",):
        if os.path.exists(os.path.join(d, extra)):
            os.remove(os.path.join(d, extra))
    meta = {"transformers": transformers.__version__, "torch": torch.__version__, "seed": str(SEED)}
    save_file({k: v.detach().to(torch.float32 if v.is_floating_point() else v.dtype).contiguous() for k, v in tensors.items()},
              os.path.join(d, "reference.safetensors"), metadata=meta)
    print(f"wrote {d}: {', '.join(tensors)}", file=sys.stderr)


def clip(out):
    from transformers import CLIPConfig, CLIPModel
    cfg = CLIPConfig(
        text_config=dict(vocab_size=99, hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
                         max_position_embeddings=16, hidden_act="quick_gelu", bos_token_id=0, eos_token_id=2, pad_token_id=1),
        vision_config=dict(hidden_size=24, intermediate_size=40, num_hidden_layers=2, num_attention_heads=2, image_size=16,
                           patch_size=4, hidden_act="quick_gelu"),
        projection_dim=12)
    torch.manual_seed(SEED)
    model = build(CLIPModel, cfg)
    randomize(model, SEED)
    # legacy eos_token_id == 2: HF pools at the argmax id, so the EOT (98) is the largest id of each row
    ids = torch.tensor([[0, 5, 17, 42, 98, 1, 1], [0, 60, 61, 62, 63, 64, 98]])
    mask = torch.tensor([[1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1]])
    pixels = torch.randn(2, 3, 16, 16, generator=torch.Generator().manual_seed(SEED + 1))
    with torch.no_grad(), Capture(vision=model.vision_model.encoder.layers[0], text=model.text_model.encoder.layers[0]) as layer0:
        o = model(input_ids=ids, attention_mask=mask, pixel_values=pixels)
    save(model, out, "clip", {
        "input_ids": ids, "attention_mask": mask, "pixel_values": pixels,
        "logits_per_image": o.logits_per_image, "text_embeds": o.text_embeds, "image_embeds": o.image_embeds,
        "text_last_hidden_state": o.text_model_output.last_hidden_state,
        "text_pooler_output": o.text_model_output.pooler_output,
        "vision_last_hidden_state": o.vision_model_output.last_hidden_state,
        "vision_pooler_output": o.vision_model_output.pooler_output,
        "vision_layer_0_output": layer0["vision"],
        "text_layer_0_output": layer0["text"],
    })


def deberta_inputs():
    ids = torch.tensor([[1, 11, 23, 35, 47, 59, 61, 73, 85, 97, 12, 2], [1, 14, 28, 42, 56, 70, 2, 0, 0, 0, 0, 0]])
    mask = (torch.arange(12)[None, :] < torch.tensor([[12], [7]])).long()
    return ids, mask


def deberta_outputs(model, ids, mask):
    """Logits, the embedding output, layer 0's output (before the v2 conv) and the last hidden state."""
    with torch.no_grad(), Capture(embeddings=model.deberta.embeddings, layer0=model.deberta.encoder.layer[0]) as c:
        logits = model(input_ids=ids, attention_mask=mask).logits
    with torch.no_grad():
        last = model.deberta(input_ids=ids, attention_mask=mask).last_hidden_state
    return {"input_ids": ids, "attention_mask": mask, "logits": logits, "embedding_output": c["embeddings"],
            "layer_0_output": c["layer0"], "last_hidden_state": last}


def deberta_v3(out):
    from transformers import DebertaV2Config, DebertaV2ForMaskedLM, DebertaV2ForSequenceClassification
    common = dict(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
                  max_position_embeddings=64, relative_attention=True, position_buckets=8, norm_rel_ebd="layer_norm",
                  share_att_key=True, pos_att_type="p2c|c2p", layer_norm_eps=1e-7, max_relative_positions=-1,
                  position_biased_input=False, type_vocab_size=0, pad_token_id=0, hidden_act="gelu")
    ids, mask = deberta_inputs()
    torch.manual_seed(SEED)
    model = build(DebertaV2ForSequenceClassification, DebertaV2Config(num_labels=3, **common))
    randomize(model, SEED + 2)
    save(model, out, "deberta-v3", deberta_outputs(model, ids, mask))
    torch.manual_seed(SEED)
    mlm = build(DebertaV2ForMaskedLM, DebertaV2Config(legacy=True, **common))
    randomize(mlm, SEED + 3)
    with torch.no_grad():
        o = mlm(input_ids=ids, attention_mask=mask)
    save(mlm, out, "deberta-v3-mlm", {"input_ids": ids, "attention_mask": mask, "logits": o.logits})


def deberta_v2(out):
    from transformers import DebertaV2Config, DebertaV2ForSequenceClassification
    cfg = DebertaV2Config(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
                          max_position_embeddings=64, relative_attention=True, max_relative_positions=6, position_buckets=-1,
                          pos_att_type=["c2p", "p2c"], share_att_key=False, position_biased_input=True, type_vocab_size=2,
                          embedding_size=24, conv_kernel_size=3, conv_act="gelu", norm_rel_ebd="layer_norm",
                          layer_norm_eps=1e-7, pad_token_id=0, num_labels=2, hidden_act="gelu")
    ids, mask = deberta_inputs()
    torch.manual_seed(SEED)
    model = build(DebertaV2ForSequenceClassification, cfg)
    randomize(model, SEED + 4)
    save(model, out, "deberta-v2", deberta_outputs(model, ids, mask))


def llama(out):
    from transformers import LlamaConfig, LlamaForSequenceClassification
    cfg = LlamaConfig(vocab_size=100, hidden_size=32, intermediate_size=40, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, max_position_embeddings=64, rms_norm_eps=1e-6, pad_token_id=0, bos_token_id=1,
                      eos_token_id=2, num_labels=2, tie_word_embeddings=False)
    torch.manual_seed(SEED)
    model = build(LlamaForSequenceClassification, cfg)
    randomize(model, SEED + 5)
    # right padding with the pad id only where the mask is 0 (HF pools at the last non-pad id)
    ids = torch.tensor([[1, 15, 27, 39, 41, 53, 65, 77], [1, 44, 55, 66, 2, 0, 0, 0]])
    mask = (ids != 0).long()
    with torch.no_grad(), Capture(layer0=model.model.layers[0]) as c:
        o = model(input_ids=ids, attention_mask=mask)
    with torch.no_grad():
        base = model.model(input_ids=ids, attention_mask=mask)
    save(model, out, "llama", {
        "input_ids": ids, "attention_mask": mask, "logits": o.logits,
        "layer_0_output": c["layer0"], "last_hidden_state": base.last_hidden_state,
    })


TRICKY = [
    "a photo of a cat",
    "This is a test 😊\nI was born in 92000, and this is falsé.\n生活的真谛是\nHi  Hello\nHi   Hello\n\n \n  \n Hello\n<s>\nhi<s>there",
    "  leading, trailing and   inner   spaces  ",
    "it's a movie -- that isn't bad , is it ? ''quoted'' ``too``",
    "naïve café résumé façade Æsir Øresund",
    "ﬁne ligatures ① full-width ＡＢＣ １２３",
    "numbers 12345 and 3.14159 and 1,000,000",
    "emoji 😊🐶 and CJK 生活的真谛是 and Thai ปี and Hangul 한국어",
    "[CLS] literal [SEP] tokens [MASK] <|endoftext|> <|startoftext|>",
    "tabs\tand\nnewlines\r\nand\u00a0nbsp\u200bzero-width",
    "mobileclip hatbox unbelievably unforgettable",
    "",
]

PAIRS = [("the film is great", "a waste of time"), ("Who wrote it?", "It was written by Ms. O'Neil in 1999.")]


def clip_files_from_openai(bpe_path, folder):
    """vocab.json + merges.txt built from OpenAI's merges exactly as openai/clip-* ship them."""
    with gzip.open(bpe_path, "rt", encoding="utf-8") as f:
        merges = f.read().split("\n")[1:49152 - 256 - 2 + 1]
    merges = [tuple(m.split()) for m in merges]
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    symbols = [chr(c) for c in cs]
    vocab = symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges] + ["<|startoftext|>", "<|endoftext|>"]
    with open(os.path.join(folder, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump({t: i for i, t in enumerate(vocab)}, f, ensure_ascii=False)
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "\n".join(" ".join(m) for m in merges) + "\n")


def tokenizer_folder(files, config):
    """A temporary tokenizer folder in HF layout, loaded with from_pretrained as users load them."""
    d = tempfile.mkdtemp(prefix="tok-")
    for name, src in files.items():
        shutil.copyfile(src, os.path.join(d, name))
    with open(os.path.join(d, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f)
    return d


def tokenizers(data, out):
    from transformers import BertTokenizer, CLIPTokenizer, DebertaV2Tokenizer, LlamaTokenizer
    result = {"transformers": transformers.__version__, "strings": TRICKY, "pairs": PAIRS}
    clip_dir = tokenizer_folder({}, {"model_max_length": 77})
    clip_files_from_openai(os.path.join(data, "clip", "bpe_simple_vocab_16e6.txt.gz"), clip_dir)
    clip_tok = CLIPTokenizer.from_pretrained(clip_dir)
    result["clip"] = {"ids": [clip_tok(s)["input_ids"] for s in TRICKY]}
    bert = BertTokenizer.from_pretrained(tokenizer_folder({"vocab.txt": os.path.join(data, "bert-vocab", "vocab.txt")}, {"do_lower_case": True}))
    result["bert"] = {"ids": [bert(s)["input_ids"] for s in TRICKY], "pair_ids": [bert(a, b)["input_ids"] for a, b in PAIRS]}
    spm_dir = os.path.join(out, "spm")
    deb = DebertaV2Tokenizer.from_pretrained(tokenizer_folder({"spm.model": os.path.join(spm_dir, "glue-unigram.model")}, {}))
    result["deberta_v3_spm"] = {"model": "spm/glue-unigram.model", "ids": [deb(s)["input_ids"] for s in TRICKY],
                                "pair_ids": [deb(a, b)["input_ids"] for a, b in PAIRS]}
    lla = LlamaTokenizer.from_pretrained(tokenizer_folder({"tokenizer.model": os.path.join(spm_dir, "glue-bpe.model")}, {}))
    result["llama_spm"] = {"model": "spm/glue-bpe.model", "ids": [lla(s)["input_ids"] for s in TRICKY]}
    with open(os.path.join(out, "tokenizers.json"), "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False, indent=1)
    print(f"wrote {os.path.join(out, 'tokenizers.json')}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="data root holding clip/bpe_simple_vocab_16e6.txt.gz and bert-vocab/vocab.txt")
    ap.add_argument("--out", default="tests/fixtures/hf")
    ap.add_argument("--only", nargs="*", help="subset: clip deberta-v3 deberta-v2 llama tokenizers")
    args = ap.parse_args()
    torch.set_grad_enabled(False)
    steps = {"clip": clip, "deberta-v3": deberta_v3, "deberta-v2": deberta_v2, "llama": llama,
             "tokenizers": lambda o: tokenizers(args.data, o)}
    for name, step in steps.items():
        if not args.only or name in args.only:
            step(args.out)


if __name__ == "__main__":
    main()
