#!/usr/bin/env python
"""LeRobot export throughput: frames/s of `para_wb.dataset.lerobot_export.export_lerobot` on a packed dataset.

Exports the dataset `--rounds` times into a scratch folder (removed afterwards) and records, per round, wall time and this
process's CPU time, the median frames/s, the export's size on disk beside the source file's, and the frame size. The
whole export is timed: reading the HDF5 demos, PNG encoding (zlib level 1, LeRobot's setting), statistics and parquet
writing. Without `--dataset` it exports the project's tiny fixture (synthetic random-noise frames, which compress worst).

Usage:  python bench/bench_lerobot_export.py [--dataset data/clean_grid] [--rounds 3] [--out bench/results/cpu/lerobot_export.json]
"""
from __future__ import annotations
import argparse, datetime, os, platform, shutil, statistics, sys, tempfile, time
from pathlib import Path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path: sys.path.insert(0, ROOT)
from para_wb.files import load_json, save_json
from para_wb.dataset.lerobot_export import export_lerobot
from para_wb.dataset.storage import dataset_file, dataset_info


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def bench(dataset, rounds: int) -> dict:
    src = dataset_file(dataset)
    info = dataset_info(src)
    scratch = Path(tempfile.mkdtemp(prefix="bench_lerobot_export_"))
    try:
        runs = []
        for r in range(rounds):
            out = scratch / "export"
            w0, c0 = time.perf_counter(), time.process_time()
            s = export_lerobot(src, out, overwrite=True)
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
            runs.append(dict(wall_s=round(wall, 3), cpu_s=round(cpu, 3), frames_per_s=round(s["total_frames"] / wall, 1)))
        size = du(scratch / "export")
    finally:
        shutil.rmtree(scratch)
    return dict(dataset=str(src), n_demos=info["n_demos"], total_frames=s["total_frames"], image_size=info["image_size"],
                source_mb=round(src.stat().st_size / 1e6, 3), export_mb=round(size / 1e6, 3), data_files=s["data_files"],
                runs=runs, median_frames_per_s=statistics.median(r["frames_per_s"] for r in runs),
                median_cpu_frames_per_s=round(s["total_frames"] / statistics.median(r["cpu_s"] for r in runs), 1))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", action="append", default=None, help="packed dataset (repeatable; default: the tiny fixture)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--out", default=os.path.join(ROOT, "bench/results/cpu/lerobot_export.json"))
    a = p.parse_args(argv)
    tmp = None
    if not a.dataset:
        from para_wb.testing import tiny_config, tiny_dataset
        tmp = Path(tempfile.mkdtemp(prefix="bench_lerobot_tiny_"))
        a.dataset = [str(tiny_dataset(tiny_config(), tmp))]
    try:
        results = [bench(d, a.rounds) for d in a.dataset]
    finally:
        if tmp: shutil.rmtree(tmp)
    res = dict(date=datetime.datetime.now().isoformat(timespec="seconds"), host=platform.node(), cpus=os.cpu_count(),
               command="python bench/bench_lerobot_export.py " + " ".join(argv if argv is not None else sys.argv[1:]),
               note="wall time on a machine shared with other jobs; cpu_s is this process's CPU time", results=results)
    save_json(a.out, res)
    for r in results:
        print(f"{r['dataset']}: {r['total_frames']} frames at {r['image_size']} px, median {r['median_frames_per_s']} frames/s "
              f"(CPU-time {r['median_cpu_frames_per_s']}), export {r['export_mb']} MB vs source {r['source_mb']} MB")
    print(f"wrote {a.out}")


if __name__ == "__main__": main()
