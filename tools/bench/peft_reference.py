#!/usr/bin/env python3
"""The reference side of `partial-lora bench finetune`: the same measurement with PyTorch + HF transformers + HF PEFT.

Model: transformers' CLIPVisionModelWithProjection with the ViT-B/16 config (random weights; speed does not depend on
them), then L2-normalised image embeddings and a trainable nn.Linear head (projection_dim -> classes): the project's
ClipVisionClassifier. Adapters on q_proj, k_proj, v_proj, out_proj, fc1, fc2 through PEFT (LoraConfig, use_dora,
VeraConfig, AdaLoraConfig), the head trained as a PEFT modules_to_save. Eager PyTorch (no torch.compile), the fp32
model under torch.autocast(bfloat16) on CUDA, AdamW (PyTorch's default implementation: foreach on CUDA).

Partial-LoRA has no PEFT implementation. It is emulated as PEFT LoRA whose lora_A / lora_B weights are multiplied by
fixed Bernoulli column / row masks through torch.nn.utils.parametrize (Eq. 6 in dense-masked form: the masked
entries get zero gradient). The same emulation stands in for our dense AND compact rows: PEFT has no compact storage.

Timing and memory are measured as on our side (see BENCHMARKS.md): warm-up steps, then windows of steps with
torch.cuda.synchronize() only at window ends, step time = median over windows; device memory from the driver
(torch.cuda.mem_get_info, the cuMemGetInfo our side reads) at warm-up and window ends, plus
torch.cuda.max_memory_allocated / max_memory_reserved; each method in its own process on CUDA. CPU: peak RSS.

  python3 tools/bench/peft_reference.py --device cuda --out reference.json
  python3 tools/bench/peft_reference.py --device cpu --preset clip-vit-lab-tiny --batch 8 --steps 2 --windows 1 --warmup 1
"""
import argparse
import contextlib
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flops  # noqa: E402

TOOL = "tools/bench/peft_reference.py"
TARGETS = ["q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2"]
DEFAULT_METHODS = ["lora", "partial-60-compact", "partial-60-dense", "partial-80-compact", "partial-80-dense",
                   "dora", "vera", "adalora", "full", "eval"]


def parse_method(name):
    """(family, sparsity) for a method name of bench finetune."""
    parts = name.split("-")
    if len(parts) == 3 and parts[0] == "partial" and parts[2] in ("compact", "dense") and parts[1].isdigit():
        s = int(parts[1])
        if not 1 <= s <= 99:
            raise SystemExit(f"error: method '{name}': the sparsity must be 1..99 %")
        return "partial", s / 100.0
    if name in ("lora", "dora", "vera", "adalora", "full", "eval"):
        return name, 0.0
    raise SystemExit(f"error: unknown method '{name}'; expected lora, partial-<S>-compact, partial-<S>-dense, dora, vera, adalora, full or eval")


def load_average():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "unknown"


def reset_peak_rss():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("/proc/self/status has no VmHWM")


def build_classifier(torch, args, preset):
    """tower -> normalise -> head, returning .loss like a HF model (imports transformers here, not at start)."""
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    nn = torch.nn
    F = torch.nn.functional

    config = CLIPVisionConfig(
        hidden_size=preset["hidden"], intermediate_size=preset["intermediate"], num_hidden_layers=preset["layers"],
        num_attention_heads=preset["heads"], image_size=args.image or preset["image"], patch_size=preset["patch"],
        num_channels=preset["channels"], projection_dim=preset["projection"], hidden_act="quick_gelu",
        attn_implementation=args.attention)

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.tower = CLIPVisionModelWithProjection(config)
            self.classifier = nn.Linear(config.projection_dim, args.classes)

        def forward(self, pixel_values, labels=None):
            features = F.normalize(self.tower(pixel_values=pixel_values).image_embeds, dim=-1)
            logits = self.classifier(features)
            loss = F.cross_entropy(logits.float(), labels) if labels is not None else None
            return types.SimpleNamespace(loss=loss, logits=logits)

    model = Model()
    # CLIPAttention reads config._attn_implementation at every call; transformers versions differ in whether the
    # constructor honours the kwarg, so set it on the (shared) config when it did not, and fail if that does not hold.
    if getattr(model.tower.config, "_attn_implementation", None) != args.attention:
        model.tower.config._attn_implementation = args.attention
    chosen = getattr(model.tower.config, "_attn_implementation", None)
    if chosen != args.attention:
        raise SystemExit(f"error: transformers built attention '{chosen}', asked for '{args.attention}'")
    return model, config


def partial_masks(torch, peft_model, keep, seed):
    """Fixed Bernoulli(keep) masks on the columns of every lora_A and the rows of every lora_B (Eq. 6, dense form)."""
    from peft.tuners.lora import LoraLayer
    from torch.nn.utils import parametrize

    class Masked(torch.nn.Module):
        def __init__(self, mask):
            super().__init__()
            self.register_buffer("mask", mask)

        def forward(self, w):
            return w * self.mask

    trained = 0
    layers = [m for _, m in peft_model.named_modules() if isinstance(m, LoraLayer)]
    for i, layer in enumerate(layers):
        a = layer.lora_A["default"]
        b = layer.lora_B["default"]
        r, n = a.weight.shape
        m = b.weight.shape[0]
        g = torch.Generator().manual_seed(seed * 1000003 + i)
        cols = (torch.rand(n, generator=g, dtype=torch.float64) < keep).float()
        rows = (torch.rand(m, generator=g, dtype=torch.float64) < keep).float()
        parametrize.register_parametrization(a, "weight", Masked(cols.view(1, n).to(a.weight.device)))
        parametrize.register_parametrization(b, "weight", Masked(rows.view(m, 1).to(b.weight.device)))
        trained += r * int(cols.sum().item() + rows.sum().item())
    return trained, len(layers)


def run_method(name, args):
    import torch
    import peft

    family, sparsity = parse_method(name)
    cuda = args.device.startswith("cuda")
    device = torch.device(args.device)
    preset = flops.PRESETS[args.preset]()
    if args.image:
        preset["image"] = args.image
    use_autocast = args.dtype == "bf16" or (args.dtype == "auto" and cuda)
    total_steps = args.warmup + args.windows * args.steps

    if cuda:
        torch.cuda.init()
        free, total = torch.cuda.mem_get_info(device)  # creates the context, as our side's first driver query does
        baseline = total - free
        torch.cuda.reset_peak_memory_stats(device)
        peak_used = baseline
    else:
        rss_reset = reset_peak_rss()
    clock = time.perf_counter()
    torch.manual_seed(args.seed)
    model, _ = build_classifier(torch, args, preset)
    model.to(device)

    adapters = []
    trainable_count = None
    forward_module = model
    peft_model = None
    if family in ("lora", "partial", "dora", "vera", "adalora"):
        common = dict(target_modules=TARGETS, modules_to_save=["classifier"])
        if family in ("lora", "partial", "dora"):
            cfg = peft.LoraConfig(r=args.rank, lora_alpha=2 * args.rank, lora_dropout=0.0, use_dora=family == "dora", **common)
        elif family == "vera":
            cfg = peft.VeraConfig(r=args.rank, projection_prng_key=args.seed, vera_dropout=0.0, d_initial=0.1, **common)
        else:
            cfg = peft.AdaLoraConfig(init_r=args.rank, target_r=args.rank // 2, lora_alpha=2 * args.rank, tinit=0, tfinal=0,
                                     deltaT=10, total_step=total_steps, **common)
        peft_model = peft.get_peft_model(model, cfg)
        # PeftModel.forward of a model without a task type skips the tuner's forward; call the tuner (it adds
        # AdaLoRA's orthogonality loss to .loss, as in PEFT's documented training loop).
        forward_module = peft_model.base_model
        adapters = flops.standard_adapters(preset, args.rank)
        if family == "partial":
            masked, _ = partial_masks(torch, peft_model, 1 - sparsity, args.seed)
            head = sum(p.numel() for n, p in peft_model.named_parameters() if p.requires_grad and "classifier" in n)
            trainable_count = masked + head
    elif family == "full":
        for p in model.parameters():
            p.requires_grad_(True)

    params = [p for p in model.parameters() if p.requires_grad]
    stored = sum(p.numel() for p in params)
    if trainable_count is None:
        trainable_count = stored if family != "eval" else 0
    optimizer = torch.optim.AdamW(params, lr=args.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01) if family != "eval" else None
    if family == "eval":
        model.eval()
    else:
        model.train()

    g = torch.Generator().manual_seed(args.seed)
    image = preset["image"]
    pixels = torch.randn(args.batch, preset["channels"], image, image, generator=g).to(device)
    labels = torch.randint(0, args.classes, (args.batch,), generator=g).to(device)
    setup = time.perf_counter() - clock

    autocast = (lambda: torch.autocast(device_type=device.type, dtype=torch.bfloat16)) if use_autocast else contextlib.nullcontext
    state = {"step": 0, "loss": None}

    def step():
        if family == "eval":
            with torch.no_grad(), autocast():
                model(pixel_values=pixels)
        else:
            optimizer.zero_grad(set_to_none=True)
            with autocast():
                out = forward_module(pixel_values=pixels, labels=labels)
            out.loss.backward()
            optimizer.step()
            if family == "adalora":
                peft_model.base_model.update_and_allocate(state["step"])
            state["loss"] = out.loss.detach()
        state["step"] += 1

    def sync_and_sample():
        nonlocal peak_used
        if cuda:
            torch.cuda.synchronize(device)
            free, total = torch.cuda.mem_get_info(device)
            peak_used = max(peak_used, total - free)

    for _ in range(args.warmup):
        step()
    sync_and_sample()
    windows = []
    for _ in range(args.windows):
        t0 = time.perf_counter()
        for _ in range(args.steps):
            step()
        sync_and_sample()
        windows.append(1000 * (time.perf_counter() - t0) / args.steps)
    step_ms = statistics.median(windows)
    final_loss = None if state["loss"] is None else float(state["loss"].item())
    if final_loss is not None and not (final_loss == final_loss and abs(final_loss) != float("inf")):
        raise SystemExit(f"error: {name}: the loss became {final_loss}; a diverged run measures nothing")

    kind = {"eval": "eval", "full": "full"}.get(family, "adapters")
    step_flops = flops.per_step(kind, preset, args.classes, args.batch, adapters if kind == "adapters" else None)
    opt_bytes = 0
    if optimizer is not None:
        for st in optimizer.state.values():
            for t in st.values():
                if torch.is_tensor(t) and t.dim() > 0:
                    opt_bytes += t.numel() * t.element_size()
    if cuda:
        memory = dict(kind="cuda-driver-used", peak_bytes=peak_used, baseline_bytes=baseline, above_baseline_bytes=peak_used - baseline)
        torch_stats = dict(torch_max_memory_allocated=torch.cuda.max_memory_allocated(device),
                           torch_max_memory_reserved=torch.cuda.max_memory_reserved(device))
    else:
        peak = peak_rss_bytes()
        memory = dict(kind="cpu-peak-rss", peak_bytes=peak, baseline_bytes=None, above_baseline_bytes=peak)
        torch_stats = dict(torch_max_memory_allocated=None, torch_max_memory_reserved=None)
    return dict(
        method=name, device=str(device), dtype="bf16-autocast" if use_autocast else "f32",
        attention=model.tower.config._attn_implementation,
        emulation="PEFT LoRA + fixed row/column masks (torch.nn.utils.parametrize), dense" if family == "partial" else None,
        batch=args.batch, image_size=image, warmup=args.warmup, windows=args.windows, steps_per_window=args.steps,
        step_milliseconds=step_ms, window_milliseconds=windows, images_per_second=args.batch / (step_ms / 1000),
        trainable_parameters=trainable_count, stored_trainable_elements=stored if family != "eval" else 0,
        optimizer_state_bytes=opt_bytes, master_weight_bytes=0,
        flops_per_step=step_flops, mfu=step_flops / (step_ms / 1000) / (args.peak_tflops * 1e12), peak_tflops=args.peak_tflops,
        memory=memory, memory_is_per_run=cuda or rss_reset, final_loss=final_loss, setup_seconds=setup, **torch_stats)


def environment(args):
    import torch
    import transformers
    import peft

    env = dict(python=platform.python_version(), torch=torch.__version__, torch_cuda=torch.version.cuda,
               cudnn=torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
               transformers=transformers.__version__, peft=peft.__version__, device=args.device,
               cpu_threads=torch.get_num_threads(), processors=os.cpu_count(), load_average_before=load_average(),
               os=platform.platform())
    if args.device.startswith("cuda") and torch.cuda.is_available():
        p = torch.cuda.get_device_properties(torch.device(args.device))
        env["device_name"] = p.name
        env["device_memory_bytes"] = p.total_memory
    return env


def options(args):
    return dict(preset=args.preset, image_size=args.image, batch=args.batch, rank=args.rank, classes=args.classes,
                warmup=args.warmup, windows=args.windows, steps_per_window=args.steps, dtype=args.dtype,
                attention=args.attention, learning_rate=args.lr, weight_decay=0.01, seed=args.seed,
                peak_tflops=args.peak_tflops, targets=TARGETS)


def child_args(args, method, out):
    a = [sys.executable, os.path.abspath(__file__), "--methods", method, "--isolate", "off", "--out", out,
         "--device", args.device, "--preset", args.preset, "--batch", str(args.batch), "--rank", str(args.rank),
         "--classes", str(args.classes), "--warmup", str(args.warmup), "--windows", str(args.windows),
         "--steps", str(args.steps), "--dtype", args.dtype, "--attention", args.attention, "--lr", str(args.lr),
         "--seed", str(args.seed), "--peak-tflops", str(args.peak_tflops)]
    if args.image:
        a += ["--image", str(args.image)]
    if args.threads:
        a += ["--threads", str(args.threads)]
    return a


def table(report):
    lines = [f"{TOOL}: {report['options']['preset']}, batch {report['options']['batch']}, device {report['environment']['device']} "
             f"({report['environment'].get('device_name', 'CPU')}), torch {report['environment']['torch']}, "
             f"transformers {report['environment']['transformers']}, peft {report['environment']['peft']}", "",
             f"{'method':<20} {'step ms':>9} {'img/s':>9} {'peak mem':>10} {'trainable':>12} {'opt state':>10} {'MFU':>7} {'loss':>8}"]
    for r in report["results"]:
        loss = "-" if r["final_loss"] is None else f"{r['final_loss']:.3f}"
        lines.append(f"{r['method']:<20} {r['step_milliseconds']:9.2f} {r['images_per_second']:9.1f} "
                     f"{r['memory']['above_baseline_bytes'] / 2**30:6.2f} GiB {r['trainable_parameters']:12,} "
                     f"{r['optimizer_state_bytes'] / 2**20:6.1f} MiB {100 * r['mfu']:6.2f}% {loss:>8}")
    for fl in report["failures"]:
        lines.append(f"{fl['method']:<20} FAILED: {fl['error']}")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda")
    p.add_argument("--preset", default="clip-vit-b16", choices=sorted(flops.PRESETS))
    p.add_argument("--image", type=int, default=None, help="image side (default: the preset's)")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--rank", type=int, default=16)
    p.add_argument("--classes", type=int, default=100)
    p.add_argument("--methods", default=",".join(DEFAULT_METHODS))
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--windows", type=int, default=5)
    p.add_argument("--steps", type=int, default=10, help="steps per timed window")
    p.add_argument("--dtype", default="auto", choices=["auto", "f32", "bf16"], help="auto: bf16 autocast on CUDA, f32 on CPU")
    p.add_argument("--attention", default="sdpa", choices=["sdpa", "eager"])
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--peak-tflops", type=float, default=790.0)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--isolate", default="auto", choices=["auto", "on", "off"])
    p.add_argument("--out", default=None)
    args = p.parse_args()

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    for m in methods:
        parse_method(m)
    if len(set(methods)) != len(methods):
        raise SystemExit("error: a method is listed twice")
    if args.threads:
        import torch
        torch.set_num_threads(args.threads)
    separate = args.isolate == "on" or (args.isolate == "auto" and len(methods) > 1 and args.device != "cpu")

    results, failures, env = [], [], None
    if separate:
        with tempfile.TemporaryDirectory(prefix="peft-reference-") as tmp:
            for m in methods:
                out = os.path.join(tmp, m + ".json")
                proc = subprocess.run(child_args(args, m, out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                sys.stderr.write(proc.stderr)
                if proc.returncode == 0 and os.path.exists(out):
                    with open(out) as fh:
                        child = json.load(fh)
                    env = env or child["environment"]
                    results += child["results"]
                    failures += child["failures"]
                else:
                    tail = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
                    failures.append(dict(method=m, error=tail[-1] if tail else f"exit code {proc.returncode}"))
    else:
        env = environment(args)
        for m in methods:
            try:
                results.append(run_method(m, args))
            except Exception as e:  # one failing method (e.g. out of memory) must not lose the others
                if len(methods) == 1:
                    raise
                failures.append(dict(method=m, error=f"{type(e).__name__}: {e}".replace("\n", " ")))
    if env is None:
        raise SystemExit("error: every method failed: " + "; ".join(f"{x['method']}: {x['error']}" for x in failures))
    report = dict(tool=TOOL, date=datetime.datetime.now(datetime.timezone.utc).isoformat(), environment=env,
                  options=options(args), results=results, failures=failures, load_average_after=load_average())
    if args.out:
        tmp = f"{args.out}.tmp-{os.getpid()}"
        with open(tmp, "w") as fh:
            json.dump(report, fh, indent=2)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, args.out)
    print(table(report))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
