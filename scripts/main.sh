#!/usr/bin/env bash
# The README's main command: set up, then run on the `cpu` preset, end to end, via papermill:
#  1. foundation (nbs/08_foundation_run.ipynb): position-grid demos -> dataset -> expert oracle + wrong policy
#     through the teleport-servo evaluator -> figures/foundation/{results.md, demo_frames.png, success_maps.png}
#  2. Left -> Right extrapolation (nbs/20_left_right.ipynb): 8x8 position demos, PARA and ACT trained on the left
#     half, evaluated on unseen right-half positions -> figures/left_right/{results.md, *.png}
# Executed notebooks land in data/runs/*/. Knobs: PARA_WB_PRESET (cpu), PARA_WB_ONLY (foundation|left_right).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV="${PARA_WB_VENV:-$HOME/.cache/para_wb/venv}"
export MUJOCO_GL=egl PYOPENGL_PLATFORM=egl
bash scripts/setup.sh
PRESET="${PARA_WB_PRESET:-cpu}"
PM=("$VENV/bin/papermill" -k python3 --language python --cwd nbs --log-output --no-progress-bar)
t0=$SECONDS
if [ "${PARA_WB_ONLY:-foundation}" != left_right ]; then
  mkdir -p data/runs/foundation figures/foundation
  "${PM[@]}" nbs/08_foundation_run.ipynb data/runs/foundation/foundation_run.ipynb \
    -p preset "$PRESET" -p demo_grid 4 -p eval_grid 5 -p wrong_rollouts 5 \
    -p out_dir ../data/runs/foundation -p figures_dir ../figures/foundation -y "overrides: []" >/dev/null
  cat figures/foundation/results.md
  echo "[main] foundation done at $((SECONDS - t0)) s"
fi
if [ "${PARA_WB_ONLY:-left_right}" != foundation ]; then
  mkdir -p data/runs/left_right figures/left_right
  "${PM[@]}" nbs/20_left_right.ipynb data/runs/left_right/left_right.ipynb \
    -p preset "$PRESET" -p eval_per_side 4 -p seen_per_side 2 -y "overrides: []" -y "demo_grid: null" -y "seeds: [0]" \
    -y 'models: ["para", "act"]' -p out_dir ../data/runs/left_right -p figures_dir ../figures/left_right \
    -p dataset_dir "../data/datasets/positions_${PRESET}" >/dev/null
  cat figures/left_right/results.md
fi
echo "[main] done in $((SECONDS - t0)) s (after set-up); executed notebooks in data/runs/{foundation,left_right}/"
