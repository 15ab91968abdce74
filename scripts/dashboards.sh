#!/usr/bin/env bash
# Serve the three dashboards (heatmaps, viewpoints, rollout grid) with `panel serve`.
#   bash scripts/dashboards.sh                 # on the fixture runs root data/dash_fixture (made in seconds if missing)
#   bash scripts/dashboards.sh data/runs       # on the real runs
# Then open http://localhost:${PORT:-5006}/app (links to /app?view=heatmaps, ?view=viewpoints, ?view=rollouts).
# It listens on 127.0.0.1 only; PARA_WB_ADDRESS=0.0.0.0 (or another address) serves other machines, on purpose.
# Set-up (venv, chromium, …) is scripts/setup.sh's, run first; PARA_WB_SKIP_SETUP=1 skips it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV="${PARA_WB_VENV:-$HOME/.cache/para_wb/venv}"
RUNS="${1:-data/dash_fixture}"
PORT="${PORT:-5006}"
ADDRESS="${PARA_WB_ADDRESS:-127.0.0.1}"
[ "${PARA_WB_SKIP_SETUP:-0}" = 1 ] || bash scripts/setup.sh
export PYTHONPATH="$(pwd -P)${PYTHONPATH:+:$PYTHONPATH}"
if [ "$RUNS" = data/dash_fixture ]; then "$VENV/bin/python" -m para_wb.dashboards.fixture "$RUNS"; fi
echo "[dashboards] http://localhost:$PORT/app?view=heatmaps  ?view=viewpoints  ?view=rollouts  (runs root: $RUNS)" >&2
ORIGINS=(--allow-websocket-origin="localhost:$PORT" --allow-websocket-origin="127.0.0.1:$PORT")
if [ "$ADDRESS" != 127.0.0.1 ]; then
  echo "[dashboards] listening on $ADDRESS (PARA_WB_ADDRESS): reachable from other machines" >&2
  ORIGINS+=(--allow-websocket-origin="$ADDRESS:$PORT" --allow-websocket-origin="$(hostname):$PORT")
fi
exec "$VENV/bin/panel" serve para_wb/dashboards/app.py --address "$ADDRESS" --port "$PORT" "${ORIGINS[@]}" --args --runs "$RUNS"
