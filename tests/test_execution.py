"""The execution layer (`para_wb.execution`): the local process pool and Ray give the same results.

- A Ray round trip on a local Ray instance this test starts (2 CPUs): initialised actors, tasks, errors as themselves.
- The Left -> Right smoke experiment (demos, training, validation and test rollouts, expert, control, report) run once
  through the local pool and once through Ray: the same rollouts (every column of every eval.csv but wall time), the
  same summaries and the same results.md (but for its folder and wall time).
- The executor settings fail with one line naming the bad value and the fix.
"""
import csv, json, os, re, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_bad_executor_setting_is_one_line(tmp_path):
    "A bad PARA_WB_EXECUTOR stops a command with a one-line error naming the value and the fix (no traceback)."
    env = dict(os.environ, PARA_WB_EXECUTOR="dask")
    r = subprocess.run([sys.executable, "-m", "para_wb.experiments.reproduce", "--dry-run", "--root", str(tmp_path), "--only", "left_right_pair"],
                       capture_output=True, text=True, env=env, cwd=tmp_path)
    assert r.returncode != 0 and "Traceback" not in r.stderr and r.stderr.strip().count("\n") == 0, r.stderr
    assert "'dask'" in r.stderr and "PARA_WB_EXECUTOR=local" in r.stderr, r.stderr
    from para_wb.execution import ExecutorError, executor_settings
    with pytest.raises(ExecutorError, match="'dask'"): executor_settings("dask", None)


@pytest.fixture(scope="module")
def ray_executor():
    "A local Ray instance with 2 CPUs (this machine class), shut down after the module."
    pytest.importorskip("ray")
    import ray
    from para_wb.execution import use_executor
    os.environ["PARA_WB_RAY_CPUS"] = "2"
    try:
        with use_executor("ray") as ex:
            ex.start()
            yield ex
    finally:
        ray.shutdown()
        os.environ.pop("PARA_WB_RAY_CPUS", None)


@pytest.mark.slow
def test_ray_round_trip(ray_executor):
    from para_wb.execution import ExecutorError, executor_settings, probe, probe_init
    out = list(ray_executor.map_unordered(probe, range(6), workers=2, init=probe_init, init_args=("ray",)))
    assert sorted(j for j, _, _ in out) == list(range(6)) and {t for _, t, _ in out} == {"ray"}
    assert os.getpid() not in {p for *_, p in out} and len({p for *_, p in out}) <= 2   # two actors, not this process
    assert ray_executor.gather([ray_executor.submit(pow, 4, 2), ray_executor.submit(divmod, 7, 2)]) == [16, (3, 1)]
    with pytest.raises(ExecutorError, match="PARA_WB_EXECUTOR=local"):   # an application error comes back as itself
        ray_executor.submit(executor_settings, "dask").result()
    assert ray_executor.resources()["CPU"] == 2.0


def _rows(path: Path) -> list[dict]:
    with open(path) as f:
        return [{k: v for k, v in r.items() if k != "wall_s"} for r in csv.DictReader(f)]


def _timeless(obj):
    "`obj` as sorted JSON text without wall times (NaN, e.g. an expert's undefined bootstrap, equals itself as text)."
    def drop(o):
        if isinstance(o, dict): return {k: drop(v) for k, v in o.items() if not k.endswith("wall_s")}
        if isinstance(o, list): return [drop(v) for v in o]
        return o
    return json.dumps(drop(obj), sort_keys=True)


def _normalised_md(md: str, root: Path) -> str:
    md = md.replace(str(root), "<root>")
    return re.sub(r"total wall time \d+(\.\d+)? min( \(one call\)| over \d+ calls \(this call \d+(\.\d+)? min\))?",
                  "total wall time <t>", md)


def _smoke(out_dir: Path) -> dict:
    from para_wb.experiments import left_right as L
    args = L.LeftRightArgs(smoke=True, ablations=[], workers=2, progress=False, out_dir=str(out_dir)).for_run()
    return L.LeftRightExperiment(args).run()


@pytest.mark.slow
def test_smoke_experiment_same_on_ray_and_the_local_pool(ray_executor, tmp_path):
    from para_wb.execution import use_executor
    with use_executor("local"):
        local = _smoke(tmp_path / "local" / "left_right")
    ray_res = _smoke(tmp_path / "ray" / "left_right")       # the module's executor: Ray
    evals = sorted(p.relative_to(tmp_path / "local") for p in (tmp_path / "local").rglob("eval.csv"))
    assert len(evals) >= 8                                   # para, act, expert, control × val, test
    assert evals == sorted(p.relative_to(tmp_path / "ray") for p in (tmp_path / "ray").rglob("eval.csv"))
    for rel in evals:
        assert _rows(tmp_path / "local" / rel) == _rows(tmp_path / "ray" / rel), f"{rel}: other rollouts on Ray"
    assert _timeless(local["splits"]) == _timeless(ray_res["splits"])   # every count, rate, interval and p value
    mds = [_normalised_md((tmp_path / k / "left_right" / "figures" / "results.md").read_text(), tmp_path / k) for k in ("local", "ray")]
    assert mds[0] == mds[1]
    assert "open-loop" in mds[0].lower()                     # the trained weights are compared too (open-loop errors)


def test_reproduce_command_line(tmp_path):
    "`python -m para_wb.experiments.reproduce --dry-run` prints the graph; a bad name is one line naming it and the choices."
    r = subprocess.run([sys.executable, "-m", "para_wb.experiments.reproduce", "--dry-run", "--root", str(tmp_path),
                        "--only", "left_right_pair", "near_far_pair"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-2000:]
    assert [(s["name"], s["after"], s["how"]) for s in json.loads(r.stdout)] == \
        [("left_right_pair", [], "ran"), ("near_far_pair", ["left_right_pair"], "ran")]
    r = subprocess.run([sys.executable, "-m", "para_wb.experiments.reproduce", "--dry-run", "--only", "nope"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode != 0 and "nope" in r.stderr and "choose from" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.slow
def test_kept_workers_give_the_rollouts_fresh_workers_give():
    """Inside `keep_workers` two rollout processes serve every evaluation call; each call still initialises them afresh
    (its scene, its policy), so a call after one on another scene (clutter) rolls out exactly as fresh workers do."""
    import numpy as np
    from para_wb.config import load_config
    from para_wb.eval.loop import evaluate_episodes
    from para_wb.eval.reference import ExpertOraclePolicy
    from para_wb.execution import use_executor
    from para_wb.rollouts import Episode
    cfg = load_config("cpu", ["scene.image_size=64", "eval.max_steps=60"])
    clutter = load_config("cpu", ["scene.image_size=64", "eval.max_steps=60", "scene.variant=distractors"])
    eps = [Episode((x, y), position_id=i) for i, (x, y) in enumerate([(-0.10, 0.10), (-0.05, 0.15), (-0.12, 0.22), (-0.02, 0.12)])]
    key = lambda rs: [(r.outcome, r.n_steps, r.n_predictions, np.round(r.eef, 6).tolist(), np.round(r.final_bowl, 6).tolist()) for r in rs]
    with use_executor("local") as ex:
        fresh = evaluate_episodes(cfg, ExpertOraclePolicy, eps, workers=2, progress=False)
        with ex.keep_workers():
            evaluate_episodes(clutter, ExpertOraclePolicy, [Episode(e.bowl_xy, e.position_id, distractor_seed=7) for e in eps],
                              workers=2, progress=False)
            pids = {w.pid for w in ex._kept[2]._pool}
            kept = evaluate_episodes(cfg, ExpertOraclePolicy, eps, workers=2, progress=False)
            assert {w.pid for w in ex._kept[2]._pool} == pids          # the same two processes served both calls
    assert key(kept) == key(fresh)
