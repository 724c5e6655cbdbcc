"""``prepare_run(config, out_dir)`` (what ``rewardmap train --engine verl`` calls) writes a parquet, a Hydra config
and a launch script that verl's own entry point accepts: composed with ``--cfg job`` (nothing trains), the values
are the training config's, and verl's dataset factory walks our curriculum plan on the parquet."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

# "verl.protocol", not "verl": tests/verl itself would import as a namespace package "verl"
pytest.importorskip("verl.protocol", reason="verl is not installed here: run `make test-verl` (its own venv)")

from omegaconf import OmegaConf
from verl.trainer.ppo.reward import get_custom_reward_fn
from verl.trainer.ppo.utils import create_rl_dataset
from verl.utils.config import validate_config

from rewardmap.errors import ConfigError
from rewardmap.integrations.verl.launch import prepare_run
from rewardmap.scoring import RewardConfig, score_response
from rewardmap.training.curriculum import Stage, plan_curriculum

pytestmark = pytest.mark.verl

STAGES = [{"name": "judge", "types": ["TorF1", "TorF2"], "epochs": 1, "reward": "baseline"},
          {"name": "count", "types": ["Counting1", "Counting2", "Counting3"], "steps": 2},
          {"name": "plan", "types": ["planning"], "epochs": 1}]


def _config(built, tmp_path, **grpo):
    return {"run": {"output_dir": str(tmp_path / "run"), "seed": 7},
            "model": {"path": "models/Qwen2.5-VL-3B-Instruct"},
            "data": {"train": str(built / "reasonmap-train"), "max_pixels": 1_000_000, "min_pixels": 4096},
            "reward": {"preset": "paper", "overrides": {"alpha": 0.3}},
            "curriculum": {"stages": STAGES, "seed": 11},
            "grpo": {"num_generations": 4, "prompts_per_step": 8, "learning_rate": 2e-6, "beta": 1e-2,
                     "max_completion_length": 1024, **grpo}}


def _compose(run, *overrides):
    env = {**os.environ, "PYTHON": sys.executable}
    cmd = ["bash", str(run.script), *overrides, "--cfg", "job", "--resolve"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return OmegaConf.create(proc.stdout)


def test_prepare_run_writes_a_run_verl_accepts_with_the_configs_values(built, tmp_path, tokenizer):
    run = prepare_run(_config(built, tmp_path), tmp_path / "run", python=sys.executable)
    assert run.recipe == "rewardmap_qwen25vl_3b" and run.parquet.is_file() and run.command[1:3] == (
        "-m", "verl.trainer.main_ppo")
    cfg = _compose(run, "data.image_key=none")
    a = cfg.actor_rollout_ref
    assert a.model.path == "models/Qwen2.5-VL-3B-Instruct" and a.rollout.tensor_model_parallel_size == 2
    assert (a.rollout.n, a.actor.optim.lr, a.actor.kl_loss_coef, cfg.data.max_response_length) == (4, 2e-6, 1e-2, 1024)
    assert (cfg.data.train_batch_size, a.actor.ppo_mini_batch_size) == (8, 8)
    assert a.rollout.name == "vllm" and cfg.trainer.n_gpus_per_node == 8  # the rest is the recipe's
    assert cfg.algorithm.norm_adv_by_std_in_grpo is True
    validate_config(config=cfg, use_reference_policy=True, use_critic=False)  # main_ppo's own pre-flight checks

    ds = create_rl_dataset(cfg.data.train_files, cfg.data, tokenizer, None)
    import datasets

    types = datasets.load_from_disk(str(built / "reasonmap-train"))["train"]["type"]
    plans = plan_curriculum(types, [Stage.from_mapping(s, i) for i, s in enumerate(STAGES)], prompts_per_step=8,
                            seed=11)
    assert [ds[i]["extra_info"]["index"] for i in range(len(ds))] == [r for p in plans for r in p.rows]
    assert [s.name for s in ds.curriculum.spans] == ["judge", "count", "plan"]

    fn = get_custom_reward_fn(cfg)
    first, last = ds[0]["extra_info"], ds[len(ds) - 1]["extra_info"]
    response = "\\boxed{yes}"
    run_cfg = RewardConfig.preset("paper", alpha=0.3)
    assert fn(data_source="reasonmap", solution_str=response, ground_truth="1", extra_info=first)["score"] == \
        score_response(response, first, RewardConfig.preset("baseline", alpha=0.3)).total  # the stage's reward
    assert fn(data_source="reasonmap", solution_str=response, ground_truth="-1", extra_info=last)["score"] == \
        score_response(response, last, run_cfg).total

    import pyarrow.parquet as pq

    image = pq.read_table(run.parquet).slice(0, 1).to_pylist()[0]["images"][0]
    assert (image["max_pixels"], image["min_pixels"]) == (1_000_000, 4096)


def test_centred_advantage_and_unsupported_weighting(built, tmp_path):
    run = prepare_run(_config(built, tmp_path, scale_rewards="none"), tmp_path / "run", python=sys.executable)
    assert "norm_adv_by_std_in_grpo: false" in run.config.read_text()
    bad = _config(built, tmp_path)
    bad["reward"]["weighting"] = "advantage"
    with pytest.raises(ConfigError, match="advantage"):
        prepare_run(bad, tmp_path / "bad")
