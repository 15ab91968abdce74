"Demo generation (para_wb.sim.demos, nbs/sim/07c_demos.ipynb): a small position grid validates, resumes, refuses mixing."
import os
os.environ.setdefault("MUJOCO_GL", "egl")      # before anything imports mujoco
import numpy as np
import pytest
from para_wb.camera import world_to_pixel
from para_wb.config import ConfigError, load_config
from para_wb.dataset.storage import DatasetError, list_demos, load_demo, part_path, validate_dataset
from para_wb.sim.demos import generate_distractor_scenes, generate_position_grid, main
from para_wb.sim.scene import BowlPlateScene


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    cfg = load_config("cpu", ["scene.image_size=64"])
    scene = BowlPlateScene(cfg)
    out = tmp_path_factory.mktemp("pos")
    path = generate_position_grid(cfg, out, n=2, scene=scene, progress=False)
    yield cfg, scene, out, path
    scene.close()


def test_grid_validates(grid):
    cfg, _, out, path = grid
    validate_dataset(path, load_config("cpu", ["scene.image_size=64", "demos.grid=2"]))
    metas = list_demos(path)
    assert [m["grid_index"] for m in metas] == [0, 1, 2, 3]
    assert sum(m["success"] for m in metas) >= 3
    for k in range(4):
        d = load_demo(path, k)
        assert d.images.shape == (d.n_steps, 64, 64, 3)
        uv = world_to_pixel(d.camera, d.eef_pos)
        assert ((uv > -1) & (uv < 65)).all(), (uv.min(0), uv.max(0))   # the pair layout's far-right corner: u ≈ 64.1 (sim/07c_demos)
    assert (out / "dataset_stats.json").exists()


def test_resume_regenerates_only_missing(grid):
    cfg, scene, out, path = grid
    parts = out / "parts"
    before = {k: part_path(parts, k).stat().st_mtime_ns for k in range(4)}
    part_path(parts, 1).unlink()
    generate_position_grid(cfg, out, n=2, scene=scene, progress=False)
    after = {k: part_path(parts, k).stat().st_mtime_ns for k in range(4)}
    assert all(after[k] == before[k] for k in (0, 2, 3)) and after[1] != before[1]
    validate_dataset(path)
    assert len(list_demos(path)) == 4


def test_refuses_mixing(grid):
    cfg, scene, out, _ = grid
    with pytest.raises(DatasetError, match="different config"):
        generate_position_grid(cfg, out, n=3, scene=scene, progress=False)


def test_errors(tmp_path):
    with pytest.raises(ConfigError, match="scene.variant=distractors"):
        generate_distractor_scenes(load_config("cpu"), tmp_path / "d", 1)
    with pytest.raises(SystemExit) as e:
        main(["--kind", "distractors", "--out", str(tmp_path / "d")])
    assert e.value.code == 2
