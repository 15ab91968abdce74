"The package builds into a wheel that carries its modules and data files (presets, assets)."
import shutil, subprocess, sys, zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MUST_HAVE = ["para_wb/__init__.py", "para_wb/config.py", "para_wb/presets/cpu.yaml", "para_wb/presets/paper.yaml",
             "para_wb/assets/bowl_plate_clean.bddl", "para_wb/dashboards/app.py"]


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


# --- settings.ini lists every runtime dependency; the wheel installs, imports and runs in a fresh virtual environment ---

import ast, configparser, os, re, shlex, textwrap
from importlib import metadata

# Installed with --no-deps by the documented step (scripts/pip_install.sh, requirements-nodeps.txt): their own pins
# conflict with ours, so they cannot be install_requires.
NODEPS = {"libero"}
# Imported only where present (GPU machines), inside a try.
OPTIONAL = {"triton"}
# Imported only by code that LeRobot's own interpreter runs (its separate venv, scripts/setup_lerobot.sh): never ours.
OTHER_VENV = {"lerobot": "para_wb/policies/lerobot_server.py"}


def _norm(name: str) -> str: return re.sub(r"[-_.]+", "-", name).lower()


def _declared(key: str = "requirements") -> set:
    cfg = configparser.ConfigParser(); cfg.read(ROOT / "settings.ini")
    reqs = shlex.split(cfg["DEFAULT"].get(key, ""))
    return {_norm(re.split(r"[<>=!~\[; ]", r)[0]) for r in reqs}


def _import_names(node) -> set:
    "Top-level names one import statement imports (none for relative imports or other nodes)."
    if isinstance(node, ast.Import): return {a.name.split(".")[0] for a in node.names}
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module: return {node.module.split(".")[0]}
    return set()


def _module_level_imports(p: Path) -> set:
    "Top-level names a module imports at import time: every import outside a function body."
    names, todo = set(), list(ast.parse(p.read_text()).body)
    while todo:
        n = todo.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)): continue
        names |= _import_names(n)
        todo.extend(ast.iter_child_nodes(n))
    return names


def _third_party_imports() -> set:
    "Top-level names that para_wb's modules import, less the standard library and para_wb itself."
    names = set()
    for p in (ROOT / "para_wb").rglob("*.py"):
        for node in ast.walk(ast.parse(p.read_text())): names |= _import_names(node)
    return {n for n in names if n not in sys.stdlib_module_names and n not in ("para_wb", "__future__")}


def test_settings_ini_lists_every_runtime_dependency():
    "Every import is a requirement, or an extra (`ray_requirements` → `pip install para_wb[ray]`) imported lazily."
    dists = metadata.packages_distributions()
    declared, extras, missing = _declared(), _declared("ray_requirements"), []
    assert extras, "settings.ini lists no ray_requirements (the [ray] extra)"
    owners = lambda name: {_norm(d) for d in dists.get(name, [name])}
    for name in sorted(_third_party_imports()):
        if name in NODEPS | OPTIONAL | set(OTHER_VENV): continue
        if not owners(name) & (declared | extras): missing.append(f"{name} (from {sorted(owners(name))})")
    assert not missing, f"para_wb imports these but settings.ini's requirements do not list them: {missing}"
    eager = [(p.relative_to(ROOT).as_posix(), n) for p in (ROOT / "para_wb").rglob("*.py")
             for n in _module_level_imports(p) if owners(n) & extras and not owners(n) & declared]
    assert not eager, f"these modules import an optional extra at import time (import it inside the function): {eager}"
    for name, only in OTHER_VENV.items():                  # ...and only that file does, and not at import time
        users = [p.relative_to(ROOT).as_posix() for p in (ROOT / "para_wb").rglob("*.py")
                 if any(name in _import_names(n) for n in ast.walk(ast.parse(p.read_text())))]
        assert users == [only], f"{name} belongs to another venv; only {only} may import it, found {users}"
        assert name not in _module_level_imports(ROOT / only), f"{only} imports {name} at import time"


def _venv_with_deps(where: Path) -> Path:
    "A fresh venv whose dependencies come from this one's site-packages (a .pth line), without its para_wb."
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, timeout=300)
    py = where / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    ours = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    (Path(site) / "zz_para_wb_deps.pth").write_text("\n".join(ours) + "\n")   # after the venv's own site-packages
    return py


def test_wheel_installs_imports_and_runs_the_fixture(wheel, tmp_path):
    """`pip install` of the built wheel into a fresh venv: every module imports from the installed package (not the
    checkout) and the dashboards' tiny fixture run (real training) works there. Dependencies are borrowed from this venv
    (the slow test below resolves them from scratch)."""
    py = _venv_with_deps(tmp_path / "venv")
    r = subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "--no-index", "--no-input", "-q", str(wheel)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    names = sorted(n[:-3].replace("/", ".").removesuffix(".__init__") for n in zipfile.ZipFile(wheel).namelist()
                   if n.startswith("para_wb/") and n.endswith(".py"))
    code = textwrap.dedent(f"""
        import importlib, os, sys, para_wb
        assert os.path.realpath(para_wb.__file__).startswith(os.path.realpath(sys.prefix)), para_wb.__file__
        for n in {names!r}: importlib.import_module(n)
        from para_wb.dashboards.fixture import main
        from para_wb.runs import RunDir
        root = main([{str(tmp_path / 'fx')!r}])
        assert RunDir(root / "left_right" / "para-seed0").snapshot_steps()
        print("ok", len({names!r}), "modules")
    """)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    r = subprocess.run([str(py), "-c", code], capture_output=True, text=True, timeout=600, cwd=tmp_path, env=env)
    assert r.returncode == 0 and "ok" in r.stdout, r.stdout[-3000:] + r.stderr[-3000:]


@pytest.mark.slow
def test_pip_install_from_scratch(tmp_path):
    "The documented install step (scripts/pip_install.sh) into an empty venv: resolves every dependency, then imports."
    r = subprocess.run(["bash", str(ROOT / "scripts" / "pip_install.sh"), str(tmp_path / "venv")], capture_output=True,
                       text=True, timeout=3000, cwd=ROOT)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    r = subprocess.run([str(tmp_path / "venv" / "bin" / "python"), "-c",
                        "import para_wb.train, para_wb.dashboards.heatmaps, para_wb.sim.scene, libero; print('ok')"],
                       capture_output=True, text=True, timeout=600, cwd=tmp_path, env=env)
    assert r.returncode == 0 and "ok" in r.stdout, r.stdout + r.stderr


def _console_scripts() -> list:
    "The console_scripts entry points setup.py declares, as 'name=module:function'."
    tree = ast.parse((ROOT / "setup.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values):
                if isinstance(k, ast.Constant) and k.value == "console_scripts": return ast.literal_eval(v)
    return []


def test_console_scripts_resolve_and_run():
    "Every console script setup.py declares points at an importable function, and `para-wb --help` lists the subcommands."
    import importlib
    scripts = _console_scripts()
    assert scripts, "setup.py declares no console_scripts"
    for s in scripts:
        name, target = s.split("=")
        mod, fn = target.split(":")
        assert callable(getattr(importlib.import_module(mod), fn, None)), f"console script {name} -> {target} does not resolve"
    r = subprocess.run([sys.executable, "-m", "para_wb.cli", "--help"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 0 and all(c in r.stdout for c in ("experiments", "train", "demos", "dashboards")), r.stdout + r.stderr
    r = subprocess.run([sys.executable, "-m", "para_wb.cli", "experiments", "left_rigth"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "unknown experiment 'left_rigth'" in r.stderr, r.stderr


READERS = ["para_wb.rollouts", "para_wb.runs", "para_wb.records", "para_wb.plots", "para_wb.dashboards.core",
           "para_wb.dashboards.heatmaps", "para_wb.dashboards.viewpoints", "para_wb.dashboards.rollouts", "para_wb.dashboards.app"]
HEAVY = ["mujoco", "robosuite", "libero", "torch", "para_wb.sim", "para_wb.eval"]


def test_readers_import_no_simulator_and_no_torch():
    "The record types, run folders, records, plots and dashboards read rollouts without importing MuJoCo, torch or the evaluator."
    code = (f"import importlib, sys\nfor m in {READERS!r}: importlib.import_module(m)\n"
            f"print(sorted(m for m in sys.modules if any(m == h or m.startswith(h + '.') for h in {HEAVY!r})))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]", f"importing {READERS} pulled in {r.stdout.strip()}"
