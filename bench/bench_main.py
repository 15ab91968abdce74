#!/usr/bin/env python
"""The README's main command on a fresh checkout, timed: `git clone` of this repository's HEAD into a temporary folder,
then `bash scripts/main.sh` there, exactly as a new user runs it, and its wall time split into set-up (scripts/setup.sh)
and the job (the main job's own `main_wall_time.json`), with the experiment's per-stage timings (its `results.json`)
beside it. Issue 21's target for this number is <= 20 min on 2 cores.

By default the clone shares the project's virtual environment (`~/.cache/para_wb/venv`: set-up then only checks it);
`--fresh-venv` gives it a new one in the temporary folder, so set-up installs everything from the package index as on a
fresh machine (about 5.5 GB, minutes). The clone's set-up points the shared environment's editable install at the clone;
this script points it back at this checkout when it is done. The clone is deleted afterwards unless `--keep`.

Usage:  python bench/bench_main.py [--fresh-venv] [--keep] [--out bench/results/cpu/main_fresh_clone.json]
"""
from __future__ import annotations
import argparse, datetime, json, os, platform, shutil, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path: sys.path.insert(0, str(ROOT))
from para_wb.files import load_json, save_json

def _git(*args) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fresh-venv", action="store_true", help="a new virtual environment in the clone's folder (a fresh machine's set-up)")
    ap.add_argument("--keep", action="store_true", help="keep the clone (and its run folder) afterwards")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "cpu" / "main_fresh_clone.json"))
    a = ap.parse_args(argv)
    shared_venv = Path(os.environ.get("PARA_WB_VENV", Path.home() / ".cache" / "para_wb" / "venv"))
    tmp = Path(tempfile.mkdtemp(prefix="para_wb_main_bench_"))
    clone = tmp / "para_wb"
    venv = tmp / "venv" if a.fresh_venv else shared_venv
    commit, dirty = _git("rev-parse", "HEAD"), bool(_git("status", "--porcelain", "--untracked-files=no"))
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    env = dict(os.environ, PARA_WB_VENV=str(venv))
    started = datetime.datetime.now(datetime.timezone.utc)
    t0, load0 = time.time(), os.getloadavg()
    print(f"[bench_main] bash scripts/main.sh in {clone} (venv {venv})", flush=True)
    with open(tmp / "main.log", "w") as log:
        rc = subprocess.call(["bash", "scripts/main.sh"], cwd=clone, env=env, stdout=log, stderr=subprocess.STDOUT)
    wall = time.time() - t0
    run = clone / "data" / "runs" / "left_right_main"
    job = load_json(run / "main_wall_time.json") if (run / "main_wall_time.json").exists() else {}
    res = load_json(run / "results.json") if (run / "results.json").exists() else {}
    out = dict(what="the README's main command (bash scripts/main.sh) in a fresh clone of HEAD, timed end to end",
               commit=commit, checkout_dirty=dirty, returncode=rc, fresh_venv=a.fresh_venv,
               wall_s=round(wall, 1), wall_min=round(wall / 60, 1),
               setup_s=round(wall - job["seconds_after_setup"], 1) if job else None,
               job_s=job.get("seconds_after_setup"), job_min=round(job["seconds_after_setup"] / 60, 1) if job else None,
               target_min=20, started_utc=started.isoformat(timespec="seconds"),
               finished_utc=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               machine=dict(platform=platform.platform(), cpu_count=os.cpu_count(), loadavg_start=load0, loadavg_end=os.getloadavg()),
               stage_seconds=res.get("timings"), experiment_seconds=res.get("seconds"),
               log_tail=(tmp / "main.log").read_text()[-1500:] if rc else "")
    path = save_json(a.out, out)
    if not a.fresh_venv:   # the clone's set-up re-pointed the shared editable install: point it back here
        subprocess.run(["bash", str(ROOT / "scripts" / "setup.sh")], cwd=ROOT, env=env, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not a.keep: shutil.rmtree(tmp, ignore_errors=True)
    print(f"[bench_main] {wall / 60:.1f} min (job {out['job_min']} min), rc={rc} -> {path}" + (f"; kept {tmp}" if a.keep else ""))
    sys.exit(rc)

if __name__ == "__main__":
    main()
