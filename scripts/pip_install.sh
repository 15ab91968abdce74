#!/usr/bin/env bash
# Install para_wb with `pip install .` into a virtual environment (created if missing), the documented way:
#   bash scripts/pip_install.sh [VENV]        (default ./.venv)
# 1. torch + torchvision first, as the pinned pair of requirements.txt (an unpinned torch pulls a multi-GB CUDA build);
# 2. `pip install .`: the package and every runtime dependency that settings.ini lists, mujoco pinned as requirements.txt;
# 3. LIBERO, bddl and the LIBERO assets with --no-deps: their own pins (mujoco 4, a CUDA torch, …) conflict with 1–2,
#    and what they import is already in settings.ini.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
V="${1:-.venv}"
export PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1
[ -x "$V/bin/python" ] || python3 -m venv "$V"
PIP=("$V/bin/python" -m pip --no-input -q)
"${PIP[@]}" install "$(grep '^torch==' requirements.txt)" "$(grep '^torchvision==' requirements.txt)"
"${PIP[@]}" install "$(grep '^mujoco==' requirements.txt)" .
"${PIP[@]}" install --no-deps -r requirements-nodeps.txt
echo "installed para_wb into $V: $("$V/bin/python" -c 'import para_wb; print(para_wb.__file__)')"
