#!/usr/bin/env bash
# Idempotent, non-interactive set-up for para_wb, used by both README commands (and by scripts/test.sh).
# Works from any working directory.
#  1. apt packages for headless EGL rendering, and Debian's chromium for the dashboards' browser tests (only if missing)
#  2. a virtual environment with the pinned stack (re-installed only when the requirement files change)
#  3. para_wb itself (editable; re-installed only when its packaging files or location change),
#     then check_setup(): the LIBERO config (never a prompt), the assets and an EGL test render.
# Callers use $PARA_WB_VENV/bin/python (default ~/.cache/para_wb/venv/bin/python).
# Note: if /etc/xdg/pip/constraints.txt exists it caps torch<=2.14.1 / torchvision<=0.29.1, which our pins satisfy.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd -P)"
VENV="${PARA_WB_VENV:-$HOME/.cache/para_wb/venv}"
say() { printf '[setup] %s\n' "$*" >&2; }
# Never wait for input: pip, apt and sudo all fail instead of asking.
export PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1 DEBIAN_FRONTEND=noninteractive
PIP=("$VENV/bin/python" -m pip --no-input)

# 1. EGL (Mesa software rendering is enough; MuJoCo is told MUJOCO_GL=egl).
if ! ldconfig -p | grep -q 'libEGL_mesa.so' || ! ldconfig -p | grep -q 'libEGL.so.1'; then
  say "installing EGL/Mesa packages for headless rendering"
  if [ "$(id -u)" != 0 ]; then SUDO=(sudo -n); else SUDO=(); fi
  { "${SUDO[@]}" apt-get update -qq </dev/null && "${SUDO[@]}" apt-get install -y -qq \
      libegl1 libegl-mesa0 libgl1-mesa-dri libgl1 libglvnd0 </dev/null >/dev/null; } \
    || { say "ERROR: could not install libegl1/libegl-mesa0/libgl1-mesa-dri; install them with apt-get and rerun"; exit 1; }
fi

# 1b. Headless Chromium for tests/test_dashboards.py (Playwright drives it; Playwright's own browser download is not used).
if ! command -v chromium >/dev/null 2>&1; then
  say "installing chromium for the dashboards' browser tests"
  if [ "$(id -u)" != 0 ]; then SUDO=(sudo -n); else SUDO=(); fi
  { "${SUDO[@]}" apt-get update -qq </dev/null && "${SUDO[@]}" apt-get install -y -qq chromium </dev/null >/dev/null; } \
    || { say "ERROR: could not install chromium; install it with apt-get and rerun"; exit 1; }
fi

# 2. Virtual environment with the pinned stack.
stamp_want=$(cat requirements.txt requirements-nodeps.txt | sha256sum | cut -c1-16)
if [ ! -x "$VENV/bin/python" ]; then
  say "creating virtual environment at $VENV"
  python3 -m venv "$VENV"
fi
if [ "$(cat "$VENV/.para_wb_stamp" 2>/dev/null)" != "$stamp_want" ]; then
  say "installing pinned dependencies into $VENV (first time: a few minutes)"
  "${PIP[@]}" install -q -U pip
  # torch first, as a pair, so nothing else pulls an unpinned build.
  "${PIP[@]}" install -q "$(grep '^torch==' requirements.txt)" "$(grep '^torchvision==' requirements.txt)"
  "${PIP[@]}" install -q -r requirements.txt
  "${PIP[@]}" install -q --no-deps -r requirements-nodeps.txt
  echo "$stamp_want" > "$VENV/.para_wb_stamp"
  rm -f "$VENV/.para_wb_editable_stamp"
fi

# 3. The package itself (editable; no dependency resolution: they are pinned above).
#    Skipped when already installed from this checkout with the same packaging files.
edit_want="$ROOT $(cat setup.py settings.ini pyproject.toml 2>/dev/null | sha256sum | cut -c1-16)"
edit_have="$(cat "$VENV/.para_wb_editable_stamp" 2>/dev/null || true)"
pkg_dir="$(cd / && "$VENV/bin/python" -c 'import para_wb, os; print(os.path.dirname(os.path.realpath(para_wb.__file__)))' 2>/dev/null || true)"
if [ "$edit_have" != "$edit_want" ] || [ "$pkg_dir" != "$ROOT/para_wb" ]; then
  say "installing para_wb (editable) from $ROOT"
  log="$(mktemp)"
  if ! "${PIP[@]}" install -q --no-deps --no-build-isolation -e . >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"; say "ERROR: pip install -e . failed"; exit 1
  fi
  rm -f "$log"
  echo "$edit_want" > "$VENV/.para_wb_editable_stamp"
fi
# 4. A Jupyter kernel named para_wb for this venv (JupyterLab: see the README), registered once.
if [ ! -f "$VENV/share/jupyter/kernels/para_wb/kernel.json" ]; then
  "$VENV/bin/python" -m ipykernel install --prefix "$VENV" --name para_wb --display-name "para_wb (venv)" \
    --env MUJOCO_GL egl --env PYOPENGL_PLATFORM egl >/dev/null
fi
export MUJOCO_GL=egl
"$VENV/bin/python" -c "from para_wb.sim.scene import check_setup; check_setup()"
say "ready: $VENV/bin/python"
