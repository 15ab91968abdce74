#!/usr/bin/env bash
# JupyterLab on nbs/ with the project's kernel ("para_wb (venv)", registered by scripts/setup.sh with MUJOCO_GL=egl):
#   bash scripts/lab.sh [extra jupyter lab options, e.g. --no-browser --port 8888]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV="${PARA_WB_VENV:-$HOME/.cache/para_wb/venv}"
[ "${PARA_WB_SKIP_SETUP:-0}" = 1 ] || bash scripts/setup.sh
export MUJOCO_GL=egl PYOPENGL_PLATFORM=egl
exec "$VENV/bin/jupyter" lab --notebook-dir=nbs --MappingKernelManager.default_kernel_name=para_wb "$@"
