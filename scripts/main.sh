#!/usr/bin/env bash
# The README's main command: set up, then run the Left -> Right experiment on the `cpu` preset, end to end, through
# papermill (nbs/left_right.ipynb), on 2 cores: a 16x16 position-grid dataset of expert demos (256,
# the paper's count; 2 processes); PARA and the paper's ACT (global token -> MLP) trained on the left half (training seed 0);
# 20 validation rollouts per policy at random positions inside the left half (in-distribution control) and 20 test
# rollouts per policy at random positions in the right half; the expert (ceiling) on the same episodes and a blind
# replay (negative control) on the first 10 of each; clustered statistics -> figures/left_right_main/{results.md, *.png}.
# The full protocol (two training seeds + the global-regression ablation) is `python -m para_wb.experiments.left_right`
# (figures/left_right; see the README). Resumable: rerun after an interruption and finished work is reused.
# Knobs: PARA_WB_PRESET (cpu), PARA_WB_SEEDS ("0"), PARA_WB_N_TEST (20), PARA_WB_WORKERS (2), PARA_WB_ABLATIONS ("").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV="${PARA_WB_VENV:-$HOME/.cache/para_wb/venv}"
export MUJOCO_GL=egl PYOPENGL_PLATFORM=egl
bash scripts/setup.sh
PRESET="${PARA_WB_PRESET:-cpu}"
SEEDS="[$(echo ${PARA_WB_SEEDS:-0} | sed 's/ /, /g')]"
ABL="$(for a in ${PARA_WB_ABLATIONS-}; do printf '"%s", ' "$a"; done | sed 's/, $//')"
OUT=data/runs/left_right_main FIG=figures/left_right_main
t0=$SECONDS
mkdir -p "$OUT" "$FIG"
"$VENV/bin/papermill" -k python3 --language python --log-output --no-progress-bar \
  nbs/left_right.ipynb "$OUT/left_right.ipynb" \
  -p preset "$PRESET" -y "seeds: $SEEDS" -y "ablations: [$ABL]" -p n_test "${PARA_WB_N_TEST:-20}" -p n_control 10 \
  -p workers "${PARA_WB_WORKERS:-2}" -p out_dir "$OUT" -p figures_dir "$FIG" -p progress False >/dev/null
cat "$FIG/results.md"
# the wall time, written by code beside the results (the README quotes it from here)
"$VENV/bin/python" -c "import sys, datetime; from para_wb.files import save_json; save_json(sys.argv[1], dict(
  seconds_after_setup=int(sys.argv[2]), preset=sys.argv[3], seeds=sys.argv[4],
  finished_utc=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')))" \
  "$OUT/main_wall_time.json" "$((SECONDS - t0))" "$PRESET" "$SEEDS"
echo "[main] done in $((SECONDS - t0)) s (after set-up; $OUT/main_wall_time.json); executed notebook: $OUT/left_right.ipynb"
