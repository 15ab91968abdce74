"""Mutation check of the modules the headline numbers depend on: a maintained list of plausible one-line bugs.

Each mutant replaces one exact snippet (it must occur once) in a module of a *temporary copy* of the package (never the
working tree), then runs the few fast tests that should catch it (`pytest -x`, PYTHONPATH = the copy). A mutant is
killed when those tests fail. The unmutated copy must pass every selection first (baseline). Writes
bench/results/cpu/mutation.json (score, per-mutant results, commands, wall time). Not part of the default test suite.

    nice -n 5 python bench/bench_mutation.py [--only NAME ...] [--list] [--out PATH]
"""
from __future__ import annotations
import argparse, json, os, shutil, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results" / "cpu" / "mutation.json"

CAM = ["tests/test_camera_math.py"]
SCENE = ["tests/test_outcomes.py::test_bowl_on_plate_predicate"]
OUTC = ["tests/test_outcomes.py"]
STATS = ["tests/test_stats.py"]
DSTATS = ["tests/test_dataset_stats.py"]
TRAIN = ["tests/test_train.py::test_statistics_come_from_the_training_demos_only"]
SPLIT = ["tests/test_dataset_stats.py::test_split_keeps_regions_apart"]
PARA = ["tests/test_policies.py::test_para_decode_lands_on_known_pixel_and_point",
        "tests/test_policies.py::test_para_one_hot_round_trip_on_a_known_world_point",
        "tests/test_policies.py::test_para_decode_splits_the_flat_argmax_into_bin_and_cell"]
REG = ["tests/test_policies.py::test_regression_output_denormalises_to_world"]

# (name, module, snippet, replacement, tests)
MUTANTS = [
    # camera projection
    ("camera: focal from width", "para_wb/camera.py", "f = 0.5 * height / math.tan", "f = 0.5 * width / math.tan", CAM),
    ("camera: v not flipped", "para_wb/camera.py", "cy - f * q[:, 1] / d", "cy + f * q[:, 1] / d", CAM),
    ("camera: ray v sign", "para_wb/camera.py", "-(UV[:, 1] - cy) / f", "(UV[:, 1] - cy) / f", CAM),
    ("camera: ray-plane t sign", "para_wb/camera.py", "t = (z - o[:, 2]) /", "t = (o[:, 2] - z) /", CAM),
    ("camera: depth sign", "para_wb/camera.py", "    d = -q[:, 2]\n", "    d = q[:, 2]\n", CAM),
    ("camera: principal point", "para_wb/camera.py", "f, (cx, cy) = cam.focal, (cam.width / 2, cam.height / 2)\n    with",
     "f, (cx, cy) = cam.focal, (cam.height / 2, cam.width / 2)\n    with", CAM),
    # scene PLACE predicate
    ("scene: 5 cm instead of 3 cm", "para_wb/sim/scene.py", "p[:2]) >= 0.03", "p[:2]) >= 0.05", SCENE),
    ("scene: above-plate check dropped", "para_wb/sim/scene.py", "or b[2] <= p[2]: return False", ": return False", SCENE),
    ("scene: contact with either", "para_wb/sim/scene.py", "if (g1 in self.bowl_geoms and g2 in self.plate_geoms)", "if (g1 in self.bowl_geoms or g2 in self.plate_geoms)", SCENE),
    ("scene: per-axis distance", "para_wb/sim/scene.py", "np.linalg.norm(b[:2] - p[:2])", "np.abs(b[:2] - p[:2]).max()", SCENE),
    ("scene: no contact needed", "para_wb/sim/scene.py", "(g2 in self.bowl_geoms and g1 in self.plate_geoms): return True\n    return False",
     "(g2 in self.bowl_geoms and g1 in self.plate_geoms): return True\n    return True", SCENE),
    # statistics
    ("stats: wilson centre", "para_wb/analysis/significance.py", "centre = (p + z2 / (2 * n)) / denom", "centre = (p + z2 / n) / denom", STATS),
    ("stats: wilson half width", "para_wb/analysis/significance.py", "z2 / (4 * n * n)", "z2 / (2 * n * n)", STATS),
    ("stats: exact tail strict", "para_wb/analysis/significance.py", "pmf[s >= observed]", "pmf[s > observed]", STATS),
    ("stats: exact convolution weight", "para_wb/analysis/significance.py", "pmf = 0.5 * new", "pmf = new", STATS),
    ("stats: integer differences scale", "para_wb/analysis/significance.py", "y * (L // m)", "y * (L // n)", STATS),
    ("stats: monte carlo without +1", "para_wb/analysis/significance.py", "p = (1 + count) / (1 + int(n_resamples))", "p = count / int(n_resamples)", STATS),
    ("stats: differences reversed", "para_wb/analysis/significance.py", "(rate[a] - rate[b])", "(rate[b] - rate[a])", STATS),
    ("stats: bootstrap ignores seeds (CI)", "para_wb/analysis/significance.py", "va, vb = _draw_counts(rng, len(ka), size), _draw_counts(rng, len(kb), size)",
     "va, vb = np.ones((size, len(ka))), np.ones((size, len(kb)))", STATS),
    ("stats: bootstrap ignores seeds (rate)", "para_wb/analysis/significance.py", "rates.append(_replicate_rates(k, n, _draw_counts(rng, len(k), size), w))",
     "rates.append(_replicate_rates(k, n, np.ones((size, len(k))), w))", STATS),
    ("stats: positions drawn per model", "para_wb/analysis/significance.py", "_replicate_rates(kb, nb, vb, w))", "_replicate_rates(kb, nb, vb, _draw_counts(rng, len(positions), size)))", STATS),
    ("stats: bootstrap ignores positions", "para_wb/analysis/significance.py", "w = _draw_counts(rng, len(positions), size)                      #",
     "w = np.ones((size, len(positions)))                      #", STATS),
    ("stats: one-sided percentile", "para_wb/analysis/significance.py", "np.quantile(ok, [(1 - level) / 2, (1 + level) / 2])", "np.quantile(ok, [1 - level, level])", STATS),
    # dataset statistics and splits
    ("dataset: stats over every demo", "para_wb/dataset/stats.py", "sel = [names[k] for k in demos] if demos is not None else names", "sel = names", DSTATS),
    ("dataset: z margin sign", "para_wb/dataset/stats.py", "pos[:, 2].max() + z_margin", "pos[:, 2].max() - z_margin", DSTATS),
    ("train: stats over the whole file", "para_wb/train.py", "stats = compute_stats(dataset_path, demos=train_demos)", "stats = compute_stats(dataset_path)", TRAIN),
    ("train: demo filter ignored", "para_wb/train.py", "(demo_filter is None or demo_filter(m))", "(demo_filter is None or True)", TRAIN),
    ("split: training region not checked", "para_wb/experiments/split.py", "if not self.train_region(tuple(meta[\"bowl_xy\"])): return False",
     "if False: return False", SPLIT),
    ("split: validation from the test region", "para_wb/experiments/split.py", "val = self.sample(cfg, self.train_region, n_val, rng)",
     "val = self.sample(cfg, self.test_region, n_val, rng)", SPLIT),
    # PARA decoding
    ("para: refine swaps u and v", "para_wb/policies/para.py", "uv = cell_to_pixel(rowf, colf, W, H, S)", "uv = cell_to_pixel(colf, rowf, W, H, S)", PARA),
    ("para: argmax swaps u and v", "para_wb/policies/para.py", "uv = cell_to_pixel(row, col, W, H, S)", "uv = cell_to_pixel(col, row, W, H, S)", PARA),
    ("para: refine height without bin centre", "para_wb/policies/para.py", "(hbf.cpu().numpy().astype(np.float64) + 0.5)", "(hbf.cpu().numpy().astype(np.float64))", PARA),
    ("para: refine row from column marginal", "para_wb/policies/para.py", "rowf = (w.sum(-1) * r.float()).sum(-1)", "rowf = (w.sum(-2) * r.float()).sum(-1)", PARA),
    ("para: cell corner, not centre", "para_wb/policies/para.py", "[(col.float() + 0.5) * W / S", "[(col.float()) * W / S", PARA),
    ("para: height bin from the cell index", "para_wb/policies/para.py", "hb, cell = idx // (S * S), idx % (S * S)", "hb, cell = idx // (S * S + 1), idx % (S * S)", PARA),
    ("regression: de-normalised without mean", "para_wb/policies/regression.py", "wp = (pos * self.pos_std + self.pos_mean)", "wp = (pos * self.pos_std)", REG),
    # evaluator outcome logic
    ("evaluate: closed counts as released", "para_wb/eval/loop.py", "released |= gc < 0", "released |= gc > 0", OUTC),
    ("evaluate: place_step overwritten", "para_wb/eval/loop.py", "if place_step < 0: place_step = n_steps", "place_step = n_steps", OUTC),
    ("evaluate: release window one longer", "para_wb/eval/loop.py", "n_steps - place_step >= ecfg.release_steps", "n_steps - place_step > ecfg.release_steps", OUTC),
    ("evaluate: release does not stop", "para_wb/eval/loop.py", "return (n_steps >= ecfg.max_steps or released or at_rest", "return (n_steps >= ecfg.max_steps or at_rest", OUTC),
    ("expert: GRASP and MISS swapped", "para_wb/rollouts.py", "(\"GRASP\" if lifted else \"MISS\")", "(\"MISS\" if lifted else \"GRASP\")", OUTC),
    ("evaluate: summary counts placed as released", "para_wb/rollouts.py", "released=sum(bool(r.released) for r in results)", "released=sum(bool(r.placed) for r in results)", OUTC),
]


def pytest_cmd(tests):
    return [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]


def run_tests(copy: Path, tests, timeout=600):
    env = dict(os.environ, PYTHONPATH=str(copy), PYTHONDONTWRITEBYTECODE="1", MUJOCO_GL="egl", PYOPENGL_PLATFORM="egl")
    t0 = time.time()
    try:
        r = subprocess.run(pytest_cmd(tests), cwd=copy, env=env, capture_output=True, text=True, timeout=timeout)
        rc, tail = r.returncode, (r.stdout + r.stderr).strip().splitlines()[-1:]
    except subprocess.TimeoutExpired: rc, tail = -1, ["timeout"]
    return rc, round(time.time() - t0, 1), tail[0] if tail else ""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", help="run only mutants whose name contains one of these words")
    ap.add_argument("--list", action="store_true"); ap.add_argument("--out", default=str(OUT))
    a = ap.parse_args(argv)
    mutants = [m for m in MUTANTS if not a.only or any(w in m[0] for w in a.only)]
    if a.list:
        for m in mutants: print(f"{m[0]:45s} {m[1]}")
        return
    t_start = time.time()
    tmp = Path(tempfile.mkdtemp(prefix="para_wb_mutation_"))
    try:
        shutil.copytree(ROOT / "para_wb", tmp / "para_wb", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(ROOT / "tests", tmp / "tests", ignore=shutil.ignore_patterns("__pycache__"))
        for f in ("settings.ini", "pyproject.toml"): shutil.copy(ROOT / f, tmp / f)
        for name, mod, old, new, _ in mutants:                                   # every snippet must still match once
            n = (ROOT / mod).read_text().count(old)
            if n != 1: raise SystemExit(f"mutant {name!r}: its snippet occurs {n} times in {mod} (need exactly 1); update MUTANTS")
        baseline = {}
        for tests in {tuple(m[4]) for m in mutants}:
            rc, secs, tail = run_tests(tmp, list(tests))
            baseline[" ".join(tests)] = dict(rc=rc, seconds=secs, tail=tail)
            if rc != 0: raise SystemExit(f"baseline fails ({tail}): {' '.join(tests)}; fix the tests before measuring mutants")
            print(f"baseline ok {secs:6.1f}s {' '.join(tests)}", flush=True)
        rows = []
        for name, mod, old, new, tests in mutants:
            src = (ROOT / mod).read_text()
            (tmp / mod).write_text(src.replace(old, new))
            try: rc, secs, tail = run_tests(tmp, tests)
            finally: (tmp / mod).write_text(src)
            res = "killed" if rc != 0 else "survived"
            rows.append(dict(name=name, module=mod, snippet=old, replacement=new, tests=tests, result=res, rc=rc, seconds=secs, tail=tail))
            print(f"{res:8s} {secs:6.1f}s {name}", flush=True)
    finally: shutil.rmtree(tmp, ignore_errors=True)
    killed = sum(r["result"] == "killed" for r in rows)
    out = dict(benchmark="bench_mutation", score=killed / len(rows), killed=killed, survived=len(rows) - killed, n_mutants=len(rows),
               survivors=[r["name"] for r in rows if r["result"] == "survived"], wall_s=round(time.time() - t_start, 1),
               command="nice -n 5 python bench/bench_mutation.py" + (f" --only {' '.join(a.only)}" if a.only else ""),
               test_command=" ".join(pytest_cmd(["<tests>"])[2:]), baseline=baseline, mutants=rows,
               finished_utc=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    sys.path.insert(0, str(ROOT))
    from para_wb.files import save_json
    save_json(a.out, out)
    print(f"score {killed}/{len(rows)} = {100 * out['score']:.0f}% killed in {out['wall_s'] / 60:.1f} min -> {a.out}")


if __name__ == "__main__": main()
