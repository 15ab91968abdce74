#!/usr/bin/env python
"""Video-backbone benchmark: training-step cost of the SVD-UNet policies vs the bare UNet's forward + backward (CPU by default).

Measures, at a preset's sizes (cpu: 32 px frames, 4 frames, UNet widths 32/64/64, batch 16), the time of one training step
(forward + backward + AdamW step, on a fixed random batch) of
  unet           the bare UNet (`SVDNet`): one forward + backward on B clips (loss = MSE to a random target) — the floor
  pretrain       `train.stage=backbone`: the diffusion loss alone (the video-pretraining stage)
  joint_para     PARA on the UNet, `train.stage=joint`: the action pass (first denoising step) + the diffusion pass + heads
                 (two_stage and scratch recipes)
  frozen_para    PARA heads on a frozen UNet (no UNet gradient, no diffusion pass)
  joint_global   the global-regression head on the UNet, joint (two_stage_global)
  predict        one eval-mode prediction of one image (a rollout's cost per re-prediction, rendering not included)
and the throughput ratio (unet step time / variant step time). Variants are measured in interleaved rounds and the median
kept, so load from other processes hits all alike; both wall time and this process's CPU time are recorded (on a machine
shared with other jobs the CPU time / threads is the better estimate of an idle machine's wall time). Finally the
training time of the video experiment's recipes at the preset's `video.step_scale`, from these step times.

On a GPU (`--device cuda [--amp]`, e.g. the `paper` preset's SVD-sized UNet on the lent H100 via `bench/device_video.sh`)
the same variants run there, timed with `torch.cuda.synchronize()`, with bf16 autocast when `--amp`, and the peak GPU memory
of each is recorded.

Speed (CPU): `--profile` writes where the time of the old steps goes (self CPU time per aten op type, top ops;
bench/results/cpu/video_profile.json); `--compare` times the old and new steps in the same run, interleaved (bare UNet
with diffusers' attention / with the one-key cross-attention, joint PARA step with two passes old / new, one shared pass,
one shared pass under bf16 autocast, and the image PARA step of bench_models), with throughput ratios to the old bare
UNet, to the old joint step and to the image PARA step (bench/results/cpu/video_speed.json).

Usage:  python bench/bench_video.py [--profile | --compare] [--preset cpu] [--threads 2] [--rounds 3] [--steps 2] [--batch 0] [--overrides K=V ...]
                                    [--device cpu|cuda] [--amp] [--out bench/results/video_cpu.json]
"""
from __future__ import annotations
import argparse, datetime, json, os, platform, statistics, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path: sys.path.insert(0, ROOT)
import torch
import torch.nn.functional as F
from para_wb.config import load_config
from para_wb.files import save_json
from para_wb.policies.factory import make_model
from para_wb.policies.video import MAX_ATTENTION_BATCH, SVDNet
sys.path.insert(0, os.path.join(ROOT, "bench"))
from bench_models import fake_batch, fake_stats

PAPER_STEPS = {"pretrain": 4000, "two_stage": 3000, "scratch": 10000, "frozen": 12000, "two_stage_global": 2000}

def variant_builders(cfg, B: int, device="cpu", amp: bool = False) -> dict:
    """name -> builder; a builder returns (step function, module) of one measured variant, on `device`, under bf16
    autocast when `amp`. Builders, not models: at the paper's UNet size five models with AdamW state do not fit one GPU
    together, so there each variant is built, timed and freed in turn (`predict` reuses joint_para's model)."""
    v = cfg.video
    g = torch.Generator().manual_seed(1)
    batch = fake_batch(cfg, B)
    batch["video"] = torch.randint(0, 256, (B, v.frames, 3, v.frame_size, v.frame_size), dtype=torch.uint8, generator=g)
    batch = {k: x.to(device) if torch.is_tensor(x) else x for k, x in batch.items()}
    autocast = lambda: torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=amp)
    def unet():
        net = SVDNet(v).to(device)
        x = torch.randn(B, v.frames, 3, v.frame_size, v.frame_size, generator=g).to(device)
        c, tgt = torch.randn(B, 3, v.frame_size, v.frame_size, generator=g).to(device), torch.randn_like(x)
        t = torch.randint(0, v.diffusion_steps, (B,), generator=g).to(device)
        opt = torch.optim.AdamW(net.parameters(), 1e-4)
        n = max(1, MAX_ATTENTION_BATCH // v.frame_size ** 2)    # clips per UNet call, as VideoBackbone._run splits them
        def unet_step():
            with autocast(): pred = torch.cat([net(x[i:i + n], c[i:i + n], t[i:i + n]) for i in range(0, B, n)])
            loss = F.mse_loss(pred.float(), tgt)
            opt.zero_grad(); loss.backward(); opt.step()
        return unet_step, net
    def policy(kind, overrides):
        def build():
            c2 = load_config(cfg_src[0], cfg_src[1] + ["model.backbone=svd_unet", f"model.kind={kind}"] + overrides)
            m = make_model(c2, fake_stats()).to(device).train()
            o = torch.optim.AdamW(m.param_groups(c2.train.lr, c2.train.backbone_lr), 1e-4)
            def step():
                with autocast(): loss = m.training_losses(batch)["loss"]
                o.zero_grad(); loss.backward(); o.step()
            return step, m
        return build
    def predict_with(pm):
        img1, eef1 = batch["image"][:1], batch["eef_pixel"][:1]
        def predict():
            with autocast(): pm.predict(img1, eef1, batch["K"][:1].cpu(), batch["T_world_cam"][:1].cpu())
        return predict, pm
    return dict(unet=unet, pretrain=policy("para", ["train.stage=backbone"]), joint_para=policy("para", []),
                frozen_para=policy("para", ["model.freeze_backbone=true"]), joint_global=policy("global", []),
                predict=predict_with)

def make_variants(cfg, B: int, device="cpu", amp: bool = False) -> dict:
    "name -> (step function, module) for every variant, all built at once (the CPU benchmark's interleaved rounds)."
    b = variant_builders(cfg, B, device, amp)
    out = {k: f() for k, f in b.items() if k != "predict"}
    out["predict"] = b["predict"](out["joint_para"][1])
    return out

cfg_src = ["cpu", []]

# --- where the time goes (--profile) and the faster step (--compare) -------------------------------------------------
OP_GROUPS = [("attention (sdpa)", ("attention", "sdpa")), ("convolution", ("conv", "mkldnn")), ("group_norm", ("group_norm",)),
             ("layer_norm", ("layer_norm",)), ("linear / matmul", ("mm", "addmm", "bmm", "linear", "matmul", "baddbmm")),
             ("copy / permute / reshape / cat", ("copy", "cat", "permute", "reshape", "view", "contiguous", "transpose", "clone",
                                                 "expand", "as_strided", "_to_copy", "index", "slice", "select", "split", "chunk")),
             ("optimizer (AdamW)", ("lerp", "addcdiv", "addcmul", "sqrt", "_foreach")),
             ("activation", ("gelu", "silu", "sigmoid", "softmax")),
             ("elementwise / reduction", ("add", "mul", "div", "sub", "sum", "mean", "neg", "pow", "exp", "fill", "zero", "where", "cos", "sin", "mse"))]

def op_group(name: str) -> str:
    "The op type of an aten op name (first matching group of OP_GROUPS; 'other' otherwise)."
    n = name.split("::")[-1].lower()
    for g, keys in OP_GROUPS:
        if any(k in n for k in keys): return g
    return "other"

def profile_steps(step_fns: dict, steps: int = 2, top: int = 15) -> dict:
    "torch.profiler over `steps` calls of each step function: self CPU time per op type and the top aten ops."
    from torch.profiler import profile, ProfilerActivity
    out = {}
    for k, fn in step_fns.items():
        fn()                                                     # warm-up outside the profile
        c0 = time.process_time()
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(steps): fn()
        cpu_s = (time.process_time() - c0) / steps
        ev = [e for e in prof.key_averages() if e.key.startswith("aten::")]
        total = sum(e.self_cpu_time_total for e in ev) or 1.0
        groups: dict = {}
        for e in ev:
            g = groups.setdefault(op_group(e.key), [0.0, 0])
            g[0] += e.self_cpu_time_total; g[1] += e.count
        out[k] = dict(step_cpu_s_under_profiler=round(cpu_s, 3), aten_self_cpu_s_per_step=round(total / 1e6 / steps, 3),
                      by_op_type={g: dict(share=round(t / total, 4), self_cpu_s_per_step=round(t / 1e6 / steps, 4), calls_per_step=n // steps)
                                  for g, (t, n) in sorted(groups.items(), key=lambda kv: -kv[1][0])},
                      top_ops=[dict(op=e.key, share=round(e.self_cpu_time_total / total, 4), calls_per_step=e.count // steps)
                               for e in sorted(ev, key=lambda e: -e.self_cpu_time_total)[:top]])
    return out

def speed_variants(cfg_name: str, overrides: list, B: int) -> dict:
    """name -> step function of the speed comparison, all on the same fixed batch:
      unet_ref        bare UNet fwd + bwd + AdamW, diffusers' attention (video.one_key_attention=false): the old floor
      unet            the same with the one-key cross-attention (same numbers)
      joint_ref       PARA on the UNet, joint stage, two passes, diffusers' attention: the old joint step
      joint           two passes, one-key attention (same numbers)
      joint_shared    video.joint_pass=shared: one UNet pass (a model change, not validated)
      joint_shared_bf16  the same under CPU bf16 autocast (a precision change, not validated)
      image_para      PARA on the preset's image backbone (bench_models' PARA), the image policy's training step"""
    v = load_config(cfg_name, overrides + ["model.backbone=svd_unet"]).video
    g = torch.Generator().manual_seed(1)
    batch = fake_batch(load_config(cfg_name, overrides), B)
    batch["video"] = torch.randint(0, 256, (B, v.frames, 3, v.frame_size, v.frame_size), dtype=torch.uint8, generator=g)
    def unet(extra):
        torch.manual_seed(0)
        net = SVDNet(load_config(cfg_name, overrides + ["model.backbone=svd_unet"] + extra).video)
        x = torch.randn(B, v.frames, 3, v.frame_size, v.frame_size, generator=g)
        c, tgt = torch.randn(B, 3, v.frame_size, v.frame_size, generator=g), torch.randn(B, v.frames, 3, v.frame_size, v.frame_size, generator=g)
        t = torch.randint(0, v.diffusion_steps, (B,), generator=g)
        opt = torch.optim.AdamW(net.parameters(), 1e-4)
        def step():
            loss = F.mse_loss(net(x, c, t), tgt); opt.zero_grad(); loss.backward(); opt.step()
        return step
    def policy(extra, bf16=False):
        torch.manual_seed(0)
        c2 = load_config(cfg_name, overrides + extra)
        m = make_model(c2, fake_stats()).train()
        o = torch.optim.AdamW(m.param_groups(c2.train.lr, c2.train.backbone_lr), 1e-4)
        def step():
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16): loss = m.training_losses(batch)["loss"]
            o.zero_grad(); loss.backward(); o.step()
        return step
    sv, off = ["model.backbone=svd_unet", "model.kind=para"], ["video.one_key_attention=false"]
    return dict(unet_ref=unet(off), unet=unet([]), joint_ref=policy(sv + off), joint=policy(sv),
                joint_shared=policy(sv + ["video.joint_pass=shared"]), joint_shared_bf16=policy(sv + ["video.joint_pass=shared"], bf16=True),
                image_para=policy(["model.kind=para"]))

def machine_info() -> dict:
    import subprocess
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True).stdout.strip())
    return dict(date=datetime.datetime.now().isoformat(timespec="seconds"), host=platform.node(), cpu=platform.processor() or platform.machine(),
                cores=os.cpu_count(), load_avg=[round(x, 2) for x in os.getloadavg()], torch=torch.__version__,
                git_commit=commit, git_dirty=dirty)

def fast_main(a) -> dict:
    "--profile / --compare: the profile of the old steps, or the old and new steps timed in interleaved rounds."
    torch.set_num_threads(a.threads); torch.manual_seed(0)
    B = a.batch or load_config(a.preset, a.override).train.batch_size
    info = dict(machine_info(), threads=a.threads, preset=a.preset, overrides=a.override, batch=B, loaded=a.loaded)
    t_start = time.perf_counter()
    if a.profile:
        fns = speed_variants(a.preset, a.override, B)
        prof = profile_steps({"unet_ref": fns["unet_ref"], "joint_ref": fns["joint_ref"], "unet": fns["unet"]}, steps=a.steps)
        res = dict(info, what="torch.profiler self CPU time per aten op type, per training step (fwd + bwd + AdamW) at the preset's "
                   "video config: unet_ref = the bare UNet with diffusers' attention, joint_ref = the old joint UNet + PARA step "
                   "(two UNet passes), unet = the bare UNet with the one-key cross-attention", profile=prof,
                   wall_s=round(time.perf_counter() - t_start, 1))
    else:
        fns = speed_variants(a.preset, a.override, B)
        for fn in fns.values(): fn()                                   # warm-up
        wall, cpu = {}, {}
        r = 0
        while r < a.rounds or (r < a.max_rounds and time.perf_counter() - t_start < a.budget_s):
            for k, fn in fns.items():
                t0, c0 = time.perf_counter(), time.process_time()
                for _ in range(a.steps): fn()
                wall.setdefault(k, []).append((time.perf_counter() - t0) / a.steps); cpu.setdefault(k, []).append((time.process_time() - c0) / a.steps)
            r += 1
            print(f"round {r}: " + ", ".join(f"{k} {cpu[k][-1]:.3f} cpu-s" for k in fns), flush=True)
            if r >= a.rounds and time.perf_counter() - t_start > a.budget_s: break
        med = lambda d: {k: round(statistics.median(x), 4) for k, x in d.items()}
        w, c = med(wall), med(cpu)
        ratio = lambda d, base: {k: round(d[base] / d[k], 3) for k in d}
        res = dict(info, what="training step (fwd + bwd + AdamW) of each variant on one fixed batch, interleaved rounds, medians; "
                   "ratios = throughput relative to the named step (its time / this step's time); the CPU-time ratios are the "
                   "ones to read on a loaded machine (threads spinning or waiting for cores inflate wall time)",
                   variants=speed_variants.__doc__, rounds=r, steps_per_round=a.steps, step_wall_s=w, step_cpu_s=c,
                   throughput_vs_unet_ref_cpu=ratio(c, "unet_ref"), throughput_vs_image_para_cpu=ratio(c, "image_para"),
                   throughput_vs_joint_ref_cpu=ratio(c, "joint_ref"),
                   throughput_vs_unet_ref_wall=ratio(w, "unet_ref"), throughput_vs_image_para_wall=ratio(w, "image_para"),
                   throughput_vs_joint_ref_wall=ratio(w, "joint_ref"),
                   samples_wall=wall, samples_cpu=cpu, wall_s=round(time.perf_counter() - t_start, 1))
    save_json(os.path.join(ROOT, a.out) if not os.path.isabs(a.out) else a.out, res)
    print(json.dumps({k: res[k] for k in res if k.startswith(("throughput", "step_"))} if not a.profile else
                     {k: v["by_op_type"] for k, v in res["profile"].items()}, indent=1))
    return res


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--preset", default="cpu"); p.add_argument("--overrides", nargs="+", action="extend", default=[])
    p.add_argument("--threads", type=int, default=2); p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--steps", type=int, default=2, help="timed steps per variant per round (after one warm-up step)")
    p.add_argument("--batch", type=int, default=0, help="batch size (0 = the preset's train.batch_size)")
    p.add_argument("--loaded", default="", help="a note on other load on the machine, stored in the JSON")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--amp", action="store_true", help="bf16 autocast (GPU)")
    p.add_argument("--grad-checkpoint", action="store_true", help="diffusers' gradient checkpointing in the UNet (memory for compute)")
    p.add_argument("--only", nargs="*", default=[], help="measure only these variants (GPU / --one-at-a-time)")
    p.add_argument("--one-at-a-time", action="store_true", help="build, time and free one variant after another (always on a GPU)")
    p.add_argument("--out", default="bench/results/video_cpu.json")
    p.add_argument("--profile", action="store_true", help="torch.profiler of the old bare-UNet and joint steps: time per op type (CPU)")
    p.add_argument("--compare", action="store_true", help="old vs new steps (one-key attention, shared joint pass, bf16) in interleaved rounds (CPU)")
    p.add_argument("--budget-s", type=float, default=240.0, help="--compare: no new round after this many seconds (rounds >= --rounds first)")
    p.add_argument("--max-rounds", type=int, default=7)
    a = p.parse_args(argv)
    if a.profile or a.compare: return fast_main(a)
    if a.device.startswith("cuda") and not torch.cuda.is_available(): raise SystemExit("--device cuda but torch sees no GPU: use --device cpu")
    torch.set_num_threads(a.threads); torch.manual_seed(0)
    cuda = a.device.startswith("cuda")
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    cfg_src[0], cfg_src[1] = a.preset, list(a.overrides)
    cfg = load_config(a.preset, a.overrides + ["model.backbone=svd_unet"])
    B = a.batch or cfg.train.batch_size
    t_build = time.perf_counter()
    wall, cpu, peak_gib, params, failed = {}, {}, {}, {}, {}
    count = lambda m: int(sum(p.numel() for p in m.parameters()))
    def timed(k, fn):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(a.steps): fn()
        sync()
        wall.setdefault(k, []).append((time.perf_counter() - t0) / a.steps); cpu.setdefault(k, []).append((time.process_time() - c0) / a.steps)
    if not (cuda or a.one_at_a_time):        # interleaved rounds: load from other processes hits every variant alike
        variants = make_variants(cfg, B, a.device, a.amp)
        build_s = time.perf_counter() - t_build
        params = {k: count(m) for k, (_, m) in variants.items() if k != "predict"}
        for fn, _ in variants.values(): fn()                             # warm-up
        for r in range(a.rounds):
            for k, (fn, _) in variants.items(): timed(k, fn)
            print(f"round {r + 1}/{a.rounds}: " + ", ".join(f"{k} {wall[k][-1]:.3f} s" for k in variants), flush=True)
    else:               # one variant at a time (GPU memory), each warmed up, then its rounds
        builders, build_s = variant_builders(cfg, B, a.device, a.amp), 0.0
        failed = {}
        for k, build in builders.items():
            if k == "predict" or (a.only and k not in a.only): continue
            t0 = time.perf_counter()
            if cuda: torch.cuda.reset_peak_memory_stats()
            try:
                fn, m = build()
                if a.grad_checkpoint:
                    for mod in m.modules():
                        if hasattr(mod, "enable_gradient_checkpointing"): mod.enable_gradient_checkpointing()
                fn(); sync(); build_s += time.perf_counter() - t0
                params[k] = count(m)
                if cuda: peak_gib[k] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
                for r in range(a.rounds): timed(k, fn)
                if k == "joint_para":
                    pfn, _ = builders["predict"](m); pfn(); sync()
                    for r in range(a.rounds): timed("predict", pfn)
                print(f"{k}: {statistics.median(wall[k]):.3f} s/step, peak {peak_gib.get(k, '-')} GiB", flush=True)
            except torch.OutOfMemoryError as e:     # record and go on: the other variants still say something
                failed[k] = f"out of memory at batch {B}: {str(e).splitlines()[0][:200]}"
                print(f"{k}: {failed[k]}", flush=True)
                wall.pop(k, None); cpu.pop(k, None)
            fn = m = None
            if cuda: torch.cuda.empty_cache()
    med = lambda d: {k: statistics.median(v) for k, v in d.items()}
    w, c = med(wall), med(cpu)
    ratio = {k: w["unet"] / w[k] for k in w if k not in ("unet", "predict")} if "unet" in w else {}
    ratio_cpu = {k: c["unet"] / c[k] for k in c if k not in ("unet", "predict")} if "unet" in c else {}
    v = cfg.video
    steps = {k: max(1, int(round(s * v.step_scale))) for k, s in PAPER_STEPS.items()}
    per = {"pretrain": "pretrain", "two_stage": "joint_para", "scratch": "joint_para", "frozen": "frozen_para", "two_stage_global": "joint_global"}
    est_wall = {k: steps[k] * w[per[k]] for k in steps if per[k] in w}
    est_idle = {k: steps[k] * c[per[k]] / a.threads for k in steps if per[k] in c}     # CPU seconds spread over the threads: an idle machine's wall
    res = dict(date=datetime.datetime.now().isoformat(timespec="seconds"), host=platform.node(), torch=torch.__version__,
               device=a.device, gpu=torch.cuda.get_device_name() if cuda else None, amp=a.amp, build_s=round(build_s, 1),
               peak_gpu_memory_gib=peak_gib or None, grad_checkpoint=a.grad_checkpoint, threads=a.threads, preset=a.preset, overrides=a.overrides, batch=B, loaded=a.loaded,
               video=dict(frame_size=v.frame_size, frames=v.frames, block_out_channels=list(v.block_out_channels),
                          layers_per_block=v.layers_per_block, step_scale=v.step_scale),
               params=params, failed=failed or None,
               step_wall_s=w, step_cpu_s=c, throughput_ratio_vs_unet=ratio, throughput_ratio_vs_unet_cpu=ratio_cpu,
               clips_per_s={k: B / w[k] for k in w if k != "predict"}, recipe_steps=steps,
               train_estimate_wall_s=est_wall, train_estimate_idle_s=est_idle,
               train_total_wall_min=sum(est_wall.values()) / 60, train_total_idle_min=sum(est_idle.values()) / 60,
               rounds=a.rounds, steps_per_round=a.steps)
    save_json(os.path.join(ROOT, a.out) if not os.path.isabs(a.out) else a.out, res)
    for k in ("step_wall_s", "step_cpu_s", "throughput_ratio_vs_unet", "recipe_steps", "train_total_wall_min", "train_total_idle_min", "params"):
        print(k, res[k])
    return res

if __name__ == "__main__": main()
