#!/usr/bin/env bash
# The whole para_wb test suite (the README's test command; .ci/run calls exactly this). Works from any directory.
#  1. scripts/setup.sh (idempotent: environment, editable install, EGL render check)
#  2. nbdev_test --path nbs: every notebook's cells, except those flagged `slow`/`notest`; with slow tests on, the
#     experiment notebooks in tests/run_under_papermill.txt run in step 3 instead (every cell, under plain papermill)
#  3. pytest tests: includes the notebooks <-> para_wb/ drift check (tests/test_sync.py)
# Exits non-zero if any step fails, and also if pytest collects no tests or there are no notebooks to test.
# Environment knobs:
#   PARA_WB_SLOW=0|1             slow tests (simulation cells flagged `slow`, @pytest.mark.slow); default 1 (CI runs everything)
#   PARA_WB_TEST_FLAGS="a b"     extra notebook flags for nbdev_test --flags (e.g. "slow")
#   PARA_WB_TEST_WORKERS=N       notebook test processes (default 2, this machine class has 2 cores)
#   PARA_WB_TEST_NBS=glob        notebooks to test (default: nbs, i.e. all of them)
#   PARA_WB_PYTEST_ARGS="..."    extra pytest arguments (e.g. "-x -k sync")
#   PARA_WB_SKIP_SETUP=1         skip step 1 (quick re-runs only; CI never sets it)
#   PARA_WB_VENV                 the virtual environment (default ~/.cache/para_wb/venv)
set -uo pipefail
export PARA_WB_SLOW="${PARA_WB_SLOW:-1}"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV="${PARA_WB_VENV:-$HOME/.cache/para_wb/venv}"
export PARA_WB_VENV="$VENV"
export MUJOCO_GL="${MUJOCO_GL:-egl}" PYOPENGL_PLATFORM="${PYOPENGL_PLATFORM:-egl}"
say() { printf '[test] %s\n' "$*" >&2; }
t0=$SECONDS
declare -a results=()
status=0
record() {  # name rc seconds
  local verdict=PASS; [ "$2" -ne 0 ] && { verdict="FAIL(rc=$2)"; status=1; }
  results+=("$1: $verdict in ${3}s")
}
times="$(mktemp -d)"   # where each step leaves its seconds per notebook / per test file, for the summary's last lines
summary() {
  echo
  echo "==================== para_wb test summary ===================="
  for r in "${results[@]}"; do echo "  $r"; done
  if [ -s "$times/notebooks.txt" ]; then
    echo "  slowest notebooks (s): $(sort -t$'\t' -k1,1nr "$times/notebooks.txt" | head -8 | awk -F'\t' '{printf "%s%s %s", (NR>1?", ":""), $2, $1}')"
  fi
  if [ -s "$times/pytest.json" ]; then
    echo "  slowest test files (s): $("$VENV/bin/python" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(", ".join(f"{k.split(chr(47), 1)[-1]} {v:.0f}" for k, v in list(d.items())[:10]))' "$times/pytest.json")"
  fi
  if [ "$status" -eq 0 ]; then echo "para_wb tests: PASSED (${#results[@]} steps, $((SECONDS - t0))s)"
  else echo "para_wb tests: FAILED (see above; $((SECONDS - t0))s)"; fi
}

# 1. set-up
if [ "${PARA_WB_SKIP_SETUP:-0}" != 1 ]; then
  s=$SECONDS
  bash scripts/setup.sh; rc=$?
  record "setup (scripts/setup.sh)" $rc $((SECONDS - s))
  if [ $rc -ne 0 ]; then say "set-up failed; not running the tests"; summary; exit 1; fi
fi
for exe in python nbdev_test pytest; do
  [ -x "$VENV/bin/$exe" ] || { say "missing $VENV/bin/$exe: run scripts/setup.sh"; results+=("environment: FAIL (no $exe)"); status=1; summary; exit 1; }
done

# 2. notebook tests
flags="${PARA_WB_TEST_FLAGS:-}"
case "${PARA_WB_SLOW:=1}" in 1|true|yes|on) flags="$flags slow";; esac
flags="$(echo $flags | tr ' ' '\n' | awk 'NF && !seen[$0]++' | tr '\n' ' ' | sed 's/ *$//')"
nbpath="${PARA_WB_TEST_NBS:-nbs}"
s=$SECONDS
n_nbs=$(find nbs -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' | wc -l)
if [ "$n_nbs" -eq 0 ]; then
  say "no notebooks in nbs/"; record "notebooks (nbdev_test)" 1 0
else
  # One process per notebook (2 at a time): notebooks that render with EGL must not share a process with ones that
  # import torch/Triton afterwards (two bundled LLVMs segfault; see para_wb/__init__.py).
  mapfile -t nbs_list < <(if [ -d "$nbpath" ]; then find "$nbpath" -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' | sort; else ls $nbpath; fi)
  # With slow tests on, the notebooks pytest runs end to end under papermill (tests/run_under_papermill.txt) run there only.
  skipped=0
  case "$flags" in *slow*)
    mapfile -t pm < <(grep -v '^\s*#' tests/run_under_papermill.txt | sed '/^\s*$/d')
    keep=()
    for nb in "${nbs_list[@]}"; do
      if printf '%s\n' "${pm[@]}" | grep -qxF "${nb#./}"; then skipped=$((skipped + 1)); else keep+=("$nb"); fi
    done
    nbs_list=("${keep[@]}")
    say "$skipped notebooks run by pytest under papermill instead (tests/run_under_papermill.txt)";;
  esac
  say "nbdev_test, one process per notebook, ${PARA_WB_TEST_WORKERS:-2} at a time${flags:+, --flags \"$flags\"} (${#nbs_list[@]} notebooks)"
  logdir="$(mktemp -d)"
  printf '%s\n' "${nbs_list[@]}" | xargs -P "${PARA_WB_TEST_WORKERS:-2}" -I{} bash -c '
    nb="$1"; log="$2/$(basename "$nb").log"; s=$SECONDS
    if "$3/bin/nbdev_test" --path "$nb" ${4:+--flags "$4"} >"$log" 2>&1; then echo "  ok   $nb ($((SECONDS - s))s)"
    else echo "  FAIL $nb ($((SECONDS - s))s)"; echo FAIL >"$log.failed"; fi
    printf "%s\t%s\n" "$((SECONDS - s))" "${nb#nbs/}" >>"$5/notebooks.txt"' _ {} "$logdir" "$VENV" "$flags" "$times"
  rc=0
  for f in "$logdir"/*.failed; do
    [ -e "$f" ] || continue; rc=1; log="${f%.failed}"
    say "---- $(basename "$log" .log) failed; its output (EGL teardown noise removed):"
    grep -v "EGL\|Exception ignored\|^\s*File .*egl\|^\s*self.free\|glCheckError\|raise self._errorClass\|err = \|baseOperation\|cArguments\|<OpenGL\|result = 0\|^\s*),\?$\|^\s*(\?$" "$log" | tail -40
  done
  [ ${#nbs_list[@]} -gt 0 ] || { say "no notebooks to test"; rc=1; }
  rm -rf "$logdir"
  record "notebooks (nbdev_test --path $nbpath${flags:+ --flags '$flags'})" $rc $((SECONDS - s))
fi

# 3. pytest (drift check, install check, unit and render tests)
s=$SECONDS
# shellcheck disable=SC2086
PARA_WB_TEST_TIMES="$times/pytest.json" "$VENV/bin/pytest" -q --durations=25 tests ${PARA_WB_PYTEST_ARGS:-}; rc=$?   # the 25 slowest, for keeping CI short
if [ $rc -eq 5 ]; then say "pytest collected no tests: that is a failure"; fi
case "${PARA_WB_SLOW:=1}" in 1|true|yes|on) what="pytest tests (incl. slow)";; *) what="pytest tests (slow skipped)";; esac
record "$what" $rc $((SECONDS - s))

summary
exit $status
