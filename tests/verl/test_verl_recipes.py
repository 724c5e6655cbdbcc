"""The shipped recipes through verl's own Hydra entry point: the launch script runs ``python -m
verl.trainer.main_ppo`` with ``--cfg job`` (Hydra composes and prints the config, nothing trains), so every key
must exist in verl 0.9.1's ``ppo_trainer`` config, the paths must point at our files, and the composed config must
convert to verl's config dataclasses and load our dataset class and reward function."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

# "verl.protocol", not "verl": tests/verl itself would import as a namespace package "verl"
pytest.importorskip("verl.protocol", reason="verl is not installed here: run `make test-verl` (its own venv)")

from omegaconf import OmegaConf
from verl.trainer.ppo.reward import get_custom_reward_fn
from verl.trainer.ppo.utils import create_rl_dataset, need_critic, need_reference_policy
from verl.utils.config import omega_conf_to_dataclass, validate_config

from rewardmap.integrations.verl import DATASET_FILE, RECIPES_DIR, REWARD_FILE
from rewardmap.training.curriculum import plan_curriculum, preset_stages

pytestmark = pytest.mark.verl


def compose(script: str, train, *overrides: str):
    env = {**os.environ, "PYTHON": sys.executable}
    proc = subprocess.run(["bash", str(RECIPES_DIR / script), str(train), *overrides, "--cfg", "job", "--resolve"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return OmegaConf.create(proc.stdout)


@pytest.fixture(scope="module")
def cfg7(export):
    return compose("run_qwen25vl_7b.sh", export("--curriculum", "rewardmap", "--seed", "42"), "data.image_key=none")


def test_7b_recipe_composes_on_verl_with_the_papers_values(cfg7):
    a = cfg7.actor_rollout_ref
    assert a.model.path == "Qwen/Qwen2.5-VL-7B-Instruct"
    assert (a.rollout.name, a.rollout.n, a.rollout.temperature) == ("vllm", 8, 1.0)
    assert (a.actor.optim.lr, a.actor.kl_loss_coef, a.actor.kl_loss_type, a.actor.use_kl_loss) == \
        (1e-6, 1e-3, "low_var_kl", True)
    assert (cfg7.data.train_batch_size, a.actor.ppo_mini_batch_size, cfg7.data.max_response_length) == (16, 16, 2048)
    assert cfg7.trainer.n_gpus_per_node == 8 and a.actor.strategy == "fsdp"
    assert cfg7.algorithm.adv_estimator == "grpo" and cfg7.algorithm.filter_groups.metric == "correct"
    assert cfg7.data.custom_cls.path == str(DATASET_FILE)
    assert cfg7.reward.custom_reward_function.path == str(REWARD_FILE)
    assert a.rollout.max_num_batched_tokens >= cfg7.data.max_prompt_length + cfg7.data.max_response_length
    for section, node in (("actor", a.actor), ("rollout", a.rollout), ("algorithm", cfg7.algorithm)):
        assert omega_conf_to_dataclass(node) is not None, section  # verl's own config dataclasses
    # the checks main_ppo runs before it starts Ray (batch sizes vs GPUs, micro batches, KL settings …)
    assert need_reference_policy(cfg7) and not need_critic(cfg7)
    validate_config(config=cfg7, use_reference_policy=True, use_critic=False)


def test_7b_recipe_loads_our_dataset_in_curriculum_order_and_our_reward(cfg7, built, tokenizer):
    import datasets

    ds = create_rl_dataset(cfg7.data.train_files, cfg7.data, tokenizer, None)
    assert type(ds).__name__ == "CurriculumRLHFDataset"
    types = datasets.load_from_disk(str(built / "reasonmap-train"))["train"]["type"]
    plans = plan_curriculum(types, preset_stages("rewardmap"), prompts_per_step=16, seed=42)
    assert [ds[i]["extra_info"]["index"] for i in range(len(ds))] == [r for p in plans for r in p.rows]
    fn = get_custom_reward_fn(cfg7)
    assert fn(data_source="reasonmap", solution_str="\\boxed{yes}", ground_truth="1",
              extra_info={"type": "TorF1", "answer": 1, "difficulty_city": "hard"})["score"] == 15.0


def test_3b_recipe_is_the_7b_recipe_with_the_3b_model(export, cfg7):
    cfg3 = compose("run_qwen25vl_3b.sh", export("--curriculum", "rewardmap", "--seed", "42"), "data.image_key=none")
    assert cfg3.actor_rollout_ref.model.path == "Qwen/Qwen2.5-VL-3B-Instruct"
    assert cfg3.actor_rollout_ref.rollout.tensor_model_parallel_size == 2
    diff = {k for k in ("data", "algorithm", "reward") if OmegaConf.to_container(cfg3[k]) !=
            OmegaConf.to_container(cfg7[k])}
    assert not diff and cfg3.actor_rollout_ref.actor == cfg7.actor_rollout_ref.actor
    validate_config(config=cfg3, use_reference_policy=True, use_critic=False)


def test_every_recipe_value_names_its_source():
    for recipe in RECIPES_DIR.glob("*.yaml"):
        for n, line in enumerate(recipe.read_text().splitlines(), 1):
            body = line.split("#")[0]
            if ":" in body and body.split(":", 1)[1].strip() not in ("", "???") and not line.lstrip().startswith("-"):
                key = body.split(":")[0].strip()
                if key in ("name", "path", "experiment_name", "critic_warmup", "truncation", "image_key",
                           "hybrid_engine") or "${" in body:
                    continue
                assert "#" in line and "[" in line.split("#", 1)[1], f"{recipe.name}:{n} has no source: {line!r}"
