#!/usr/bin/env python
"""Experiment wall-time benchmark: run one experiment notebook end to end through papermill, exactly as a user would
(`papermill nbs/<name>.ipynb out.ipynb -p preset cpu ...`), and write how long it took, on what machine,
with which parameters, beside the experiment's own per-stage timings (`results.json` → `timings`, `seconds`).

Resumable like the experiments themselves: rerunning after an interruption reuses finished datasets, trainings and
evaluations, so the wall time of a resumed run is *not* a from-scratch time; the JSON says `resumed: true` when the
run folder already held results when the benchmark started.

Usage:  python bench/bench_experiment.py viewpoint [-p key value ...] [--out bench/results/experiment_viewpoint_cpu.json]
        python bench/bench_experiment.py left_right -p seeds "[0]"
Parameters are papermill's (`-p name value`, values parsed as YAML, e.g. `-p seeds "[0]"`).
"""
from __future__ import annotations
import argparse, datetime, json, os, platform, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path: sys.path.insert(0, str(ROOT))
from para_wb.files import load_json, save_json

def _results_files(out_dir: Path) -> list[Path]:
    "Every results.json under the experiment's run folder (one per split for multi-split experiments)."
    return sorted(out_dir.rglob("results.json")) if out_dir.exists() else []

def _default_out_dir(name: str, params: dict) -> str:
    "The run folder the notebook itself will use with these parameters (its Args' resolved() default: layout-aware)."
    import dataclasses
    from para_wb.experiments.registry import EXPERIMENTS, program_class
    e = next((e for e in EXPERIMENTS if e.notebook == name), None)
    if e is None: return f"data/runs/{name}"
    cls = program_class(e).Args
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in params.items() if k in names}).resolved().out_dir

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("name", help="experiment notebook name in nbs/ (e.g. viewpoint, left_right)")
    ap.add_argument("-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"), help="papermill parameter (YAML value)")
    ap.add_argument("--out", default=None, help="result JSON (default bench/results/experiment_<name>_<preset>.json)")
    a = ap.parse_args(argv)
    nb = ROOT / "nbs" / f"{a.name}.ipynb"
    if not nb.exists():
        names = sorted(p.stem for p in (ROOT / "nbs").glob("*.ipynb") if not p.stem[0].isdigit() and p.stem != "index")
        raise SystemExit(f"no experiment notebook {nb}; choose one of {names}")
    import yaml
    params = {k: yaml.safe_load(v) for k, v in a.p}
    preset = params.get("preset", "cpu")
    out_dir = Path(params.get("out_dir") or _default_out_dir(a.name, params))
    executed = out_dir / f"{a.name}.ipynb"
    out_dir.mkdir(parents=True, exist_ok=True)
    resumed = bool(_results_files(out_dir))
    cmd = [str(Path(sys.executable).parent / "papermill"), "-k", "python3", "--language", "python", "--log-output",
           "--no-progress-bar", str(nb), str(executed)]
    for k, v in params.items(): cmd += ["-y", json.dumps({k: v})]
    cmd += ["-p", "progress", "False"]
    env = dict(os.environ, MUJOCO_GL=os.environ.get("MUJOCO_GL", "egl"), PYOPENGL_PLATFORM=os.environ.get("PYOPENGL_PLATFORM", "egl"))
    started = datetime.datetime.now(datetime.timezone.utc)
    t0, load0 = time.time(), os.getloadavg()
    print("[bench_experiment]", " ".join(cmd), flush=True)
    rc = subprocess.call(cmd, cwd=ROOT, env=env)
    wall = time.time() - t0
    stages = {}
    for f in _results_files(ROOT / out_dir):
        r = load_json(f)
        stages[str(f.relative_to(ROOT))] = dict(seconds=r.get("seconds"), timings=r.get("timings"))
    out = dict(experiment=a.name, notebook=str(nb.relative_to(ROOT)), parameters=params, preset=preset, returncode=rc,
               wall_s=round(wall, 1), wall_min=round(wall / 60, 1), resumed=resumed,
               started_utc=started.isoformat(timespec="seconds"),
               finished_utc=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               machine=dict(platform=platform.platform(), cpu_count=os.cpu_count(), loadavg_start=load0, loadavg_end=os.getloadavg()),
               executed_notebook=str(executed), results=stages)
    path = save_json(a.out or ROOT / "bench" / "results" / f"experiment_{a.name}_{preset}.json", out)
    print(f"[bench_experiment] {a.name} ({preset}): {wall / 60:.1f} min, rc={rc}{' (resumed)' if resumed else ''} -> {path}")
    sys.exit(rc)

if __name__ == "__main__":
    main()
