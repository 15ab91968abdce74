#!/usr/bin/env python
"""Model benchmark: training-step throughput of the policy models vs their bare backbone (CPU by default).

Measures img/s of one training step (forward + backward + AdamW step) on a fixed random batch for
  backbone   the bare `Backbone` (feature map + global token, loss = their mean) — the cost floor
  para       `PARAModel` (volume + gripper + rotation heads, masked CE)
  act        `ACTModel` (global token -> MLP regression)
  global     `GlobalRegressionModel` (PARA trunk -> avg-pool -> MLP)
and the ratio model img/s / backbone img/s (target >= 0.85), at the preset's sizes (cpu: resnet18, 128 px,
batch 16, S=32, T=12, 32 bins). Variants are measured in interleaved rounds and the median step time is kept,
so load from other processes hits all of them alike. With --alternatives, also the backbone/resolution
candidates for a faster cpu preset (estimated seconds per 1000 training steps, data loading not included).

On a GPU (`--device cuda`, optionally `--amp` for bf16 autocast as train.py uses it) the timings synchronise
the device around each round.

Usage:  python bench/bench_models.py [--preset cpu] [--threads 2] [--rounds 5] [--steps 3] [--alternatives]
                                     [--device cpu|cuda] [--amp] [--out bench/results/models_cpu.json]
"""
from __future__ import annotations
import argparse, dataclasses, datetime, os, platform, statistics, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path: sys.path.insert(0, ROOT)
import numpy as np
import torch
from para_wb.config import load_config
from para_wb.dataset.stats import DatasetStats
from para_wb.camera import libero_agentview
from para_wb.policies.backbones import make_backbone
from para_wb.policies.factory import make_model
from para_wb.files import save_json

def fake_stats() -> DatasetStats:
    return DatasetStats(z_min=0.85, z_max=1.25, rot_min=(-3.3, -0.5, -1.0), rot_max=(3.3, 0.5, 1.0),
                        pos_mean=(-0.1, 0.0, 1.0), pos_std=(0.15, 0.2, 0.1))

def fake_batch(cfg, B: int, seed: int = 0) -> dict:
    g = torch.Generator().manual_seed(seed)
    S, T, n = cfg.scene.image_size, cfg.dataset.horizon, cfg.dataset
    cam = libero_agentview(S, S)
    return dict(image=torch.rand(B, 3, S, S, generator=g), eef_pixel=torch.rand(B, 2, generator=g) * S,
                target_pixels=torch.rand(B, T, 2, generator=g) * S, target_in_image=torch.ones(B, T, dtype=torch.bool),
                target_pos=torch.randn(B, T, 3, generator=g) * 0.1 + torch.tensor([-0.1, 0.0, 1.0]),
                target_height=torch.rand(B, T, generator=g) * 0.3 + 0.9,
                target_height_bin=torch.randint(0, n.height_bins, (B, T), generator=g),
                target_gripper=torch.rand(B, T, generator=g) * 2 - 1,
                target_gripper_bin=torch.randint(0, n.gripper_bins, (B, T), generator=g),
                target_rot=torch.rand(B, T, 3, generator=g) * 2 - 1,
                target_rot_bin=torch.randint(0, n.rotation_bins, (B, T, 3), generator=g),
                K=torch.as_tensor(cam.K, dtype=torch.float32).expand(B, 3, 3).clone(),
                T_world_cam=torch.as_tensor(cam.T_world_cam, dtype=torch.float32).expand(B, 4, 4).clone())

class BareBackbone(torch.nn.Module):
    def __init__(self, cfg):
        super().__init__()
        m = cfg.model
        self.backbone = make_backbone(m.backbone, "", m.feature_stride, cfg.scene.image_size, cfg=cfg)
    def forward(self, batch):
        f, g = self.backbone(batch["image"])
        return dict(loss=f.mean() + g.mean())

def make_step(model, batch, lr=1e-3, amp: bool = False):
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    dev = next(model.parameters()).device
    def step():
        # bf16 autocast exactly as train.py does on a GPU (no grad scaler needed for bf16)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp):
            out = model(batch)
        opt.zero_grad(set_to_none=True)
        out["loss"].backward()
        opt.step()
    return step

def _sync():
    if torch.cuda.is_available(): torch.cuda.synchronize()

def measure(steps: dict, rounds: int, n: int, warmup: int = 2) -> dict:
    for s in steps.values():
        for _ in range(warmup): s()
    _sync()
    times = {k: [] for k in steps}
    for _ in range(rounds):
        for k, s in steps.items():
            t = time.perf_counter()
            for _ in range(n): s()
            _sync()
            times[k].append((time.perf_counter() - t) / n)
    return {k: dict(step_s_median=statistics.median(v), step_s_min=min(v), step_s_all=[round(x, 4) for x in v]) for k, v in times.items()}

def bench_config(cfg, B, rounds, n, kinds=("para", "act", "global"), device="cpu", amp=False, variants=None) -> dict:
    "`variants`: {name: (kind, overrides)}, more models (full override lists on `cfg`'s preset) in the same interleaved rounds."
    torch.manual_seed(0)
    batch = {k: v.to(device) for k, v in fake_batch(cfg, B).items()}
    steps = {"backbone": make_step(BareBackbone(cfg).to(device), batch, amp=amp)}
    params = {}
    todo = [(k, dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, kind=k))) for k in kinds]
    todo += [(name, load_config(cfg.name, list(ov) + [f"model.kind={kind}"]))
             for name, (kind, ov) in (variants or {}).items()]
    for k, c in todo:
        m = make_model(c, fake_stats())
        params[k] = sum(p.numel() for p in m.parameters())
        steps[k] = make_step(m.to(device), batch, amp=amp)
    res = measure(steps, rounds, n)
    bb = res["backbone"]["step_s_median"]
    for k, r in res.items():
        r["img_per_s"] = round(B / r["step_s_median"], 2)
        r["s_per_1000_steps"] = round(1000 * r["step_s_median"], 1)
        if k != "backbone":
            r["ratio_vs_backbone"] = round(bb / r["step_s_median"], 3)
            r["params"] = params[k]
    return res

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="cpu")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=3, help="training steps per variant per round")
    ap.add_argument("--alternatives", action="store_true", help="also time cheaper backbone/resolution candidates")
    ap.add_argument("--set", nargs="*", default=[], help="config overrides, e.g. policy.para.hidden_dim=32")
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    ap.add_argument("--amp", action="store_true", help="bf16 autocast (GPU training's default, train.amp)")
    ap.add_argument("--variant", action="append", default=[], metavar="NAME=KIND:K=V,K=V",
                    help="another model in the same rounds, e.g. para_2conv=para:policy.para.conv_layers=2")
    ap.add_argument("--out", default=None)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    variants = {}
    for v in a.variant:
        name, _, spec = v.partition("=")
        kind, _, ov = spec.partition(":")
        if not name or not kind: raise SystemExit(f"--variant {v!r}: write NAME=KIND:key=value,key=value")
        variants[name] = (kind, list(a.set) + [x for x in ov.split(",") if x])   # on top of --set, like the main models
    cfg = load_config(a.preset, a.set)
    B = cfg.train.batch_size
    t0 = time.time()
    out = dict(created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               machine=dict(platform=platform.platform(), processor=platform.processor(), cpu_count=os.cpu_count(),
                            loadavg_start=os.getloadavg(), torch=torch.__version__, threads=torch.get_num_threads()),
               device=a.device, amp=a.amp, gpu=torch.cuda.get_device_name() if a.device == "cuda" else None,
               preset=a.preset, overrides=a.set, batch_size=B, rounds=a.rounds, steps_per_round=a.steps,
               model=cfg.model.__dict__, policy=cfg.policy, image_size=cfg.scene.image_size, horizon=cfg.dataset.horizon,
               height_bins=cfg.dataset.height_bins)
    res = bench_config(cfg, B, a.rounds, a.steps, device=a.device, amp=a.amp, variants=variants)
    out["variants"] = {k: dict(kind=kd, overrides=ov) for k, (kd, ov) in variants.items()}
    out["results"] = res
    print(f"{a.preset}: {cfg.model.backbone} {cfg.scene.image_size}px stride {cfg.model.feature_stride} B={B} S={cfg.policy_options('para').get('pred_size')} "
          f"T={cfg.dataset.horizon} threads={a.threads} device={a.device} amp={a.amp}")
    for k, r in res.items():
        print(f"  {k:9s} {r['img_per_s']:8.1f} img/s  {r['step_s_median'] * 1000:7.1f} ms/step  "
              f"{r['s_per_1000_steps']:7.1f} s/1000 steps  ratio {r.get('ratio_vs_backbone', 1.0):.3f}")
    if a.alternatives:
        alts = {}
        for bb, size, stride in (("resnet18", 96, 8), ("resnet18", 64, 8), ("resnet10t", 128, 8), ("resnet10t", 96, 8),
                                 ("resnet10t", 128, 16)):
            c = load_config(a.preset, list(a.set) + [f"model.backbone={bb}", f"scene.image_size={size}", f"model.feature_stride={stride}"])
            r = bench_config(c, B, max(2, a.rounds // 2), a.steps, kinds=("para", "act"), device=a.device, amp=a.amp)
            alts[f"{bb}_{size}px_s{stride}"] = r
            print(f"  alt {bb:9s} {size}px s{stride}: " + "  ".join(f"{k} {v['s_per_1000_steps']:.0f}s/1k" for k, v in r.items()))
        out["alternatives"] = alts
    out["machine"]["loadavg_end"] = os.getloadavg()
    out["wall_s"] = round(time.time() - t0, 1)
    path = save_json(a.out or os.path.join(ROOT, "bench", "results", f"models_{a.preset}{'' if a.device == 'cpu' else '_' + a.device}.json"), out)
    print("wrote", path)

if __name__ == "__main__":
    main()
