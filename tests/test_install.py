"The package builds into a wheel that carries its modules and data files (presets, assets)."
import shutil, subprocess, sys, zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MUST_HAVE = ["para_wb/__init__.py", "para_wb/config.py", "para_wb/presets/cpu.yaml", "para_wb/presets/paper.yaml",
             "para_wb/assets/bowl_plate_clean.bddl"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    # Build from a scratch copy so that build/ and *.egg-info never appear in the checkout.
    src = tmp_path_factory.mktemp("src")
    for f in ("setup.py", "settings.ini", "pyproject.toml", "README.md", "MANIFEST.in", "LICENSE"):
        if (ROOT / f).exists(): shutil.copy2(ROOT / f, src / f)
    shutil.copytree(ROOT / "para_wb", src / "para_wb", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("wheel")
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-input", "-q", "-w", str(out), str(src)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"pip wheel failed:\n{r.stdout}\n{r.stderr}"
    wheels = list(out.glob("para_wb-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_contents(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [n for n in MUST_HAVE if n not in names]
    assert not missing, f"{wheel.name} lacks {missing}; check package_data in setup.py"


def test_wheel_has_every_module_and_data_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    pkg = ROOT / "para_wb"
    want = sorted(p.relative_to(ROOT).as_posix() for p in pkg.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")
    missing = [n for n in want if n not in names]
    assert not missing, f"{wheel.name} lacks {missing}; check packages/package_data in setup.py"
