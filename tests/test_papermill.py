"""The README's main command runs notebooks through papermill: check that the parameters cell is one papermill
understands (every parameter inferred, none 'unknown') and that a tiny parameterised run writes its table."""
import os, subprocess, sys
from pathlib import Path
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = ["08_foundation_run.ipynb", "20_left_right.ipynb"]


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_parameters_cell_is_fully_parsed(name):
    from papermill.translators import PythonTranslator
    nb = nbformat.read(ROOT / "nbs" / name, 4)
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{name}: expected one cell tagged 'parameters'"
    names = {p.name for p in PythonTranslator.inspect(cells[0])}
    assigned = {line.split("=")[0].strip() for line in cells[0].source.splitlines()
                if line and not line[0].isspace() and "=" in line and not line.startswith("#")}
    assert assigned <= names, f"{name}: papermill cannot parse {sorted(assigned - names)}"


@pytest.mark.slow
def test_foundation_notebook_runs_under_papermill(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "papermill", "-k", "python3", "--language", "python", "--cwd", str(ROOT / "nbs"),
           str(ROOT / "nbs" / "08_foundation_run.ipynb"), str(tmp_path / "executed.ipynb"),
           "-p", "demo_grid", "1", "-p", "eval_grid", "1", "-p", "wrong_rollouts", "1",
           "-p", "out_dir", str(out), "-p", "figures_dir", str(out / "figures"), "-y", "overrides: [scene.image_size=64]"]
    r = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, MUJOCO_GL="egl"), timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "unknown parameter" not in r.stderr, r.stderr[-2000:]
    md = (out / "figures" / "results.md").read_text()
    assert "expert oracle" in md and "| 1 |" in md
