"Every registered policy trains, reloads and predicts; and what they predict is right: PARA decoding (argmax and refine) lands on known pixels and world points, regression outputs de-normalise to known world coordinates."
import numpy as np
import pytest
import torch
from para_wb.config import ConfigError
from para_wb.dataset.samples import PARADataset
from para_wb.policies.factory import POLICY_KINDS, check_policies, load_policy_model
from para_wb.runs import RunDir
from para_wb.testing import tiny_config
from para_wb.train import train


@pytest.mark.parametrize("kind", POLICY_KINDS)
def test_policy_trains_and_reloads(kind, tiny_dataset_path, tmp_path):
    cfg = tiny_config(kind, ["train.steps=4", "train.snapshot_steps=[0, 4]"])
    r = train(cfg, tiny_dataset_path, tmp_path / kind, progress=False)
    assert r["finished"] and RunDir(tmp_path / kind).status()["finished"]
    m = load_policy_model(RunDir(tmp_path / kind).model)
    ds = PARADataset.from_config(tiny_dataset_path, cfg, stats=m.stats)
    b = torch.utils.data.default_collate([ds[i] for i in (0, 5)])
    out = m.predict(b["image"], b["eef_pixel"], b["K"], b["T_world_cam"])
    assert out["waypoints"].shape == (2, cfg.dataset.horizon, 3) and np.isfinite(out["waypoints"]).all()


def test_bad_policy_options_fail_before_training():
    with pytest.raises(ConfigError, match=r"policy\.act\.pool"):
        check_policies(tiny_config("para", ["policy.act.pool=max"]), POLICY_KINDS)
    with pytest.raises(ConfigError, match=r"unknown key.*policy\.para\.pred_sise"):
        check_policies(tiny_config("para", ["policy.para.pred_sise=3"]))


# --- behaviour, not shapes: decoding against known pixels and world points ---------------------------------------------
import math
from para_wb.camera import libero_agentview, world_to_pixel
from para_wb.dataset.stats import compute_stats
from para_wb.policies.para import PARAModel
from para_wb.policies.regression import ACTModel, GlobalRegressionModel


@pytest.fixture(scope="module")
def tiny_stats(tiny_dataset_path):
    return compute_stats(tiny_dataset_path)


def _subcell_volume(B, T, nh, S, rng):
    "Bilinear peaks at random interior sub-cell points (row, col, bin) with the heaviest cell (r0, c0+1), bin h0+1."
    vol, truth = torch.full((B, T, nh, S, S), -30.0), np.zeros((B, T, 3))
    for b in range(B):
        for t in range(T):
            r0, c0, h0 = int(rng.integers(2, S - 3)), int(rng.integers(2, S - 3)), int(rng.integers(2, nh - 3))
            while c0 in (r0 - 1, r0): c0 = int(rng.integers(2, S - 3))      # u ≠ v for refine and for argmax
            fr, fc, fh = rng.uniform(0.1, 0.4), rng.uniform(0.6, 0.9), rng.uniform(0.6, 0.9)
            for h, wh in ((h0, 1 - fh), (h0 + 1, fh)):
                for r, wr in ((r0, 1 - fr), (r0 + 1, fr)):
                    for c, wc in ((c0, 1 - fc), (c0 + 1, fc)): vol[b, t, h, r, c] = math.log(wh * wr * wc)
            truth[b, t] = (r0 + fr, c0 + fc, h0 + fh)
    return vol, truth


@pytest.mark.parametrize("decode", ["refine", "argmax"])
def test_para_decode_lands_on_known_pixel_and_point(decode, tiny_stats):
    "refine: the sub-cell point itself; argmax: the centre of the heaviest cell and bin. u ≠ v, so a swap fails."
    cfg = tiny_config("para", [f"policy.para.decode={decode}"])
    torch.manual_seed(0)
    m = PARAModel(cfg, tiny_stats, load_pretrained=False).eval()
    W = H = cfg.scene.image_size
    S, T, nh, B = m.S, m.horizon, m.n_h, 3
    vol, truth = _subcell_volume(B, T, nh, S, np.random.default_rng(1))
    if decode == "argmax": truth = np.round(truth)
    cam = libero_agentview(W, H)
    feats = torch.randn(B, m.pcfg.hidden_dim, S, S)
    dec = m.decode(vol, feats, torch.tensor(cam.K).expand(B, 3, 3), torch.tensor(cam.T_world_cam).expand(B, 4, 4), W, H)
    uv = np.stack([(truth[..., 1] + 0.5) * W / S, (truth[..., 0] + 0.5) * H / S], -1)        # u: column, v: row
    z = tiny_stats.z_min + (truth[..., 2] + 0.5) * (tiny_stats.z_max - tiny_stats.z_min) / nh
    assert np.abs(uv[..., 0] - uv[..., 1]).min() > 1.0
    np.testing.assert_allclose(dec["pixels"], uv, atol=1e-3)
    np.testing.assert_allclose(dec["waypoints"][..., 2], z, atol=1e-5)
    for b in range(B): np.testing.assert_allclose(world_to_pixel(cam, dec["waypoints"][b]), uv[b], atol=1e-3)
    np.testing.assert_array_equal(dec["height_bin"], np.floor(truth[..., 2]) if decode == "argmax" else np.round(truth[..., 2]))


def test_para_decode_splits_the_flat_argmax_into_bin_and_cell(tiny_stats):
    """The flat argmax over (height bin, row, col) is split back exactly, also where the cell index is below the bin index
    (row 0, first columns, a high bin): the only cells where `idx // (S * S + 1)` would still give the right bin elsewhere."""
    cfg = tiny_config("para", ["policy.para.decode=argmax"])
    m = PARAModel(cfg, tiny_stats, load_pretrained=False).eval()
    W = H = cfg.scene.image_size
    S, nh = m.S, m.n_h
    cam = libero_agentview(W, H)
    peaks = [(nh - 1, 0, 0), (nh - 1, 0, 1), (nh // 2, 0, 0), (1, 0, 0), (nh - 1, S - 1, S - 1)]      # (bin, row, col)
    vol = torch.full((1, m.horizon, nh, S, S), -20.0)
    for t in range(m.horizon): vol[(0, t) + peaks[t % len(peaks)]] = 20.0
    dec = m.decode(vol, torch.zeros(1, m.pcfg.hidden_dim, S, S), torch.tensor(cam.K)[None], torch.tensor(cam.T_world_cam)[None], W, H)
    for t in range(m.horizon):
        hb, r, c = peaks[t % len(peaks)]
        assert dec["height_bin"][0, t] == hb, (t, peaks[t % len(peaks)], dec["height_bin"][0, t])
        np.testing.assert_allclose(dec["pixels"][0, t], ((c + 0.5) * W / S, (r + 0.5) * H / S))
        np.testing.assert_allclose(dec["waypoints"][0, t, 2], tiny_stats.z_min + (hb + 0.5) * (tiny_stats.z_max - tiny_stats.z_min) / nh,
                                   atol=1e-5)


def test_para_one_hot_round_trip_on_a_known_world_point(tiny_stats):
    "A world point → its cell and bin (one-hot logits) → argmax decode: within half a cell and half a bin of the point."
    cfg = tiny_config("para")
    m = PARAModel(cfg, tiny_stats, load_pretrained=False).eval()
    W = H = cfg.scene.image_size
    S, nh = m.S, m.n_h
    cam = libero_agentview(W, H)
    X = np.array([[-0.05, 0.12, tiny_stats.z_min + 0.3 * (tiny_stats.z_max - tiny_stats.z_min)],
                  [0.08, -0.10, tiny_stats.z_min + 0.8 * (tiny_stats.z_max - tiny_stats.z_min)]])
    uv = world_to_pixel(cam, X)
    col, row = np.floor(uv[:, 0] * S / W).astype(int), np.floor(uv[:, 1] * S / H).astype(int)
    hb = np.floor((X[:, 2] - tiny_stats.z_min) / (tiny_stats.z_max - tiny_stats.z_min) * nh).astype(int)
    vol = torch.full((1, m.horizon, nh, S, S), -20.0)
    for t in range(m.horizon): vol[0, t, hb[t % 2], row[t % 2], col[t % 2]] = 20.0
    dec = m.decode(vol, torch.zeros(1, m.pcfg.hidden_dim, S, S), torch.tensor(cam.K)[None], torch.tensor(cam.T_world_cam)[None], W, H)
    for t in range(m.horizon):
        np.testing.assert_allclose(dec["pixels"][0, t], ((col[t % 2] + 0.5) * W / S, (row[t % 2] + 0.5) * H / S))
        assert np.all(np.abs(dec["pixels"][0, t] - uv[t % 2]) <= W / S / 2)
        assert abs(dec["waypoints"][0, t, 2] - X[t % 2, 2]) <= (tiny_stats.z_max - tiny_stats.z_min) / nh / 2 + 1e-9
        assert np.linalg.norm(dec["waypoints"][0, t, :2] - X[t % 2, :2]) < 0.05


@pytest.mark.parametrize("cls,kind", [(ACTModel, "act"), (GlobalRegressionModel, "global")])
def test_regression_output_denormalises_to_world(cls, kind, tiny_stats):
    "With the last layer's weights zeroed, the output is its bias: normalised targets must come back as world metres."
    cfg = tiny_config(kind)
    m = cls(cfg, tiny_stats, load_pretrained=False).eval()
    T = m.horizon
    want = np.array([[0.1 * t - 0.1, 0.05 - 0.03 * t, 0.95 + 0.02 * t] for t in range(T)])
    mean, std = np.array(tiny_stats.pos_mean), np.array(tiny_stats.pos_std)
    rot_lo, rot_hi = np.array(tiny_stats.rot_min), np.array(tiny_stats.rot_max)
    y = np.zeros((T, 7))
    y[:, :3] = (want - mean) / std
    y[:, 3] = np.arctanh(0.5)
    y[:, 4:] = 0.25                                                   # a quarter of the half-range above the middle
    last = m.mlp[-1]
    with torch.no_grad():
        last.weight.zero_(); last.bias.copy_(torch.tensor(y.reshape(-1), dtype=torch.float32))
    W = cfg.scene.image_size
    cam = libero_agentview(W, W)
    out = m.predict(torch.rand(2, 3, W, W), torch.tensor([[10.0, 20.0], [30.0, 5.0]]), cam.K, cam.T_world_cam)
    np.testing.assert_allclose(out["waypoints"], np.broadcast_to(want, (2, T, 3)), atol=1e-5)
    np.testing.assert_allclose(out["gripper"], 0.5, atol=1e-6)
    rot = (rot_lo + rot_hi) / 2 + 0.25 * (rot_hi - rot_lo) / 2
    np.testing.assert_allclose(out["rotation"], np.broadcast_to((rot + np.pi) % (2 * np.pi) - np.pi, (2, T, 3)), atol=1e-5)
