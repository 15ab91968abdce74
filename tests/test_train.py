"Training (para_wb.train, nbs/17_train.ipynb): a stopped-and-resumed run ends exactly where an uninterrupted one does."
from pathlib import Path
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from para_wb.camera import world_to_pixel
from para_wb.config import from_dict
from para_wb.dataset.storage import DATASET_FILE, PARTS_DIR, make_synthetic_demo, pack_dataset, part_path, write_demo_part
from para_wb.files import atomic_path
from para_wb.runs import RunDir
from para_wb.train import TrainError, load_train_checkpoint, train

from para_wb.policies.factory import load_policy_model


class TinyModel(nn.Module):
    "The smallest model with the interface `train` needs (see nbs/17_train.ipynb)."
    def __init__(self, cfg, stats):
        super().__init__()
        self.cfg, self.stats, self.S, self.T = cfg, stats, 8, cfg.dataset.horizon
        self.backbone = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.GELU(), nn.Dropout(0.1))   # dropout: uses the RNG
        self.head = nn.Conv2d(8, self.T, 1)

    def _logits(self, b): return self.head(F.adaptive_avg_pool2d(self.backbone(b["image"]), self.S))

    def forward(self, b):
        logits = self._logits(b)
        B, T, S, _ = logits.shape
        H, W = b["image"].shape[-2:]
        u, v = b["target_pixels"].unbind(-1)
        idx = (v / H * S).long().clamp(0, S - 1) * S + (u / W * S).long().clamp(0, S - 1)
        pix = F.cross_entropy(logits.reshape(B * T, S * S), idx.reshape(-1))
        return dict(loss=pix, pixel=pix)

    def heatmaps(self, b): return self._logits(b).flatten(2).softmax(-1).view(-1, self.T, self.S, self.S)

    def save_checkpoint(self, path, extra=None):
        with atomic_path(path, suffix=".pt") as tmp: torch.save(dict(state_dict=self.state_dict(), extra=extra), tmp)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("train_ds")
    cfg = from_dict({"name": "t", "scene": {"image_size": 32}})
    for k in range(6):
        rec = make_synthetic_demo(n_steps=12, image_size=32, seed=k, start=(0.15 - 0.05 * k, -0.1 + 0.04 * k, 1.1), grid_index=k)
        rec.images //= 4
        for i, (u, v) in enumerate(world_to_pixel(rec.camera, rec.eef_pos)):
            rec.images[i, max(int(v) - 1, 0):int(v) + 2, max(int(u) - 1, 0):int(u) + 2] = 255
        write_demo_part(rec, part_path(tmp / PARTS_DIR, k), cfg)
    return pack_dataset(tmp / PARTS_DIR, tmp / DATASET_FILE, cfg)


def _cfg(policy=None, **model):
    return from_dict({"name": "t", "scene": {"image_size": 32}, "dataset": {"horizon": 4}, "model": model, "policy": policy or {},
                      "train": dict(steps=20, batch_size=8, lr=1e-2, backbone_lr=5e-3, warmup_steps=4, log_every=5,
                                    checkpoint_every=10, snapshot_steps=[0, 10, 20], n_snapshot_images=2, threads=2,
                                    num_workers=0, device="cpu", seed=3)})


MODELS = [pytest.param(None, id="stand-in"),
          pytest.param(dict(kind="para", backbone="resnet18", feature_stride=8,
                            policy={"para": dict(pred_size=8, hidden_dim=16, conv_layers=1)}), id="para-resnet18", marks=pytest.mark.slow)]


@pytest.mark.parametrize("model", MODELS)
def test_resume_equals_uninterrupted(dataset, tmp_path, model):
    cfg = _cfg(**(model or {}))
    fn = TinyModel if model is None else None
    full = train(cfg, dataset, tmp_path / "full", progress=False, model_fn=fn)
    a = train(cfg, dataset, tmp_path / "split", progress=False, model_fn=fn, stop_after=10)
    assert a["steps"] == 10 and not a["finished"]
    b = train(cfg, dataset, tmp_path / "split", progress=False, model_fn=fn)
    assert b["start_step"] == 10 and b["steps"] == full["steps"] == 20
    ck_full, ck_split = (load_train_checkpoint(tmp_path / n / "checkpoint.pt") for n in ("full", "split"))
    assert ck_full["step"] == ck_split["step"] == 20
    for k, v in ck_full["model"].items(): assert torch.equal(v, ck_split["model"][k]), k
    for s_full, s_split in zip(ck_full["optimizer"]["state"].values(), ck_split["optimizer"]["state"].values()):
        assert torch.equal(s_full["exp_avg"], s_split["exp_avg"])
    assert ck_full["scheduler"] == ck_split["scheduler"]
    lf, ls = RunDir(tmp_path / "full").log(), RunDir(tmp_path / "split").log()
    assert lf["step"].tolist() == ls["step"].tolist() == [5, 10, 15, 20]
    np.testing.assert_array_equal(lf["loss"].to_numpy(), ls["loss"].to_numpy())
    for (s1, d1), (s2, d2) in zip(RunDir(tmp_path / "full").load_snapshots(), RunDir(tmp_path / "split").load_snapshots()):
        assert s1 == s2 and np.array_equal(d1["heatmaps"], d2["heatmaps"])
    if model is not None:
        m = load_policy_model(tmp_path / "split" / "model.pt")
        for k, v in m.state_dict().items(): assert torch.equal(v, ck_full["model"][k]), k


def test_resume_with_other_config_is_refused(dataset, tmp_path):
    train(_cfg(), dataset, tmp_path / "r", progress=False, model_fn=TinyModel, stop_after=2)
    other = from_dict({**_cfg().to_dict(), "train": {**_cfg().to_dict()["train"], "weight_decay": 0.5}})
    with pytest.raises(TrainError, match=r"train\.weight_decay.*new run_dir.*resume=False"):
        train(other, dataset, tmp_path / "r", progress=False, model_fn=TinyModel)
    with pytest.raises(TrainError, match="demo_filter left 0 of 6 demos"):
        train(_cfg(), dataset, tmp_path / "e", progress=False, model_fn=TinyModel, demo_filter=lambda m: False)


def test_statistics_come_from_the_training_demos_only(dataset, tmp_path):
    "The protocol: `train` computes stats (and so bins and normalisation) over the demos `demo_filter` keeps, not the file."
    from para_wb.dataset.stats import compute_stats, load_stats
    seen = []
    def model_fn(cfg, stats):
        seen.append(stats); return TinyModel(cfg, stats)
    cfg = _cfg()
    cfg.train.steps, cfg.train.snapshot_steps, cfg.train.checkpoint_every = 2, [0, 2], 2
    train(cfg, dataset, tmp_path / "run", progress=False, model_fn=model_fn, demo_filter=lambda m: m["grid_index"] >= 3)
    want, everything = compute_stats(dataset, demos=[3, 4, 5]), compute_stats(dataset)
    got = seen[0]
    assert got.n_demos == 3 and got.source["demos"] == [3, 4, 5]
    assert got.pos_mean == want.pos_mean and (got.z_min, got.z_max) == (want.z_min, want.z_max)
    assert not np.allclose(got.pos_mean, everything.pos_mean, atol=1e-3)
    saved = load_stats(tmp_path / "run" / "dataset_stats.json")
    assert saved.pos_mean == want.pos_mean and saved.n_demos == 3
