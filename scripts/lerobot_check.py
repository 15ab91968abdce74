"""Check a para_wb LeRobot export with LeRobot's own code. Runs in LeRobot's venv (scripts/setup_lerobot.sh), offline,
and imports nothing from para_wb, so it judges the export the way a LeRobot user's training run would read it.

  python scripts/lerobot_check.py check <export_dir> <source.npz>   exit 0 if LeRobotDataset reads back the source, 1 if not
  python scripts/lerobot_check.py reference <out_dir>                write a tiny dataset with LeRobot's own writer (same
                                                                     features), for comparing file layouts and schemas

<source.npz> holds the raw source demos, written by the main venv straight from the para_wb dataset (not from the
export code): images (N,H,W,3) uint8, eef_pos (N,3), gripper (N,), lengths (E,), K (E,3,3), T_world_cam (E,4,4), and
scalars fps, task. The expectations (state = [eef_pos, gripper]; action = the next frame's state, the last frame
repeated; timestamps t/fps; running indices) are rebuilt here independently of the exporter.
"""
import os, shutil, sys, tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
_own_home = None
if "HF_HOME" not in os.environ:           # keep `datasets`' arrow cache out of ~/.cache; removed at exit
    _own_home = tempfile.mkdtemp(prefix="lerobot_check_hf_")
    os.environ["HF_HOME"] = _own_home

import numpy as np

IMAGE, STATE, ACTION = "observation.images.agentview", "observation.state", "action"
REPO_ID = "para_wb/export_check"


def fail(msg):
    print(f"MISMATCH: {msg}", file=sys.stderr)
    sys.exit(1)


def expected(src):
    "Per-frame expectations rebuilt from the raw source arrays."
    lengths = src["lengths"].astype(int)
    state = np.concatenate([src["eef_pos"], src["gripper"][:, None]], 1).astype(np.float32)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    ep = np.repeat(np.arange(len(lengths)), lengths)
    frame = np.concatenate([np.arange(n) for n in lengths])
    nxt = np.concatenate([s + np.minimum(np.arange(n) + 1, n - 1) for s, n in zip(starts, lengths)])
    return dict(state=state, action=state[nxt], episode=ep, frame=frame, starts=starts, lengths=lengths,
                timestamp=(frame / float(src["fps"])).astype(np.float32))


def check(root, npz_path):
    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    from lerobot.datasets.utils import dataset_to_policy_features
    from lerobot.configs.types import FeatureType
    src = np.load(npz_path)
    exp, fps, task = expected(src), int(src["fps"]), str(src["task"])
    ds = LeRobotDataset(REPO_ID, root=root)
    n = len(src["images"])
    if len(ds) != n: fail(f"LeRobotDataset has {len(ds)} frames, source {n}")
    if ds.meta.total_episodes != len(exp["lengths"]): fail(f"{ds.meta.total_episodes} episodes, source {len(exp['lengths'])}")
    if ds.fps != fps: fail(f"fps {ds.fps}, source {fps}")
    pf = dataset_to_policy_features(ds.meta.features)
    kinds = {k: v.type for k, v in pf.items()}
    if kinds.get(IMAGE) != FeatureType.VISUAL or kinds.get(STATE) != FeatureType.STATE or kinds.get(ACTION) != FeatureType.ACTION:
        fail(f"policy feature types {kinds}")
    if tuple(pf[IMAGE].shape) != (3,) + tuple(src["images"].shape[1:3]): fail(f"image policy shape {pf[IMAGE].shape}")
    for i in range(n):
        it = ds[i]
        img = (it[IMAGE].numpy() * 255.0).round().astype(np.uint8).transpose(1, 2, 0)
        if not np.array_equal(img, src["images"][i]): fail(f"frame {i}: image differs from the source")
        if not np.array_equal(it[STATE].numpy(), exp["state"][i]): fail(f"frame {i}: state {it[STATE].tolist()} != {exp['state'][i].tolist()}")
        if not np.array_equal(it[ACTION].numpy(), exp["action"][i]): fail(f"frame {i}: action {it[ACTION].tolist()} != {exp['action'][i].tolist()}")
        for k, e in (("episode_index", exp["episode"][i]), ("frame_index", exp["frame"][i]), ("index", i)):
            if int(it[k]) != int(e): fail(f"frame {i}: {k} {int(it[k])} != {int(e)}")
        if abs(float(it["timestamp"]) - float(exp["timestamp"][i])) > 1e-6: fail(f"frame {i}: timestamp {float(it['timestamp'])}")
        if it["task"] != task: fail(f"frame {i}: task {it['task']!r} != {task!r}")
    # Action chunks, as ACT reads them: delta_timestamps within the episode, padded (and flagged) past its end.
    h = 5
    dsc = LeRobotDataset(REPO_ID, root=root, delta_timestamps={ACTION: [k / fps for k in range(h)]})
    for i in range(n):
        it = dsc[i]
        e, f = exp["episode"][i], exp["frame"][i]
        s, L = exp["starts"][e], exp["lengths"][e]
        idx = s + np.minimum(f + np.arange(h), L - 1)
        pad = f + np.arange(h) > L - 1
        if not np.array_equal(it[ACTION].numpy(), exp["action"][idx]): fail(f"frame {i}: action chunk differs from the source")
        if not np.array_equal(it["action_is_pad"].numpy(), pad): fail(f"frame {i}: action_is_pad {it['action_is_pad'].tolist()} != {pad.tolist()}")
    # Camera metadata per episode.
    eps = ds.meta.episodes
    for e in range(len(exp["lengths"])):
        row = eps[e]
        if not np.allclose(np.reshape(row["camera/K"], (3, 3)), src["K"][e]): fail(f"episode {e}: camera/K differs")
        if not np.allclose(np.reshape(row["camera/T_world_cam"], (4, 4)), src["T_world_cam"][e]): fail(f"episode {e}: camera/T_world_cam differs")
        if int(row["length"]) != exp["lengths"][e]: fail(f"episode {e}: length {row['length']}")
    st = ds.meta.stats
    if not np.allclose(st[ACTION]["mean"], exp["action"].mean(0), atol=1e-5): fail(f"stats action mean {st[ACTION]['mean']}")
    if not np.allclose(st[STATE]["min"], exp["state"].min(0)): fail("stats state min")
    if tuple(np.shape(st[IMAGE]["mean"])) != (3, 1, 1): fail(f"image stats shape {np.shape(st[IMAGE]['mean'])}")
    print(f"OK: LeRobotDataset read {n} frames / {len(exp['lengths'])} episodes; images, states, actions, action chunks, "
          f"camera metadata and stats match the source")


def reference(out):
    "A 2-episode dataset written by LeRobot itself with the export's features (random frames)."
    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    names = ["x", "y", "z", "gripper"]
    feats = {IMAGE: {"dtype": "image", "shape": (8, 8, 3), "names": ["height", "width", "channels"]},
             STATE: {"dtype": "float32", "shape": (4,), "names": names},
             ACTION: {"dtype": "float32", "shape": (4,), "names": names}}
    ds = LeRobotDataset.create(REPO_ID, fps=20, features=feats, root=out, robot_type="panda", use_videos=False)
    rng = np.random.default_rng(0)
    for n in (3, 4):
        for _ in range(n):
            ds.add_frame({IMAGE: rng.integers(0, 256, (8, 8, 3), dtype=np.uint8),
                          STATE: rng.random(4, dtype=np.float32), ACTION: rng.random(4, dtype=np.float32),
                          "task": "pick up the black bowl and place it on the plate"})
        ds.save_episode()
    ds.finalize()
    print(f"OK: wrote LeRobot's own reference dataset to {out}")


if __name__ == "__main__":
    try:
        if len(sys.argv) == 4 and sys.argv[1] == "check": check(sys.argv[2], sys.argv[3])
        elif len(sys.argv) == 3 and sys.argv[1] == "reference": reference(sys.argv[2])
        else:
            print(__doc__, file=sys.stderr); sys.exit(2)
    finally:
        if _own_home: shutil.rmtree(_own_home, ignore_errors=True)
