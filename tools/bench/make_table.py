#!/usr/bin/env python3
"""BENCHMARKS.md's side-by-side table from the JSON of one GPU session (stdlib only; runs anywhere).

  python3 tools/bench/make_table.py --ours ours.json [--reference reference.json] [--derive derive.json]
                                    [--eager ours-eager.json] [--nvidia-smi nvidia-smi.txt]

ours.json: `partial-lora bench finetune --out`; reference.json: tools/bench/peft_reference.py --out;
derive.json: `partial-lora bench derive --preset clip-vit-b16 --json`; ours-eager.json: bench finetune with
--attention eager (adds an SDPA-vs-eager table). Ratios are ours / reference for speed and
reference / ours for memory (both > 1 when ours is better). Prints Markdown; exits 1 when a file is malformed or the
two sides were not run with the same settings.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flops  # noqa: E402

GIB = 2 ** 30
MIB = 2 ** 20
SAME = ["batch", "rank", "classes", "warmup", "windows", "steps_per_window", "seed", "peak_tflops"]


def load(path, tool):
    with open(path) as f:
        report = json.load(f)
    if not report.get("tool", "").endswith(tool):
        raise SystemExit(f"error: {path}: not a report of {tool} (tool = {report.get('tool')!r})")
    return report


def fmt(x, spec, unit=""):
    return "—" if x is None else f"{x:{spec}}{unit}"


def rate(x):
    """images/s: whole images where they are large (GPU), one decimal where they are small (CPU)."""
    return fmt(x, ",.0f" if x is not None and x >= 100 else ",.1f")


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def check_same_settings(ours, ref):
    o, r = ours["options"], ref["options"]
    diffs = [k for k in SAME if o.get(k) != r.get(k)]
    for side in (ours, ref):
        for row in side["results"]:
            if row["image_size"] != ours["results"][0]["image_size"]:
                diffs.append(f"image_size of {row['method']}")
    if o.get("preset") != r.get("preset"):
        diffs.append("preset")
    if diffs:
        raise SystemExit("error: the two reports were not run with the same settings: " + ", ".join(diffs))


def check_flops(ours):
    """Our FLOPs (C#) against this formula (Python): the two implementations must agree."""
    o = ours["options"]
    preset = flops.PRESETS[o["preset"]]()
    preset["image"] = ours["results"][0]["image_size"]
    for r in ours["results"]:
        kind = {"eval": "eval", "full": "full"}.get(r["method"], "adapters")
        expected = flops.per_step(kind, preset, o["classes"], o["batch"],
                                  flops.standard_adapters(preset, o["rank"]) if kind == "adapters" else None)
        if abs(expected - r["flops_per_step"]) > 1e-9 * expected:
            raise SystemExit(f"error: {r['method']}: ours counts {r['flops_per_step']:.6g} FLOPs per step, tools/bench/flops.py {expected:.6g}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ours", required=True)
    p.add_argument("--reference")
    p.add_argument("--derive")
    p.add_argument("--eager")
    p.add_argument("--nvidia-smi")
    a = p.parse_args()
    ours = load(a.ours, "bench finetune")
    ref = load(a.reference, "peft_reference.py") if a.reference else None
    check_flops(ours)
    if ref:
        check_same_settings(ours, ref)
    refs = {r["method"]: r for r in ref["results"]} if ref else {}
    out = []
    env = ours["environment"]
    devices = ", ".join(f"{d['name']} ({d['total_memory_bytes'] / GIB:.0f} GiB)" for d in env.get("cuda_devices", [])) or "CPU"
    out.append(f"- device: {devices}; ours on {env['device']}, {env['backend']}")
    subnormals = f" (subnormals {env['denormals']})" if env.get("denormals") else ""  # absent in reports before it was recorded
    out.append(f"- ours: TorchSharp {env['torch_sharp']}, libtorch {env['lib_torch']}, {env['dot_net']}, {env['cpu_threads']} CPU threads{subnormals}; "
               f"date {ours['date']}; load average {env['load_average_before']} before, {ours['load_average_after']} after")
    if ref:
        e = ref["environment"]
        out.append(f"- reference: Python {e['python']}, PyTorch {e['torch']} (CUDA {e['torch_cuda']}, cuDNN {e['cudnn']}), "
                   f"transformers {e['transformers']}, PEFT {e['peft']}, {e['cpu_threads']} CPU threads; date {ref['date']}; "
                   f"load average {e['load_average_before']} before, {ref['load_average_after']} after")
    if a.nvidia_smi and os.path.exists(a.nvidia_smi):
        with open(a.nvidia_smi) as f:
            csv = [ln.strip() for ln in f if ln.count(",") >= 2]
        if len(csv) >= 2:
            out.append(f"- nvidia-smi: {csv[-1]}")
    o = ours["options"]
    first = ours["results"][0]
    out.append(f"- settings: {o['preset']}, {first['image_size']}², batch {o['batch']}, rank {o['rank']}, {o['classes']} classes, "
               f"AdamW lr {o['learning_rate']}; {o['warmup']} warm-up steps, median of {o['windows']} windows × {o['steps_per_window']} steps; "
               f"ours {first['dtype']}" + (" (frozen base in bf16, f32 adapters and head computed in bf16)" if first["dtype"] == "bf16" else "")
               + f", attention {first['attention']}"
               + (f"; reference {ref['results'][0]['dtype']}, attention {ref['results'][0]['attention']}" if ref and ref["results"] else ""))
    out.append("")
    out.append("| method | ours img/s | ref img/s | speed ratio | ours step ms | ref step ms | ours peak GiB | ref peak GiB | ref torch max reserved GiB | memory ratio | ours trainable | ref trainable | ours opt state MiB | ref opt state MiB | ours MFU | ref MFU |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in ours["results"]:
        x = refs.get(r["method"])
        ours_mem = r["memory"]["above_baseline_bytes"] / GIB
        ref_mem = x["memory"]["above_baseline_bytes"] / GIB if x else None
        reserved = x.get("torch_max_memory_reserved") if x else None
        out.append("| " + " | ".join([
            r["method"],
            rate(r["images_per_second"]), rate(x and x["images_per_second"]),
            fmt(ratio(r["images_per_second"], x and x["images_per_second"]), ".2f", "×"),
            fmt(r["step_milliseconds"], ".1f"), fmt(x and x["step_milliseconds"], ".1f"),
            fmt(ours_mem, ".2f"), fmt(ref_mem, ".2f"), fmt(reserved and reserved / GIB, ".2f"),
            fmt(ratio(ref_mem, ours_mem), ".2f", "×"),
            fmt(r["trainable_parameters"], ","), fmt(x and x["trainable_parameters"], ","),
            fmt((r["optimizer_state_bytes"] + r["master_weight_bytes"]) / MIB, ".1f"),
            fmt(x and (x["optimizer_state_bytes"] + x["master_weight_bytes"]) / MIB, ".1f"),
            fmt(100 * r["mfu"], ".2f", " %"), fmt(x and 100 * x["mfu"], ".2f", " %"),
        ]) + " |")
    for f_ in ours.get("failures", []):
        out.append(f"| {f_['method']} | failed: {f_['error']} |" + " |" * 14)
    for f_ in (ref or {}).get("failures", []):
        out.append(f"| {f_['method']} (reference) | failed: {f_['error']} |" + " |" * 14)
    out.append("")
    if a.eager:
        out += eager_table(ours, load(a.eager, "bench finetune"))
    out += goals(ours, refs, a.derive)
    print("\n".join(out))


def eager_table(ours, eager):
    """Our methods with SDPA (ours.json) against the same run with --attention eager."""
    by = {r["method"]: r for r in ours["results"]}
    lines = ["SDPA against eager attention (ours, same settings):", "",
             "| method | SDPA img/s | eager img/s | SDPA / eager | SDPA peak GiB | eager peak GiB |", "|---|---:|---:|---:|---:|---:|"]
    for e in eager["results"]:
        s = by.get(e["method"])
        if e["attention"] != "eager" or (s and s["attention"] != "sdpa"):
            raise SystemExit(f"error: {e['method']}: expected sdpa in --ours and eager in --eager")
        lines.append("| " + " | ".join([
            e["method"], fmt(s and s["images_per_second"], ",.1f"), fmt(e["images_per_second"], ",.1f"),
            fmt(ratio(s and s["images_per_second"], e["images_per_second"]), ".2f", "×"),
            fmt(s and s["memory"]["above_baseline_bytes"] / GIB, ".2f"), fmt(e["memory"]["above_baseline_bytes"] / GIB, ".2f")]) + " |")
    return lines + [""]


def goals(ours, refs, derive_path):
    by = {r["method"]: r for r in ours["results"]}
    lines = ["Goals (issue 10):", ""]

    def line(ok, text):
        lines.append(f"- {'met' if ok else 'MISSED' if ok is not None else 'not measured'}: {text}")

    lora, ref_lora = by.get("lora"), refs.get("lora")
    r = ratio(lora and lora["images_per_second"], ref_lora and ref_lora["images_per_second"])
    line(None if r is None else r >= 2, f"our LoRA ≥ 2× the reference img/s: {fmt(r, '.2f', '×')}")
    for name, row in by.items():
        if name.startswith("partial-") and name.endswith("-compact") and lora:
            s = int(name.split("-")[1]) / 100
            speed = row["images_per_second"] / lora["images_per_second"]
            state = row["optimizer_state_bytes"] / lora["optimizer_state_bytes"] if lora["optimizer_state_bytes"] else None
            line(speed >= 1, f"{name} ≥ our LoRA's img/s: {speed:.2f}×; optimizer state {fmt(state, '.2f', '×')} of LoRA's "
                             f"(adapter entries kept ≈ {1 - s:.2f}, plus the head)")
    dora, ref_dora = by.get("dora"), refs.get("dora")
    r = ratio(dora and dora["images_per_second"], ref_dora and ref_dora["images_per_second"])
    line(None if r is None else r >= 1.5, f"our DoRA ≥ 1.5× the reference: {fmt(r, '.2f', '×')}")
    worse = [n for n, row in by.items() if n in refs and row["memory"]["above_baseline_bytes"] > refs[n]["memory"]["above_baseline_bytes"]]
    measured = [n for n in by if n in refs]
    line(None if not measured else not worse, "peak memory ≤ the reference for every method"
         + (f" (above it: {', '.join(worse)})" if worse else f" ({len(measured)} methods compared)"))
    if derive_path and os.path.exists(derive_path):
        with open(derive_path) as f:
            d = json.load(f)
        ok = d["total_seconds"] <= 60 if d.get("model") == "clip-vit-b16" else None  # only the model counts
        line(ok, f"Algorithm 1 on ViT-B/16 ≤ 60 s: {d.get('model')}: {d['total_seconds']:.1f} s (importance {d['importance_seconds']:.1f} s + "
                                       f"derivation {d['derivation_seconds']:.1f} s, {d['evaluations']} evaluations, {d['targets']} matrices, {d['device']})")
    else:
        line(None, "Algorithm 1 on ViT-B/16 ≤ 60 s")
    return lines


if __name__ == "__main__":
    main()
