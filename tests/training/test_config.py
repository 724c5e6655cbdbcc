from __future__ import annotations

from pathlib import Path

import pytest

from rewardmap.errors import ConfigError
from rewardmap.training.config import config_from_mapping, load_config

REPO = Path(__file__).resolve().parents[2]
CONFIGS = sorted((REPO / "configs").glob("*.yaml")) + sorted((REPO / "configs" / "ablations").glob("*.yaml"))


def test_every_shipped_recipe_loads_and_its_reward_and_curriculum_resolve():
    from rewardmap.training.rewards import reward_config

    assert len(CONFIGS) >= 15
    for path in CONFIGS:
        cfg = load_config(path)
        assert cfg.curriculum.resolved_stages(), path
        reward_config(cfg.reward)  # builds a valid scoring RewardConfig (presets, α/γ/β overrides)
        if "ablations" in path.parts:
            assert cfg.run.output_dir.startswith("runs/ablations/"), path


def test_paper_recipe_values_and_ablation_inheritance():
    paper = load_config(REPO / "configs" / "paper-qwen2.5-vl-7b.yaml")
    assert (paper.grpo.num_generations, paper.grpo.prompts_per_step, paper.grpo.learning_rate, paper.grpo.beta) == (
        8, 16, 1e-6, 1e-3)
    assert paper.curriculum.preset == "rewardmap" and paper.reward.preset == "official"
    gamma = load_config(REPO / "configs" / "ablations" / "gamma-1.0-1.1-1.2.yaml")
    assert gamma.data.types == ("planning",) and gamma.curriculum.preset == "shuffled"
    assert tuple(gamma.reward.overrides["gamma"]) == (1.0, 1.1, 1.2)
    assert gamma.grpo == paper.grpo  # inherited unchanged through two levels of `base`
    from rewardmap.training.rewards import reward_config

    assert reward_config(gamma.reward).gamma == (1.0, 1.1, 1.2)
    assert reward_config(load_config(REPO / "configs" / "ablations" / "rl-baseline.yaml").reward).alpha == 0.0


def test_the_tiny_cpu_recipe_is_read_from_configs_tiny_cpu_yaml(tmp_path, monkeypatch):
    from rewardmap.training import config as demo

    assert demo.TINY_CPU_YAML == REPO / "configs" / "tiny-cpu.yaml"
    assert demo.tiny_cpu_config() == load_config(REPO / "configs" / "tiny-cpu.yaml")
    edited = tmp_path / "tiny-cpu.yaml"
    edited.write_text((REPO / "configs" / "tiny-cpu.yaml").read_text().replace("learning_rate: 2.0e-4",
                                                                               "learning_rate: 3.0e-4"))
    monkeypatch.setattr(demo, "TINY_CPU_YAML", edited)
    assert demo.tiny_cpu_config().grpo.learning_rate == 3e-4  # no copy of the recipe in the code


def test_reward_presets_are_checked_against_the_scoring_registry_wherever_named():
    from rewardmap.scoring.config import PRESETS

    for preset in PRESETS:
        assert load_config(None, [f"reward.preset={preset}"]).reward.preset == preset
    with pytest.raises(ConfigError, match=r"reward\.preset: unknown reward preset .oficial."):
        load_config(None, ["reward.preset=oficial"])
    stages = "curriculum.stages=[{name: a, types: [TorF1], reward: baseline}, {name: b, types: [planning], reward: papr}]"
    with pytest.raises(ConfigError, match=r"stage .b.: reward: unknown reward preset .papr."):
        load_config(None, [stages])  # at load time, before any training


def test_weighting_is_one_enum_end_to_end():
    from rewardmap.training.config import Weighting
    from rewardmap.training.rewards import reward_config

    cfg = load_config(None, ["reward.weighting=advantage"])
    assert cfg.reward.weighting is Weighting.ADVANTAGE
    assert "weighting: advantage" in cfg.to_yaml()
    assert reward_config(cfg.reward).weighting == "none"  # the reward functions leave W to the advantages
    assert reward_config(load_config(None, []).reward).weighting == "reward"
    assert {w.value for w in Weighting} == {"reward", "advantage", "none"}


def test_overrides_parse_yaml_values_and_round_trip():
    cfg = load_config(None, ["grpo.learning_rate=1e-5", "model.lora={rank: 4}", "curriculum.preset=coarse",
                             "data.types=[planning]", "reward.weighting=advantage"])
    assert cfg.grpo.learning_rate == 1e-5 and cfg.model.lora.rank == 4 and cfg.data.types == ("planning",)
    import yaml

    assert config_from_mapping(yaml.safe_load(cfg.to_yaml())) == cfg


@pytest.mark.parametrize("override, message", [
    ("grpo.learnin_rate=1", "unknown field"),
    ("reward.weighting=sometimes", "reward.weighting"),
    ("grpo.num_generations=1", "at least 2"),
    ("grpo.prompts_per_step=many", "expected a number"),
    ("curriculum.preset=backwards", "curriculum.preset"),
    ("noblock=1", "BLOCK.FIELD"),
])
def test_bad_values_raise_config_errors_naming_the_field(override, message):
    with pytest.raises(ConfigError, match=message):
        load_config(None, [override]).curriculum.resolved_stages()
