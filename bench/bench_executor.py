#!/usr/bin/env python
"""Ray's overhead against the local process pool: the same experiment, from scratch (its own dataset, trainings,
rollouts, report), run alternately through each backend (`PARA_WB_EXECUTOR=local|ray`, a Ray instance with this
machine's CPUs started by the command itself, as a user's first `--executor ray` call does), in fresh folders.
Writes wall times per round, the median ratio ray / local, and whether the two backends gave the same rollouts.

Usage:  python bench/bench_executor.py [--rounds 2] [--job mini|smoke|main] [--out bench/results/cpu/executor_overhead.json]
  --job mini   the README's main job (Left -> Right, PARA vs ACT, cpu preset) shrunk so one round takes minutes:
               a 6 x 6 demo grid, 300 training steps, 10 validation + 10 test rollouts per arm, one seed (the same code
               path and the same kinds of jobs: demos, two trainings, rollouts, expert, control, report)
  --job smoke  the smoke experiment (seconds of work: measures Ray's fixed start-up cost)
  --job main   the README's main job itself (scripts/main.sh's arguments: Left -> Right, PARA vs ACT, seed 0, 20 test and
               10 control rollouts, 2 workers; its own 256-demo dataset): ~16 min per backend on 2 cores
"""
from __future__ import annotations
import argparse, csv, datetime, json, os, platform, shutil, statistics, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path: sys.path.insert(0, str(ROOT))
from para_wb.files import save_json

JOBS = {
    "mini": ["--overrides", "demos.grid=6", "train.steps=300", "--n-val", "10", "--n-test", "10", "--n-control", "5",
             "--seeds", "0", "--ablations", "--record", "1"],
    "smoke": ["--smoke", "true", "--ablations"],
    "main": ["--seeds", "0", "--ablations", "--n-test", "20", "--n-control", "10", "--workers", "2"],
}


def _rollouts(out: Path) -> dict:
    "{eval.csv path relative to the run folder: its rows without wall time}: what must not depend on the backend."
    res = {}
    for p in sorted(out.rglob("eval.csv")):
        with open(p) as f: res[str(p.relative_to(out))] = [{k: v for k, v in r.items() if k != "wall_s"} for r in csv.DictReader(f)]
    return res


def run_once(backend: str, job: str, work: Path) -> tuple[float, dict]:
    out = work / f"{backend}"
    if out.exists(): shutil.rmtree(out)
    env = dict(os.environ, PARA_WB_EXECUTOR=backend, MUJOCO_GL="egl", PYOPENGL_PLATFORM="egl")
    env.pop("PARA_WB_RAY_ADDRESS", None); env.pop("RAY_ADDRESS", None)
    cmd = [sys.executable, "-m", "para_wb.experiments.left_right", *JOBS[job], "--progress", "false",
           "--out-dir", str(out), "--figures-dir", str(out / "figures"), "--dataset-dir", str(out / "dataset")]
    t0 = time.time()
    r = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    wall = time.time() - t0
    if r.returncode != 0: raise SystemExit(f"{backend}: {' '.join(cmd)} exited {r.returncode}:\n{r.stderr[-3000:]}")
    return wall, _rollouts(out), _phases(out, wall)


def _phases(out: Path, wall: float) -> dict:
    "Where the wall time went (results.json's own timings): the experiment, each (arm, seed) job, and the rest (dataset, report)."
    f = out / "results.json"
    if not f.exists(): return {}
    res = json.loads(f.read_text())
    jobs = {k: {m: round(v, 1) for m, v in t.items() if isinstance(v, (int, float)) and m.endswith("_s")} for k, t in (res.get("timings") or {}).items()}
    return dict(experiment_s=round(res.get("seconds", 0), 1), before_and_after_experiment_s=round(wall - res.get("seconds", 0), 1), jobs=jobs)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--job", choices=sorted(JOBS), default="mini")
    ap.add_argument("--out", default=None)
    a = ap.parse_args(argv)
    out = Path(a.out or ROOT / "bench" / "results" / "cpu" / f"executor_overhead_{a.job}.json")
    work = Path(tempfile.mkdtemp(prefix="para_wb_bench_executor_"))
    rounds, load0 = [], os.getloadavg()
    for i in range(a.rounds):
        order = ("local", "ray") if i % 2 == 0 else ("ray", "local")       # alternate which goes first
        row = {}
        for b in order:
            wall, rolls, phases = run_once(b, a.job, work)
            row[b] = dict(wall_s=round(wall, 1), rollouts=rolls, phases=phases)
            print(f"[bench_executor] round {i}: {b} {wall:.1f} s", file=sys.stderr, flush=True)
        same = row["local"]["rollouts"] == row["ray"]["rollouts"]
        rounds.append(dict(order=list(order), local_s=row["local"]["wall_s"], ray_s=row["ray"]["wall_s"],
                           ratio=round(row["ray"]["wall_s"] / row["local"]["wall_s"], 3), same_rollouts=same,
                           n_rollouts=sum(len(v) for v in row["local"]["rollouts"].values()),
                           phases={b: row[b]["phases"] for b in order}))
    shutil.rmtree(work, ignore_errors=True)
    res = dict(what="wall time of one experiment from scratch through the Ray executor / through the local process pool",
               job=a.job, command=["python", "-m", "para_wb.experiments.left_right", *JOBS[a.job]], rounds=rounds,
               median_ratio=statistics.median(r["ratio"] for r in rounds), same_rollouts_every_round=all(r["same_rollouts"] for r in rounds),
               machine=dict(cpus=os.cpu_count(), platform=platform.platform(), loadavg_start=load0, loadavg_end=os.getloadavg()),
               finished_utc=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"))
    save_json(out, res)
    print(json.dumps({k: v for k, v in res.items() if k != "rounds"}, indent=1), "\n", out)


if __name__ == "__main__":
    main()
