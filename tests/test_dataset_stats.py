"""Training-only statistics and splits: `compute_stats` over the selected demos only (nbs/dataset/06b_stats.ipynb), and
the harness `Split` keeping training demos, validation and test episodes in their regions (nbs/experiments/31_split)."""
import numpy as np
import pytest

from para_wb.config import load_config
from para_wb.dataset.stats import compute_stats, load_stats, save_stats
from para_wb.dataset.storage import open_dataset
from para_wb.testing import tiny_config, tiny_dataset


@pytest.fixture(scope="module")
def spread_dataset(tmp_path_factory):
    "Four demos whose end heights and starts differ, so stats over two of them differ from stats over all four."
    specs = [dict(n_steps=10, seed=k, start=(0.15 - 0.08 * k, -0.15 + 0.1 * k, 1.00 + 0.06 * k), end=(-0.1, 0.1, 0.92 + 0.03 * k),
                  grid_index=k) for k in range(4)]
    return tiny_dataset(tiny_config(), tmp_path_factory.mktemp("spread"), specs=specs)


def _by_hand(path, demos):
    with open_dataset(path) as f:
        names = sorted(f["data"].keys())
        pos = np.concatenate([f["data"][names[k]]["eef_pos"][()] for k in demos]).astype(np.float64)
    return pos


@pytest.mark.parametrize("demos", [[0, 2], [1, 3], [3]])
def test_stats_cover_the_selected_demos_only(spread_dataset, demos):
    s = compute_stats(spread_dataset, demos=demos)
    pos = _by_hand(spread_dataset, demos)
    assert s.n_demos == len(demos) and s.total_steps == len(pos) and s.source["demos"] == demos
    np.testing.assert_allclose(s.pos_mean, pos.mean(0), atol=1e-12)
    np.testing.assert_allclose(s.pos_std, pos.std(0) + 1e-6, atol=1e-9)
    assert s.z_min == pytest.approx(pos[:, 2].min() - 0.01) and s.z_max == pytest.approx(pos[:, 2].max() + 0.01)
    everything = compute_stats(spread_dataset)
    assert everything.n_demos == 4 and everything.total_steps > s.total_steps
    assert not np.allclose(everything.pos_mean, s.pos_mean, atol=1e-3)          # the test half would have leaked in
    assert (everything.z_min, everything.z_max) != (s.z_min, s.z_max)


def test_height_bins_span_the_training_demos(spread_dataset):
    s = compute_stats(spread_dataset, demos=[0, 1])
    pos = _by_hand(spread_dataset, [0, 1])
    bins = s.height_bins(8)
    assert float(np.ravel(bins.low)[0]) == pytest.approx(pos[:, 2].min() - 0.01)
    assert float(np.ravel(bins.high)[0]) == pytest.approx(pos[:, 2].max() + 0.01)
    idx = np.asarray(bins.encode(pos[:, 2])).ravel()
    assert idx.min() >= 0 and idx.max() <= 7 and len(np.unique(idx)) >= 4


def test_stats_round_trip(spread_dataset, tmp_path):
    s = compute_stats(spread_dataset, demos=[1, 2])
    assert load_stats(save_stats(s, tmp_path / "dataset_stats.json")) == s


def test_split_keeps_regions_apart():
    from para_wb.experiments.split import Split
    cfg = load_config("cpu", ["scene.layout=fixed_plate"])   # its area spans y = -0.3 … 0.3
    left, right = (lambda xy: xy[1] < 0), (lambda xy: xy[1] >= 0)
    split = Split("left_right", left, right)
    assert split.train_demo(dict(bowl_xy=(0.0, -0.1), viewpoint=None))
    assert not split.train_demo(dict(bowl_xy=(0.0, 0.1), viewpoint=None))
    eps = split.episodes(cfg, n_val=12, n_test=15, seed=3)
    assert len(eps["val"]) == 12 and len(eps["test"]) == 15
    assert all(e.bowl_xy[1] < 0 and e.split == "val" for e in eps["val"])
    assert all(e.bowl_xy[1] >= 0 and e.split == "test" for e in eps["test"])
    assert [e.position_id for e in eps["test"]] == list(range(1000, 1015)) and [e.position_id for e in eps["val"]] == list(range(12))
    s = cfg.scene
    for e in eps["val"] + eps["test"]:
        assert s.bowl_x_range[0] <= e.bowl_xy[0] <= s.bowl_x_range[1] and s.bowl_y_range[0] <= e.bowl_xy[1] <= s.bowl_y_range[1]
    again = split.episodes(cfg, n_val=12, n_test=15, seed=3)
    assert [e.bowl_xy for e in again["test"]] == [e.bowl_xy for e in eps["test"]]
    with pytest.raises(ValueError, match="fall in the test region"):
        Split("overlap", lambda xy: True, right).episodes(cfg, n_val=20, n_test=5, seed=0)
