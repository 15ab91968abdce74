"""The video-diffusion backbone (para_wb.policies.video, nbs/policies/10b_video.ipynb) through the shared training loop, smoke-sized:
video pretraining (train.stage=backbone) → joint PARA from the pretrained UNet → frozen UNet + heads → a rebuilt checkpoint that
predicts; and the config plumbing (old saved configs, the video section as a training section of svd_unet runs only)."""
import json
import numpy as np
import pytest
import torch
from para_wb.config import load_config
from para_wb.dataset.storage import config_diff
from para_wb.policies.factory import load_policy_model
from para_wb.runs import RunDir
from para_wb.testing import tiny_config, tiny_dataset
from para_wb.train import train, training_sections

TINY_VIDEO = {"model.backbone": "svd_unet", "video.frame_size": 16, "video.frames": 2, "video.block_out_channels": [32, 32],
              "video.attention_head_dim": 32, "video.cross_attention_dim": 16, "video.feature_blocks": [0, 1], "video.sample_steps": 2,
              "train.steps": 2, "train.batch_size": 2, "train.snapshot_steps": [0, 2], "train.checkpoint_every": 100}


def _cfg(kind="para", **extra):
    return tiny_config(kind, {**TINY_VIDEO, **extra})


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return tiny_dataset(_cfg(), tmp_path_factory.mktemp("video_ds"), n_demos=3, n_steps=10)


@pytest.fixture(scope="module")
def pretrained(data, tmp_path_factory):
    run = tmp_path_factory.mktemp("pretrain")
    r = train(_cfg(**{"train.stage": "backbone"}), data, run, progress=False)
    return r, RunDir(run)


def _unet(model):
    return {k: v.clone() for k, v in model.backbone.model.state_dict().items()}


def test_pretraining_trains_the_unet_alone(pretrained):
    r, run = pretrained
    assert r["finished"] and run.model.exists()
    log = run.log()
    assert "loss_backbone" in log.columns and "loss_volume" not in log.columns and np.isfinite(log["loss"]).all()
    assert log["backbone_lr"].iloc[-1] >= 0 and json.loads(json.dumps(run.config()))["train"]["stage"] == "backbone"


def test_joint_starts_from_the_pretrained_unet_and_adds_the_diffusion_loss(pretrained, data, tmp_path):
    _, pre = pretrained
    cfg = _cfg(**{"model.pretrained_path": str(pre.model), "train.steps": 1, "video.unet_lr": 0.0})
    r = train(cfg, data, tmp_path / "joint", progress=False)
    log = RunDir(tmp_path / "joint").log()
    assert {"loss_backbone", "loss_volume", "loss_gripper"} <= set(log.columns)
    # unet_lr = 0: the UNet does not move, so it is still exactly the pretrained one (its weights were loaded)
    a, b = _unet(load_policy_model(pre.model)), _unet(load_policy_model(r["model"]))
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_frozen_unet_keeps_its_weights_and_trains_the_heads(pretrained, data, tmp_path):
    _, pre = pretrained
    cfg = _cfg(**{"model.pretrained_path": str(pre.model), "model.freeze_backbone": True})
    r = train(cfg, data, tmp_path / "frozen", progress=False)
    m0, m1 = load_policy_model(pre.model), load_policy_model(r["model"])
    a, b = _unet(m0), _unet(m1)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(m0.volume_head.weight, m1.volume_head.weight)
    assert "loss_backbone" not in RunDir(tmp_path / "frozen").log().columns


def test_the_lr_split_and_a_rebuilt_checkpoint_predicts(pretrained, data, tmp_path):
    cfg = _cfg("global")
    r = train(cfg, data, tmp_path / "glob", progress=False)
    m = load_policy_model(r["model"])
    groups = {g["name"]: g["lr"] for g in m.param_groups(cfg.train.lr, cfg.train.backbone_lr)}
    assert groups == {"heads": cfg.train.lr, "backbone": cfg.video.unet_lr}
    pre = load_policy_model(pretrained[1].model)
    assert {g["name"]: g["lr"] for g in pre.param_groups(1.0, 1.0)}["backbone"] == pre.cfg.video.pretrain_lr
    from para_wb.camera import libero_agentview
    cam = libero_agentview(64, 64)
    out = m.predict(np.zeros((64, 64, 3), np.uint8), [32.0, 32.0], cam.K, cam.T_world_cam)
    assert out["waypoints"].shape == (1, cfg.dataset.horizon, 3) and out["pixels"] is None


def test_config_sections_and_old_configs():
    cpu = load_config("cpu")
    old = cpu.to_dict(); old.pop("video"); old["train"].pop("stage")          # a run saved before these keys existed
    assert config_diff(old, cpu, sections=None) == [] or all(d.startswith("video.") for d in config_diff(old, cpu, sections=None))
    assert config_diff(old, cpu, sections=training_sections(cpu)) == []      # a ResNet run: the video block is not its business
    v = load_config("cpu", ["model.backbone=svd_unet"])
    assert "video" in training_sections(v) and "video" not in training_sections(cpu)
    assert any(d.startswith("video.frames") for d in config_diff(v, load_config("cpu", ["model.backbone=svd_unet", "video.frames=2"]),
                                                                 sections=training_sections(v)))


def test_one_key_attention_gives_the_reference_numbers():
    "The fast path (one-key cross-attention, with and without checkpointing) = diffusers' attention: outputs and live gradients."
    import dataclasses
    from para_wb.policies.video import SVDNet
    v = _cfg().video
    def run(**opts):
        torch.manual_seed(0); n = SVDNet(dataclasses.replace(v, **opts))
        g = torch.Generator().manual_seed(1)
        x, c = torch.randn(2, v.frames, 3, 16, 16, generator=g), torch.randn(2, 3, 16, 16, generator=g)
        out = n(x, c, torch.tensor([3, 800])); out.square().mean().backward()
        return out.detach(), {k: p.grad for k, p in n.named_parameters()}
    o_ref, g_ref = run(one_key_attention=False)
    for opts in (dict(one_key_attention=True), dict(one_key_attention=True, grad_checkpoint=True)):
        o, g = run(**opts)
        assert torch.allclose(o, o_ref, atol=1e-5, rtol=1e-4)
        live = [k for k in g_ref if g[k] is not None]
        assert len(live) > 0.8 * len(g_ref) and all(torch.allclose(g[k], g_ref[k], atol=1e-6, rtol=1e-4) for k in live)
        assert all(g_ref[k].abs().max() < 1e-6 for k in g_ref if g[k] is None)       # only dead (zero-gradient) weights skipped


def test_paper_config_fits_80gb_by_the_estimate():
    from para_wb.policies.video import estimate_training_memory
    cfg = load_config("paper", ["model.backbone=svd_unet"])
    assert cfg.video.grad_checkpoint
    est = estimate_training_memory(cfg, batch=cfg.train.batch_size, precision="amp", passes=2)
    assert est["batch"] == 16 and est["params"] > 1.4e9 and est["total_gib"] < 0.9 * 80, est
    assert estimate_training_memory(cfg, batch=16, grad_checkpoint=False, precision="amp", passes=1)["total_gib"] > 80
