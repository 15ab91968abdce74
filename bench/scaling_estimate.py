#!/usr/bin/env python
"""How long the whole reproduction would take on k Ray workers of 2 CPUs (and with one GPU worker for training),
computed from the task times the experiments measured on this 2-core machine (bench/results/cpu/experiment_*.json,
their results' per-run `timings`) and the task graph `para_wb.experiments.reproduce` submits:

  dataset (per dataset folder; demos are independent 1-CPU jobs) -> per (arm, seed): training (one 2-CPU job, not
  divisible) -> its rollouts (independent 1-CPU jobs) ; dataset -> expert and control rollouts ; all -> report (serial).

A greedy list scheduler (longest job first among the ready ones) places the jobs on 2k CPU slots; the critical path
(the longest chain, unlimited workers) is the floor no cluster goes below. Every input is measured except what the
JSON says is assumed (the GPU speed-up, which no run here measured: this task had no GPU).

Usage: python bench/scaling_estimate.py [--workers 1 4 16 64] [--gpu-speedup 10] [--out bench/results/cpu/scaling_estimate.json]
"""
from __future__ import annotations
import argparse, glob, heapq, json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path: sys.path.insert(0, str(ROOT))
from para_wb.files import save_json, save_figure

# measured on this machine class (bench/results/cpu/figures_sh.json, ENV-NOTES): the 16 x 16 position grid, 256 demos,
# 13 min with 2 processes; the 8 x 8 grid a quarter; the viewpoint datasets (65 viewpoints x 4 demos) about as many
DEMO_CPU_S = 13 * 60 * 2 / 256
DATASET_DEMOS = {"positions_g16": 256, "positions_g8": 64, "viewpoints": 260}
REFERENCE_FACTOR = 1.5


def measured_experiments() -> list[dict]:
    "One entry per experiment: its dataset, trainings (s on 2 CPUs), rollout CPU-seconds per run, reference rollouts."
    best = {}
    for p in sorted(glob.glob(str(ROOT / "bench/results/cpu/experiment_*.json"))):
        r = json.loads(Path(p).read_text())
        for rp, res in (r.get("results") or {}).items():
            key = rp.replace("data/runs/", "").replace("/results.json", "")
            t = res.get("timings") or {}
            if not t: continue
            cur = best.setdefault(key, dict(name=key, runs={}, seconds=0.0, source=set()))
            cur["source"].add(str(Path(p).relative_to(ROOT)))
            for run, v in t.items():
                old = cur["runs"].get(run, dict(train_s=0.0, eval_s=0.0))
                cur["runs"][run] = dict(train_s=max(old["train_s"], v.get("train_s") or 0.0), eval_s=max(old["eval_s"], v.get("eval_s") or 0.0))
            if not r.get("resumed"): cur["seconds"] = max(cur["seconds"], res.get("seconds") or 0.0)
    out = []
    for key, e in best.items():
        ds = "viewpoints" if key.startswith("viewpoint") else ("positions_g8" if "g8" in key else "positions_g16")
        # the expert runs every validation and test episode once, the control the first n_control (20) of each split:
        # ASSUMED to cost 1.5 x one arm's rollouts (the timings keep no separate time for them)
        ref = REFERENCE_FACTOR * sum(v["eval_s"] for v in e["runs"].values()) / max(1, len(e["runs"]))
        out.append(dict(name=key, dataset=ds, runs=e["runs"], reference_s=ref, source=sorted(e["source"])))
    return out


def jobs_of(experiments: list[dict], gpu_speedup: float | None) -> list[dict]:
    "The task graph as jobs: {id, cpus, seconds, after, divisible (split into 1-CPU pieces of this many seconds)}."
    jobs, done_ds = [], set()
    for e in experiments:
        ds = f"dataset:{e['dataset']}"
        if ds not in done_ds:
            done_ds.add(ds)
            jobs += [dict(id=f"{ds}:{i}", cpus=1, seconds=DEMO_CPU_S, after=[], group=ds) for i in range(DATASET_DEMOS[e["dataset"]])]
        ends = []
        for run, v in e["runs"].items():
            tid = f"{e['name']}:{run}:train"
            gpu = gpu_speedup is not None
            jobs.append(dict(id=tid, cpus=0 if gpu else 2, gpu=1 if gpu else 0, seconds=v["train_s"] / (gpu_speedup or 1), after=[ds]))
            n = 40                                                # rollouts per run and split are tens: 40 pieces
            jobs += [dict(id=f"{tid}:eval:{i}", cpus=1, seconds=2 * v["eval_s"] / n, after=[tid], group=f"{tid}:eval") for i in range(n)]
            ends.append(f"{tid}:eval")
        jobs += [dict(id=f"{e['name']}:ref:{i}", cpus=1, seconds=2 * e["reference_s"] / 20, after=[ds], group=f"{e['name']}:ref") for i in range(20)]
        jobs.append(dict(id=f"{e['name']}:report", cpus=1, seconds=30.0, after=ends + [f"{e['name']}:ref"]))
    return jobs


def schedule(jobs: list[dict], cpu_slots: float, gpus: int = 0) -> float:
    "Makespan of a greedy list schedule (longest ready job first) on `cpu_slots` CPUs and `gpus` GPUs."
    groups = {}
    for j in jobs:
        groups.setdefault(j.get("group", j["id"]), []).append(j["id"])
    by_id = {j["id"]: j for j in jobs}
    remaining = {g: len(v) for g, v in groups.items()}
    finished_at, t, free_cpu, free_gpu = {}, 0.0, cpu_slots, gpus
    running, pending = [], list(jobs)
    def ready(j): return all(a in finished_at for a in j["after"])
    while pending or running:
        pending.sort(key=lambda j: -j["seconds"])
        started = True
        while started:
            started = False
            for j in pending:
                if ready(j) and j["cpus"] <= free_cpu and j.get("gpu", 0) <= free_gpu:
                    if j["cpus"] > cpu_slots: raise ValueError(f"{j['id']} needs {j['cpus']} CPUs")
                    free_cpu -= j["cpus"]; free_gpu -= j.get("gpu", 0)
                    heapq.heappush(running, (t + j["seconds"], j["id"])); pending.remove(j); started = True; break
        if not running: raise RuntimeError("deadlock: jobs wait for what never finishes")
        t, jid = heapq.heappop(running)
        j = by_id[jid]; free_cpu += j["cpus"]; free_gpu += j.get("gpu", 0)
        g = j.get("group", jid); remaining[g] -= 1
        if remaining[g] == 0: finished_at[g] = t
        finished_at.setdefault(jid, t)
    return t


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, nargs="*", default=[1, 4, 16, 64])
    ap.add_argument("--gpu-speedup", type=float, default=10.0, help="ASSUMED training speed-up of one GPU worker over 2 CPUs")
    ap.add_argument("--out", default=str(ROOT / "bench/results/cpu/scaling_estimate.json"))
    a = ap.parse_args(argv)
    exps = measured_experiments()
    jobs = jobs_of(exps, None)
    serial = sum(j["seconds"] * j["cpus"] for j in jobs) / 2          # one 2-CPU machine, perfectly packed
    rows = [dict(workers=k, cpus=2 * k, hours=round(schedule(jobs, 2 * k) / 3600, 2)) for k in a.workers]
    crit = schedule(jobs, 10 ** 6)
    gjobs = jobs_of(exps, a.gpu_speedup)
    grows = [dict(workers=k, cpus=2 * k, gpus=1, hours=round(schedule(gjobs, 2 * k, 1) / 3600, 2)) for k in a.workers]
    res = dict(what="estimated wall time of the whole reproduction (every experiment with measured task times) on k Ray workers of 2 CPUs",
               experiments=[dict(name=e["name"], dataset=e["dataset"], runs=len(e["runs"]), train_s=round(sum(v["train_s"] for v in e["runs"].values())),
                                 rollout_s=round(sum(v["eval_s"] for v in e["runs"].values())), reference_s=round(e["reference_s"]), source=e["source"])
                            for e in exps],
               one_machine_packed_hours=round(serial / 3600, 2), cpu_workers=rows, critical_path_hours=round(crit / 3600, 2),
               with_one_gpu_worker=grows, assumed=dict(gpu_training_speedup=a.gpu_speedup, demo_cpu_s=round(DEMO_CPU_S, 2),
                                                       report_s=30, reference_rollouts_per_arm=REFERENCE_FACTOR, note="the GPU speed-up is an assumption (no GPU was lent to this task); "
                                                       "demo cost: 256 demos in 13 min on 2 processes (figures_sh.json era)"),
               model="greedy list schedule of the reproduce task graph; trainings are atomic 2-CPU jobs, demos and rollouts 1-CPU jobs")
    save_json(a.out, res)
    import matplotlib; matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    ks = [r["workers"] for r in rows]
    ax.plot(ks, [r["hours"] for r in rows], "o-", label="2-CPU workers")
    ax.plot(ks, [r["hours"] for r in grows], "s--", label=f"+ 1 GPU worker for training (assumed {a.gpu_speedup:g}x)")
    ax.axhline(crit / 3600, color="gray", ls=":", label=f"critical path {crit / 3600:.2f} h")
    ax.set_xscale("log", base=2); ax.set_xticks(ks); ax.set_xticklabels([str(k) for k in ks])
    ax.set_xlabel("Ray workers (2 CPUs each)"); ax.set_ylabel("wall time (h)"); ax.set_title("Whole reproduction: estimated wall time", fontsize=10)
    ax.legend(fontsize=8); ax.grid(alpha=0.3)
    png = save_figure(fig, Path(a.out).with_suffix(".png"))
    print(json.dumps({k: v for k, v in res.items() if k != "experiments"}, indent=1), "\n", a.out, png)


if __name__ == "__main__":
    main()
