#!/usr/bin/env bash
# JupyterLab on nbs/ with the project's kernel ("para_wb (venv)", registered by scripts/setup.sh with MUJOCO_GL=egl):
#   bash scripts/lab.sh [extra jupyter lab options, e.g. --no-browser --port 8888]
# - listens on 127.0.0.1 only; PARA_WB_ADDRESS=0.0.0.0 (or another address) serves other machines, on purpose;
# - runs as root too (adds --allow-root when uid 0, e.g. in a container);
# - every notebook opens on the para_wb kernel, without a "Select Kernel" dialog (default kernel para_wb, and
#   scripts/lab_settings/overrides.json starts it automatically);
# - nothing is written into the repository unless you save: autosave is off (the same overrides.json), and checkpoints
#   go to ~/.cache/para_wb/lab_checkpoints instead of nbs/**/.ipynb_checkpoints.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV="${PARA_WB_VENV:-$HOME/.cache/para_wb/venv}"
ADDRESS="${PARA_WB_ADDRESS:-127.0.0.1}"
[ "${PARA_WB_SKIP_SETUP:-0}" = 1 ] || bash scripts/setup.sh
export MUJOCO_GL=egl PYOPENGL_PLATFORM=egl
EXTRA=()
[ "$(id -u)" = 0 ] && EXTRA+=(--allow-root)
[ "$ADDRESS" != 127.0.0.1 ] && echo "[lab] listening on $ADDRESS (PARA_WB_ADDRESS): reachable from other machines" >&2
CHECKPOINTS="${PARA_WB_LAB_CHECKPOINTS:-$HOME/.cache/para_wb/lab_checkpoints}"
# checkpoints of nbs/<dir>/x.ipynb go to $CHECKPOINTS/<dir>/.ipynb_checkpoints/ (Jupyter needs <dir> to exist there)
(cd nbs && find . -type d -not -path '*/.*' -print0) | (cd "$(mkdir -p "$CHECKPOINTS" && echo "$CHECKPOINTS")" && xargs -0 mkdir -p)
exec "$VENV/bin/jupyter" lab --notebook-dir=nbs --ServerApp.ip="$ADDRESS" \
  --MappingKernelManager.default_kernel_name=para_wb \
  --LabApp.app_settings_dir="$(pwd -P)/scripts/lab_settings" \
  --FileCheckpoints.root_dir="$CHECKPOINTS" "${EXTRA[@]}" "$@"
