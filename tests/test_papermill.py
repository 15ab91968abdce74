"""Experiment notebooks run under papermill with their parameters declared once (the experiment's `ExperimentArgs`):
the notebook's parameters cell is exactly `Args.parameters_cell()`, papermill parses every parameter, and a smoke
run through papermill writes results.md."""
import importlib, os, subprocess, sys
from pathlib import Path
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = {"left_right.ipynb": ("para_wb.experiments.left_right", "LeftRightArgs"),
               "foundation.ipynb": ("para_wb.experiments.foundation", "FoundationArgs"),
               "viewpoint.ipynb": ("para_wb.experiments.viewpoint", "ViewpointArgs"),
               "near_far.ipynb": ("para_wb.experiments.near_far", "NearFarArgs"),
               "corner.ipynb": ("para_wb.experiments.corner", "CornerArgs"),
               "distractors.ipynb": ("para_wb.experiments.distractors", "DistractorArgs"),
               "video.ipynb": ("para_wb.experiments.video", "VideoArgs")}


def _parameters_cell(name):
    nb = nbformat.read(ROOT / "nbs" / name, 4)
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{name}: expected one cell tagged 'parameters'"
    return cells[0]


@pytest.mark.parametrize("name", sorted(EXPERIMENTS))
def test_parameters_cell_is_the_args_dataclass(name):
    mod, cls = EXPERIMENTS[name]
    args = getattr(importlib.import_module(mod), cls)
    assert _parameters_cell(name).source.strip() == args.parameters_cell().strip(), \
        f"{name}: the parameters cell must be {cls}.parameters_cell() (declare parameters once, in the dataclass)"


@pytest.mark.parametrize("name", sorted(EXPERIMENTS))
def test_parameters_cell_is_fully_parsed(name):
    from papermill.translators import PythonTranslator
    cell = _parameters_cell(name)
    names = {p.name for p in PythonTranslator.inspect(cell)}
    assigned = {line.split("=")[0].strip() for line in cell.source.splitlines() if "=" in line and not line.startswith("#")}
    assert assigned <= names, f"{name}: papermill cannot parse {sorted(assigned - names)}"


def test_a_stale_parameters_cell_is_caught():
    from para_wb.experiments.left_right import LeftRightArgs
    stale = LeftRightArgs.parameters_cell().replace("n_test = 20", "n_test = 5")
    assert stale.strip() != LeftRightArgs.parameters_cell().strip()


def _papermill_smoke(notebook: str, tmp_path) -> Path:
    "Run nbs/<notebook> under papermill with `-p smoke True`; return the figures folder of its run."
    cmd = [sys.executable, "-m", "papermill", "-k", "python3", "--language", "python",
           str(ROOT / "nbs" / notebook), str(tmp_path / "executed.ipynb"),
           "-p", "smoke", "True", "-p", "out_dir", str(tmp_path / "run")]
    r = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, MUJOCO_GL="egl"), timeout=900, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "unknown parameter" not in r.stderr, r.stderr[-2000:]
    return tmp_path / "run" / "figures"


@pytest.mark.slow
def test_left_right_smoke_runs_under_papermill(tmp_path):
    md = (_papermill_smoke("left_right.ipynb", tmp_path) / "results.md").read_text()
    assert "## Test: unseen positions" in md and "expert (ceiling)" in md and "blind replay (negative control)" in md


@pytest.mark.slow
def test_viewpoint_smoke_runs_under_papermill(tmp_path):
    figs = _papermill_smoke("viewpoint.ipynb", tmp_path)
    assert "Default → all viewpoints" in (figs / "results.md").read_text() and (figs / "viewpoints_polar.png").exists()
    for split in ("default", "left", "inner"):
        md = (figs / split / "results.md").read_text()
        assert "## Test: unseen viewpoints" in md and "expert (ceiling)" in md and "## Success against θ" in md, split


@pytest.mark.slow
def test_corner_smoke_runs_under_papermill(tmp_path):
    figs = _papermill_smoke("corner.ipynb", tmp_path)
    md = (figs / "results.md").read_text()
    assert "## Test: unseen positions over the rest of the bowl area" in md and "## Success against distance from the corner" in md
    assert (figs / "success_by_distance.png").exists() and (figs / "rollout_grid_para.png").exists()


@pytest.mark.slow
def test_distractors_smoke_runs_under_papermill(tmp_path):
    figs = _papermill_smoke("distractors.ipynb", tmp_path)
    md = (figs / "results.md").read_text()
    assert "## Test: unseen positions in cluttered scenes" in md and "## The clutter effect per policy" in md
    assert (figs / "clean_vs_cluttered.png").exists() and (figs / "success_maps_clean.png").exists()


@pytest.mark.slow
def test_video_smoke_runs_under_papermill(tmp_path):
    figs = _papermill_smoke("video.ipynb", tmp_path)
    md = (figs / "results.md").read_text()
    assert "## Test: random positions over the whole bowl area" in md and "## The four recipes (test), beside the paper" in md
    for f in ("recipes.png", "generated_vs_truth_two_stage.png", "video_action_alignment.png", "rollout_grid_two_stage.png",
              "rollout_grid_two_stage_global.png"):
        assert (figs / f).exists(), f


@pytest.mark.slow
def test_figures_script_smoke_runs_near_far_and_builds_the_table(tmp_path):
    """`scripts/figures.sh --smoke` (Near -> Far only, to keep CI short; the other notebooks' papermill smoke runs are
    above): the notebook through papermill, then the results table from the saved results: a row with numbers for Near ->
    Far, "not run" for the rest, the CSV, the README block in a copy (the real README untouched), the demo samples; a second
    call reruns nothing."""
    env = dict(os.environ, MUJOCO_GL="egl", PARA_WB_ONLY="near_far", PARA_WB_FIGURES_SMOKE_DIR=str(tmp_path))
    readme = (ROOT / "README.md").read_text()
    r = subprocess.run(["bash", str(ROOT / "scripts" / "figures.sh"), "--smoke"], capture_output=True, text=True, env=env, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    assert (ROOT / "README.md").read_text() == readme
    md = (tmp_path / "figures" / "results.md").read_text()
    row = next(line for line in md.splitlines() if line.startswith("| Near → Far |"))
    assert "not run" not in row and "46%" in row and "7%" in row
    assert md.count("not run") >= 2 and (tmp_path / "figures" / "results.csv").exists()
    assert "| Near → Far |" in (tmp_path / "README.md").read_text() and (tmp_path / "figures" / "demo_samples.png").exists()
    assert (tmp_path / "near_far" / "figures" / "rollout_grid_para.png").exists()
    r2 = subprocess.run(["bash", str(ROOT / "scripts" / "figures.sh"), "--smoke"], capture_output=True, text=True, env=env, timeout=900)
    assert r2.returncode == 0 and "smoke results exist, kept" in r2.stderr, r2.stderr[-2000:]
