#!/usr/bin/env bash
# Regenerate every experiment's figures and the one results table (figures/results.md, figures/results.csv, the README
# block between <!-- results:start --> and <!-- results:end -->) from scratch, with one command:
#   bash scripts/figures.sh            every experiment on the `cpu` preset (hours on 2 cores; see the README)
#   bash scripts/figures.sh --smoke    every experiment notebook with its smoke parameters (minutes; CI), into a temporary
#                                      folder (or $PARA_WB_FIGURES_SMOKE_DIR), table there; README and figures/ untouched
# Each experiment notebook runs through papermill (executed copy beside its runs). Resumable: an experiment whose
# results.json exists is not rerun; its figures and results.md are rebuilt from the saved results (--stage report), and
# an interrupted one resumes where it stopped (finished training runs and evaluations are reused by the harness).
# The experiments run as one task graph (python -m para_wb.experiments.reproduce): one after another on this machine, or
# at once on a Ray cluster with PARA_WB_EXECUTOR=ray [PARA_WB_RAY_ADDRESS=auto|HOST:PORT] (docs/commands: "On a cluster").
# Knobs: PARA_WB_PRESET (cpu), PARA_WB_SEEDS (default: each notebook's own, e.g. "0 1"), PARA_WB_WORKERS (2), PARA_WB_ONLY ("near_far corner ...": a subset;
# names: python -m para_wb.experiments.registry --list, first column).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV="${PARA_WB_VENV:-$HOME/.cache/para_wb/venv}"
export MUJOCO_GL="${MUJOCO_GL:-egl}" PYOPENGL_PLATFORM="${PYOPENGL_PLATFORM:-egl}"
PY="$VENV/bin/python"
SMOKE=0
for a in "$@"; do
  case "$a" in
    --smoke) SMOKE=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "figures.sh: unknown argument $a (use --smoke or nothing)" >&2; exit 2 ;;
  esac
done
[ "$SMOKE" = 1 ] || bash scripts/setup.sh            # idempotent; CI has run it before the smoke mode
PRESET="${PARA_WB_PRESET:-cpu}"
WORKERS="${PARA_WB_WORKERS:-2}"
say() { printf '[figures] %s\n' "$*" >&2; }

if [ "$SMOKE" = 1 ]; then
  ROOT="${PARA_WB_FIGURES_SMOKE_DIR:-$(mktemp -d -t para_wb_figures_smoke.XXXXXX)}"
  mkdir -p "$ROOT"
  say "smoke mode: everything under $ROOT"
else
  ROOT=data/runs
fi

t0=$SECONDS
# every experiment as one task graph (para_wb.experiments.reproduce): on the local executor one after another in
# registry order; with PARA_WB_EXECUTOR=ray (and PARA_WB_RAY_ADDRESS) at once on a Ray cluster
repro=(--preset "$PRESET" --workers "$WORKERS" --root "$ROOT")
[ "$SMOKE" = 1 ] && repro+=(--smoke)
[ -n "${PARA_WB_SEEDS:-}" ] && repro+=(--seeds ${PARA_WB_SEEDS})   # else each notebook's own default (viewpoint: one seed)
[ -n "${PARA_WB_ONLY:-}" ] && repro+=(--only ${PARA_WB_ONLY})
"$PY" -m para_wb.experiments.reproduce "${repro[@]}" >/dev/null

# the table (and, outside smoke mode, the README block), and the demo samples of the full position grid
if [ "$SMOKE" = 1 ]; then
  cp README.md "$ROOT/README.md"
  "$PY" - "$ROOT" <<'PY'
import sys
from pathlib import Path
from para_wb.experiments.results_table import build_results, README_START, README_END
root = Path(sys.argv[1])
readme = root / "README.md"
if README_START not in readme.read_text(): readme.write_text(readme.read_text() + f"\n{README_START}\n{README_END}\n")
rows = build_results(root, root / "figures", readme=readme, smoke=True)
print("[figures] smoke table:", root / "figures" / "results.md", "-", sum(r["status"] == "done" for r in rows), "of", len(rows), "rows with results",
      file=sys.stderr)
PY
  FIGDIR="$ROOT/figures"
else
  "$PY" - <<'PY'
from para_wb.experiments.results_table import build_results
rows = build_results("data/runs", "figures", readme="README.md")
import sys; print("[figures] figures/results.md, figures/results.csv, README:", sum(r["status"] == "done" for r in rows), "of", len(rows),
                  "rows with results", file=sys.stderr)
PY
  FIGDIR=figures
fi
"$PY" - "$ROOT" "$FIGDIR" "$SMOKE" <<'PY'
import json, sys
from pathlib import Path
root, figdir, smoke = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "1"
# the position-grid experiments, the presets' layout (pair) first; in smoke mode each runs in <root>/<name>/runs
names = [n + sfx for sfx in ("_pair", "") for n in ("distractors", "near_far", "corner", "left_right")]
cands = [root / n / "runs" / "results.json" if smoke else root / n / "results.json" for n in names]
ds = next((json.loads(p.read_text())["dataset"] for p in cands if p.exists()), None)
if ds is None or not Path(ds).exists(): print("[figures] no position-grid dataset found: demo_samples.png not drawn", file=sys.stderr)
else:
    from para_wb.experiments.positions import demo_samples_figure
    # the full grid: the distractor experiment trains on all of it (the others on part of it, from the same dataset)
    print("[figures]", demo_samples_figure(ds, figdir / "demo_samples.png"), file=sys.stderr)
PY
# 4 x 3 rollout grids for the experiments whose notebooks do not draw them (Left -> Right, viewpoints): from the frames
# their runs recorded (`record`, 2 per run and split by default, so fewer than 12 cells)
"$PY" - "$ROOT" "$SMOKE" <<'PY'
import sys
from pathlib import Path
from para_wb.experiments.positions import rollout_grid_figures
from para_wb.experiments.results_table import ENTRIES, results_path
from para_wb.files import load_json
from para_wb.runs import ExperimentDir
root, smoke = Path(sys.argv[1]), sys.argv[2] == "1"
for e in ENTRIES:
    if e.notebook not in ("left_right", "viewpoint") or e.split != "test": continue
    p = results_path(e, root, smoke)
    if not p.exists(): continue
    res = load_json(p)
    # the table's figures folder of this entry (a run's recorded figures_dir may be a folder name from before a rename)
    figs = (root / "figures" if smoke else Path("figures")) / e.figures
    made = rollout_grid_figures(ExperimentDir(p.parent), res, figs, "test")
    print("[figures]", e.experiment, "rollout grids:", [str(m) for m in made], file=sys.stderr)
PY
# this call's wall time per experiment ("ran": the notebook ran, resuming whatever an earlier call finished; "rebuilt":
# finished earlier, only its reports were rebuilt) -> bench/results/<preset>/figures_sh.json (smoke: under $ROOT)
WALL_JSON="$([ "$SMOKE" = 1 ] && echo "$ROOT/figures_sh.json" || echo "bench/results/$PRESET/figures_sh.json")"
"$PY" - "$WALL_JSON" "$PRESET" "$SMOKE" "$((SECONDS - t0))" "$ROOT/reproduce.json" <<'PY'
import datetime, os, sys
from para_wb.files import load_json, save_json
out, preset, smoke, total, steps = sys.argv[1:]
rows = [dict(experiment=r["name"], seconds=int(r["seconds"]), how=r["how"]) for r in load_json(steps)["steps"]]
save_json(out, dict(preset=preset, smoke=smoke == "1", total_s=int(total), experiments=rows, cpu_count=os.cpu_count(),
                    finished_utc=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")))
print("[figures] wall times:", out, file=sys.stderr)
PY
say "all done in $((SECONDS - t0)) s (runs under $ROOT, table in $FIGDIR)"
