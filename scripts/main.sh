#!/usr/bin/env bash
# The README's main command: set up, then run the foundation job on the `cpu` preset end to end
# (position-grid demos -> dataset -> expert oracle + wrong policy through the teleport-servo evaluator
#  -> figures/foundation/{results.md, demo_frames.png, success_maps.png}), via papermill.
# Knobs: PARA_WB_PRESET (cpu), PARA_WB_DEMO_GRID (4), PARA_WB_EVAL_GRID (5), PARA_WB_WRONG (5).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV="${PARA_WB_VENV:-$HOME/.cache/para_wb/venv}"
export MUJOCO_GL=egl PYOPENGL_PLATFORM=egl
bash scripts/setup.sh
mkdir -p data/runs/foundation figures/foundation
t0=$SECONDS
"$VENV/bin/papermill" --cwd nbs --log-output --no-progress-bar nbs/08_foundation_run.ipynb data/runs/foundation/foundation_run.ipynb \
  -p preset "${PARA_WB_PRESET:-cpu}" -p demo_grid "${PARA_WB_DEMO_GRID:-4}" -p eval_grid "${PARA_WB_EVAL_GRID:-5}" \
  -p wrong_rollouts "${PARA_WB_WRONG:-5}" -p out_dir ../data/runs/foundation -p figures_dir ../figures/foundation \
  -y "overrides: []" >/dev/null
cat figures/foundation/results.md
echo "[main] done in $((SECONDS - t0)) s (after set-up); executed notebook: data/runs/foundation/foundation_run.ipynb"
