"""Kill tests: SIGKILL a process in the middle of training, of an evaluation and of packing a dataset, then rerun it: the
rerun ends with the same results as a run never interrupted, and no file is left corrupt (every write is atomic,
`para_wb.files`; training resumes from its last checkpoint). Two processes on one run folder: the second gets a one-line
error naming the folder and the first's pid. Tiny configurations (`para_wb.testing`), everything under tmp_path."""
import json, os, signal, subprocess, sys, textwrap, time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]),
           MUJOCO_GL=os.environ.get("MUJOCO_GL", "egl"))


def _start(code: str, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], stdout=open(log, "w"), stderr=subprocess.STDOUT,
                            env=ENV, cwd=ROOT)


def _wait_for(cond, p: subprocess.Popen, log: Path, timeout: float = 300):
    t = time.time()
    while not cond():
        assert p.poll() is None, f"the process ended before it could be killed:\n{log.read_text()[-3000:]}"
        assert time.time() - t < timeout, f"timed out:\n{log.read_text()[-3000:]}"
        time.sleep(0.05)


def _kill(p: subprocess.Popen):
    p.send_signal(signal.SIGKILL); p.wait(timeout=60)
    assert p.returncode == -signal.SIGKILL


TRAIN = """
    import sys
    from para_wb.testing import tiny_config
    from para_wb.train import train
    cfg = tiny_config("para", {{"train.steps": 40, "train.checkpoint_every": 4, "train.log_every": 2, "train.snapshot_steps": [0, 40]}})
    train(cfg, {ds!r}, {run!r}, progress=False)
    print("done")
"""


@pytest.fixture(scope="module")
def tiny_ds(tmp_path_factory):
    from para_wb.testing import tiny_config, tiny_dataset
    return tiny_dataset(tiny_config("para"), tmp_path_factory.mktemp("kill_ds"))


@pytest.mark.slow
def test_sigkill_during_training_then_rerun_gives_the_uninterrupted_weights(tiny_ds, tmp_path):
    import torch
    from para_wb.train import load_train_checkpoint
    full, cut = tmp_path / "full", tmp_path / "cut"
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(TRAIN.format(ds=str(tiny_ds), run=str(full)))], env=ENV,
                       capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    p = _start(TRAIN.format(ds=str(tiny_ds), run=str(cut)), tmp_path / "cut.log")

    def mid_run():                                   # a checkpoint exists and the run is not finished
        try: return 8 <= load_train_checkpoint(cut / "checkpoint.pt")["step"] < 40
        except Exception: return False
    _wait_for(mid_run, p, tmp_path / "cut.log")
    _kill(p)
    killed_at = load_train_checkpoint(cut / "checkpoint.pt")["step"]          # readable: not corrupt
    assert 8 <= killed_at < 40
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(TRAIN.format(ds=str(tiny_ds), run=str(cut)))], env=ENV,
                       capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert r.returncode == 0 and "done" in r.stdout, r.stderr[-3000:]
    a, b = load_train_checkpoint(full / "checkpoint.pt"), load_train_checkpoint(cut / "checkpoint.pt")
    assert a["step"] == b["step"] == 40
    for k in a["model"]: assert torch.equal(a["model"][k], b["model"][k]), f"{k} differs after kill at step {killed_at} + resume"
    assert json.loads((cut / "train.json").read_text())["finished"] is True


@pytest.mark.slow
def test_two_processes_on_one_run_folder(tiny_ds, tmp_path):
    run = tmp_path / "run"
    slow = TRAIN.replace('"train.steps": 40', '"train.steps": 400')
    p = _start(slow.format(ds=str(tiny_ds), run=str(run)), tmp_path / "first.log")
    try:
        _wait_for(lambda: (run / ".lock").exists() and (run / ".lock").read_text().strip() == str(p.pid), p, tmp_path / "first.log")
        r = subprocess.run([sys.executable, "-m", "para_wb.train", "--dataset", str(tiny_ds), "--run-dir", str(run), "--quiet",
                            "--overrides", "train.steps=400"], env=ENV, capture_output=True, text=True, timeout=300, cwd=ROOT)
        assert r.returncode == 2, r.stderr[-3000:]
        assert f"run folder {run} is in use by another process (pid {p.pid})" in r.stderr and "Traceback" not in r.stderr, r.stderr
    finally:
        _kill(p)


PACK = """
    from para_wb.testing import tiny_config
    from para_wb.dataset.storage import pack_dataset
    cfg = tiny_config("para")
    for i in range(1000): pack_dataset({parts!r}, {out!r}, cfg); print("packed", i, flush=True)
"""


@pytest.mark.slow
def test_sigkill_during_dataset_packing_leaves_a_valid_dataset(tmp_path):
    from para_wb.dataset.storage import DATASET_FILE, PARTS_DIR, pack_dataset, validate_dataset
    from para_wb.testing import tiny_config, tiny_dataset
    cfg = tiny_config("para")
    ds = tiny_dataset(cfg, tmp_path / "ds", n_demos=12)
    before = validate_dataset(ds)
    p = _start(PACK.format(parts=str(tmp_path / "ds" / PARTS_DIR), out=str(ds)), tmp_path / "pack.log")
    # kill while a packing is half written: its temporary file (.demos.hdf5.*) exists beside the dataset
    _wait_for(lambda: "packed 1" in (tmp_path / "pack.log").read_text() and any((tmp_path / "ds").glob(f".{DATASET_FILE}.*")),
              p, tmp_path / "pack.log")
    _kill(p)
    assert validate_dataset(ds)["n_demos"] == before["n_demos"]                 # the old file, whole
    pack_dataset(tmp_path / "ds" / PARTS_DIR, ds, cfg)                          # rerun
    after = validate_dataset(ds)
    assert after["n_demos"] == before["n_demos"] == 12 and after["image_size"] == before["image_size"]


EVAL = """
    import json
    from para_wb.testing import tiny_config
    from para_wb.rollouts import Episode
    from para_wb.eval.reference import ExpertOraclePolicy
    from para_wb.experiments.runner import evaluate_run
    cfg = tiny_config("para")
    eps = [Episode((-0.2 + 0.05 * i, -0.1 + 0.05 * i), position_id=i, split="test") for i in range(3)]
    print("start", flush=True)
    res = evaluate_run(cfg, ExpertOraclePolicy, "expert", eps, {out!r}, workers=1, record=1, progress=False)
    print("done", [r.outcome for r in res], flush=True)
"""


@pytest.mark.slow
def test_sigkill_during_evaluation_then_rerun_gives_identical_results(tmp_path):
    ref, cut = tmp_path / "ref", tmp_path / "cut"
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(EVAL.format(out=str(ref)))], env=ENV, capture_output=True,
                       text=True, timeout=900, cwd=ROOT)
    assert r.returncode == 0 and "done" in r.stdout, r.stderr[-3000:]
    p = _start(EVAL.format(out=str(cut)), tmp_path / "cut.log")
    _wait_for(lambda: "start" in (tmp_path / "cut.log").read_text(), p, tmp_path / "cut.log")
    time.sleep(2.0)                                   # inside the rollouts
    _kill(p)
    if (cut / "eval.json").exists(): json.loads((cut / "eval.json").read_text())   # whatever is there parses
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(EVAL.format(out=str(cut)))], env=ENV, capture_output=True,
                       text=True, timeout=900, cwd=ROOT)
    assert r.returncode == 0 and "done" in r.stdout, r.stderr[-3000:]
    a, b = (_no_clock(json.loads((d / "eval.json").read_text())) for d in (ref, cut))
    assert a["summary"] == b["summary"] and a["rollouts"] == b["rollouts"]
    assert a["summary"]["n"] == 3


def _no_clock(obj):
    "The results without what the wall clock decides (seconds a rollout took)."
    if isinstance(obj, dict): return {k: _no_clock(v) for k, v in obj.items() if "wall" not in k and not k.endswith("seconds")}
    if isinstance(obj, list): return [_no_clock(v) for v in obj]
    return obj


def test_two_evaluations_into_one_folder(tmp_path):
    """An evaluation folder is locked while its rollouts run: a second evaluation into it (another process, or another
    Ray task of the same experiment run twice) stops at once with an error naming the folder, before any rollout."""
    from para_wb.rollouts import Episode
    from para_wb.experiments.runner import evaluate_run
    from para_wb.files import FolderLockedError, folder_lock
    from para_wb.testing import tiny_config
    out = tmp_path / "eval" / "test"
    with folder_lock(out, "evaluation folder"):                        # the first evaluation, holding its folder
        with pytest.raises(FolderLockedError, match=f"evaluation folder {out} is in use"):
            evaluate_run(tiny_config("para"), None, "para-seed0", [Episode((-0.1, 0.2), position_id=0, split="test")], out)
    assert not (out / "eval.json").exists() and not (out / ".lock").exists()
