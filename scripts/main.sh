#!/usr/bin/env bash
# The README's main command: set up, then run the Left -> Right experiment on the `cpu` preset, end to end, through
# papermill (nbs/experiments/left_right.ipynb): an 8x8 position-grid dataset of expert demos; PARA, the paper's ACT
# (global token -> MLP) and the global-regression ablation trained on the left half; validation rollouts at random
# positions inside the left half; test rollouts at random positions in the right half; the expert (ceiling) and a
# blind replay (negative control) on the same episodes; clustered statistics -> figures/left_right/{results.md, *.png}.
# Resumable: rerun after an interruption and finished training/evaluation is reused. The executed notebook lands in
# data/runs/left_right/left_right.ipynb.
# Knobs: PARA_WB_PRESET (cpu), PARA_WB_SEEDS ("0 1"), PARA_WB_WORKERS (2 rollout processes), PARA_WB_ABLATIONS ("global").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV="${PARA_WB_VENV:-$HOME/.cache/para_wb/venv}"
export MUJOCO_GL=egl PYOPENGL_PLATFORM=egl
bash scripts/setup.sh
PRESET="${PARA_WB_PRESET:-cpu}"
SEEDS="[$(echo ${PARA_WB_SEEDS:-0 1} | sed 's/ /, /g')]"
ABL="$(for a in ${PARA_WB_ABLATIONS-global}; do printf '"%s", ' "$a"; done | sed 's/, $//')"
t0=$SECONDS
mkdir -p data/runs/left_right figures/left_right
"$VENV/bin/papermill" -k python3 --language python --log-output --no-progress-bar \
  nbs/experiments/left_right.ipynb data/runs/left_right/left_right.ipynb \
  -p preset "$PRESET" -y "seeds: $SEEDS" -y "ablations: [$ABL]" -p workers "${PARA_WB_WORKERS:-2}" \
  -p out_dir data/runs/left_right -p figures_dir figures/left_right -p progress False >/dev/null
cat figures/left_right/results.md
echo "[main] done in $((SECONDS - t0)) s (after set-up); executed notebook: data/runs/left_right/left_right.ipynb"
