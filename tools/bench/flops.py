"""Model FLOPs of one step of the CLIP vision classifier, as src/PartialLoRA/Benchmarks/FinetuneFlops.cs counts them.

Both sides of the benchmark (bench finetune and peft_reference.py) report MFU from this one formula:
2 FLOPs per multiply-add of every matrix product; element-wise work is not counted.

Per image, T = patches + 1 tokens, width D, MLP width F, L layers, C*p*p pixels per patch, projection P, K classes:
  patch embedding 2*(T-1)*C*p*p*D; per layer q,k,v,out 4*2*T*D*D, fc1 + fc2 2*2*T*D*F, attention 4*T*T*D;
  visual_projection 2*D*P and classifier 2*P*K on the class token; an adapter (n -> m, rank r) 2*T*r*(n + m).
Step: eval = forward. full = forward + dX (all but the patch embedding) + dW (all) + 2 x attention.
adapters = forward + dX (all but layer 0's q, k, v and the patch embedding) + dW of the classifier + 2 x attention
+ 3 x adapters' forward.

Run `python3 flops.py` to print the ViT-B/16 figures (the C# tests compare against the same numbers).
"""
import json
import sys


def vit_b16():
    return dict(hidden=768, intermediate=3072, layers=12, heads=12, image=224, patch=16, channels=3, projection=512)


def lab_tiny():
    return dict(hidden=192, intermediate=768, layers=6, heads=3, image=32, patch=4, channels=3, projection=128)


def lab_small():
    return dict(hidden=384, intermediate=1536, layers=12, heads=6, image=32, patch=4, channels=3, projection=256)


# The CLIP presets of src/PartialLoRA/Models/ModelRegistry.cs (vision tower and projection).
PRESETS = {"clip-vit-b16": vit_b16, "clip-vit-lab-tiny": lab_tiny, "clip-vit-lab-small": lab_small}


def components(v, classes):
    patches = (v["image"] // v["patch"]) ** 2
    t = patches + 1
    d, f = v["hidden"], v["intermediate"]
    return dict(
        tokens=t,
        patch_embedding=2.0 * patches * v["channels"] * v["patch"] * v["patch"] * d,
        layer_linears=2.0 * t * (4.0 * d * d + 2.0 * d * f),
        layer_qkv=2.0 * t * 3.0 * d * d,
        layer_attention=4.0 * t * t * d,
        head=2.0 * d * v["projection"] + 2.0 * v["projection"] * classes,
        classifier=2.0 * v["projection"] * classes,
    )


def base_forward(v, classes):
    c = components(v, classes)
    return c["patch_embedding"] + v["layers"] * (c["layer_linears"] + c["layer_attention"]) + c["head"]


def adapter_forward(v, adapters):
    """adapters: iterable of (in_features, out_features, rank)."""
    t = components(v, 2)["tokens"]
    return sum(2.0 * t * r * (n + m) for n, m, r in adapters)


def standard_adapters(v, rank):
    """q, k, v, out_proj, fc1, fc2 of every layer at one rank."""
    d, f = v["hidden"], v["intermediate"]
    per_layer = [(d, d, rank)] * 4 + [(d, f, rank), (f, d, rank)]
    return per_layer * v["layers"]


def per_step(kind, v, classes, batch, adapters=None):
    c = components(v, classes)
    lin = v["layers"] * c["layer_linears"]
    att = v["layers"] * c["layer_attention"]
    fwd = base_forward(v, classes)
    if kind == "eval":
        per_image = fwd
    elif kind == "full":
        per_image = fwd + (lin + c["head"]) + (c["patch_embedding"] + lin + c["head"]) + 2 * att
    elif kind == "adapters":
        if adapters is None:
            raise ValueError("adapter FLOPs need the adapted layers")
        per_image = fwd + (lin - c["layer_qkv"] + c["head"]) + c["classifier"] + 2 * att + 3 * adapter_forward(v, adapters)
    else:
        raise ValueError(f"unknown step kind {kind!r}")
    return per_image * batch


def main():
    v = vit_b16()
    out = {
        "base_forward_per_image": base_forward(v, 100),
        "lora_r16_step_b64": per_step("adapters", v, 100, 64, standard_adapters(v, 16)),
        "full_step_b64": per_step("full", v, 100, 64),
        "eval_step_b64": per_step("eval", v, 100, 64),
    }
    json.dump(out, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
