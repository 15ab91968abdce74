"""The dashboards in a real browser: `panel serve para_wb/dashboards/app.py`, driven by headless Chromium (Debian's
`chromium`, through Playwright), on two runs roots:

- the fixture (`para_wb.dashboards.fixture.make_fixture`, seconds): many rollouts, 64 viewpoints, drawn outcomes;
- a real run (`make_real_run`: the main job's Left → Right experiment, `left_right_main/`, made small by the real
  harness, trainer and evaluator, a few minutes) beside a copy of it with broken files (a cut-off `eval.json`, a
  truncated heatmap snapshot): every page opens on the real run, and a broken file is named while the rest works.

Each page must load without console errors; moving the heatmap step slider must change the heatmap image; clicking a
viewpoint must show that camera's frames; the rollout grid must page through every rollout, and a click on a tile must
play it there. Everything the tests write goes to pytest's temporary folders. The committed screenshots and open times
in figures/dashboards/ are regenerated only on request:

    PARA_WB_DASH_FIGURES=figures/dashboards nice -n 5 pytest -q tests/test_dashboards.py

`PARA_WB_DASH_REAL_RUN=PATH` reuses a runs root made by `make_real_run(PATH)` (copied first, never written to).
"""
import json, os, shutil, socket, subprocess, sys, time, urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OPEN_LIMIT_S = float(os.environ.get("PARA_WB_DASH_OPEN_LIMIT", "60"))   # generous: CI shares 2 cores with other work
WAIT_S = float(os.environ.get("PARA_WB_DASH_WAIT", "300"))             # longest wait for any one browser step
OPEN_TIMES = {}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


@pytest.fixture(scope="module")
def fig_dir(tmp_path_factory) -> Path:
    "Where screenshots and open times go: PARA_WB_DASH_FIGURES if set (the docs' copies), else a temporary folder."
    d = os.environ.get("PARA_WB_DASH_FIGURES")
    return Path(d) if d else tmp_path_factory.mktemp("dash_figures")


@pytest.fixture(scope="module")
def fixture_root(tmp_path_factory):
    from para_wb.dashboards.fixture import make_fixture
    return make_fixture(tmp_path_factory.mktemp("dash") / "runs")


@pytest.fixture(scope="module")
def real_root(tmp_path_factory):
    "`left_right_main/` (a real tiny run) and `left_right_main_broken/` (its copy with two broken files)."
    from para_wb.dashboards.fixture import make_real_run
    root = tmp_path_factory.mktemp("real") / "runs"
    src = os.environ.get("PARA_WB_DASH_REAL_RUN")
    if src: shutil.copytree(Path(src) / "left_right_main", root / "left_right_main")
    else: make_real_run(root)
    broken = root / "left_right_main_broken"
    shutil.copytree(root / "left_right_main", broken)
    ev = broken / "act-seed0" / "eval" / "test" / "eval.json"
    ev.write_text(ev.read_text()[:400])                                   # cut off half-way
    snaps = sorted((broken / "para-seed0" / "snapshots").glob("step_*.npz"))
    snaps[-1].write_bytes(snaps[-1].read_bytes()[:300])                    # the newest snapshot truncated
    return root


def _serve(runs: Path, log_path: Path):
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    log = open(log_path, "w+")
    cmd = [sys.executable, "-m", "panel", "serve", str(ROOT / "para_wb" / "dashboards" / "app.py"), "--port", str(port),
           "--address", "127.0.0.1", f"--allow-websocket-origin=127.0.0.1:{port}", "--args", "--runs", str(runs)]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}/app"
    t0 = time.time()
    while True:
        try:
            urllib.request.urlopen(url + "?view=none", timeout=60).read(); break
        except Exception:
            if proc.poll() is not None or time.time() - t0 > 180:
                log.seek(0); proc.kill()
                pytest.fail(f"panel serve did not come up in {time.time() - t0:.0f} s:\n{log.read()[-3000:]}")
            time.sleep(0.5)
    return proc, log, url


def _stop(proc, log):
    proc.terminate()
    try: proc.wait(10)
    except subprocess.TimeoutExpired: proc.kill(); proc.wait(10)
    log.seek(0); print(log.read()[-2000:]); log.close()


@pytest.fixture(scope="module")
def server(fixture_root, tmp_path_factory):
    proc, log, url = _serve(fixture_root, tmp_path_factory.mktemp("serve") / "panel.log")
    yield url
    _stop(proc, log)


@pytest.fixture(scope="module")
def real_server(real_root, tmp_path_factory):
    proc, log, url = _serve(real_root, tmp_path_factory.mktemp("serve_real") / "panel.log")
    yield url
    _stop(proc, log)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in requirements.txt: run scripts/setup.sh")
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: scripts/setup.sh installs it (apt-get install chromium)"
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run",
                              "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


class Page:
    "A page of one dashboard, with its console errors collected."
    def __init__(self, browser, url: str, view: str, fig_dir: Path, shot: str | None = None):
        self.view, self.shot, self.fig_dir, self.errors = view, shot or view, fig_dir, []
        self.page = browser.new_page(viewport={"width": 1400, "height": 1100})
        self.page.set_default_timeout(WAIT_S * 1000)
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url} ({r.failure})"))
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e} (stack: {getattr(e, 'stack', '') or '-'})"))
        self.page.goto(f"{url}?view={view}", wait_until="load")

    def screenshot(self):
        from para_wb.files import atomic_path
        time.sleep(2.0)                                   # let Plotly finish drawing
        with atomic_path(self.fig_dir / f"{self.shot}.png") as tmp: self.page.screenshot(path=str(tmp), full_page=True)

    def no_errors(self):
        assert not self.errors, f"{self.view}: console errors {self.errors}"

    def close(self): self.page.close()


def _wait(cond, what: str):
    t = time.time()
    while time.time() - t < WAIT_S:
        if cond(): return
        time.sleep(0.5)
    raise AssertionError(f"waited {WAIT_S:.0f} s for {what}")


def _open(browser, url, view, ready: str, fig_dir, shot=None) -> Page:
    t = time.time()
    pg = Page(browser, url, view, fig_dir, shot)
    pg.page.wait_for_selector(ready)
    OPEN_TIMES[shot or view] = round(time.time() - t, 2)
    assert OPEN_TIMES[shot or view] < OPEN_LIMIT_S, f"{view} took {OPEN_TIMES[shot or view]} s to open"
    return pg


def _save_times(fig_dir):
    from para_wb.files import save_json
    f = fig_dir / "open_times.json"
    old = json.loads(f.read_text()) if f.exists() else {}
    save_json(f, {**old, **OPEN_TIMES, "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())})


def _alerts(p, kind: str) -> list:
    "The texts of the visible alert boxes of `kind` (info, warning, danger); a Markdown pane keeps its text in a shadow root."
    return [a.evaluate("e => (e.shadowRoot ? e.shadowRoot.textContent : '') + e.textContent")
            for a in p.locator(f".alert-{kind}").all() if a.is_visible()]


def _tiles_have_pictures(p):
    n = p.locator(".tile").count()
    assert n and p.locator(".tile .pics img").count() == n, (n, p.locator(".tile .pics img").count())  # a picture each
    return n


# --- the fixture ---------------------------------------------------------------------------------------------------

def test_heatmaps_step_slider_changes_heatmap(server, browser, fig_dir):
    pg = _open(browser, server, "heatmaps", ".js-plotly-plot image", fig_dir)
    p = pg.page
    img = lambda: p.locator(".js-plotly-plot image").first.get_attribute("href")
    title = lambda: p.locator(".js-plotly-plot .gtitle").first.text_content()
    before, t_before = img(), title()
    assert "step 20" in t_before, t_before
    assert any("FIXTURE" in a for a in _alerts(p, "info")), "no fixture banner"
    assert p.locator(".js-plotly-plot .colorbar").count() >= 1, "the heatmap has no colour bar"
    assert p.locator("text=p (cell)").count() >= 1 and p.locator("text=loss (log scale)").count() >= 1
    assert p.locator("text=p(height) at the pixel").count() == 1           # the toggle's label
    handle = p.locator(".noUi-handle").first                      # the training-step slider
    handle.focus(); p.keyboard.press("Home")                      # → step 0
    _wait(lambda: "step 0 " in (title() or ""), "the heatmap of step 0")
    assert img() != before, "moving the step slider did not change the heatmap image"
    assert p.locator("text=p(height bin)").count() >= 1 and p.locator("text=training loss").count() >= 1
    pg.screenshot(); pg.no_errors(); _save_times(fig_dir); pg.close()


def test_heatmaps_incomplete_run_message(server, browser, fig_dir):
    pg = _open(browser, server, "heatmaps", ".js-plotly-plot image", fig_dir, "heatmaps_incomplete")
    p = pg.page
    p.locator("select").nth(1).select_option("para-seed1")        # the interrupted run
    p.wait_for_selector("text=no heatmap snapshots yet")
    assert p.locator("text=Traceback").count() == 0
    pg.no_errors(); pg.close()


def test_viewpoints_click_updates_frame(server, browser, fig_dir):
    pg = _open(browser, server, "viewpoints", ".js-plotly-plot .scatterlayer .point", fig_dir)
    p = pg.page
    assert p.locator("text=Click a viewpoint").count() == 1
    assert any("FIXTURE" in a for a in _alerts(p, "info")), "no fixture banner"
    assert p.locator(".js-plotly-plot .legend .traces").count() >= 6    # PLACE / GRASP / MISS in each polar plot
    assert p.locator(".js-plotly-plot .legendtext", has_text="PLACE").count() == 2
    pts = p.locator(".js-plotly-plot .scatterlayer .point")
    assert pts.count() >= 128                                     # 64 viewpoints × PARA and ACT
    bb = pts.nth(63).bounding_box()
    p.mouse.click(bb["x"] + bb["width"] / 2, bb["y"] + bb["height"] / 2)
    p.wait_for_selector("text=Viewpoint θ")
    p.wait_for_selector("text=camera frame (start) + trajectory")
    assert p.locator("span.outcome").count() == 2                 # PARA's and ACT's rollout there
    first = p.locator("text=Viewpoint θ").first.text_content()
    bb = pts.nth(0).bounding_box()                                # another viewpoint → another frame
    p.mouse.click(bb["x"] + bb["width"] / 2, bb["y"] + bb["height"] / 2)
    _wait(lambda: p.locator("text=Viewpoint θ").first.text_content() != first, "another viewpoint's frames")
    pg.screenshot(); pg.no_errors(); _save_times(fig_dir); pg.close()


def test_rollouts_pages_filter_and_click_plays_in_place(server, browser, fig_dir):
    pg = _open(browser, server, "rollouts", ".tile", fig_dir)
    p = pg.page
    n0 = _tiles_have_pictures(p)
    assert n0 == 48, n0
    assert p.locator(".tile .play", has_text="▶").first.is_visible()
    assert p.locator("text=164 rollouts").count() == 1 and p.locator("text=Page 1 of 4").count() == 1
    seen = set()
    for page in range(1, 5):                                      # every rollout, page by page
        _wait(lambda: p.locator(f"text=Page {page} of 4").count() == 1, f"page {page}")
        seen |= {p.locator(".tile").nth(i).text_content() for i in range(p.locator(".tile").count())}
        if page < 4: p.locator("button", has_text="next page").click()
    assert len(seen) == 164, len(seen)
    assert p.locator("button", has_text="next page").is_disabled()
    choice = p.locator(".choices").nth(3)                         # the outcome filter
    choice.click(); p.wait_for_selector(".choices.is-open")
    p.locator(".choices.is-open .choices__item--choice", has_text="MISS").first.click(); p.keyboard.press("Escape")
    outcomes = lambda: {p.locator(".tile").nth(i).get_attribute("data-outcome") for i in range(p.locator(".tile").count())}
    _wait(lambda: outcomes() == {"MISS"}, "the grid filtered to MISS")
    tile = p.locator(".slot").nth(5)
    tile.click()                                                  # a click on the tile plays it where it is
    p.wait_for_selector(".slot .tile.playing img.animation")
    assert p.locator(".slot").nth(5).locator("img.animation").count() == 1   # in that very slot
    bb, vh = p.locator("img.animation").bounding_box(), p.viewport_size["height"]
    assert bb["y"] >= 0 and bb["y"] + bb["height"] <= vh, bb      # on screen
    pg.screenshot(); pg.no_errors(); _save_times(fig_dir)
    p.locator(".slot").nth(5).click()                             # a second click closes it
    _wait(lambda: p.locator("img.animation").count() == 0, "the player to close")
    pg.close()


# --- a real run (the main job's folder, small) and its broken copy ----------------------------------------------------

def test_real_run_heatmaps(real_server, browser, fig_dir):
    pg = _open(browser, real_server, "heatmaps", ".js-plotly-plot image", fig_dir, "real_heatmaps")
    p = pg.page
    assert p.locator("select").nth(0).input_value() == "left_right_main"
    assert "para-seed0 · step 4" in p.locator(".js-plotly-plot .gtitle").first.text_content()
    assert not _alerts(p, "danger") and not any("FIXTURE" in a for a in _alerts(p, "info"))
    pg.screenshot(); pg.no_errors(); _save_times(fig_dir)
    p.locator("select").nth(0).select_option("left_right_main_broken")   # its newest snapshot is truncated:
    _wait(lambda: any("step_000004.npz" in a and "could not be read" in a for a in _alerts(p, "danger")), "the broken snapshot named")
    p.wait_for_selector("text=training loss")                              # … the loss curve is still drawn
    pg.no_errors(); pg.close()


def test_real_run_viewpoints(real_server, browser, fig_dir):
    pg = _open(browser, real_server, "viewpoints", ".js-plotly-plot .scatterlayer .point", fig_dir, "real_viewpoints")
    p = pg.page
    p.wait_for_selector("text=seen from the default camera")     # Left → Right has no moved camera: said so
    assert p.locator(".js-plotly-plot .colorbar").count() == 2   # several rollouts at one point: PLACE-rate colour bars
    pts = p.locator(".js-plotly-plot .scatterlayer .point")
    bb = pts.nth(0).bounding_box()
    p.mouse.click(bb["x"] + bb["width"] / 2, bb["y"] + bb["height"] / 2)
    p.wait_for_selector("text=camera frame (start) + trajectory")
    pg.no_errors()
    p.locator("select").nth(0).select_option("left_right_main_broken")    # ACT's test eval.json is cut off:
    _wait(lambda: any("act-seed0/eval/test/eval.json" in a for a in _alerts(p, "danger")), "the broken eval.json named")
    _wait(lambda: p.locator(".js-plotly-plot .scatterlayer .point").count() >= 1, "PARA's polar plot")
    pg.no_errors(); pg.close()


def test_real_run_rollouts(real_server, real_root, browser, fig_dir):
    pg = _open(browser, real_server, "rollouts", ".tile", fig_dir, "real_rollouts")
    p = pg.page
    danger = _alerts(p, "danger")                                 # the broken copy's eval.json, named …
    assert len(danger) == 1 and "left_right_main_broken/act-seed0/eval/test/eval.json" in danger[0], danger
    n = _tiles_have_pictures(p)                                   # … and every other rollout shown, each with a picture
    readable = sum(len(json.loads(f.read_text())["rollouts"]) for f in real_root.rglob("eval.json")
                   if "act-seed0/eval/test" not in f.as_posix() or "_broken" not in f.as_posix())
    assert n == readable == _count(p), (n, readable, _count(p))
    assert p.locator(".tile .path").count() == n                  # the end-effector path on every tile
    recorded = p.locator(".slot", has_text="para s0 · test #0").first     # record = 1: episode 0 kept its full frames
    recorded.click(); p.wait_for_selector(".tile.playing img.animation")
    other = p.locator(".slot", has_text="para s0 · test #1").first        # episode 1 has its thumbnail only
    other.click(); p.wait_for_selector(".tile.playing img.still")
    assert p.locator(".tile.playing").count() == 1                # one player at a time
    pg.screenshot(); pg.no_errors(); _save_times(fig_dir); pg.close()


def _count(p) -> int:
    "Rollouts the page says match (its own count line)."
    import re
    m = re.search(r"(\d+) rollouts", p.locator("text=rollouts match").first.text_content())
    return int(m.group(1))
