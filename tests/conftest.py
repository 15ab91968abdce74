"""Shared pytest set-up for para_wb.

- `MUJOCO_GL=egl` (and `PYOPENGL_PLATFORM=egl`) are set here, before any test module imports mujoco.
- `@pytest.mark.slow` tests are skipped unless `PARA_WB_SLOW=1` is set or the run selects them
  explicitly with `-m` (e.g. `pytest -m slow tests`).
"""
import os

os.environ.setdefault("MUJOCO_GL", "egl")
os.environ.setdefault("PYOPENGL_PLATFORM", os.environ["MUJOCO_GL"])

import pytest


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
