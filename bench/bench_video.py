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

Usage:  python bench/bench_video.py [--preset cpu] [--threads 2] [--rounds 3] [--steps 2] [--batch 0] [--overrides K=V ...]
                                    [--device cpu|cuda] [--amp] [--out bench/results/video_cpu.json]
"""
from __future__ import annotations
import argparse, datetime, os, platform, statistics, sys, time

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
    a = p.parse_args(argv)
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
