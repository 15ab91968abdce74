"""The dashboards in a real browser: `panel serve para_wb/dashboards/app.py` on the fixture runs root (made by
`para_wb.dashboards.fixture` in seconds), driven by headless Chromium (Debian's `chromium`, through Playwright).

Each page must load without console errors; moving the heatmap step slider must change the heatmap image; clicking a
viewpoint must show that camera's frames; a filter must change the rollout grid and a click must play a rollout. Every
page's screenshot goes to figures/dashboards/<view>.png and its open time to figures/dashboards/open_times.json.
"""
import json, os, shutil, socket, subprocess, sys, time, urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIG = ROOT / "figures" / "dashboards"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OPEN_LIMIT_S = float(os.environ.get("PARA_WB_DASH_OPEN_LIMIT", "60"))   # generous: CI shares 2 cores with other work
WAIT_S = float(os.environ.get("PARA_WB_DASH_WAIT", "300"))             # longest wait for any one browser step
OPEN_TIMES = {}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


@pytest.fixture(scope="module")
def fixture_root(tmp_path_factory):
    from para_wb.dashboards.fixture import make_fixture
    return make_fixture(tmp_path_factory.mktemp("dash") / "runs")


@pytest.fixture(scope="module")
def server(fixture_root, tmp_path_factory):
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    log = open(tmp_path_factory.mktemp("serve") / "panel.log", "w+")
    cmd = [sys.executable, "-m", "panel", "serve", str(ROOT / "para_wb" / "dashboards" / "app.py"), "--port", str(port),
           "--address", "127.0.0.1", f"--allow-websocket-origin=127.0.0.1:{port}", "--args", "--runs", str(fixture_root)]
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
    yield url
    proc.terminate()
    try: proc.wait(10)
    except subprocess.TimeoutExpired: proc.kill()
    log.seek(0); print(log.read()[-2000:])


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
    def __init__(self, browser, url: str, view: str):
        self.view, self.errors = view, []
        self.page = browser.new_page(viewport={"width": 1400, "height": 1100})
        self.page.set_default_timeout(WAIT_S * 1000)
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url} ({r.failure})"))
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.goto(f"{url}?view={view}", wait_until="load")

    def screenshot(self):
        from para_wb.files import atomic_path
        time.sleep(2.0)                                   # let Plotly finish drawing
        with atomic_path(FIG / f"{self.view}.png") as tmp: self.page.screenshot(path=str(tmp), full_page=True)

    def no_errors(self):
        assert not self.errors, f"{self.view}: console errors {self.errors}"


def _wait(cond, what: str):
    t = time.time()
    while time.time() - t < WAIT_S:
        if cond(): return
        time.sleep(0.5)
    raise AssertionError(f"waited {WAIT_S:.0f} s for {what}")


def _open(browser, url, view, ready: str) -> Page:
    t = time.time()
    pg = Page(browser, url, view)
    pg.page.wait_for_selector(ready)
    OPEN_TIMES[view] = round(time.time() - t, 2)
    assert OPEN_TIMES[view] < OPEN_LIMIT_S, f"{view} took {OPEN_TIMES[view]} s to open"
    return pg


def _save_times():
    from para_wb.files import save_json
    old = json.loads((FIG / "open_times.json").read_text()) if (FIG / "open_times.json").exists() else {}
    save_json(FIG / "open_times.json", {**old, **OPEN_TIMES, "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())})


def test_heatmaps_step_slider_changes_heatmap(server, browser):
    pg = _open(browser, server, "heatmaps", ".js-plotly-plot image")
    p = pg.page
    img = lambda: p.locator(".js-plotly-plot image").first.get_attribute("href")
    title = lambda: p.locator(".js-plotly-plot .gtitle").first.text_content()
    before, t_before = img(), title()
    assert "step 20" in t_before, t_before
    handle = p.locator(".noUi-handle").first                      # the training-step slider
    handle.focus(); p.keyboard.press("Home")                      # → step 0
    _wait(lambda: "step 0 " in (title() or ""), "the heatmap of step 0")
    assert img() != before, "moving the step slider did not change the heatmap image"
    assert p.locator("text=p(height bin)").count() >= 1 and p.locator("text=training loss").count() >= 1
    pg.screenshot(); pg.no_errors(); _save_times()


def test_heatmaps_incomplete_run_message(server, browser):
    pg = _open(browser, server, "heatmaps", ".js-plotly-plot image")
    p = pg.page
    p.locator("select").nth(1).select_option("para-seed1")        # the interrupted run
    p.wait_for_selector("text=no heatmap snapshots yet")
    assert p.locator("text=Traceback").count() == 0
    pg.no_errors()


def test_viewpoints_click_updates_frame(server, browser):
    pg = _open(browser, server, "viewpoints", ".js-plotly-plot .scatterlayer .point")
    p = pg.page
    assert p.locator("text=Click a viewpoint").count() == 1
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
    pg.screenshot(); pg.no_errors(); _save_times()


def test_rollouts_filter_changes_grid_and_click_plays(server, browser):
    pg = _open(browser, server, "rollouts", ".tile")
    p = pg.page
    n0 = p.locator(".tile").count()
    outcomes0 = {p.locator(".tile").nth(i).get_attribute("data-outcome") for i in range(n0)}
    assert n0 == 48 and len(outcomes0) > 1, (n0, outcomes0)
    choice = p.locator(".choices").nth(3)                         # the outcome filter
    choice.click(); p.keyboard.type("MISS"); p.keyboard.press("Enter"); p.keyboard.press("Escape")
    outcomes = lambda: {p.locator(".tile").nth(i).get_attribute("data-outcome") for i in range(p.locator(".tile").count())}
    _wait(lambda: outcomes() == {"MISS"}, "the grid filtered to MISS")
    p.locator("button", has_text="play").first.click()
    p.wait_for_selector("img[src*='image/gif']")
    pg.screenshot(); pg.no_errors(); _save_times()
