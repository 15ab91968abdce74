"""LeRobot export (`para_wb.dataset.lerobot_export`).

Always: the tiny fixture is exported and read back with nothing but pyarrow/pandas, and compared with the source as
read by `para_wb.dataset.storage` (frames decoded equal, states and next-waypoint actions rebuilt here from the raw
eef positions and gripper, indices, episode pointers, camera metadata, stats, info.json's schema); refusals leave
folders they did not write untouched.

Slow (`PARA_WB_SLOW=1` or `-m slow`): LeRobot's own `LeRobotDataset` (in LeRobot's venv, scripts/setup_lerobot.sh)
loads the export offline and `scripts/lerobot_check.py` compares it with the source; the checker is shown to fail on a
tampered export; the file layout and parquet schema are compared with a dataset LeRobot writes itself. Creating that
venv takes longer than a test may (several minutes, ~6 GB), so the slow tests use it only when it already exists and
skip, saying how to create it, otherwise.
"""
import io, json, subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from PIL import Image

from para_wb.dataset import lerobot_export as lx
from para_wb.dataset.storage import list_demos, load_demo

ROOT = Path(__file__).resolve().parents[1]
TASK = lx.DEFAULT_TASK


def _source(path):
    "Raw source arrays straight from the para_wb dataset (not from the exporter)."
    recs = [load_demo(path, d["demo"]) for d in list_demos(path)]
    return dict(images=np.concatenate([r.images for r in recs]), eef_pos=np.concatenate([r.eef_pos for r in recs]),
                gripper=np.concatenate([r.gripper for r in recs]), lengths=np.array([r.n_steps for r in recs]),
                K=np.stack([r.camera.K for r in recs]), T_world_cam=np.stack([r.camera.T_world_cam for r in recs]))


def _expected(src):
    "state = [eef_pos, gripper]; action = next frame's state within the episode, the last one repeated."
    state = np.concatenate([src["eef_pos"], src["gripper"][:, None]], 1).astype(np.float32)
    starts = np.concatenate([[0], np.cumsum(src["lengths"])[:-1]])
    nxt = np.concatenate([s + np.minimum(np.arange(n) + 1, n - 1) for s, n in zip(starts, src["lengths"])])
    return state, state[nxt], starts


def _rows(out):
    files = sorted((out / "data").glob("chunk-*/file-*.parquet"))
    return files, pd.concat([pq.read_table(f).to_pandas() for f in files], ignore_index=True)


@pytest.fixture(scope="module")
def exported(tiny_dataset_path, tmp_path_factory):
    out = tmp_path_factory.mktemp("lerobot") / "tiny"
    return lx.export_lerobot(tiny_dataset_path, out), out


def test_round_trip_frames_states_actions(exported, tiny_dataset_path):
    summary, out = exported
    src = _source(tiny_dataset_path)
    state, action, starts = _expected(src)
    _, df = _rows(out)
    n = len(src["images"])
    assert summary["total_frames"] == n == len(df)
    frames = np.stack([np.asarray(Image.open(io.BytesIO(b["bytes"]))) for b in df[lx.IMAGE_FEATURE]])
    assert frames.dtype == np.uint8 and np.array_equal(frames, src["images"]), "decoded frames differ from the source"
    np.testing.assert_array_equal(np.stack(df[lx.STATE_FEATURE]), state)
    np.testing.assert_array_equal(np.stack(df[lx.ACTION_FEATURE]), action)
    ep = np.repeat(np.arange(len(src["lengths"])), src["lengths"])
    frame = np.concatenate([np.arange(k) for k in src["lengths"]])
    np.testing.assert_array_equal(df["episode_index"], ep)
    np.testing.assert_array_equal(df["frame_index"], frame)
    np.testing.assert_array_equal(df["index"], np.arange(n))
    np.testing.assert_array_equal(df["task_index"], np.zeros(n))
    np.testing.assert_allclose(df["timestamp"], frame / summary["fps"], atol=1e-6)
    assert summary["fps"] == 20      # 500 Hz physics / 25 substeps


def test_info_json_describes_the_parquet_schema(exported, tiny_dataset_path):
    _, out = exported
    info = json.loads((out / "meta/info.json").read_text())
    src = _source(tiny_dataset_path)
    assert info["codebase_version"] == "v3.0"
    assert (info["total_episodes"], info["total_frames"], info["total_tasks"]) == (len(src["lengths"]), len(src["images"]), 1)
    assert info["splits"] == {"train": f"0:{len(src['lengths'])}"} and info["video_path"] is None
    files, _ = _rows(out)
    assert [f.relative_to(out).as_posix() for f in files] == [info["data_path"].format(chunk_index=0, file_index=0)]
    sch = pq.read_schema(files[0])
    feats = info["features"]
    assert list(sch.names) == list(feats), "parquet columns must be info.json's features, in order"
    for k, ft in feats.items():
        t = sch.field(k).type
        if ft["dtype"] == "image":
            assert str(t) == "struct<bytes: binary, path: string>", (k, t)
            assert ft["shape"] == list(src["images"].shape[1:]) and ft["names"] == ["height", "width", "channels"]
        elif ft["shape"] == [1]:
            assert str(t) == {"float32": "float", "int64": "int64"}[ft["dtype"]], (k, t)
        else:
            assert t.list_size == ft["shape"][0] and str(t.value_type) == "float", (k, t)
            assert ft["names"] == ["x", "y", "z", "gripper"]
    hf = json.loads(sch.metadata[b"huggingface"])["info"]["features"]
    assert set(hf) == set(feats) and hf[lx.IMAGE_FEATURE] == {"_type": "Image"}


def test_episodes_tasks_stats_and_camera(exported, tiny_dataset_path):
    _, out = exported
    src = _source(tiny_dataset_path)
    state, action, starts = _expected(src)
    eps = pq.read_table(out / "meta/episodes/chunk-000/file-000.parquet").to_pandas()
    np.testing.assert_array_equal(eps["episode_index"], np.arange(len(src["lengths"])))
    np.testing.assert_array_equal(eps["length"], src["lengths"])
    np.testing.assert_array_equal(eps["dataset_from_index"], starts)
    np.testing.assert_array_equal(eps["dataset_to_index"], starts + src["lengths"])
    assert all(list(t) == [TASK] for t in eps["tasks"])
    for e, row in eps.iterrows():
        np.testing.assert_allclose(np.reshape(row["camera/K"], (3, 3)), src["K"][e])
        np.testing.assert_allclose(np.reshape(row["camera/T_world_cam"], (4, 4)), src["T_world_cam"][e])
        sl = slice(starts[e], starts[e] + src["lengths"][e])
        np.testing.assert_allclose(row["stats/action/mean"], action[sl].mean(0), rtol=1e-6)
        np.testing.assert_allclose(row["stats/observation.state/max"], state[sl].max(0))
        assert row["stats/action/count"].tolist() == [src["lengths"][e]]
    tasks = pd.read_parquet(out / "meta/tasks.parquet")
    assert list(tasks.index) == [TASK] and tasks["task_index"].tolist() == [0]
    st = json.loads((out / "meta/stats.json").read_text())
    np.testing.assert_allclose(st["action"]["mean"], action.mean(0), rtol=1e-5)
    np.testing.assert_allclose(st["action"]["std"], action.std(0), rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(st["observation.state"]["min"], state.min(0))
    img = src["images"].reshape(-1, 3) / 255.0
    np.testing.assert_allclose(np.ravel(st[lx.IMAGE_FEATURE]["mean"]), img.mean(0), rtol=1e-6)
    assert np.shape(st[lx.IMAGE_FEATURE]["mean"]) == (3, 1, 1) and st["index"]["count"] == [len(src["images"])]
    for k in ("q01", "q10", "q50", "q90", "q99"): assert k in st["action"]
    marker = json.loads((out / lx.MARKER).read_text())
    assert marker["written_by"] == "para_wb.dataset.lerobot_export" and marker["total_frames"] == len(src["images"])


def test_several_data_files_point_at_their_rows(tiny_dataset_path, tmp_path):
    "With a tiny file-size limit every episode gets its own data file; the episode pointers must find its rows."
    s = lx.export_lerobot(tiny_dataset_path, tmp_path / "multi", data_file_mb=1e-9)
    out = tmp_path / "multi"
    eps = pq.read_table(out / "meta/episodes/chunk-000/file-000.parquet").to_pandas()
    assert s["data_files"] == len(eps) > 1
    info = json.loads((out / "meta/info.json").read_text())
    for _, row in eps.iterrows():
        f = out / info["data_path"].format(chunk_index=row["data/chunk_index"], file_index=row["data/file_index"])
        t = pq.read_table(f).to_pandas()
        assert set(t["episode_index"]) == {row["episode_index"]}
        assert t["index"].tolist() == list(range(row["dataset_from_index"], row["dataset_to_index"]))


def test_refuses_what_it_did_not_write(tiny_dataset_path, tmp_path, capsys):
    foreign = tmp_path / "foreign"; foreign.mkdir(); (foreign / "notes.txt").write_text("keep")
    with pytest.raises(lx.ExportError, match="--overwrite"): lx.export_lerobot(tiny_dataset_path, foreign)
    with pytest.raises(lx.ExportError, match="did not write"): lx.export_lerobot(tiny_dataset_path, foreign, overwrite=True)
    assert (foreign / "notes.txt").read_text() == "keep" and sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]
    # Someone else's LeRobotDataset (LeRobot's layout entries, no marker of ours) is not replaced either.
    theirs = tmp_path / "theirs"; (theirs / "meta").mkdir(parents=True); (theirs / "meta/info.json").write_text("{}")
    with pytest.raises(lx.ExportError, match="has no meta/para_wb_export.json"):
        lx.export_lerobot(tiny_dataset_path, theirs, overwrite=True)
    assert (theirs / "meta/info.json").read_text() == "{}"
    ours = tmp_path / "ours"
    lx.export_lerobot(tiny_dataset_path, ours)
    (ours / "extra.txt").write_text("user file")
    with pytest.raises(lx.ExportError, match="extra.txt"): lx.export_lerobot(tiny_dataset_path, ours, overwrite=True)
    (ours / "extra.txt").unlink()
    lx.export_lerobot(tiny_dataset_path, ours, overwrite=True)      # its own export: replaced
    afile = tmp_path / "afile"; afile.write_text("x")
    with pytest.raises(lx.ExportError, match="is a file"): lx.export_lerobot(tiny_dataset_path, afile)
    empty = tmp_path / "empty"; empty.mkdir()
    lx.export_lerobot(tiny_dataset_path, empty)                     # an empty folder is fine
    assert (empty / lx.MARKER).is_file()
    assert lx.main([str(tiny_dataset_path), str(foreign)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: out_dir") and "\n" not in err
    assert lx.main([str(tmp_path / "nope.hdf5"), str(tmp_path / "x")]) == 2
    assert not (tmp_path / "x").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary folders left behind"


def test_failure_mid_export_leaves_nothing(tiny_dataset_path, tmp_path, monkeypatch):
    calls = []
    real = lx.load_demo
    def flaky(path, k):
        calls.append(k)
        if len(calls) == 2: raise OSError("disk gone")
        return real(path, k)
    monkeypatch.setattr(lx, "load_demo", flaky)
    with pytest.raises(OSError): lx.export_lerobot(tiny_dataset_path, tmp_path / "out")
    assert list(tmp_path.iterdir()) == [], "a failed export must leave neither out_dir nor a partial folder"


def test_bad_arguments_are_one_line_errors(tiny_dataset_path, tmp_path):
    with pytest.raises(lx.ExportError, match="fps=0"): lx.export_lerobot(tiny_dataset_path, tmp_path / "a", fps=0)
    with pytest.raises(lx.ExportError, match="data_file_mb"): lx.export_lerobot(tiny_dataset_path, tmp_path / "a", data_file_mb=0)
    with pytest.raises(lx.ExportError, match="task"): lx.export_lerobot(tiny_dataset_path, tmp_path / "a", task="")
    assert not (tmp_path / "a").exists()


# ---------------------------------------------------------------- slow: LeRobot's own code, in LeRobot's venv

def _lerobot_python():
    "LeRobot's interpreter (para_wb.policies.lerobot_act.lerobot_python), set-up re-checked; skips where it was never created."
    from para_wb.policies.lerobot_act import lerobot_venv
    venv = lerobot_venv()
    if not (venv / ".para_wb_lerobot_stamp").is_file():
        pytest.skip(f"LeRobot's venv is not set up at {venv}: run `bash scripts/setup_lerobot.sh` once (several minutes, "
                    f"~6 GB); the test does not create it itself")
    r = subprocess.run(["bash", str(ROOT / "scripts/setup_lerobot.sh")], capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout.strip().splitlines()[-1]


def _run_check(py, *args, env_home):
    from para_wb.policies.lerobot_act import lerobot_env
    env = lerobot_env(env_home)
    env.pop("PYTHONPATH", None)
    return subprocess.run([py, str(ROOT / "scripts/lerobot_check.py"), *args], capture_output=True, text=True,
                          timeout=900, env=env)


@pytest.mark.slow
def test_lerobot_loads_the_export(exported, tiny_dataset_path, tmp_path):
    py = _lerobot_python()
    _, out = exported
    npz = tmp_path / "source.npz"
    np.savez(npz, fps=20, task=TASK, **_source(tiny_dataset_path))
    r = _run_check(py, "check", str(out), str(npz), env_home=tmp_path / "hf")
    assert r.returncode == 0, r.stdout + r.stderr[-3000:]
    assert "OK: LeRobotDataset read" in r.stdout
    # The checker itself can fail: an export whose actions are the current state (no shift) is caught.
    import shutil
    bad = tmp_path / "bad"; shutil.copytree(out, bad)
    f = bad / "data/chunk-000/file-000.parquet"
    t = pq.read_table(f)
    t = t.set_column(t.schema.get_field_index("action"), t.schema.field("action"), t.column("observation.state"))
    pq.write_table(t, f)
    r = _run_check(py, "check", str(bad), str(npz), env_home=tmp_path / "hf2")
    assert r.returncode == 1 and "MISMATCH" in r.stderr and "action" in r.stderr, r.stdout + r.stderr[-3000:]


@pytest.mark.slow
def test_layout_and_schema_match_lerobots_own_writer(exported, tmp_path):
    py = _lerobot_python()
    _, out = exported
    ref = tmp_path / "ref"
    r = _run_check(py, "reference", str(ref), env_home=tmp_path / "hf")
    assert r.returncode == 0, r.stdout + r.stderr[-3000:]
    ours = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {lx.MARKER}
    theirs = {p.relative_to(ref).as_posix() for p in ref.rglob("*") if p.is_file()}
    assert ours == theirs, (sorted(ours), sorted(theirs))
    a, b = pq.read_schema(out / "data/chunk-000/file-000.parquet"), pq.read_schema(ref / "data/chunk-000/file-000.parquet")
    assert a.remove_metadata().equals(b.remove_metadata()), (a, b)
    # (LeRobot's file also carries `datasets`' cache fingerprint of its in-memory table; the features are what matter.)
    assert json.loads(a.metadata[b"huggingface"])["info"] == json.loads(b.metadata[b"huggingface"])["info"]
    ia, ib = (json.loads((d / "meta/info.json").read_text()) for d in (out, ref))
    assert set(ia) == set(ib)
    for k, ft in ib["features"].items():
        assert {x: v for x, v in ia["features"][k].items() if x != "shape"} == {x: v for x, v in ft.items() if x != "shape"}, k
    ea = pq.read_schema(out / "meta/episodes/chunk-000/file-000.parquet")
    eb = pq.read_schema(ref / "meta/episodes/chunk-000/file-000.parquet")
    missing = set(eb.names) - set(ea.names)
    assert not missing, f"episode columns LeRobot writes that the export lacks: {sorted(missing)}"
    for k in eb.names:
        assert ea.field(k).type == eb.field(k).type, (k, ea.field(k).type, eb.field(k).type)
    ta, tb = pq.read_schema(out / "meta/tasks.parquet"), pq.read_schema(ref / "meta/tasks.parquet")
    assert ta.remove_metadata().equals(tb.remove_metadata()), (ta, tb)
    sa, sb = (json.loads((d / "meta/stats.json").read_text()) for d in (out, ref))
    assert set(sa) == set(sb) and all(set(sa[k]) == set(sb[k]) for k in sb)


@pytest.mark.slow
def test_lerobot_act_trains_on_the_export(exported, tmp_path):
    "LeRobot's own training script trains a (tiny) ACT on the export for a few steps, offline, and saves a checkpoint."
    py = _lerobot_python()
    _, out = exported
    from para_wb.policies.lerobot_act import lerobot_env, lerobot_train_command
    run = tmp_path / "train"
    tiny = ["--policy.dim_model=32", "--policy.dim_feedforward=64", "--policy.n_heads=2", "--policy.n_encoder_layers=1",
            "--policy.n_decoder_layers=1", "--policy.latent_dim=8"]
    cmd = lerobot_train_command(py, out, run, steps=4, batch=4, chunk=4, seed=0, log_freq=1, extra=tiny)
    env = lerobot_env(tmp_path / "hf")
    env.pop("PYTHONPATH", None)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=1200, env=env, cwd=tmp_path)
    log = r.stdout + r.stderr
    assert r.returncode == 0, log[-4000:]
    ckpt = run / "checkpoints/last/pretrained_model"
    assert (ckpt / "model.safetensors").is_file() and (ckpt / "config.json").is_file(), log[-2000:]
    cfg = json.loads((ckpt / "config.json").read_text())
    assert cfg["type"] == "act" and cfg["chunk_size"] == 4
    assert set(cfg["input_features"]) == {lx.IMAGE_FEATURE, lx.STATE_FEATURE} and set(cfg["output_features"]) == {lx.ACTION_FEATURE}
    import re
    losses = [float(x) for x in re.findall(r"loss:([0-9.]+)", log)]
    assert losses and all(np.isfinite(losses)), log[-2000:]


@pytest.mark.slow
def test_lerobot_act_trains_and_rolls_out_in_our_evaluator(tiny_dataset_path, tmp_path):
    """LeRobot's ACT, trained by LeRobot's own script on an export of chosen demos, rolled out by our evaluator in two
    worker processes (each starts its own policy server in LeRobot's venv); the run is reused, not retrained."""
    _lerobot_python()                                       # skips, saying how to create the venv, where it is absent
    from para_wb.config import load_config
    from para_wb.eval.loop import evaluate_episodes
    from para_wb.policies.lerobot_act import LeRobotCheckpoint, train_lerobot_act
    from para_wb.rollouts import Episode
    ids = [d["demo"] for d in list_demos(tiny_dataset_path)][:2]
    summary = lx.export_lerobot(tiny_dataset_path, tmp_path / "export", demos=ids)
    assert summary["source_demos"] == ids
    info = train_lerobot_act(tmp_path / "export", tmp_path / "act", steps=2, batch=2, chunk=4, log_freq=1)
    assert [r["step"] for r in info["log"]] == [1, 2] and (tmp_path / "act/pretrained_model/config.json").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".act.partial-")]      # nothing half-written left
    mtime = (tmp_path / "act/train_info.json").stat().st_mtime
    assert train_lerobot_act(tmp_path / "export", tmp_path / "act", steps=2, batch=2, chunk=4, log_freq=1) == info
    assert (tmp_path / "act/train_info.json").stat().st_mtime == mtime                   # reused
    with pytest.raises(FileExistsError, match="other settings"):
        train_lerobot_act(tmp_path / "export", tmp_path / "act", steps=3, batch=2, chunk=4)
    size = load_demo(tiny_dataset_path, ids[0]).images.shape[1]
    cfg = load_config("cpu", [f"scene.image_size={size}", "eval.max_steps=4"])
    eps = [Episode((-0.10, 0.10), position_id=0), Episode((-0.12, 0.16), position_id=1)]
    res = evaluate_episodes(cfg, LeRobotCheckpoint(tmp_path / "act/pretrained_model", name="lerobot_act"), eps, workers=2,
                            progress=False)
    assert sorted(r.position_id for r in res) == [0, 1] and all(r.n_steps == 4 and r.outcome in ("PLACE", "GRASP", "MISS") for r in res)


@pytest.mark.slow
def test_lerobot_act_arm_in_an_experiment(tmp_path):
    """LeRobot's ACT as a third arm of the Left -> Right smoke experiment, through the runner: trained by LeRobot's script
    on an export of exactly the split's training demos, evaluated on the same validation and test episodes as our ACT,
    its test evaluation logged and keyed by its model file, reported beside ours; a second call reuses everything."""
    _lerobot_python()
    from para_wb.experiments import left_right as L
    from para_wb.experiments.reuse import file_key
    from para_wb.files import load_json
    from para_wb.policies.lerobot_act import LeRobotACTArm
    from para_wb.runs import ExperimentDir
    args = L.LeftRightArgs(smoke=True, models=["act", "lerobot_act"], ablations=[], workers=1, progress=False,
                           out_dir=str(tmp_path / "left_right")).for_run()
    res = L.LeftRightExperiment(args).run()
    ex = ExperimentDir(args.out_dir)
    run = ex.run("lerobot_act", 0)
    info = load_json(run.file("train"))
    assert (info["kind"], info["steps"], info["chunk"], info["batch"]) == ("lerobot_act", 3, 4, 4)      # smoke: as our arms
    assert load_json(run.path / "lerobot_export" / lx.MARKER)["source_demos"] == res["train_ids"]
    for sp in ("val", "test"):
        ours, theirs = (load_json(ex.run(k, 0).eval_dir(sp) / "eval.json") for k in ("act", "lerobot_act"))
        assert [(r["bowl_x"], r["bowl_y"]) for r in theirs["rollouts"]] == [(r["bowl_x"], r["bowl_y"]) for r in ours["rollouts"]], sp
        assert theirs["extra"]["key"]["episodes"] == ours["extra"]["key"]["episodes"]
        assert theirs["extra"]["key"]["model"] == file_key(LeRobotACTArm.model_file(run.path))
        assert res["splits"][sp]["models"]["lerobot_act"]["n"] == len(theirs["rollouts"]) == 2
    assert len(res["splits"]["test"]["comparisons"]) == 1             # act (the first arm) vs LeRobot's ACT, paired
    assert sum(e["run"] == run.name for e in load_json(ex.test_log)) == 1
    assert "LeRobot ACT" in (tmp_path / "left_right" / "figures" / "results.md").read_text()
    stamps = {p: p.stat().st_mtime_ns for p in run.path.rglob("*.json")}
    again = L.LeftRightExperiment(args).run()
    assert {p: p.stat().st_mtime_ns for p in run.path.rglob("*.json")} == stamps, "a finished LeRobot arm was redone"
    assert again["splits"]["test"]["models"]["lerobot_act"] == res["splits"]["test"]["models"]["lerobot_act"]
