"Every shipped preset loads and validates; the paper preset has the paper's numbers; bad overrides are named."
import pytest
from para_wb.config import PRESETS_DIR, Config, ConfigError, list_presets, load_config, validate_config


def test_presets_exist():
    names = list_presets()
    assert {"cpu", "paper"} <= set(names), names
    assert sorted(p.stem for p in PRESETS_DIR.glob("*.yaml")) == names


@pytest.mark.parametrize("name", list_presets())
def test_preset_loads_and_validates(name):
    cfg = load_config(name)
    assert isinstance(cfg, Config)
    assert cfg.name == name
    assert validate_config(cfg) is cfg
    # a preset loaded by path gives the same config
    assert load_config(PRESETS_DIR / f"{name}.yaml").to_dict() == cfg.to_dict()


def test_paper_preset_values():
    cfg = load_config("paper")
    assert cfg.scene.image_size == 448
    assert cfg.dataset.horizon == 12
    assert cfg.dataset.height_bins == 32


def test_override_applies():
    assert load_config("cpu", ["scene.image_size=64"]).scene.image_size == 64


@pytest.mark.parametrize("override, key", [
    ("scene.image_sise=64", "scene.image_sise"),        # unknown key
    ("dataset.horizon=0", "dataset.horizon"),           # invalid value
    ("dataset.height_bins=abc", "dataset.height_bins"), # wrong type
    ("scene.variant=cluttered", "scene.variant"),
])
def test_bad_override_names_the_key(override, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_config("cpu", [override])


def test_unknown_preset_lists_available():
    with pytest.raises(ConfigError, match="paper"):
        load_config("no_such_preset")
