"""Results rebuild from the repository: each experiment's per-rollout records (`figures/<experiment>/records/`,
`para_wb.records`) rebuild its results.md, `figures/results.md`, `figures/results.csv` and the README's results block
byte for byte, with no run folder.

- The slow tests run the Left -> Right smoke experiment in a temporary folder, retrain one run (so the test split is
  evaluated a second time, as on the reruns whose notebooks exited 1), check the notebook's final check on it, then
  delete the run folder and rebuild everything from the records alone.
- The fast tests check the records committed in this checkout: every records folder rebuilds its committed results.md,
  and the committed table (and README block) is exactly what the committed records give; rows without records say so.
"""
import dataclasses, json, os, shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------------------------------------------------
# a smoke experiment, run twice (the second time with PARA retrained)

@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    from para_wb.experiments import left_right as L
    from para_wb.config import load_config
    from para_wb.experiments.split import layout_suffix
    root = tmp_path_factory.mktemp("records_smoke")
    # the folder the results table looks in for the preset's layout (left_right for fixed_plate, left_right_pair for pair)
    args = L.LeftRightArgs(smoke=True, ablations=[], out_dir=str(root / f"left_right{layout_suffix(load_config('cpu'))}")).for_run()
    first = L.LeftRightExperiment(args).run()
    # as on the reruns: PARA's head changed, its run folders were trained again (train refuses to overwrite a run with
    # another config, so the old one is removed) and evaluated on the test split a second time; the test log keeps both
    from para_wb.runs import ExperimentDir
    shutil.rmtree(ExperimentDir(args.out_dir).run("para", 0).path)
    args2 = dataclasses.replace(args, overrides=list(args.overrides) + ["policy.para.hidden_dim=8"])
    L.LeftRightExperiment(args2).run()
    # and the evaluator settings changed once more: the same model files are evaluated again (repeated evaluations)
    args3 = dataclasses.replace(args2, overrides=list(args2.overrides) + ["eval.max_steps=10"])
    third = L.LeftRightExperiment(args3).run()
    return root, args3, first, third


def _final_check_cell(notebook: str) -> str:
    "The source of the experiment notebook's final check (the cell that asserts on the test-log counts)."
    nb = json.loads((ROOT / "nbs" / f"{notebook}.ipynb").read_text())
    cells = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    found = [s for s in cells if s.startswith("assert set(results[\"splits\"])")]
    assert len(found) == 1, f"{notebook}.ipynb: expected one final check cell starting with assert set(results[\"splits\"])"
    return found[0]


def _run_check(source: str, results: dict, args, monkeypatch) -> None:
    from para_wb.experiments import left_right as L
    monkeypatch.delenv("IN_TEST", raising=False)           # the check's own rerun branch is for nbdev_test, not for this
    ns = dict(vars(L), results=results, args=args, smoke=False, os=os, Path=Path)
    exec(compile(source, "left_right.ipynb final check", "exec"), ns)


@pytest.mark.slow
def test_retrained_run_passes_the_notebooks_final_check(smoke_run, monkeypatch):
    """The three reruns that exited 1 (bench/results/cpu/experiment_{left_right,left_right_g8,near_far}_cpu_para_rerun.json)
    retrained PARA in experiment folders whose test split had been evaluated before (and Left -> Right 8 x 8 had evaluated
    the same model files again under changed evaluator settings): their notebooks' final check compared the log's total
    (`test_evaluations`) with one evaluation per run and failed after the results were written. The check now counts the
    reported runs' current evaluations (one per run); on such a smoke run it passes and the pre-fix one fails."""
    root, args, first, second = smoke_run
    assert first["test_evaluations"] == first["test_evaluations_current"] == 2          # para, act: once each
    assert second["test_evaluations_current"] == 2 and second["test_evaluations_replaced"] == 1
    assert second["test_evaluations_repeated"] == 2 and second["replaced_runs"] == ["para-seed0"]
    assert second["test_evaluations"] == 5 and second["test_evaluations_other"] == 0
    check = _final_check_cell("left_right")
    _run_check(check, second, args, monkeypatch)                                         # the notebook's check, as committed
    old = check.replace('results["test_evaluations_current"] ==', 'results["test_evaluations"] ==', 1)
    assert old != check
    with pytest.raises(AssertionError):                                                  # the check the failed reruns ran
        _run_check(old, second, args, monkeypatch)


@pytest.mark.slow
def test_smoke_reports_rebuild_from_records_alone(smoke_run, tmp_path):
    """The records a smoke run's report wrote rebuild its results.md, and the results table (results.md, results.csv,
    README block), byte for byte, after the run folder and the dataset are deleted."""
    from para_wb.experiments.registry import experiment, rebuild_results_md
    from para_wb.experiments.results_table import (README_END, README_START, build_results, collect_rows_from_records,
                                                   write_table)
    root, args, _, _ = smoke_run
    clone = tmp_path / "clone"
    shutil.copytree(root, clone)                       # a copy: the other tests keep the original run folder
    run_name = Path(args.out_dir).relative_to(root).parts[0]   # left_right or left_right_pair (the preset's layout)
    layout = "pair" if run_name.endswith("_pair") else "fixed_plate"
    fd = clone / run_name / "figures"
    records = fd / "records"
    assert sorted(p.name for p in records.iterdir()) == ["results.json", "rollouts.csv", "test_evaluations.json"]
    assert sum(p.stat().st_size for p in records.iterdir()) < 100_000                    # kB, not MB: no frames, no models
    readme = clone / "README.md"
    readme.write_text(f"# t\n\n{README_START}\n{README_END}\n")
    rows = build_results(clone, clone / "table", readme=readme, smoke=True)
    assert {r["layout"]: r["status"] for r in rows if r["experiment"] == "Left → Right"} == \
        {layout: "done", ("fixed_plate" if layout == "pair" else "pair"): "not run"}
    original = {"results.md": (fd / "results.md").read_bytes(), "table": (clone / "table" / "results.md").read_bytes(),
                "csv": (clone / "table" / "results.csv").read_bytes(), "readme": readme.read_bytes()}
    shutil.rmtree(clone / run_name / "runs")
    shutil.rmtree(clone / run_name / "dataset")
    assert not (clone / run_name / "runs").exists()
    md = rebuild_results_md(experiment("left_right"), records, tmp_path / "work")
    assert md.encode() == original["results.md"]
    readme2 = tmp_path / "README.md"
    readme2.write_text(f"# t\n\n{README_START}\n{README_END}\n")
    write_table(collect_rows_from_records(clone / "table", smoke=True, runs_root=clone), tmp_path / "table2", readme2)
    assert (tmp_path / "table2" / "results.md").read_bytes() == original["table"]
    assert (tmp_path / "table2" / "results.csv").read_bytes() == original["csv"]
    assert readme2.read_bytes() == original["readme"]
    # the comparison can fail: one rollout fewer in the records gives another results.md
    lines = (records / "rollouts.csv").read_text().splitlines()
    dropped = [l for l in lines if ",para-seed0,para," in l and l.startswith("test,")][0]
    (records / "rollouts.csv").write_text("\n".join(l for l in lines if l != dropped) + "\n")
    assert rebuild_results_md(experiment("left_right"), records, tmp_path / "work2").encode() != original["results.md"]


# ---------------------------------------------------------------------------------------------------------------------
# the records committed in this checkout

def _records_dirs():
    from para_wb.experiments.registry import EXPERIMENTS
    return [(e, d) for e in EXPERIMENTS for d in e.records_dirs(ROOT / "figures")]


@pytest.mark.parametrize("exp,records", _records_dirs(), ids=lambda x: getattr(x, "name", None) or str(x))
def test_committed_records_rebuild_their_results_md(exp, records, tmp_path):
    "Every committed records folder rebuilds the results.md beside it byte for byte (from the records alone)."
    from para_wb.experiments.registry import rebuild_results_md
    from para_wb.records import has_records
    if not has_records(records):
        pytest.skip(f"{records.relative_to(ROOT)}: records not committed (lost; rerun pending) — the table row says so")
    if exp.no_rebuild:
        pytest.skip(f"{exp.name}: results.md not rebuildable from records: {exp.no_rebuild} (its table row is)")
    md = rebuild_results_md(exp, records, tmp_path)
    assert md == (records.parent / "results.md").read_text(), f"{records.parent / 'results.md'} is not what its records give"


def test_committed_table_is_what_the_committed_records_give():
    """figures/results.md and figures/results.csv are exactly the table the committed records give; a row is a result
    ("done") if and only if its records are committed, and every other row says why it has no numbers."""
    from para_wb.experiments.results_table import (ENTRIES, RECORDS_MISSING, collect_rows_from_records, records_path,
                                                   results_markdown_all, table_csv)
    from para_wb.records import has_records
    rows = collect_rows_from_records(ROOT / "figures")
    assert results_markdown_all(rows) == (ROOT / "figures" / "results.md").read_text()
    assert table_csv(rows) == (ROOT / "figures" / "results.csv").read_text()
    for e, r in zip(ENTRIES, rows):
        assert (r["status"] == "done") == has_records(ROOT / records_path(e)), (e.experiment, r["status"])
        if r["status"] != "done":
            assert r["status"] == "not run" or r["status"].startswith(RECORDS_MISSING), r["status"]
            assert r["status"] in (ROOT / "figures" / "results.md").read_text()


def test_readme_block_is_what_the_committed_records_give():
    "The README's results block is the same table (`python -m para_wb.experiments.results_table --from-records --readme README.md`)."
    from para_wb.experiments.results_table import README_END, README_START, collect_rows_from_records, readme_block
    text = (ROOT / "README.md").read_text()
    i, j = text.find(README_START), text.find(README_END)
    assert 0 <= i < j, "README.md lost its results markers"
    assert text[i + len(README_START):j].strip("\n") == readme_block(collect_rows_from_records(ROOT / "figures")).strip("\n"), \
        "README results block is not what the committed records give: run python -m para_wb.experiments.results_table --from-records --readme README.md"
