#!/usr/bin/env bash
# Idempotent, non-interactive set-up of a SEPARATE virtual environment for LeRobot (never the main para_wb venv:
# LeRobot's pins conflict with ours). Used by tests/test_lerobot.py (slow part) and scripts/lerobot_check.py.
#   bash scripts/setup_lerobot.sh            -> prints the venv's python path on its last line of stdout
# Env vars: PARA_WB_LEROBOT_VENV (default ~/.cache/para_wb/lerobot-venv), PARA_WB_LEROBOT_PYTHON (a Python 3.11
# interpreter; default: pyenv's 3.11.x, else python3.11).
#
# Why it is installed the way it is (checked on these machines):
# - lerobot 0.4.4 is the newest release that runs on Python 3.11 (0.5 needs >= 3.12); the only torch wheels on this
#   machine's local disk are cp311 (torch 2.14.1 + torchvision 0.29.1, and 2.13.0+cpu), so Python 3.11 it is.
# - lerobot 0.4.4 declares torch<2.11 / torchvision<0.26 / torchcodec<0.11. Those builds are not on local disk and a
#   resolver would pull a multi-GB CUDA stack from the network, so lerobot itself is installed with --no-deps and its
#   declared core dependencies below are installed explicitly, with the torch pair of requirements.txt instead
#   (torch 2.14.1 / torchvision 0.29.1). `pip check` therefore reports the torch cap; the dataset and ACT code paths
#   we use are exercised by tests/test_lerobot.py and scripts/lerobot_check.py on this pair.
# - Left out of lerobot's core list: torchcodec (video decoding only; our exports store PNG frames, no videos),
#   cmake (a build tool), pynput (teleoperation keyboard; pyserial stays: lerobot.motors imports it at load), rerun-sdk (the visualiser), hf-transfer.
# - Everything runs offline afterwards: HF_HUB_OFFLINE=1, datasets from a local root, ACT's ResNet backbone from
#   scratch (no torchvision weight download).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV="${PARA_WB_LEROBOT_VENV:-$HOME/.cache/para_wb/lerobot-venv}"
say() { printf '[setup_lerobot] %s\n' "$*" >&2; }
export PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1

LEROBOT_VERSION=0.4.4
TORCH_PAIR=("$(grep '^torch==' requirements.txt)" "$(grep '^torchvision==' requirements.txt)")
# lerobot 0.4.4's core Requires-Dist (read from its wheel METADATA), less the ones left out above.
DEPS=(
  "datasets>=4.0.0,<5.0.0" "diffusers>=0.27.2,<0.36.0" "huggingface-hub>=0.34.2,<0.36.0" "accelerate>=1.10.0,<2.0.0"
  "setuptools>=71.0.0,<81.0.0" "einops>=0.8.0,<0.9.0" "opencv-python-headless>=4.9.0,<4.13.0" "av>=15.0.0,<16.0.0"
  "jsonlines>=4.0.0,<5.0.0" "packaging>=24.2,<26.0" "wandb>=0.24.0,<0.25.0" "draccus==0.10.0"
  "gymnasium>=1.1.1,<2.0.0" "deepdiff>=7.0.1,<9.0.0" "imageio[ffmpeg]>=2.34.0,<3.0.0" "termcolor>=2.4.0,<4.0.0"
  "pyserial>=3.5,<4.0" "pyarrow" "pandas" "pillow" "tqdm" "numpy<3"
)
stamp_want=$( { cat "${BASH_SOURCE[0]}"; printf '%s\n' "${TORCH_PAIR[@]}"; } | sha256sum | cut -c1-16)

if [ "$(cat "$VENV/.para_wb_lerobot_stamp" 2>/dev/null)" = "$stamp_want" ] && [ -x "$VENV/bin/python" ]; then
  echo "$VENV/bin/python"; exit 0
fi

PY="${PARA_WB_LEROBOT_PYTHON:-}"
if [ -z "$PY" ]; then
  for c in "$HOME"/.pyenv/versions/3.11.*/bin/python3.11 "$(command -v python3.11 || true)"; do
    [ -n "$c" ] && [ -x "$c" ] && { PY="$c"; break; }
  done
fi
[ -n "$PY" ] && "$PY" -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null \
  || { say "ERROR: no Python 3.11 found (got '${PY:-none}'); set PARA_WB_LEROBOT_PYTHON=/path/to/python3.11 and rerun"; exit 1; }

t0=$(date +%s)
if [ ! -x "$VENV/bin/python" ]; then
  say "creating virtual environment at $VENV with $PY"
  mkdir -p "$(dirname "$VENV")"
  "$PY" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --no-input -q)
say "installing lerobot==$LEROBOT_VERSION and its dependencies into $VENV (first time: several minutes, ~6 GB)"
"${PIP[@]}" install "${TORCH_PAIR[@]}"
"${PIP[@]}" install "${DEPS[@]}" "${TORCH_PAIR[@]}"
"${PIP[@]}" install --no-deps "lerobot==$LEROBOT_VERSION"
# Import check of exactly what we use (dataset loading and ACT), offline.
HF_HUB_OFFLINE=1 "$VENV/bin/python" -c '
import lerobot, torch
from lerobot.datasets.lerobot_dataset import LeRobotDataset
from lerobot.policies.act.modeling_act import ACTPolicy
print("lerobot", lerobot.__version__, "torch", torch.__version__)' >&2 \
  || { say "ERROR: lerobot does not import in $VENV; remove that folder and rerun"; exit 1; }
echo "$stamp_want" > "$VENV/.para_wb_lerobot_stamp"
say "done in $(( $(date +%s) - t0 )) s; size $(du -sh "$VENV" | cut -f1)"
echo "$VENV/bin/python"
