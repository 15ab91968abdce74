#!/usr/bin/env python
"""Add an `explained` note to a benchmark result JSON without touching what was measured.

A result written by a benchmark (e.g. `bench_experiment.py`) sometimes needs a word of explanation found later (why a run
exited non-zero, what it measured by mistake). This sets one key, `explained`, to {"text": ..., "by": ..., "utc": ...};
every other key and value stays as it was (the script checks it before writing, atomically).

Usage:  python bench/explain_result.py bench/results/cpu/experiment_near_far_cpu_para_rerun.json --text "..." [--by NAME]
        python bench/explain_result.py FILE ... --text-file note.md     (the same note on several files)
"""
from __future__ import annotations
import argparse, datetime, json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path: sys.path.insert(0, str(ROOT))
from para_wb.files import atomic_write_text


def explain(path, text: str, by: str = "") -> dict:
    "Set `explained` in the JSON at `path`; every other key is checked unchanged before the file is replaced."
    path = Path(path)
    before = json.loads(path.read_text())
    if not isinstance(before, dict): raise SystemExit(f"{path}: not a JSON object; only result objects take an explanation")
    if not text.strip(): raise SystemExit("--text is empty: say what explains the result")
    after = dict(before, explained=dict(text=text.strip(), by=by or None,
                                        utc=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")))
    assert {k: v for k, v in after.items() if k != "explained"} == {k: v for k, v in before.items() if k != "explained"}
    atomic_write_text(path, json.dumps(after, indent=2) + "\n")
    return after


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+", help="result JSON files")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--text", help="the explanation")
    g.add_argument("--text-file", help="a file holding the explanation")
    ap.add_argument("--by", default="", help="who explains it (a name or a commit)")
    a = ap.parse_args(argv)
    text = a.text if a.text is not None else Path(a.text_file).read_text()
    for f in a.files:
        explain(f, text, a.by)
        print(f"[explain_result] {f}: explained")


if __name__ == "__main__":
    main()
