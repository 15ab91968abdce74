#!/usr/bin/env python
"""LeRobot ACT training throughput on a para_wb export, with LeRobot's own training script, in LeRobot's venv, offline.

Runs `lerobot.scripts.lerobot_train --policy.type=act` (LeRobot's default ACT: ResNet-18 trunk from scratch, since no
weights can be downloaded; dim_model 512; VAE) on a LeRobot export of a para_wb dataset for `--steps` steps at
`--batch`, `--chunk` actions per chunk (12 = our horizon), and reads LeRobot's own logged update time (`updt_s`, the
optimiser step incl. forward/backward) and data time (`data_s`). The first log window (warm-up) is dropped. Beside it,
in the same run (so both see the same machine load), the training throughput of our `act` and `para` at the preset's
sizes from bench/bench_models.py (a fixed random batch: no data loading), and the ratios.

Usage:  python bench/bench_lerobot_act.py <export_dir> [--steps 12] [--batch 16] [--chunk 12] [--log-freq 3]
                                          [--out bench/results/cpu/lerobot_act_train.json]
"""
from __future__ import annotations
import argparse, datetime, json, os, platform, re, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from para_wb.policies.lerobot_act import lerobot_env, lerobot_train_command  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("export_dir")
    p.add_argument("--steps", type=int, default=12)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--chunk", type=int, default=12)
    p.add_argument("--log-freq", type=int, default=3)
    p.add_argument("--rounds", type=int, default=3, help="bench_models rounds for our models (run first, same load)")
    p.add_argument("--out", default=os.path.join(ROOT, "bench/results/cpu/lerobot_act_train.json"))
    a = p.parse_args(argv)
    py = subprocess.run(["bash", os.path.join(ROOT, "scripts/setup_lerobot.sh")], capture_output=True, text=True,
                        check=True).stdout.strip().splitlines()[-1]
    ours_json = os.path.join(tempfile.mkdtemp(prefix="bench_ours_"), "models.json")
    subprocess.run([sys.executable, os.path.join(ROOT, "bench/bench_models.py"), "--rounds", str(a.rounds), "--out", ours_json],
                   check=True, cwd=ROOT, capture_output=True, text=True)
    tmp = tempfile.mkdtemp(prefix="bench_lerobot_act_")
    try:
        # the command and environment para_wb's own LeRobot arm uses (para_wb.policies.lerobot_act), no checkpoint saved
        cmd = lerobot_train_command(py, a.export_dir, f"{tmp}/train", a.steps, a.batch, a.chunk, seed=0, log_freq=a.log_freq,
                                    extra=["--save_checkpoint=false"])
        env = lerobot_env(f"{tmp}/hf")
        env.pop("PYTHONPATH", None)
        load0 = os.getloadavg(); t0 = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp)
        wall = time.perf_counter() - t0; load1 = os.getloadavg()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log = r.stdout + r.stderr
    if r.returncode != 0: sys.exit(f"lerobot_train failed (exit {r.returncode}):\n{log[-3000:]}")
    updt = [float(x) for x in re.findall(r"updt_s:([0-9.]+)", log)]
    data = [float(x) for x in re.findall(r"data_s:([0-9.]+)", log)]
    kept = updt[1:] or updt
    step = statistics.median(kept)
    lr = dict(policy="lerobot act (defaults: resnet18 from scratch, dim_model 512, VAE)", batch=a.batch, chunk=a.chunk,
              steps=a.steps, log_updt_s=updt, log_data_s=data, step_s_median=round(step, 4),
              img_per_s=round(a.batch / step, 2), wall_s_whole_run=round(wall, 1),
              loadavg_start=list(load0), loadavg_end=list(load1),
              learnable_params_line=next((l for l in log.splitlines() if "learnable" in l), ""))
    o = json.load(open(ours_json))
    ours = {k: dict(step_s_median=v["step_s_median"], img_per_s=v["img_per_s"], params=v.get("params"))
            for k, v in o.get("results", {}).items() if k in ("act", "para", "backbone")}
    ours.update(batch=o.get("batch_size"), image_size=o.get("image_size"), horizon=o.get("horizon"), machine=o.get("machine"))
    ratios = {f"lerobot_act_over_{k}": round(lr["img_per_s"] / ours[k]["img_per_s"], 3) for k in ("act", "para") if k in ours}
    res = dict(date=datetime.datetime.now().isoformat(timespec="seconds"), host=platform.node(), cpus=os.cpu_count(),
               command="python bench/bench_lerobot_act.py " + " ".join(argv if argv is not None else sys.argv[1:]),
               export_dir=a.export_dir, lerobot_act=lr, para_wb=ours, throughput_ratios=ratios,
               note="training throughput (images per second of one update) on this machine in one run: LeRobot's ACT by "
                    "LeRobot's own log (update time; data time apart), ours by bench_models on a fixed batch; see loadavg")
    from para_wb.files import save_json
    save_json(a.out, res)
    print(f"LeRobot ACT: {lr['step_s_median']} s/step at batch {a.batch} = {lr['img_per_s']} img/s (load {load0[0]:.1f})"
          + "".join(f"; para_wb {k}: {ours[k]['img_per_s']} img/s" for k in ("act", "para") if k in ours) + f"; ratios {ratios}")
    print(f"wrote {a.out}")


if __name__ == "__main__": main()
