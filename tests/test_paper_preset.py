"""The `paper` preset's whole path without a GPU (issue 21): its config validates for every policy, and each of the paper's
policies (PARA, ACT, global regression) trains at the paper's image size and architecture (448 px, a randomly initialised
DINOv2 ViT-S/14, 64x64 prediction grid, 12 steps, 32 bins) on real expert demos from the simulator, reloads from its
checkpoint and rolls out one short episode through the evaluator. Nothing is mocked: a GPU user's first run should not be
the first time this configuration meets the code.

Only what decides the running time is shrunk (`SHRINK`, `BASELINE_SHRINK`, each key with its reason);
`test_shrink_keeps_the_papers_model` checks that nothing else differs from the preset."""
import math
import numpy as np
import pytest
from para_wb.config import load_config, validate_config
from para_wb.dataset.storage import config_diff, load_demo, list_demos, validate_dataset
from para_wb.sim.demos import generate_position_grid
from para_wb.rollouts import Episode
from para_wb.eval.loop import evaluate_episodes
from para_wb.sim.expert import bowl_grid
from para_wb.rollouts import OUTCOMES
from para_wb.policies.factory import PAPER_LABELS, POLICY_KINDS, check_policies, policy_config
from para_wb.policies.adapter import CheckpointPolicy, LearnedPolicy
from para_wb.train import train

PAPER_KINDS = tuple(k for k in PAPER_LABELS if k in POLICY_KINDS)   # para, act, global: the paper's comparison (not LeRobot's ACT, an external arm)

# What the slow test changes in the preset, and why. Everything else (scene, dataset bins and horizon, model, policy
# blocks, learning rates, warm-up, snapshot_steps, num_workers, eval.execute_per_prediction, ...) stays the paper's.
SHRINK = {
    "train.device": "cpu",          # no GPU in CI; the preset's "auto" picks cuda on a GPU (and bf16 autocast with it)
    "train.steps": 1,               # one forward/backward/AdamW update at 448 px takes ~30 s on a loaded 2-core CPU; one
                                    # runs the whole loop (loader workers, loss, backward, clip, step, log, checkpoint, model.pt)
    "train.batch_size": 2,          # 16 images of 448 px per update would take minutes on a CPU; 2 still batches
    "train.n_snapshot_images": 1,   # the step-0 heatmap snapshot (the preset's snapshot_steps) on 1 image, not 4
    "demos.grid": 1,                # one expert demo (63 frames at 448 px, ~20 s of rendering), not 16x16 = 256
    "eval.max_steps": 20,           # a short episode: 5 predictions of 4 waypoints each (~5 s each here), not 600 servo steps
}
# The baselines share PARA's backbone, data, training loop and evaluator, which the `para` case runs in full; their own
# parts (heads, losses, checkpoint, predict) need one prediction: a 4-step episode (~5 s a prediction here).
BASELINE_SHRINK = {"eval.max_steps": 4}


def paper_config(kind: str = "para", overrides=None):
    "The `paper` preset for policy `kind`, shrunk by `SHRINK` (+ `BASELINE_SHRINK` for the baselines, + `overrides`)."
    shrink = {**SHRINK, **(BASELINE_SHRINK if kind != "para" else {})}
    return load_config("paper", [f"{k}={v}" for k, v in shrink.items()] + [f"model.kind={kind}"] + list(overrides or []))


# -- fast: the preset's configuration ----------------------------------------------------------------------------------

def test_paper_preset_validates_for_every_policy():
    cfg = load_config("paper")
    assert validate_config(cfg) is cfg
    assert (cfg.scene.image_size, cfg.model.backbone, cfg.model.feature_stride) == (448, "vit_small_patch14_dinov2", 14)
    assert cfg.scene.image_size % cfg.model.feature_stride == 0      # a whole 32x32 patch grid
    assert cfg.model.pretrained_path == ""                           # random init unless the user passes weights
    checked = check_policies(cfg, POLICY_KINDS)                      # every block of cfg.policy, and every registered kind
    assert set(checked) == set(POLICY_KINDS) >= set(PAPER_KINDS)
    assert checked["para"].pred_size == checked["global"].pred_size == 64
    assert (checked["para"].volume_target, checked["para"].decode) == ("onehot", "argmax")
    assert checked["act"].pool == "backbone_token"
    for kind in PAPER_KINDS:                                         # model.kind=<kind> loads, validates and checks too
        k_cfg = load_config("paper", [f"model.kind={kind}"])
        assert check_policies(k_cfg)[kind] == policy_config(cfg, kind)


def test_shrink_keeps_the_papers_model():
    "The slow test's configs differ from the preset only in the keys `SHRINK` and `BASELINE_SHRINK` name (and model.kind)."
    paper = load_config("paper")
    for kind in PAPER_KINDS:
        diff = {d.split(":")[0] for d in config_diff(paper, paper_config(kind), sections=None)}
        assert diff <= set(SHRINK) | set(BASELINE_SHRINK) | {"model.kind"}, diff
    assert paper_config().scene.image_size == 448


# -- slow: real demos, training, checkpoint, rollout -------------------------------------------------------------------

@pytest.fixture(scope="module")
def paper_dataset(tmp_path_factory):
    "One real expert demo from the simulator at 448 px, generated and packed the way the paper runs make theirs."
    cfg = paper_config()
    path = generate_position_grid(cfg, tmp_path_factory.mktemp("paper_demos"), workers=1, progress=False)
    info = validate_dataset(path, expect_config=cfg)
    assert info["image_size"] == 448 and info["n_demos"] == 1
    (meta,) = list_demos(path)
    assert meta["success"], meta             # train uses successful demos only
    demo = load_demo(path, 0)
    assert demo.images.shape[1:] == (448, 448, 3) and demo.n_steps > cfg.dataset.horizon
    return path


@pytest.mark.slow
@pytest.mark.parametrize("kind", PAPER_KINDS)
def test_paper_policy_trains_reloads_and_rolls_out(paper_dataset, tmp_path, kind):
    cfg = paper_config(kind)
    check_policies(cfg)                      # what the CLI does before training
    r = train(cfg, paper_dataset, tmp_path / "run", progress=False)
    assert r["finished"] and r["steps"] == cfg.train.steps and r["device"] == "cpu"
    assert math.isfinite(r["final_loss"]) and r["n_train_demos"] == 1
    if kind == "para":                       # the step-0 heatmap snapshot at the paper's 64x64 grid and 32 height bins
        (snap,) = r["snapshots"]
        with np.load(snap) as z:
            assert z["heatmaps"].shape == (1, cfg.dataset.horizon, 64, 64) and z["images"].shape == (1, 448, 448, 3)
            assert z["height_centers"].shape == (cfg.dataset.height_bins,)

    # The evaluator's own path: CheckpointPolicy (what the experiments hand to evaluate_episodes) loads model.pt.
    made = []
    def policy_fn(scene):
        p = CheckpointPolicy(r["model"], name=kind, threads=0)(scene)   # threads=0: this process keeps its torch threads
        made.append(p); return p
    episode = Episode(tuple(bowl_grid(cfg, 2)[-1]), position_id=0, split="test")   # another corner than the demo's
    (res,) = evaluate_episodes(cfg, policy_fn, [episode], workers=1, progress=False)

    (policy,) = made
    assert isinstance(policy, LearnedPolicy)
    m = policy.model
    assert m.kind == kind and not m.training
    assert m.cfg.to_dict() == cfg.to_dict() and m.checkpoint_extra["step"] == cfg.train.steps
    assert m.backbone.name == "vit_small_patch14_dinov2" and m.backbone.kind == "vit" and m.backbone.stride == 14
    assert m.backbone.model.patch_embed.img_size == (448, 448)
    if kind in ("para", "global"): assert m.pcfg.pred_size == 64

    assert res.outcome in OUTCOMES and res.success == (res.outcome == "PLACE")     # success is not expected
    assert 0 < res.n_steps <= cfg.eval.max_steps and res.n_predictions >= 1
    if kind == "para": assert res.n_predictions >= 2   # closed loop: re-rendered and re-predicted
    assert res.eef.shape == (res.n_steps + 1, 3) and res.gripper.shape == (res.n_steps,)
    assert np.isfinite(res.eef).all() and set(np.unique(res.gripper)) <= {-1.0, 1.0}
    last = policy.last                       # the model's raw output of the rollout's last prediction
    assert last["waypoints"].shape == (cfg.dataset.horizon, 3) and np.isfinite(last["waypoints"]).all()
    assert last["gripper"].shape == (cfg.dataset.horizon,)
    if kind == "para":                       # PARA's waypoints come from pixels of the 448 px image
        assert last["pixels"].shape == (cfg.dataset.horizon, 2)
        assert ((last["pixels"] >= 0) & (last["pixels"] <= 448)).all()
    assert res.thumbs is not None and res.thumbs[0].shape == (64, 64, 3)    # 448 px frames shrunk by 7


@pytest.mark.slow
def test_paper_backbone_loads_dinov2_weights_at_448(tmp_path):
    """The preset's note: `model.pretrained_path=/path/to/dinov2_vits14.pth`. A file in Meta's format (ViT-S/14 at 518 px:
    a 37x37 position embedding, a `mask_token`), made here with random values, loads into the 448 px backbone."""
    import timm, torch
    from para_wb.policies.backbones import make_backbone
    cfg = load_config("paper")
    src = timm.create_model(cfg.model.backbone, pretrained=False, num_classes=0)        # timm's default: 518 px, as Meta's
    sd = {k: v + 0.01 * torch.randn_like(v) for k, v in src.state_dict().items()}
    assert sd["pos_embed"].shape == (1, 1 + 37 * 37, 384)
    sd["mask_token"] = torch.zeros(1, 384)
    torch.save(sd, tmp_path / "dinov2_vits14_pretrain.pth")
    bb = make_backbone(cfg.model.backbone, str(tmp_path / "dinov2_vits14_pretrain.pth"), cfg.model.feature_stride,
                       cfg.scene.image_size, cfg=cfg)
    got = bb.model.state_dict()
    assert got["pos_embed"].shape == (1, 1 + 32 * 32, 384)                              # resampled to the 32x32 patch grid
    for k in ("cls_token", "patch_embed.proj.weight", "blocks.0.attn.qkv.weight", "blocks.11.ls2.gamma", "norm.weight"):
        assert torch.equal(got[k], sd[k]), k
    with torch.no_grad(): fmap, glob = bb(torch.rand(1, 3, 448, 448))
    assert fmap.shape == (1, 384, 32, 32) and glob.shape == (1, 384)
