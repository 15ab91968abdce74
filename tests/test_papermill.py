"""Experiment notebooks run under papermill with their parameters declared once (the experiment's `ExperimentArgs`):
the notebook's parameters cell is exactly `Args.parameters_cell()`, papermill parses every parameter, and a smoke
run through papermill writes results.md."""
import importlib, os, subprocess, sys
from pathlib import Path
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = {"experiments/left_right.ipynb": ("para_wb.experiments.left_right", "LeftRightArgs"),
               "experiments/foundation.ipynb": ("para_wb.experiments.foundation", "FoundationArgs"),
               "experiments/viewpoint.ipynb": ("para_wb.experiments.viewpoint", "ViewpointArgs")}


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
    "Run nbs/experiments/<notebook> under papermill with `-p smoke True`; return the figures folder of its run."
    cmd = [sys.executable, "-m", "papermill", "-k", "python3", "--language", "python",
           str(ROOT / "nbs" / "experiments" / notebook), str(tmp_path / "executed.ipynb"),
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
