#!/usr/bin/env python
"""Training-loop benchmark: the real `para_wb.train.train` (data loading, AMP, logging, snapshots, checkpoints) on a
synthetic dataset made on the spot at the preset's image size (no simulator needed), per policy kind.

Reports images/s of the whole loop (train.py's own measure) beside the bare backbone's forward+backward images/s
measured in the same process (`bench_models.bench_config`), so the ratio says what the heads *and* the loop cost.
Written for the device machine (a GPU, torch + timm only), where it checks the `paper` preset's training path that CI
never runs; on a CPU it works too, slowly.

Usage:  python bench/bench_train.py [--preset paper] [--steps 200] [--demos 24] [--kinds para act global]
                                    [--set key=value ...] [--out bench/results/train_paper_cuda.json]
"""
from __future__ import annotations
import argparse, datetime, os, platform, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for p in (ROOT, os.path.join(ROOT, "bench")):
    if p not in sys.path: sys.path.insert(0, p)
import torch
from para_wb.config import load_config
from para_wb.files import save_json
from para_wb.testing import tiny_dataset
from para_wb.train import train
from bench_models import bench_config

def synthetic_specs(n_demos: int, n_steps: int) -> list[dict]:
    "Straight-line demos spread over the bowl area (random images): enough samples for batches of the preset's size."
    return [dict(n_steps=n_steps, seed=k, start=(0.12 - 0.01 * (k % 8), -0.2 + 0.4 * k / max(n_demos - 1, 1), 1.05),
                 end=(-0.1, 0.1, 0.93), grid_index=k) for k in range(n_demos)]

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="paper")
    ap.add_argument("--steps", type=int, default=200, help="training updates per policy")
    ap.add_argument("--demos", type=int, default=24)
    ap.add_argument("--demo-steps", type=int, default=40)
    ap.add_argument("--kinds", nargs="*", default=["para", "act", "global"])
    ap.add_argument("--set", nargs="*", default=[], help="config overrides")
    ap.add_argument("--work", default=None, help="scratch folder (default: a temporary one)")
    ap.add_argument("--out", default=None)
    a = ap.parse_args(argv)
    work = a.work or tempfile.mkdtemp(prefix="para_wb_bench_train_")
    short = list(a.set) + [f"train.steps={a.steps}", "train.warmup_steps=20", f"train.snapshot_steps=[0, {a.steps}]",
                           f"train.checkpoint_every={a.steps}"]
    cfg = load_config(a.preset, short)
    t0 = time.time()
    data = tiny_dataset(cfg, os.path.join(work, "data"), specs=synthetic_specs(a.demos, a.demo_steps))
    make_s = time.time() - t0
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    bb = bench_config(cfg, cfg.train.batch_size, rounds=3, n=5, kinds=(), device=dev, amp=dev == "cuda" and cfg.train.amp)["backbone"]
    out = dict(created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), preset=a.preset,
               overrides=a.set, device=dev, gpu=torch.cuda.get_device_name() if dev == "cuda" else None,
               torch=torch.__version__, platform=platform.platform(), cpu_count=os.cpu_count(),
               image_size=cfg.scene.image_size, backbone=cfg.model.backbone, batch_size=cfg.train.batch_size,
               num_workers=cfg.train.num_workers, steps=a.steps, demos=a.demos, demo_steps=a.demo_steps,
               dataset_seconds=round(make_s, 1), backbone_fwd_bwd_img_per_s=bb["img_per_s"], runs={})
    print(f"{a.preset} on {dev}: {cfg.model.backbone} {cfg.scene.image_size}px B={cfg.train.batch_size}; "
          f"bare backbone fwd+bwd {bb['img_per_s']:.1f} img/s")
    for k in a.kinds:
        c = load_config(a.preset, short + [f"model.kind={k}"])
        r = train(c, data, os.path.join(work, f"run_{k}"), progress=False)
        if dev == "cuda": r["max_memory_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 2); torch.cuda.reset_peak_memory_stats()
        keep = {x: r[x] for x in ("steps", "final_loss", "seconds", "train_seconds", "img_per_s", "amp", "n_train_samples")}
        keep["img_per_s_last_interval"] = r["final"].get("img_per_s")
        keep["ratio_vs_backbone"] = round(keep["img_per_s"] / bb["img_per_s"], 3)
        keep["s_per_1000_steps"] = round(1000 * r["train_seconds"] / max(r["steps"], 1), 1)
        keep["max_memory_gib"] = r.get("max_memory_gib")
        out["runs"][k] = keep
        print(f"  {k:7s} loop {keep['img_per_s']:8.1f} img/s (last interval {keep['img_per_s_last_interval']:.1f}), "
              f"ratio {keep['ratio_vs_backbone']:.3f}, {keep['s_per_1000_steps']:.0f} s/1000 steps, loss {keep['final_loss']:.3f}")
    out["wall_s"] = round(time.time() - t0, 1)
    path = save_json(a.out or os.path.join(ROOT, "bench", "results", f"train_{a.preset}_{dev}.json"), out)
    print("wrote", path)

if __name__ == "__main__":
    main()
