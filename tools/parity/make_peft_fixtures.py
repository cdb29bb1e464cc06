#!/usr/bin/env python3
"""PEFT parity fixtures for the C# adapter library (PartialLoRA.Adapters).

Runs where PyTorch and HF PEFT 0.21 are installed (e.g. the lent GPU machine; everything here runs on the CPU in
float32). It does two things:

1. For LoRA, DoRA and VeRA it builds TinyTransformer (the exact twin of tests/PartialLoRA.Tests/Adapters/TinyModels.cs),
   applies the method with PEFT, sets every adapter parameter to seeded random values (so that no gradient is
   trivially zero), runs one forward and backward pass on a fixed input and writes to <out>/<method>/:
     base_model.safetensors   the base weights (state_dict names shared with the C# model)
     adapter_config.json      PEFT's save_pretrained output
     adapter_model.safetensors
     io.safetensors           x, cotangent, output, base_output (adapters disabled) and grad.<saved key> for every
                              adapter parameter, where loss = sum(output * cotangent)
     meta.json                versions and settings
   The C# tests (PeftParityTests) load these with AdapterModel.Load and require outputs and gradients within 1e-5.

2. For every folder in <out>/ours/ (adapters saved by the C# library, see PeftParityTests.Export_our_adapters...),
   it loads the adapter into PEFT on the same base weights and compares PEFT's outputs (and, where the C# side
   stored them, gradients) with ours; the result goes to <out>/ours/peft_check.json.

Usage: python tools/parity/make_peft_fixtures.py [--out tests/fixtures/peft]
"""
import argparse
import json
import math
import os
import platform
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

import peft
from peft import LoraConfig, PeftModel, VeraConfig, get_peft_model

DIM, HEADS, FFN, CLASSES, BLOCKS = 16, 2, 24, 5, 2
TARGETS = ["q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2"]
TOLERANCE = 1e-5


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.q_proj = nn.Linear(DIM, DIM)
        self.k_proj = nn.Linear(DIM, DIM)
        self.v_proj = nn.Linear(DIM, DIM)
        self.out_proj = nn.Linear(DIM, DIM)

    def forward(self, x):
        b, t, _ = x.shape
        dh = DIM // HEADS

        def split(y):
            return y.view(b, t, HEADS, dh).transpose(1, 2)

        q, k, v = split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x))
        att = (q @ k.transpose(-2, -1)).div(math.sqrt(dh)).softmax(-1)
        return self.out_proj((att @ v).transpose(1, 2).reshape(b, t, DIM))


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(DIM, FFN)
        self.fc2 = nn.Linear(FFN, DIM)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm1 = nn.LayerNorm(DIM)
        self.self_attn = Attention()
        self.norm2 = nn.LayerNorm(DIM)
        self.mlp = Mlp()

    def forward(self, x):
        h = x + self.self_attn(self.norm1(x))
        return h + self.mlp(self.norm2(h))


class TinyTransformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([Block() for _ in range(BLOCKS)])
        self.norm = nn.LayerNorm(DIM)
        self.classifier = nn.Linear(DIM, CLASSES)

    def forward(self, x):
        for block in self.layers:
            x = block(x)
        return self.classifier(self.norm(x).mean(1))


def saved_key(name):
    """named_parameters name of a PeftModel -> the key PEFT writes to adapter_model.safetensors."""
    name = name.replace(".default.", ".")
    if name.endswith(".default"):
        name = name[: -len(".default")]
    if ".lora_magnitude_vector." in name + "." and name.endswith(".weight"):
        name = name[: -len(".weight")]
    return name


def base_weights(seed=1234):
    torch.manual_seed(seed)
    model = TinyTransformer()
    with torch.no_grad():  # LayerNorm parameters away from 1/0 so that they matter
        for module in model.modules():
            if isinstance(module, nn.LayerNorm):
                module.weight.uniform_(0.9, 1.1)
                module.bias.uniform_(-0.1, 0.1)
    return {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}


def fresh_model(weights):
    model = TinyTransformer()
    model.load_state_dict(weights)
    return model.float()


def method_config(method):
    if method == "lora":
        return LoraConfig(r=4, lora_alpha=8, target_modules=TARGETS, lora_dropout=0.0)
    if method == "dora":
        return LoraConfig(r=4, lora_alpha=8, target_modules=TARGETS, lora_dropout=0.0, use_dora=True)
    if method == "vera":
        return VeraConfig(r=6, target_modules=TARGETS, projection_prng_key=3, save_projection=True, d_initial=0.1)
    raise ValueError(method)


def forward_backward(model, x, cotangent):
    model.eval()
    for p in model.parameters():
        p.grad = None
    out = model(x)
    (out * cotangent).sum().backward()
    grads = {saved_key(n): p.grad.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    return out.detach(), grads


def versions():
    import transformers

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "peft": peft.__version__,
        "transformers": transformers.__version__,
    }


def make_fixtures(out_dir):
    weights = base_weights()
    g = torch.Generator().manual_seed(7)
    x = torch.randn(3, 5, DIM, generator=g)
    cotangent = torch.randn(3, CLASSES, generator=g)
    for method in ["lora", "dora", "vera"]:
        folder = os.path.join(out_dir, method)
        os.makedirs(folder, exist_ok=True)
        model = get_peft_model(fresh_model(weights), method_config(method))
        pg = torch.Generator().manual_seed(11)
        with torch.no_grad():
            for name, p in model.named_parameters():
                if not p.requires_grad:
                    continue
                noise = torch.randn(p.shape, generator=pg)
                if "lora_magnitude_vector" in name:
                    p.mul_(1 + 0.1 * noise)
                else:
                    p.copy_(0.1 * noise)
        out, grads = forward_backward(model, x, cotangent)
        with torch.no_grad(), model.disable_adapter():
            base_out = model(x)
        model.save_pretrained(folder)
        saved = load_file(os.path.join(folder, "adapter_model.safetensors"))
        missing = sorted(k for k in grads if k not in saved)
        if missing:
            sys.exit(f"{method}: gradient keys not among the saved keys: {missing}")
        io = {"x": x, "cotangent": cotangent, "output": out, "base_output": base_out}
        io.update({"grad." + k: v.contiguous() for k, v in grads.items()})
        save_file(io, os.path.join(folder, "io.safetensors"))
        save_file(weights, os.path.join(folder, "base_model.safetensors"))
        with open(os.path.join(folder, "meta.json"), "w") as f:
            json.dump({"method": method, "versions": versions(), "loss": "sum(output * cotangent)",
                       "adapter_init": "every trainable adapter parameter = 0.1 * N(0,1) (DoRA magnitude: m * (1 + 0.1 N))",
                       "seeds": {"base": 1234, "io": 7, "adapter": 11}}, f, indent=2)
        print(f"{method}: wrote {folder} ({len(grads)} gradients)")


def check_ours(ours_dir):
    if not os.path.isdir(ours_dir):
        print(f"no {ours_dir}: nothing of ours to check")
        return True
    results = {"versions": versions(), "tolerance": TOLERANCE, "adapters": {}}
    all_ok = True
    for method in sorted(os.listdir(ours_dir)):
        folder = os.path.join(ours_dir, method)
        if not os.path.isfile(os.path.join(folder, "adapter_config.json")):
            continue
        entry = {}
        try:
            weights = load_file(os.path.join(folder, "base_model.safetensors"))
            io = load_file(os.path.join(folder, "io.safetensors"))
            model = PeftModel.from_pretrained(fresh_model(weights), folder, is_trainable=True)
            with torch.no_grad():
                model.eval()
                base_check = None
                with model.disable_adapter():
                    base_check = (model(io["x"]) - io["base_output"]).abs().max().item()
            out, grads = forward_backward(model, io["x"], io["cotangent"])
            entry["base_max_abs_diff"] = base_check
            entry["output_max_abs_diff"] = (out - io["output"]).abs().max().item()
            ours = {k[len("grad."):]: v for k, v in io.items() if k.startswith("grad.")}
            if ours:
                missing = sorted(k for k in ours if k not in grads)
                entry["gradient_keys_missing_in_peft"] = missing
                entry["gradient_max_abs_diff"] = max((grads[k] - v).abs().max().item() for k, v in ours.items() if k in grads)
            entry["ok"] = (entry["output_max_abs_diff"] <= TOLERANCE and base_check <= TOLERANCE
                           and (not ours or (not entry["gradient_keys_missing_in_peft"] and entry["gradient_max_abs_diff"] <= TOLERANCE)))
        except Exception as e:  # recorded, not hidden: the C# test reads this file
            entry = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        all_ok &= entry["ok"]
        results["adapters"][method] = entry
        print(f"ours/{method}: {entry}")
    with open(os.path.join(ours_dir, "peft_check.json"), "w") as f:
        json.dump(results, f, indent=2)
    return all_ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join("tests", "fixtures", "peft"))
    args = parser.parse_args()
    torch.set_default_dtype(torch.float32)
    make_fixtures(args.out)
    ok = check_ours(os.path.join(args.out, "ours"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
