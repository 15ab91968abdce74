"Projection math of para_wb.camera against values worked out by hand (no rendering; fast). Rendered checks: test_camera_render.py."
import math

import numpy as np
import pytest

from para_wb.camera import (Camera, intrinsics, libero_agentview, pixel_and_height_to_world, pixel_to_ray,
                            project_points_in_image, world_to_pixel)


def down_camera(W=100, H=100, fovy=90.0, z=2.0):
    "At (0, 0, z) looking straight down: camera x = world x, camera y (up in the image) = world y."
    return Camera(W, H, fovy, (0.0, 0.0, z), np.eye(3))


def test_intrinsics_by_hand():
    np.testing.assert_allclose(intrinsics(90.0, 100, 100), [[50, 0, 50], [0, 50, 50], [0, 0, 1]], atol=1e-12)
    f = 60 / math.tan(math.radians(30))
    np.testing.assert_allclose(intrinsics(60.0, 160, 120), [[f, 0, 80], [0, f, 60], [0, 0, 1]], atol=1e-9)


def test_world_to_pixel_by_hand():
    cam = down_camera()
    # 1 m below the camera: 0.1 m in +x is 5 px right of centre, 0.05 m in +y is 2.5 px *up* (v decreases)
    np.testing.assert_allclose(world_to_pixel(cam, (0.1, 0.05, 1.0)), (55.0, 47.5), atol=1e-12)
    np.testing.assert_allclose(world_to_pixel(cam, [(0.0, 0.0, 0.0), (-0.2, -0.4, 1.5)]), [(50, 50), (30, 90)], atol=1e-12)
    uv, depth = world_to_pixel(cam, (0.1, 0.05, 0.5), return_depth=True)
    assert depth == pytest.approx(1.5) and np.allclose(uv, (50 + 50 * 0.1 / 1.5, 50 - 50 * 0.05 / 1.5))
    wide = Camera(160, 120, 60.0, (0.0, 0.0, 2.0), np.eye(3))
    f = 60 / math.tan(math.radians(30))
    np.testing.assert_allclose(world_to_pixel(wide, (0.3, -0.1, 1.0)), (80 + f * 0.3, 60 + f * 0.1), atol=1e-9)
    assert np.isnan(world_to_pixel(cam, (0.0, 0.0, 3.0))).all()             # behind the camera


def test_pixel_to_world_by_hand():
    cam = down_camera()
    np.testing.assert_allclose(pixel_and_height_to_world(cam, (55.0, 47.5), 1.0), (0.1, 0.05, 1.0), atol=1e-12)
    np.testing.assert_allclose(pixel_and_height_to_world(cam, [(30, 90), (50, 50)], [1.5, 0.2]), [(-0.2, -0.4, 1.5), (0, 0, 0.2)], atol=1e-12)
    o, d = pixel_to_ray(cam, (55.0, 47.5))
    np.testing.assert_allclose(o, (0, 0, 2)); np.testing.assert_allclose(d, np.array([0.1, 0.05, -1.0]) / math.sqrt(1.0125))
    with pytest.raises(ValueError, match="behind the camera"): pixel_and_height_to_world(cam, (50, 50), 2.5)
    far = pixel_and_height_to_world(cam, (50, 50), 2.5, on_miss="far")
    np.testing.assert_allclose(far, (0, 0, 0.0))                           # 2 m along the ray, straight down


def test_projection_matrix_agrees_with_world_to_pixel():
    "An independent path (K @ inverse OpenCV pose) gives the same pixels for the LIBERO camera."
    cam = libero_agentview(160, 120)
    X = np.array([(0.0, 0.0, 1.0), (-0.25, 0.2, 0.95), (0.1, -0.15, 1.1)])
    h = (cam.projection @ np.c_[X, np.ones(len(X))].T).T
    np.testing.assert_allclose(world_to_pixel(cam, X), h[:, :2] / h[:, 2:], atol=1e-9)
    back = Camera.from_K_T(cam.K, cam.T_world_cam, 160, 120)
    assert back.allclose(cam, atol=1e-9) and back.fovy_deg == pytest.approx(45.0)
    assert Camera.from_K_T(cam.K, cam.T_world_cam_cv, 160, 120, opencv=True).allclose(cam, atol=1e-9)


def test_in_image_mask():
    cam = down_camera()
    pts = [(0.0, 0.0, 1.0), (0.99, 0.0, 1.0), (1.01, 0.0, 1.0), (0.0, -0.999, 1.0), (0.0, 1.001, 1.0), (0.0, 0.0, 3.0)]
    assert project_points_in_image(cam, pts).tolist() == [True, True, False, True, False, False]
