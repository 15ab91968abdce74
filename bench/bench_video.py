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

Usage:  python bench/bench_video.py [--preset cpu] [--threads 2] [--rounds 3] [--steps 2] [--batch 0] [--override K=V ...]
                                    [--out bench/results/video_cpu.json]
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
from para_wb.policies.video import SVDNet
sys.path.insert(0, os.path.join(ROOT, "bench"))
from bench_models import fake_batch, fake_stats

PAPER_STEPS = {"pretrain": 4000, "two_stage": 3000, "scratch": 10000, "frozen": 12000, "two_stage_global": 2000}

def make_variants(cfg, B: int) -> dict:
    "name -> (step function, module) for each measured variant."
    v = cfg.video
    g = torch.Generator().manual_seed(1)
    batch = fake_batch(cfg, B)
    batch["video"] = torch.randint(0, 256, (B, v.frames, 3, v.frame_size, v.frame_size), dtype=torch.uint8, generator=g)
    out = {}
    net = SVDNet(v)
    x = torch.randn(B, v.frames, 3, v.frame_size, v.frame_size, generator=g)
    c, tgt = torch.randn(B, 3, v.frame_size, v.frame_size, generator=g), torch.randn_like(x)
    t = torch.randint(0, v.diffusion_steps, (B,), generator=g)
    opt = torch.optim.AdamW(net.parameters(), 1e-4)
    def unet_step():
        loss = F.mse_loss(net(x, c, t), tgt); opt.zero_grad(); loss.backward(); opt.step()
    out["unet"] = (unet_step, net)
    def policy(kind, overrides):
        c2 = load_config(cfg_src[0], cfg_src[1] + ["model.backbone=svd_unet", f"model.kind={kind}"] + overrides)
        m = make_model(c2, fake_stats()).train()
        o = torch.optim.AdamW(m.param_groups(c2.train.lr, c2.train.backbone_lr), 1e-4)
        def step():
            loss = m.training_losses(batch)["loss"]; o.zero_grad(); loss.backward(); o.step()
        return step, m
    out["pretrain"] = policy("para", ["train.stage=backbone"])
    out["joint_para"] = policy("para", [])
    out["frozen_para"] = policy("para", ["model.freeze_backbone=true"])
    out["joint_global"] = policy("global", [])
    pm = out["joint_para"][1]
    img1, eef1 = batch["image"][:1], batch["eef_pixel"][:1]
    out["predict"] = (lambda: pm.predict(img1, eef1, batch["K"][:1], batch["T_world_cam"][:1]), pm)
    return out

cfg_src = ["cpu", []]

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--preset", default="cpu"); p.add_argument("--override", action="append", default=[])
    p.add_argument("--threads", type=int, default=2); p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--steps", type=int, default=2, help="timed steps per variant per round (after one warm-up step)")
    p.add_argument("--batch", type=int, default=0, help="batch size (0 = the preset's train.batch_size)")
    p.add_argument("--loaded", default="", help="a note on other load on the machine, stored in the JSON")
    p.add_argument("--out", default="bench/results/video_cpu.json")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads); torch.manual_seed(0)
    cfg_src[0], cfg_src[1] = a.preset, list(a.override)
    cfg = load_config(a.preset, a.override + ["model.backbone=svd_unet"])
    B = a.batch or cfg.train.batch_size
    variants = make_variants(cfg, B)
    wall = {k: [] for k in variants}; cpu = {k: [] for k in variants}
    for fn, _ in variants.values(): fn()                                 # warm-up
    for r in range(a.rounds):
        for k, (fn, _) in variants.items():
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(a.steps): fn()
            wall[k].append((time.perf_counter() - t0) / a.steps); cpu[k].append((time.process_time() - c0) / a.steps)
        print(f"round {r + 1}/{a.rounds}: " + ", ".join(f"{k} {wall[k][-1]:.3f} s" for k in variants), flush=True)
    med = lambda d: {k: statistics.median(v) for k, v in d.items()}
    w, c = med(wall), med(cpu)
    ratio = {k: w["unet"] / w[k] for k in w if k not in ("unet", "predict")}
    ratio_cpu = {k: c["unet"] / c[k] for k in c if k not in ("unet", "predict")}
    v = cfg.video
    steps = {k: max(1, int(round(s * v.step_scale))) for k, s in PAPER_STEPS.items()}
    per = {"pretrain": "pretrain", "two_stage": "joint_para", "scratch": "joint_para", "frozen": "frozen_para", "two_stage_global": "joint_global"}
    est_wall = {k: steps[k] * w[per[k]] for k in steps}
    est_idle = {k: steps[k] * c[per[k]] / a.threads for k in steps}     # CPU seconds spread over the threads: an idle machine's wall
    res = dict(date=datetime.datetime.now().isoformat(timespec="seconds"), host=platform.node(), torch=torch.__version__,
               threads=a.threads, preset=a.preset, overrides=a.override, batch=B, loaded=a.loaded,
               video=dict(frame_size=v.frame_size, frames=v.frames, block_out_channels=list(v.block_out_channels),
                          layers_per_block=v.layers_per_block, step_scale=v.step_scale),
               params={k: int(sum(p.numel() for p in m.parameters())) for k, (_, m) in variants.items() if k in ("unet", "joint_para", "joint_global")},
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
