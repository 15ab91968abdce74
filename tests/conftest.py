"""Shared pytest set-up for para_wb.

- `MUJOCO_GL=egl` (and `PYOPENGL_PLATFORM=egl`) are set here, before any test module imports mujoco.
- `@pytest.mark.slow` tests are skipped unless `PARA_WB_SLOW=1` is set or the run selects them
  explicitly with `-m` (e.g. `pytest -m slow tests`).
- Seconds per test file (setup + call + teardown) go to `$PARA_WB_TEST_TIMES` when it is set (JSON, slowest first):
  `scripts/test.sh` prints them in its last lines, where CI's log tail keeps them (keeping CI short starts there).
"""
import os

os.environ.setdefault("MUJOCO_GL", "egl")
os.environ.setdefault("PYOPENGL_PLATFORM", os.environ["MUJOCO_GL"])

import json
from collections import defaultdict

import pytest

_FILE_SECONDS = defaultdict(float)


def pytest_runtest_logreport(report):
    _FILE_SECONDS[report.nodeid.split("::")[0]] += report.duration


def pytest_sessionfinish(session):
    out = os.environ.get("PARA_WB_TEST_TIMES")
    if not out or not _FILE_SECONDS: return
    rows = sorted(_FILE_SECONDS.items(), key=lambda kv: -kv[1])
    with open(out, "w") as f: json.dump({k: round(v, 1) for k, v in rows}, f, indent=0)


def _slow_enabled(config) -> bool:
    if os.environ.get("PARA_WB_SLOW", "").strip().lower() in ("1", "true", "yes", "on"): return True
    return "slow" in (config.getoption("markexpr", default="") or "")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than a few seconds; runs only with PARA_WB_SLOW=1 or -m slow")


def pytest_collection_modifyitems(config, items):
    if _slow_enabled(config): return
    skip = pytest.mark.skip(reason="slow test: set PARA_WB_SLOW=1 (or pass -m slow) to run it")
    for item in items:
        if "slow" in item.keywords: item.add_marker(skip)


@pytest.fixture(scope="session")
def tiny_dataset_path(tmp_path_factory):
    "The project's one tiny dataset (para_wb.testing): four synthetic demos at 64 px, packed and validated."
    from para_wb.testing import tiny_config, tiny_dataset
    return tiny_dataset(tiny_config(), tmp_path_factory.mktemp("tiny_dataset"))
