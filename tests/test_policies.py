"Every registered policy trains through `para_wb.train` on the tiny dataset, reloads from its checkpoint, and predicts."
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
