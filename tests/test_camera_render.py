"Rendered check of para_wb.camera's projection (same as the render cells of nbs/02_camera.ipynb)."
import os
os.environ.setdefault("MUJOCO_GL", "egl")      # before anything imports mujoco
import numpy as np
import pytest
from para_wb.camera import (libero_agentview, look_at_point, orbit_camera, render_centroids, render_check,
                            world_to_pixel, pixel_and_height_to_world)

PTS = [(0.0, 0.0, 1.0), (-0.25, 0.2, 0.95), (0.1, -0.15, 1.1), (-0.1, -0.15, 1.2), (0.1, 0.2, 0.95)]

def test_round_trip_workspace():
    g = np.stack(np.meshgrid(np.linspace(-0.3, 0.3, 7), np.linspace(-0.35, 0.35, 7), np.linspace(0.9, 1.25, 4)), -1).reshape(-1, 3)
    for s in (128, 448):
        cam = libero_agentview(s, s)
        assert np.abs(pixel_and_height_to_world(cam, world_to_pixel(cam, g), g[:, 2]) - g).max() < 1e-3

@pytest.mark.parametrize("size", [(160, 120), (128, 128)])
def test_render_matches_projection(size):
    default = libero_agentview(*size)
    center = look_at_point(default, 0.90)
    cams = [default] + [orbit_camera(default, center, th, ph) for th, ph in ((25, 0), (25, 90), (12.5, 225), (18.75, 315))]
    errs = render_check(cams, PTS)
    assert errs.max() < 0.5, errs

def test_unflipped_v_would_fail():
    cam = libero_agentview(160, 120)
    got, want = render_centroids([cam], PTS)
    wrong = np.stack([want[:, 0], cam.height - want[:, 1]], 1)
    assert np.linalg.norm(got - wrong, axis=1).min() > 3
