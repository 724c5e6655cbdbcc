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


def test_tiny_cpu_yaml_matches_the_demo_recipe():
    from rewardmap.training.demo import tiny_cpu_config

    assert load_config(REPO / "configs" / "tiny-cpu.yaml") == tiny_cpu_config()


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
