"""Experiment notebooks run under papermill with their parameters declared once (the experiment's `ExperimentArgs`):
the notebook's parameters cell is exactly `Args.parameters_cell()`, papermill parses every parameter, and a smoke
run through papermill writes results.md."""
import importlib, os, re, subprocess, sys
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
               "video.ipynb": ("para_wb.experiments.video", "VideoArgs"),
               "random_positions.ipynb": ("para_wb.experiments.random_positions", "RandomPositionsArgs")}


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
    import ast
    assigned = {t.id for n in ast.parse(cell.source).body if isinstance(n, ast.Assign) for t in n.targets}
    assert assigned <= names, f"{name}: papermill cannot parse {sorted(assigned - names)}"


def _stale_cells(root: Path) -> list:
    "The experiment notebooks under `root`/nbs whose parameters cell is not their Args.parameters_cell() (the check above)."
    stale = []
    for name, (mod, cls) in sorted(EXPERIMENTS.items()):
        nb = nbformat.read(root / "nbs" / name, 4)
        cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        if cell.source.strip() != getattr(importlib.import_module(mod), cls).parameters_cell().strip(): stale.append(name)
    return stale


def test_a_stale_parameters_cell_is_caught(tmp_path):
    "The same comparison, run on a copy of the notebooks where one parameters cell is stale: it must name that notebook."
    assert _stale_cells(ROOT) == []
    for name in EXPERIMENTS:
        (tmp_path / "nbs" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "nbs" / name).write_bytes((ROOT / "nbs" / name).read_bytes())
    nb = nbformat.read(tmp_path / "nbs" / "left_right.ipynb", 4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert "n_test = 20" in cell.source
    cell.source = cell.source.replace("n_test = 20", "n_test = 5")
    nbformat.write(nb, tmp_path / "nbs" / "left_right.ipynb")
    assert _stale_cells(tmp_path) == ["left_right.ipynb"]


@pytest.mark.parametrize("name", sorted(EXPERIMENTS))
def test_notebook_names_the_project_kernel(name):
    "Plain `papermill NB OUT -p ...` (no -k) needs the notebook's kernelspec: the para_wb kernel scripts/setup.sh registers."
    ks = nbformat.read(ROOT / "nbs" / name, 4).metadata.get("kernelspec", {})
    assert ks.get("name") == "para_wb" and ks.get("language") == "python", f"{name}: kernelspec {ks}"


def test_help_notebook_lists_every_parameter_with_its_help():
    r = subprocess.run([sys.executable, "-m", "papermill", "--help-notebook", str(ROOT / "nbs" / "left_right.ipynb")],
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    from para_wb.experiments.left_right import LeftRightArgs
    import dataclasses
    for f in dataclasses.fields(LeftRightArgs): assert f"  {f.name}: " in r.stdout, f"--help-notebook lacks {f.name}:\n{r.stdout}"
    assert "training seeds (each trained, not reloaded)" in r.stdout and "rollout processes" in r.stdout


def _papermill(notebook: str, tmp_path, *params) -> subprocess.CompletedProcess:
    "The card's plain command: `papermill nbs/<notebook> OUT -p ...` (no -k, no --language), in this venv."
    cmd = [sys.executable, "-m", "papermill", str(ROOT / "nbs" / notebook), str(tmp_path / "executed.ipynb"), *params]
    return subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, MUJOCO_GL="egl"), timeout=900, cwd=tmp_path)


def _venv_has_kernel():
    return (Path(sys.prefix) / "share" / "jupyter" / "kernels" / "para_wb" / "kernel.json").exists()


@pytest.mark.skipif(not _venv_has_kernel(), reason="the para_wb kernel is not registered (scripts/setup.sh registers it)")
def test_an_unknown_papermill_parameter_is_an_error(tmp_path):
    r = _papermill("left_right.ipynb", tmp_path, "-p", "smoke", "True", "-p", "n_tset", "3", "-p", "out_dir", str(tmp_path / "run"))
    assert r.returncode != 0, "an unknown parameter was accepted"
    assert "unknown parameter(s) n_tset for LeftRightArgs" in r.stderr and "did you mean 'n_test'?" in r.stderr, r.stderr[-3000:]
    assert not (tmp_path / "run").exists()                                      # stopped before doing anything


def _papermill_smoke(notebook: str, tmp_path) -> Path:
    """Run nbs/<notebook> under plain papermill with `-p smoke True`, writing only under tmp_path; check the
    report against the saved numbers (every PLACE count of results.json is in results.md) and that the repository is
    untouched; return the figures folder of its run."""
    before = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, cwd=ROOT).stdout
    r = _papermill(notebook, tmp_path, "-p", "smoke", "True", "-p", "out_dir", str(tmp_path / "run"))
    assert r.returncode == 0, r.stderr[-3000:]
    assert "unknown parameter" not in r.stderr, r.stderr[-2000:]
    assert subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, cwd=ROOT).stdout == before
    figs = tmp_path / "run" / "figures"
    for res in (tmp_path / "run").rglob("results.json"):
        if "records" in res.parts: continue                  # the committed records keep no split summaries (para_wb.records)
        import json
        md = (res.parent / "figures" / "results.md") if (res.parent / "figures" / "results.md").exists() else None
        mds = [md] if md else list(figs.rglob("results.md"))
        text = "\n".join(m.read_text() for m in mds)
        counts = _place_counts(json.loads(res.read_text()))
        assert counts, f"{res}: no PLACE counts found"
        from collections import Counter
        missing = [c for c, n in Counter(counts).items() if text.count(c) < n]        # each summary shown, as often as it occurs
        assert not missing, f"{res}: results.md does not show {missing[:5]}"
    return figs


def _place_counts(results: dict) -> list:
    """The table cells results.md must show for every (split, policy) summary of results.json:
    '| PLACE | released | GRASP | MISS | **success%** |'."""
    out = []
    for split in (results.get("splits") or {}).values():
        for s in ((split or {}).get("models") or {}).values():
            if all(k in s for k in ("PLACE", "released", "GRASP", "MISS", "success")):
                out.append(f"| {s['PLACE']} | {s['released']} | {s['GRASP']} | {s['MISS']} | **{100 * s['success']:.0f}%** |")
    return out


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
    env = dict(os.environ, MUJOCO_GL="egl", PARA_WB_ONLY="near_far_pair", PARA_WB_FIGURES_SMOKE_DIR=str(tmp_path))
    readme = (ROOT / "README.md").read_text()
    r = subprocess.run(["bash", str(ROOT / "scripts" / "figures.sh"), "--smoke"], capture_output=True, text=True, env=env, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    assert (ROOT / "README.md").read_text() == readme
    md = (tmp_path / "figures" / "results.md").read_text()
    rows = {line.split(" | ")[7]: line for line in md.splitlines() if line.startswith("| Near → Far |")}   # by layout column
    assert set(rows) == {"fixed_plate", "pair"}, rows
    # the pair row has numbers (bold counts k/n; the paper's 46% and 7% are in every row, so they prove nothing)
    assert re.search(r"\*\*\d+/\d+ = \d+%\*\*", rows["pair"]) and "46%" in rows["pair"] and "7%" in rows["pair"], rows["pair"]
    assert "not run" in rows["fixed_plate"] and md.count("not run") >= 2 and (tmp_path / "figures" / "results.csv").exists()
    block = (tmp_path / "README.md").read_text()
    assert "| Near → Far |" in block and "Near → Far (fixed plate)" in block, "README block: the row with numbers, the other named"
    assert (tmp_path / "figures" / "demo_samples.png").exists()
    assert (tmp_path / "near_far_pair" / "figures" / "rollout_grid_para.png").exists()
    r2 = subprocess.run(["bash", str(ROOT / "scripts" / "figures.sh"), "--smoke"], capture_output=True, text=True, env=env, timeout=900)
    assert r2.returncode == 0 and "smoke results exist, kept" in r2.stderr, r2.stderr[-2000:]


def test_the_notebooks_left_to_papermill_are_run_by_it():
    """scripts/test.sh does not run the notebooks of tests/run_under_papermill.txt under nbdev_test when slow tests are on:
    each must be run end to end by a slow test here (near_far: by `scripts/figures.sh --smoke`, on its pair row), or it would go untested."""
    listed = [l.strip() for l in (ROOT / "tests" / "run_under_papermill.txt").read_text().splitlines()
              if l.strip() and not l.lstrip().startswith("#")]
    assert listed, "tests/run_under_papermill.txt lists nothing"
    src = Path(__file__).read_text()
    for nb in listed:
        name = Path(nb).name
        assert (ROOT / nb).is_file(), f"{nb}: no such notebook"
        assert f'_papermill_smoke("{name}"' in src or (name == "near_far.ipynb" and 'PARA_WB_ONLY="near_far_pair"' in src), \
            f"{nb} is left to papermill but no test here runs it"
