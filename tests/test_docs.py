"""The README and the documentation site (scripts/docs.py).

- README.md is exactly what nbs/index.ipynb makes (`python scripts/docs.py readme`), keeps the results block that
  `para_wb.experiments.results_table` writes, starts with the two commands and stays short.
- Every notebook path the docs tell a user to run (`papermill nbs/<name>.ipynb ...`) exists, and every relative link
  of the README resolves; no file points outside the repository for the paper's facts.
- The site builds from the notebooks and two of its pages open in headless Chromium without console errors, each with
  a figure that loaded.
"""
import functools, http.server, importlib.util, re, shutil, socket, subprocess, sys, threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@functools.cache
def docs():
    spec = importlib.util.spec_from_file_location("para_wb_docs", ROOT / "scripts" / "docs.py")
    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
    return m


def test_readme_is_generated_from_index():
    D = docs()
    assert (ROOT / "README.md").read_text() == D.readme_text(), \
        "README.md differs from what nbs/index.ipynb makes: edit nbs/index.ipynb, then python scripts/docs.py readme"


def test_regenerating_keeps_the_results_block(tmp_path):
    "The results writer owns the block; regeneration keeps it byte for byte, and twice is the same as once."
    D = docs()
    readme = tmp_path / "README.md"
    readme.write_text((ROOT / "README.md").read_text())
    from para_wb.experiments.results_table import embed_in_readme
    block = "\n| experiment | PARA |\n|---|---|\n| planted row 17/40 | x |\n"
    embed_in_readme(readme, block)
    once = D.readme_text(readme=readme)
    assert D.START + block + D.END in once
    readme.write_text(once)
    assert D.readme_text(readme=readme) == once
    # and outside the block the README is index.ipynb's, whatever README.md held there
    readme.write_text(once.replace("## Layer map", "## Hand-edited heading"))
    assert "## Hand-edited heading" not in D.readme_text(readme=readme)


def test_readme_block_is_the_results_table():
    "The README's table rows are figures/results.md's (both written by results_table from the same rows)."
    block = docs().results_block(ROOT / "README.md")
    assert block is not None, "README.md lost its results markers"
    rows = lambda t: [l for l in t.splitlines() if l.startswith("|")]
    full = rows((ROOT / "figures" / "results.md").read_text())
    assert rows(block) and set(rows(block)) <= set(full), "a README row that figures/results.md does not have"
    left_out = [l for l in full if l not in rows(block)]
    assert all("**" not in l for l in left_out), f"rows with numbers missing from the README: {[l for l in left_out if '**' in l]}"
    assert all(l.split(" | ")[0].lstrip("| ") in block.split("\n\n")[0] for l in left_out), "a row left out is not named"


def test_readme_shape():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 120, f"README.md has {len(lines)} lines; details belong on the pages under nbs/docs/"
    assert lines[0] == "# para_wb"
    body = [l for l in lines[1:] if l.strip()]
    assert body[0] == "```bash"
    assert body[1].startswith("bash scripts/main.sh") and body[2].startswith("bash scripts/test.sh"), body[:3]
    text = "\n".join(lines)
    for must in ("bash scripts/dashboards.sh", "bash scripts/lab.sh", "scripts/pip_install.sh", "Ray", "scripts/docs.py serve",
                 ".png)"):
        assert must in text, must


DOC_FILES = ["README.md", "DEVELOPING.md", *[p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "nbs" / "docs").glob("*"))
                                             if p.suffix in (".md", ".ipynb")]]


def documented_notebooks(text: str) -> set:
    "Every `nbs/....ipynb` path a text names (papermill commands, links, prose)."
    return {p for p in re.findall(r"\bnbs/[\w./-]+?\.ipynb\b", text) if "NN_" not in p}   # NN_name: a placeholder


def test_documented_notebook_paths_exist():
    named = {}
    for f in DOC_FILES + [p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "scripts").glob("*.sh"))]:
        for nb in documented_notebooks((ROOT / f).read_text()):
            named.setdefault(nb, []).append(f)
    missing = {nb: fs for nb, fs in named.items() if not (ROOT / nb).is_file()}
    assert not missing, f"documented notebooks that do not exist: {missing}"
    # the card's commands, literally
    readme = (ROOT / "README.md").read_text()
    for name in ("left_right", "viewpoint", "near_far", "corner", "distractors", "video"):
        assert f"papermill nbs/{name}.ipynb out.ipynb -p preset cpu" in readme, name
        assert (ROOT / "nbs" / f"{name}.ipynb").is_file(), name


def test_the_path_check_catches_a_missing_notebook():
    assert documented_notebooks("run `papermill nbs/viewpoint.ipynb out.ipynb` or nbs/experiments/x.ipynb") == \
        {"nbs/viewpoint.ipynb", "nbs/experiments/x.ipynb"}


def test_readme_links_resolve():
    D = docs()
    text = (ROOT / "README.md").read_text()
    bad = []
    D.rewrite_links(text, ROOT, lambda p, t: bad.append(t) or t if not p.exists() else t)
    assert not bad, f"README links to files that do not exist: {bad}"


def test_no_pointer_outside_the_repository():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    hits = [f for f in files if f.endswith((".md", ".ipynb", ".py", ".sh", ".ini", ".yml", ".yaml"))
            and f != "tests/test_docs.py" and "../shared/" in (ROOT / f).read_text(errors="replace")]
    assert not hits, f"these files point at ../shared/ (outside the repository; the paper's facts are nbs/docs/paper.md): {hits}"


def test_sidebar_names_every_notebook():
    "Every notebook under nbs/ is a page of the site (nbs/sidebar.yml), and every page exists."
    D = docs()
    pages = {p for _, ps in D.sidebar() for p in ps}
    nbs = {p for p in (ROOT / "nbs").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts}
    assert not (nbs - pages), f"notebooks missing from nbs/sidebar.yml: {sorted(str(p.relative_to(ROOT)) for p in nbs - pages)}"
    assert all(p.exists() for p in pages), [str(p) for p in pages if not p.exists()]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    "A site with the front page, the model notebook (show_doc + its kept heatmap), results and the gallery."
    out = tmp_path_factory.mktemp("site")
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "docs.py"), "build", "--out", str(out), "nbs/index.ipynb",
                        "nbs/policies/12_para.ipynb", "nbs/docs/results.md", "nbs/docs/gallery.ipynb"],
                       cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    handler.log_message = lambda *a, **k: None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield out, f"http://127.0.0.1:{port}"
    srv.shutdown(); srv.server_close()


def test_site_pages(site):
    out, url = site
    assert (out / "policies" / "para.html").is_file() and (out / "docs" / "results.html").is_file()
    para = (out / "policies" / "para.html").read_text()
    assert "<h3>PARAModel</h3>" in para, "show_doc(PARAModel) was not rendered"
    assert "data:image/png;base64," in para, "the model page lost its kept heatmap output"
    results = (out / "docs" / "results.html").read_text()
    assert "{{&lt; include" not in results and "{{< include" not in results, "an include was not expanded"
    assert "PARA − ACT" in results


def test_site_in_chromium(site):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in requirements.txt: run scripts/setup.sh")
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: scripts/setup.sh installs it (apt-get install chromium)"
    out, url = site
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run",
                              "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        try:
            for page_path in ("index.html", "policies/para.html"):
                page = b.new_page(); errors = []
                page.on("console", lambda m: m.type == "error" and errors.append(m.text))
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.on("requestfailed", lambda r: errors.append(f"failed: {r.url}"))
                resp = page.goto(f"{url}/{page_path}", wait_until="load")
                assert resp.ok, (page_path, resp.status)
                loaded = page.evaluate("Array.from(document.images).filter(i => i.complete && i.naturalWidth > 100).length")
                assert loaded >= 1, f"{page_path}: no figure loaded"
                assert page.locator("nav a").count() > 10, f"{page_path}: no sidebar"
                assert not errors, f"{page_path}: console errors {errors}"
                page.close()
        finally:
            b.close()
