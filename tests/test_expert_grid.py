"""The scripted expert over the paper's full 16 x 16 bowl-position grid (39 cm x 60 cm): >= 95% PLACE.

Takes about a minute (no rendering). Marked slow; scripts/test.sh runs slow tests by default.
"""
import pytest

from para_wb.config import load_config
from para_wb.sim.expert import expert_grid_success
from para_wb.sim.scene import BowlPlateScene


@pytest.mark.slow
def test_expert_places_on_95_percent_of_16x16_grid():
    cfg = load_config("paper", ["scene.image_size=64"])  # image size is irrelevant here: nothing is rendered
    scene = BowlPlateScene(cfg)
    r = expert_grid_success(scene, 16, progress=False)
    counts = {o: r["outcomes"].count(o) for o in ("PLACE", "GRASP", "MISS")}
    assert r["n"] == 256
    assert r["place_rate"] >= 0.95, f"expert PLACE rate {r['place_rate']:.3f} on 16x16 grid: {counts}"
