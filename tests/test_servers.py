"""The project's servers (`scripts/dashboards.sh`, `scripts/lab.sh`) listen on 127.0.0.1 unless the user asks otherwise
(`PARA_WB_ADDRESS`); Lab runs as root or not, opens notebooks on the `para_wb` kernel without asking, does not autosave,
keeps its checkpoints out of the repository, and leaves `git status` as it found it."""
import json, os, re, socket, subprocess, sys, time, urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _fake_venv(tmp_path: Path, *names) -> Path:
    "A venv whose bin/<name> scripts print their arguments (one per line) instead of serving."
    venv = tmp_path / "fakevenv"; (venv / "bin").mkdir(parents=True)
    for n in names:
        f = venv / "bin" / n
        f.write_text('#!/usr/bin/env bash\nfor a in "$@"; do echo "ARG $a"; done\n'); f.chmod(0o755)
    return venv


def _args(script, venv, *argv, **env):
    e = dict(os.environ, PARA_WB_VENV=str(venv), PARA_WB_SKIP_SETUP="1", **env)
    r = subprocess.run(["bash", str(ROOT / "scripts" / script), *argv], capture_output=True, text=True, env=e, timeout=60)
    assert r.returncode == 0, r.stderr
    return [l[4:] for l in r.stdout.splitlines() if l.startswith("ARG ")]


def test_dashboards_listen_on_localhost_unless_asked(tmp_path):
    venv = _fake_venv(tmp_path, "panel", "python")
    a = _args("dashboards.sh", venv, "data/runs")
    assert a[a.index("--address") + 1] == "127.0.0.1", a
    a = _args("dashboards.sh", venv, "data/runs", PARA_WB_ADDRESS="0.0.0.0")
    assert a[a.index("--address") + 1] == "0.0.0.0", a


def test_lab_command_line(tmp_path):
    venv = _fake_venv(tmp_path, "jupyter")
    a = _args("lab.sh", venv, "--no-browser", PARA_WB_LAB_CHECKPOINTS=str(tmp_path / "cp"))
    assert "--ServerApp.ip=127.0.0.1" in a and "--MappingKernelManager.default_kernel_name=para_wb" in a, a
    assert ("--allow-root" in a) == (os.getuid() == 0), a
    assert "--ServerApp.ip=0.0.0.0" in _args("lab.sh", venv, PARA_WB_ADDRESS="0.0.0.0", PARA_WB_LAB_CHECKPOINTS=str(tmp_path / "cp"))


def _free_port() -> int:
    with socket.socket() as s: s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


def _get(url):
    with urllib.request.urlopen(url, timeout=10) as r: return json.loads(r.read() or b"null")


def _send(url, method, body=None):
    req = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(), method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r: return json.loads(r.read() or b"null")


def _git_status():
    return subprocess.run(["git", "status", "--porcelain", "--ignored", "nbs"], capture_output=True, text=True, cwd=ROOT).stdout


@pytest.mark.slow
def test_lab_serves_the_project_kernel_and_leaves_the_repository_clean(tmp_path):
    "The real `scripts/lab.sh` (this venv's Jupyter): a notebook session, a checkpoint, a kernel; then git status as before."
    venv = Path(sys.executable).parent.parent
    if not (venv / "share" / "jupyter" / "kernels" / "para_wb" / "kernel.json").exists():
        pytest.skip("the para_wb kernel is not registered in this venv (scripts/setup.sh registers it)")
    before, port, tok, cp = _git_status(), _free_port(), "t0ken", tmp_path / "checkpoints"
    env = dict(os.environ, PARA_WB_VENV=str(venv), PARA_WB_SKIP_SETUP="1", PARA_WB_LAB_CHECKPOINTS=str(cp),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "user-settings"), JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "ws"))
    log = open(tmp_path / "lab.log", "w")
    p = subprocess.Popen(["bash", str(ROOT / "scripts" / "lab.sh"), "--no-browser", f"--port={port}", f"--ServerApp.token={tok}",
                          "--ServerApp.port_retries=0"], stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try: specs = _get(f"{base}/api/kernelspecs?token={tok}"); break
            except OSError: assert p.poll() is None, (tmp_path / "lab.log").read_text()[-3000:]; time.sleep(0.5)
        else: raise AssertionError("Lab did not answer within 120 s:\n" + (tmp_path / "lab.log").read_text()[-3000:])
        assert specs["default"] == "para_wb" and "para_wb" in specs["kernelspecs"], specs["default"]
        s = _get(f"{base}/lab/api/settings/@jupyterlab/docmanager-extension:plugin?token={tok}")
        assert s["schema"]["properties"]["autosave"]["default"] is False, "autosave is on"
        s = _get(f"{base}/lab/api/settings/@jupyterlab/notebook-extension:tracker?token={tok}")
        assert s["schema"]["properties"]["autoStartDefaultKernel"]["default"] is True
        nb = "left_right.ipynb"
        sess = _send(f"{base}/api/sessions?token={tok}", "POST", dict(path=nb, type="notebook", name="left_right.ipynb", kernel={}))
        assert sess["kernel"]["name"] == "para_wb", sess["kernel"]
        _send(f"{base}/api/contents/{nb}/checkpoints?token={tok}", "POST")           # what Lab does on save
        assert list(cp.rglob("left_right-checkpoint.ipynb")), "the checkpoint is not under PARA_WB_LAB_CHECKPOINTS"
        _send(f"{base}/api/sessions/{sess['id']}?token={tok}", "DELETE")
        assert re.search(r"http://127\.0\.0\.1:%d/" % port, (tmp_path / "lab.log").read_text())
    finally:
        os.killpg(p.pid, 15); p.wait(timeout=60); log.close()
    assert _git_status() == before, "Lab left files in the repository:\n" + _git_status()
